package apigw

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

func mustKey(t testing.TB, s string) authz.RouteKey {
	t.Helper()
	k, err := authz.ParseRouteKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIntersects(t *testing.T) {
	tests := []struct {
		glob, route string
		want        bool
	}{
		{"GET/orders/*", "GET /orders/{id}", true},
		{"GET/orders/*/items", "GET /orders/{id}", false},
		{"GET/orders/*", "GET /orders/{id}/items", true},
		{"*/admin/*", "GET /orders/{id}/items", true}, // GET/orders/admin/items
		{"*/admin/*", "GET /orders/{id}", false},      // one segment cannot hold "/admin/"
		{"*/admin/*", "GET /orders", false},
		{"GET/", "$default", true},
		{"$connect", "GET /", false},
		{"*", "$connect", true},
		{"GET/", "ANY /{proxy+}", false}, // {proxy+} needs at least one character
		{"GET/*", "GET /", true},
		{"POST/orders", "GET /orders", false},
		{"POST/orders", "ANY /orders", true},
		{"GET/orders", "ANY /orders/{id}", false},
		{"*/orders/*", "POST /orders/{id}/refund", true},
		{"DELETE/orders/*", "POST /orders/{id}/refund", false},
		{"GET/a/*/b", "GET /a/{x}/{y}", true},
		{"GET/a/*/b", "GET /a/{x}", false},
	}
	for _, tt := range tests {
		g, r := globLang(tt.glob), routeLang(mustKey(t, tt.route))
		if got := intersects(g, r); got != tt.want {
			t.Errorf("intersects(%q, %q) = %v, want %v", tt.glob, tt.route, got, tt.want)
		}
		if got := intersects(r, g); got != tt.want {
			t.Errorf("intersects(%q, %q) = %v, want %v (swapped)", tt.route, tt.glob, got, tt.want)
		}
	}
}

// member reports whether s belongs to l, by backtracking: an oracle written
// apart from intersects.
func member(l lang, s string) bool {
	if len(l) == 0 {
		return s == ""
	}
	it := l[0]
	ok := func(c byte) bool {
		switch it.cls {
		case clsLit:
			return c == it.lit
		case clsNotSlash:
			return c != '/'
		}
		return true
	}
	if it.rep {
		if member(l[1:], s) {
			return true
		}
		return s != "" && ok(s[0]) && member(l, s[1:])
	}
	return s != "" && ok(s[0]) && member(l[1:], s[1:])
}

// TestIntersectsBruteForce compares intersects with a search for a common
// string over a small alphabet, for random languages. A shortest common
// string never repeats a product state, so it is at most as long as both
// languages' non-repeated items together: the search covers that length.
func TestIntersectsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'a', 'b', '/'}
	randLang := func() lang {
		l := make(lang, rng.IntN(5))
		for i := range l {
			l[i] = item{cls: class(rng.IntN(3)), lit: alphabet[rng.IntN(len(alphabet))], rep: rng.IntN(3) == 0}
		}
		return l
	}
	nonRep := func(l lang) int {
		n := 0
		for _, it := range l {
			if !it.rep {
				n++
			}
		}
		return n
	}
	var strs func(n int) []string
	strs = func(n int) []string {
		if n == 0 {
			return []string{""}
		}
		shorter := strs(n - 1)
		out := shorter
		for _, s := range shorter {
			if len(s) == n-1 {
				for _, c := range alphabet {
					out = append(out, s+string(c))
				}
			}
		}
		return out
	}
	all := strs(8)
	seen := map[bool]int{}
	for range 400 {
		a, b := randLang(), randLang()
		want := false
		limit := nonRep(a) + nonRep(b)
		for _, s := range all {
			if len(s) <= limit && member(a, s) && member(b, s) {
				want = true
				break
			}
		}
		if got := intersects(a, b); got != want {
			t.Fatalf("intersects(%v, %v) = %v, brute force says %v", a, b, got, want)
		}
		seen[want]++
	}
	if seen[true] < 50 || seen[false] < 50 {
		t.Fatalf("random languages intersect %d times and not %d times: too one-sided to test anything", seen[true], seen[false])
	}
}

func (l lang) String() string {
	s := ""
	for _, it := range l {
		switch it.cls {
		case clsLit:
			s += string(it.lit)
		case clsAny:
			s += "."
		case clsNotSlash:
			s += "[^/]"
		}
		if it.rep {
			s += "*"
		}
	}
	return fmt.Sprintf("%q", s)
}

// The memo stays bounded however many distinct permission sets are seen,
// and results stay right after it is cleared.
func TestCompileMemoBounded(t *testing.T) {
	var keys []string
	for i := range 13 {
		keys = append(keys, fmt.Sprintf("GET /r%d/{id}", i))
	}
	routes := make([]*authz.Route, len(keys))
	for i, k := range keys {
		routes[i] = &authz.Route{Key: mustKey(t, k)}
	}
	p, err := authz.NewPolicy(routes, authz.UnlistedDeny)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCompiler(p)
	for mask := range maxMemo + 1000 {
		var allowed []*authz.Route
		for i, rt := range routes {
			if mask&(1<<i) != 0 {
				allowed = append(allowed, rt)
			}
		}
		got, ok := c.Compile(allowed)
		if !ok || len(got.Allow) != len(allowed) {
			t.Fatalf("Compile(mask %b) = %+v, %v", mask, got, ok)
		}
		c.mu.RLock()
		n := len(c.memo)
		c.mu.RUnlock()
		if n > maxMemo {
			t.Fatalf("memo holds %d entries, more than %d", n, maxMemo)
		}
	}
}
