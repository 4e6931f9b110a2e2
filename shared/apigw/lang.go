package apigw

import "github.com/portcullis-authz/portcullis/shared/authz"

// The policy compiler must know when an IAM resource pattern ("GET/orders/*",
// where "*" matches any characters, "/" included) matches a request that a
// route serves ("GET /orders/{id}", where {id} is one segment). Both are
// small regular languages; lang represents them as sequences of character
// classes, optionally repeated, and intersects them by walking the product
// automaton.

type class uint8

const (
	clsLit      class = iota // one given byte
	clsAny                   // any byte
	clsNotSlash              // any byte but '/'
)

type item struct {
	cls class
	lit byte
	rep bool // zero or more of the class instead of exactly one
}

type lang []item

func (l lang) lit(s string) lang {
	for i := 0; i < len(s); i++ {
		l = append(l, item{cls: clsLit, lit: s[i]})
	}
	return l
}

// plus appends one or more bytes of class c.
func (l lang) plus(c class) lang { return append(l, item{cls: c}, item{cls: c, rep: true}) }

// globLang is the language of an IAM resource pattern suffix.
func globLang(p string) lang {
	var l lang
	for i := 0; i < len(p); i++ {
		if p[i] == '*' {
			l = append(l, item{cls: clsAny, rep: true})
		} else {
			l = append(l, item{cls: clsLit, lit: p[i]})
		}
	}
	return l
}

// routeLang is the language of the method-ARN suffixes ("GET/orders/42")
// of the requests a route serves.
func routeLang(k authz.RouteKey) lang {
	switch s := k.Special(); s {
	case "":
	case authz.RouteDefault:
		return lang{{cls: clsAny, rep: true}}
	default:
		return lang(nil).lit(s)
	}
	var l lang
	if k.Method() == "ANY" {
		l = l.plus(clsNotSlash)
	} else {
		l = l.lit(k.Method())
	}
	segs := k.Segments()
	if len(segs) == 0 {
		return l.lit("/")
	}
	for _, s := range segs {
		l = l.lit("/")
		switch {
		case s.Greedy:
			l = l.plus(clsAny)
		case s.Param:
			l = l.plus(clsNotSlash)
		default:
			l = l.lit(s.Text)
		}
	}
	return l
}

func meet(a, b item) bool {
	switch {
	case a.cls == clsLit && b.cls == clsLit:
		return a.lit == b.lit
	case a.cls == clsLit:
		return b.cls == clsAny || a.lit != '/'
	case b.cls == clsLit:
		return a.cls == clsAny || b.lit != '/'
	}
	return true // any and not-slash share every byte but '/'
}

// intersects reports whether some string belongs to both languages.
func intersects(a, b lang) bool {
	type state struct{ i, j int }
	seen := make(map[state]bool, len(a)+len(b))
	stack := []state{{0, 0}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] {
			continue
		}
		seen[s] = true
		if s.i == len(a) && s.j == len(b) {
			return true
		}
		// Skip a repeated item (zero occurrences).
		if s.i < len(a) && a[s.i].rep {
			stack = append(stack, state{s.i + 1, s.j})
		}
		if s.j < len(b) && b[s.j].rep {
			stack = append(stack, state{s.i, s.j + 1})
		}
		// Consume one byte on both sides.
		if s.i < len(a) && s.j < len(b) && meet(a[s.i], b[s.j]) {
			ni, nj := s.i+1, s.j+1
			if a[s.i].rep {
				ni = s.i
			}
			if b[s.j].rep {
				nj = s.j
			}
			stack = append(stack, state{ni, nj})
		}
	}
	return false
}
