package apigw

import (
	"slices"
	"sync"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// Compiled is a cache-safe policy for one principal: resource-pattern
// suffixes (after the stage's ARN prefix) to allow and to deny.
type Compiled struct {
	Allow []string
	Deny  []string
}

// Compiler turns the routes a principal may and may not call into a
// Compiled policy. Compiled results are memoized per permission set, so
// the work is done once per distinct set of permissions, not per request.
type Compiler struct {
	policy *authz.Policy
	index  map[*authz.Route]int
	langs  []lang   // routeLang of each route
	pats   []string // ARN pattern of each route
	globs  []lang   // globLang of each pattern

	mu   sync.RWMutex
	memo map[string]*compileResult
}

type compileResult struct {
	c  Compiled
	ok bool
	// statements caches the rendered Allow/Deny statements of c per ARN
	// prefix (one per API stage in practice): what an allow answers.
	statements sync.Map // prefix string -> []byte
}

// renderedStatements returns the JSON statements of the compiled policy
// under prefix, rendering them once.
func (res *compileResult) renderedStatements(prefix string) []byte {
	if b, ok := res.statements.Load(prefix); ok {
		return b.([]byte)
	}
	b := appendStatement(nil, "Allow", prefix, res.c.Allow)
	if len(res.c.Deny) > 0 {
		b = append(b, ',')
		b = appendStatement(b, "Deny", prefix, res.c.Deny)
	}
	res.statements.Store(prefix, b)
	return b
}

// maxMemo bounds the memo; it is cleared when full.
const maxMemo = 4096

// NewCompiler prepares a compiler for the routes of p.
func NewCompiler(p *authz.Policy) *Compiler {
	c := &Compiler{policy: p, index: make(map[*authz.Route]int, len(p.Routes)), memo: map[string]*compileResult{}}
	for i, rt := range p.Routes {
		c.index[rt] = i
		c.langs = append(c.langs, routeLang(rt.Key))
		pat := rt.Key.ARNPattern()
		c.pats = append(c.pats, pat)
		c.globs = append(c.globs, globLang(pat))
	}
	return c
}

// Compile builds the policy for a principal permitted the allowed routes
// (all others of the policy are denied). When the unlisted routes are
// open to authenticated callers, the whole stage is allowed and every
// denied route is denied explicitly.
//
// ok is false when no IAM policy can be exact: an explicit Deny needed to
// keep a broad allowance off a forbidden route would also catch requests
// of an allowed route ("*" in IAM patterns crosses "/"). The caller then
// falls back to a policy for the current request only.
func (c *Compiler) Compile(allowed []*authz.Route) (Compiled, bool) {
	res := c.result(allowed)
	return res.c, res.ok
}

// result returns the memoized compilation for the allowed routes.
func (c *Compiler) result(allowed []*authz.Route) *compileResult {
	key := make([]byte, (len(c.policy.Routes)+7)/8)
	for _, rt := range allowed {
		i, ok := c.index[rt]
		if !ok {
			continue // not a route of this policy: it grants nothing here
		}
		key[i/8] |= 1 << (i % 8)
	}
	k := string(key)
	c.mu.RLock()
	res := c.memo[k]
	c.mu.RUnlock()
	if res != nil {
		return res
	}
	res = c.compile(key)
	c.mu.Lock()
	if len(c.memo) >= maxMemo {
		clear(c.memo)
	}
	c.memo[k] = res
	c.mu.Unlock()
	return res
}

func (c *Compiler) compile(set []byte) *compileResult {
	isAllowed := func(i int) bool { return set[i/8]&(1<<(i%8)) != 0 }
	var allowGlobs []lang
	var out Compiled
	if c.policy.Unlisted == authz.UnlistedAuthenticated {
		out.Allow = []string{"*"}
		allowGlobs = []lang{globLang("*")}
	} else {
		for i := range c.policy.Routes {
			if isAllowed(i) && !slices.Contains(out.Allow, c.pats[i]) {
				out.Allow = append(out.Allow, c.pats[i])
				allowGlobs = append(allowGlobs, c.globs[i])
			}
		}
		if slices.Contains(out.Allow, "*") {
			out.Allow = []string{"*"}
			allowGlobs = []lang{globLang("*")}
		}
	}
	// Deny a forbidden route whose requests some allowance would cover.
	for i := range c.policy.Routes {
		if isAllowed(i) {
			continue
		}
		for _, g := range allowGlobs {
			if intersects(g, c.langs[i]) {
				if !slices.Contains(out.Deny, c.pats[i]) {
					out.Deny = append(out.Deny, c.pats[i])
				}
				break
			}
		}
	}
	// A Deny must not catch any request of an allowed route.
	for _, d := range out.Deny {
		dg := globLang(d)
		for i := range c.policy.Routes {
			if isAllowed(i) && intersects(dg, c.langs[i]) {
				return &compileResult{ok: false}
			}
		}
	}
	return &compileResult{c: out, ok: true}
}

// allows reports whether the policy allows the method-ARN suffix s (after
// the stage prefix), as IAM evaluates it: an explicit Deny wins.
func (c Compiled) allows(s string) bool {
	for _, p := range c.Deny {
		if globMatch(p, s) {
			return false
		}
	}
	for _, p := range c.Allow {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}

// globMatch reports whether IAM resource pattern p ("*" any run of
// characters, "?" one character) matches s.
func globMatch(p, s string) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for sx < len(s) {
		switch {
		case px < len(p) && (p[px] == '?' || p[px] == s[sx] && p[px] != '*'):
			px++
			sx++
		case px < len(p) && p[px] == '*':
			starPx, starSx = px, sx
			px++
		case starPx >= 0:
			starSx++
			px, sx = starPx+1, starSx
		default:
			return false
		}
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}
