package localgw

import (
	"net/url"
	"strings"

	"github.com/portcullis-authz/portcullis/infra/plan"
)

// route is one method of the emulated API and what protects it.
type route struct {
	key      string // the policy's route key
	method   string // GET, ..., ANY
	resource string // REST resource path ("/orders/{id}"); HTTP API route path
	auth     *authorizer
}

type partKind uint8

const (
	partLiteral partKind = iota
	partParam
	partGreedy
)

// node is one resource (path level) of the route tree.
type node struct {
	kind     partKind
	text     string // literal text or parameter name
	children []*node
	methods  map[string]*route
}

func (n *node) child(kind partKind, text string) *node {
	for _, c := range n.children {
		if c.kind == kind && c.text == text {
			return c
		}
	}
	c := &node{kind: kind, text: text}
	n.children = append(n.children, c)
	return c
}

// routeTable matches requests to routes as API Gateway selects them:
// literal path parts beat {param}, which beats {proxy+}; a named method
// beats ANY; on an HTTP API, $default catches the rest.
type routeTable struct {
	root     *node
	fallback *route // HTTP API $default
}

func (t *routeTable) add(path string, rt *route) {
	n := t.root
	if path != "/" && path != "" {
		for _, part := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			switch {
			case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "+}"):
				n = n.child(partGreedy, part[1:len(part)-2])
			case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}"):
				n = n.child(partParam, part[1:len(part)-1])
			default:
				n = n.child(partLiteral, part)
			}
		}
	}
	if n.methods == nil {
		n.methods = map[string]*route{}
	}
	n.methods[rt.method] = rt
}

// restTable builds the table of a REST API's resource tree.
func restTable(root *plan.Resource, auths map[string]*authorizer) (*routeTable, []*route) {
	t := &routeTable{root: &node{}}
	var all []*route
	root.Walk(func(res *plan.Resource) {
		for _, m := range res.Methods {
			rt := &route{key: m.Route, method: m.HTTPMethod, resource: res.Path, auth: auths[m.Authorizer]}
			t.add(res.Path, rt)
			all = append(all, rt)
		}
	})
	return t, all
}

// httpTable builds the table of an HTTP API's routes.
func httpTable(routes []plan.HTTPRoute, auths map[string]*authorizer) (*routeTable, []*route) {
	t := &routeTable{root: &node{}}
	var all []*route
	for _, r := range routes {
		rt := &route{key: r.Key, method: r.Method, resource: r.Path, auth: auths[r.Authorizer]}
		if r.Method == "" {
			rt.method = "ANY"
			t.fallback = rt
		} else {
			t.add(r.Path, rt)
		}
		all = append(all, rt)
	}
	return t, all
}

// match returns the route of a request and its path parameters (decoded),
// or nil. escapedPath is the request's path as sent (percent-encoded).
func (t *routeTable) match(method, escapedPath string) (*route, map[string]string) {
	var parts []string
	if p := strings.TrimPrefix(escapedPath, "/"); p != "" && strings.HasPrefix(escapedPath, "/") {
		parts = strings.Split(p, "/")
	} else if !strings.HasPrefix(escapedPath, "/") {
		return nil, nil
	}
	params := map[string]string{}
	if rt := t.root.match(method, parts, params); rt != nil {
		return rt, params
	}
	if t.fallback != nil {
		return t.fallback, map[string]string{}
	}
	return nil, nil
}

func (n *node) match(method string, parts []string, params map[string]string) *route {
	if len(parts) == 0 {
		if rt := n.methods[method]; rt != nil {
			return rt
		}
		return n.methods["ANY"]
	}
	seg := parts[0]
	if seg == "" {
		return nil
	}
	for _, kind := range []partKind{partLiteral, partParam, partGreedy} {
		for _, c := range n.children {
			if c.kind != kind {
				continue
			}
			switch kind {
			case partLiteral:
				if unescape(seg) != c.text {
					continue
				}
				if rt := c.match(method, parts[1:], params); rt != nil {
					return rt
				}
			case partParam:
				if rt := c.match(method, parts[1:], params); rt != nil {
					params[c.text] = unescape(seg)
					return rt
				}
			case partGreedy:
				if slicesContainEmpty(parts) {
					continue
				}
				if rt := c.methods[method]; rt != nil {
					params[c.text] = unescape(strings.Join(parts, "/"))
					return rt
				}
				if rt := c.methods["ANY"]; rt != nil {
					params[c.text] = unescape(strings.Join(parts, "/"))
					return rt
				}
			}
		}
	}
	return nil
}

func slicesContainEmpty(parts []string) bool {
	for _, p := range parts {
		if p == "" {
			return true
		}
	}
	return false
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
