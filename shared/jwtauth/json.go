package jwtauth

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the strict JSON reader used for JOSE headers, claim sets,
// discovery documents and bundled JWKS files. encoding/json is unsuitable on
// this path for two reasons: it silently keeps the last of duplicate member
// names (RFC 7515 §4 and RFC 7519 §4 let a verifier reject them, and an
// authorizer must, or two parsers may disagree about "exp" or "alg"), and its
// token API costs about a third of an RS256 verification. The reader below
// validates a whole document in one pass (RFC 8259 grammar, UTF-8, no lone
// surrogates, bounded nesting), rejects a repeated member name in any object
// at any depth (names compared after unescaping), and records the top-level
// members as spans of the input, so values are decoded only when asked for.

// kind is the type of a JSON value.
type kind uint8

const (
	kindInvalid kind = iota
	kindString
	kindNumber
	kindTrue
	kindFalse
	kindNull
	kindObject
	kindArray
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindNumber:
		return "number"
	case kindTrue, kindFalse:
		return "boolean"
	case kindNull:
		return "null"
	case kindObject:
		return "object"
	case kindArray:
		return "array"
	}
	return "invalid"
}

// maxDepth bounds nesting; claim sets nest a few levels at most.
const maxDepth = 64

// errJSON is wrapped by every syntax error; errDuplicate by every duplicate
// member name.
var (
	errJSON      = errors.New("invalid JSON")
	errDuplicate = errors.New("duplicate member name")
)

// jsonError locates a JSON problem. It never quotes the input beyond a
// duplicate member's name, shortened.
type jsonError struct {
	err  error // errJSON or errDuplicate
	msg  string
	off  int
	name string // duplicate member name
}

func (e *jsonError) Error() string {
	if e.err == errDuplicate {
		return "member " + quote(e.name) + " appears twice"
	}
	return e.msg + " at offset " + strconv.Itoa(e.off)
}

func (e *jsonError) Unwrap() error { return e.err }

// member is a JSON object member, or an array element (name empty).
type member struct {
	name string // unescaped
	raw  string // the value's text
	kind kind
	esc  bool // a string value containing escapes
}

// str returns a string value, unescaped.
func (m member) str() (string, bool) {
	if m.kind != kindString {
		return "", false
	}
	inner := m.raw[1 : len(m.raw)-1]
	if !m.esc {
		return inner, true
	}
	return unescape(inner), true
}

type scanner struct {
	s     string
	i     int
	depth int
	esc   bool // whether the last string scanned held escapes
}

func (p *scanner) fail(msg string) error {
	return &jsonError{err: errJSON, msg: msg, off: p.i}
}

func (p *scanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// parseObject validates s as one JSON object (whitespace around it allowed)
// and appends its top-level members to dst.
func parseObject(s string, dst []member) ([]member, error) {
	return parseTop(s, dst, '{', "not a JSON object", (*scanner).object)
}

// parseArray validates s as one JSON array and appends its elements to dst.
func parseArray(s string, dst []member) ([]member, error) {
	return parseTop(s, dst, '[', "not a JSON array", (*scanner).array)
}

// parseTop validates s as one JSON value opened by open and read by value.
func parseTop(s string, dst []member, open byte, notMsg string, value func(*scanner, []member, bool) ([]member, error)) ([]member, error) {
	p := scanner{s: s}
	p.ws()
	if p.i >= len(s) || s[p.i] != open {
		return dst, p.fail(notMsg)
	}
	dst, err := value(&p, dst, true)
	if err != nil {
		return dst, err
	}
	p.ws()
	if p.i != len(s) {
		return dst, p.fail("data after the JSON value")
	}
	return dst, nil
}

// value scans the value at p.i.
func (p *scanner) value() (kind, error) {
	if p.i >= len(p.s) {
		return kindInvalid, p.fail("unexpected end of input")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		_, err := p.object(nil, false)
		return kindObject, err
	case c == '[':
		_, err := p.array(nil, false)
		return kindArray, err
	case c == '"':
		esc, err := p.str()
		p.esc = esc
		return kindString, err
	case c == 't':
		return kindTrue, p.literal("true")
	case c == 'f':
		return kindFalse, p.literal("false")
	case c == 'n':
		return kindNull, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return kindNumber, p.number()
	}
	return kindInvalid, p.fail("unexpected character")
}

func (p *scanner) literal(lit string) error {
	if !strings.HasPrefix(p.s[p.i:], lit) {
		return p.fail("invalid literal")
	}
	p.i += len(lit)
	return nil
}

func (p *scanner) digits() int {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

func (p *scanner) number() error {
	if p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.digits() == 0:
		return p.fail("invalid number")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return p.fail("invalid number")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return p.fail("invalid number")
		}
	}
	return nil
}

// strSafe marks the bytes a string holds as they are: printable ASCII
// other than '"' and '\\'.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans the string at p.i (a '"') and reports whether it holds escapes.
func (p *scanner) str() (esc bool, err error) {
	p.i++
	for p.i < len(p.s) {
		for p.i < len(p.s) && strSafe[p.s[p.i]] {
			p.i++
		}
		if p.i >= len(p.s) {
			break
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return esc, nil
		case c == '\\':
			esc = true
			if p.i+1 >= len(p.s) {
				return esc, p.fail("unterminated escape")
			}
			switch p.s[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				r, ok := hex4(p.s, p.i+2)
				if !ok {
					return esc, p.fail("invalid \\u escape")
				}
				p.i += 6
				switch {
				case utf16.IsSurrogate(r) && r < 0xdc00:
					// A high surrogate must be followed by a low one.
					if p.i+1 >= len(p.s) || p.s[p.i] != '\\' || p.s[p.i+1] != 'u' {
						return esc, p.fail("lone surrogate")
					}
					r2, ok := hex4(p.s, p.i+2)
					if !ok || r2 < 0xdc00 || r2 > 0xdfff {
						return esc, p.fail("lone surrogate")
					}
					p.i += 6
				case utf16.IsSurrogate(r):
					return esc, p.fail("lone surrogate")
				}
			default:
				return esc, p.fail("invalid escape")
			}
		case c < 0x20:
			return esc, p.fail("control character in string")
		case c < utf8.RuneSelf:
			p.i++
		default:
			r, size := utf8.DecodeRuneInString(p.s[p.i:])
			if r == utf8.RuneError && size == 1 {
				return esc, p.fail("invalid UTF-8")
			}
			p.i += size
		}
	}
	return esc, p.fail("unterminated string")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// smallNames is how many member names an object compares pairwise before
// switching to a map, bounding the cost of huge attacker-made objects.
const smallNames = 16

// object scans the object at p.i, appending its members to dst when rec
// is set. Members flow back through the result, not through a pointer, so
// a caller's stack buffer stays on the stack.
func (p *scanner) object(dst []member, rec bool) ([]member, error) {
	p.depth++
	if p.depth > maxDepth {
		return dst, p.fail("nesting too deep")
	}
	p.i++ // '{'
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		p.depth--
		return dst, nil
	}
	var small [smallNames]string
	names := small[:0]
	var seen map[string]struct{}
	var filter uint64 // nameBit of every name so far: most names need no comparison
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return dst, p.fail("expected a member name")
		}
		start := p.i
		esc, err := p.str()
		if err != nil {
			return dst, err
		}
		name := p.s[start+1 : p.i-1]
		if esc {
			name = unescape(name)
		}
		if seen == nil {
			if bit := nameBit(name); filter&bit != 0 {
				for _, n := range names {
					if n == name {
						return dst, &jsonError{err: errDuplicate, name: name, off: start}
					}
				}
			} else {
				filter |= bit
			}
			if len(names) < smallNames {
				names = append(names, name)
			} else {
				seen = make(map[string]struct{}, 2*smallNames)
				for _, n := range names {
					seen[n] = struct{}{}
				}
				seen[name] = struct{}{}
			}
		} else {
			if _, dup := seen[name]; dup {
				return dst, &jsonError{err: errDuplicate, name: name, off: start}
			}
			seen[name] = struct{}{}
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return dst, p.fail("expected ':'")
		}
		p.i++
		p.ws()
		vstart := p.i
		k, err := p.value()
		if err != nil {
			return dst, err
		}
		if rec {
			dst = append(dst, member{name: name, raw: p.s[vstart:p.i], kind: k, esc: k == kindString && p.esc})
		}
		p.ws()
		if p.i >= len(p.s) {
			return dst, p.fail("unterminated object")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return dst, nil
		default:
			return dst, p.fail("expected ',' or '}'")
		}
	}
}

// array scans the array at p.i, appending its elements to dst when rec
// is set.
func (p *scanner) array(dst []member, rec bool) ([]member, error) {
	p.depth++
	if p.depth > maxDepth {
		return dst, p.fail("nesting too deep")
	}
	p.i++ // '['
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		p.depth--
		return dst, nil
	}
	for {
		p.ws()
		vstart := p.i
		k, err := p.value()
		if err != nil {
			return dst, err
		}
		if rec {
			dst = append(dst, member{raw: p.s[vstart:p.i], kind: k, esc: k == kindString && p.esc})
		}
		p.ws()
		if p.i >= len(p.s) {
			return dst, p.fail("unterminated array")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return dst, nil
		default:
			return dst, p.fail("expected ',' or ']'")
		}
	}
}

// unescape decodes the escapes of a string the scanner validated.
func unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, _ := hex4(s, i+2)
			if utf16.IsSurrogate(r) {
				r2, _ := hex4(s, i+8)
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			b = utf8.AppendRune(b, r)
			i += 6
			continue
		default: // '"', '\\', '/'
			b = append(b, s[i+1])
		}
		i += 2
	}
	return string(b)
}

// lookup finds a member by exact name.
func lookup(ms []member, name string) (member, bool) {
	for _, m := range ms {
		if m.name == name {
			return m, true
		}
	}
	return member{}, false
}

// object is a parsed object's members with a 64-bit filter of their names,
// so that looking up an absent name (most configured claim paths are absent
// from any one token) usually answers without scanning.
type object struct {
	ms     []member
	filter uint64
}

func nameBit(s string) uint64 {
	h := uint(len(s)) * 7
	if len(s) > 0 {
		h += uint(s[0]) + 3*uint(s[len(s)-1])
	}
	return 1 << (h & 63)
}

func newObject(ms []member) object {
	o := object{ms: ms}
	for i := range ms {
		o.filter |= nameBit(ms[i].name)
	}
	return o
}

// get finds a member by exact name.
func (o *object) get(name string) (member, bool) {
	if o.filter&nameBit(name) == 0 {
		return member{}, false
	}
	return lookup(o.ms, name)
}

// path finds a claim by path: the exact member name first, then, for each
// dot from the left, the member named by the part before the dot, which
// must be an object, searched for the rest the same way.
func (o *object) path(path string) (member, bool) {
	if m, ok := o.get(path); ok {
		return m, true
	}
	for i := 0; i < len(path); i++ {
		if path[i] != '.' {
			continue
		}
		head, ok := o.get(path[:i])
		if !ok || head.kind != kindObject {
			continue
		}
		var buf [16]member
		ms, err := parseObject(head.raw, buf[:0])
		if err != nil {
			continue
		}
		inner := newObject(ms)
		if m, ok := inner.path(path[i+1:]); ok {
			return m, true
		}
	}
	return member{}, false
}

// quote returns s quoted for a log line, shortened to a safe length.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
