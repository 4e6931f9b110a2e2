package authz

import (
	"errors"
	"fmt"
	"strings"
)

// Methods accepted in a route key. ANY matches every method.
var routeMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}

// Special route keys.
const (
	RouteDefault = "$default" // HTTP API catch-all route
	RouteConnect = "$connect" // WebSocket connection route
)

// ErrRouteKey is wrapped by every route-key parse error.
var ErrRouteKey = errors.New("invalid route key")

type segKind uint8

const (
	segLiteral segKind = iota
	segParam           // {id}: exactly one segment
	segGreedy          // {proxy+}: one or more segments, last only
)

type segment struct {
	kind segKind
	text string // literal text, or the parameter name
}

// RouteKey is a parsed route written as API Gateway writes it:
// "GET /orders/{id}", "ANY /admin/{proxy+}", "$default" or "$connect".
type RouteKey struct {
	text    string
	method  string // "" for special keys
	special string // "$default", "$connect" or ""
	segs    []segment
}

// ParseRouteKey parses a route key. Paths start with "/", are made of
// literal segments and {name} parameters, and may end in one greedy
// {name+} parameter. Any other "$"-key is a WebSocket route key.
func ParseRouteKey(s string) (RouteKey, error) {
	if strings.HasPrefix(s, "$") {
		if len(s) < 2 || strings.ContainsAny(s, " /{}") {
			return RouteKey{}, fmt.Errorf("%w %q: a special route key is $default, $connect or a WebSocket route name", ErrRouteKey, s)
		}
		return RouteKey{text: s, special: s}, nil
	}
	method, path, ok := strings.Cut(s, " ")
	if !ok {
		return RouteKey{}, fmt.Errorf("%w %q: want \"METHOD /path\", \"$default\" or \"$connect\"", ErrRouteKey, s)
	}
	if !contains(routeMethods, method) {
		return RouteKey{}, fmt.Errorf("%w %q: method %q is not one of %s", ErrRouteKey, s, method, strings.Join(routeMethods, ", "))
	}
	if !strings.HasPrefix(path, "/") {
		return RouteKey{}, fmt.Errorf("%w %q: path must start with /", ErrRouteKey, s)
	}
	k := RouteKey{text: s, method: method}
	if path == "/" {
		return k, nil
	}
	parts := strings.Split(path[1:], "/")
	for i, p := range parts {
		switch {
		case p == "":
			return RouteKey{}, fmt.Errorf("%w %q: empty path segment", ErrRouteKey, s)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			name := p[1 : len(p)-2]
			if i != len(parts)-1 {
				return RouteKey{}, fmt.Errorf("%w %q: greedy parameter {%s+} must be the last segment", ErrRouteKey, s, name)
			}
			if !validParam(name) {
				return RouteKey{}, fmt.Errorf("%w %q: bad parameter name %q", ErrRouteKey, s, name)
			}
			k.segs = append(k.segs, segment{segGreedy, name})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name := p[1 : len(p)-1]
			if !validParam(name) {
				return RouteKey{}, fmt.Errorf("%w %q: bad parameter name %q", ErrRouteKey, s, name)
			}
			k.segs = append(k.segs, segment{segParam, name})
		case strings.ContainsAny(p, "{}*?"):
			return RouteKey{}, fmt.Errorf("%w %q: segment %q mixes a parameter with text or holds a wildcard", ErrRouteKey, s, p)
		default:
			k.segs = append(k.segs, segment{segLiteral, p})
		}
	}
	return k, nil
}

func validParam(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// String returns the route key as written.
func (k RouteKey) String() string { return k.text }

// Method returns the route's method ("ANY" included), or "" for a special key.
func (k RouteKey) Method() string { return k.method }

// Special returns "$default", "$connect" or another "$"-key, or "".
func (k RouteKey) Special() string { return k.special }

// ARNPattern returns the method-ARN suffix ("GET/orders/*") that an IAM
// policy statement uses for this route: methods as written (ANY is "*"),
// every path parameter as "*". The pattern may match more paths than the
// route does ("*" crosses "/"); the policy compiler accounts for that.
func (k RouteKey) ARNPattern() string {
	switch k.special {
	case "":
	case RouteDefault:
		return "*"
	default:
		return k.special
	}
	var b strings.Builder
	if k.method == "ANY" {
		b.WriteString("*")
	} else {
		b.WriteString(k.method)
	}
	if len(k.segs) == 0 {
		b.WriteString("/")
	}
	for _, s := range k.segs {
		b.WriteByte('/')
		if s.kind == segLiteral {
			b.WriteString(s.text)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// matchPath reports whether the request path matches the route's path.
func (k RouteKey) matchPath(path string) bool {
	if !strings.HasPrefix(path, "/") {
		return false
	}
	rest := path[1:]
	if len(k.segs) == 0 {
		return rest == ""
	}
	for i, s := range k.segs {
		if s.kind == segGreedy {
			return rest != ""
		}
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "" {
			return false
		}
		if s.kind == segLiteral && seg != s.text {
			return false
		}
		last := i == len(k.segs)-1
		if last {
			return !more
		}
		if !more {
			return false
		}
		rest = tail
	}
	return false
}

// moreSpecific reports whether k should win over o when both match the
// same request: literal segments beat {param} beats {proxy+}, segment by
// segment from the left; then a named method beats ANY; $default loses to
// everything.
func (k RouteKey) moreSpecific(o RouteKey) bool {
	if (k.special == RouteDefault) != (o.special == RouteDefault) {
		return o.special == RouteDefault
	}
	for i := 0; i < len(k.segs) && i < len(o.segs); i++ {
		if k.segs[i].kind != o.segs[i].kind {
			return k.segs[i].kind < o.segs[i].kind
		}
	}
	if len(k.segs) != len(o.segs) {
		return len(k.segs) > len(o.segs)
	}
	return k.method != "ANY" && o.method == "ANY"
}

// Canonical returns the key with parameter names erased ("GET /orders/{}",
// "ANY /admin/{+}"), so that routes differing only in parameter names are
// the same route, as they are to API Gateway.
func (k RouteKey) Canonical() string {
	if k.special != "" {
		return k.special
	}
	var b strings.Builder
	b.WriteString(k.method)
	b.WriteByte(' ')
	if len(k.segs) == 0 {
		b.WriteByte('/')
	}
	for _, s := range k.segs {
		b.WriteByte('/')
		switch s.kind {
		case segLiteral:
			b.WriteString(s.text)
		case segParam:
			b.WriteString("{}")
		case segGreedy:
			b.WriteString("{+}")
		}
	}
	return b.String()
}

// Segment is one path segment of a route key.
type Segment struct {
	Text   string // literal text, or the parameter name
	Param  bool   // {name}: exactly one segment
	Greedy bool   // {name+}: one or more segments (last segment only)
}

// Segments returns the path segments of the route ("" path: none).
func (k RouteKey) Segments() []Segment {
	out := make([]Segment, len(k.segs))
	for i, s := range k.segs {
		out[i] = Segment{Text: s.text, Param: s.kind == segParam, Greedy: s.kind == segGreedy}
	}
	return out
}
