package apigw

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
)

// stdString is s as encoding/json writes it without HTML escaping.
func stdString(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

var jsonStrings = []string{
	"", "plain", `quote " and \ backslash`, "\x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x7f",
	"<script>&</script>", "ünïcødé ✓ 𝄞", "\xff", "a\xffb\xfe", "\xed\xa0\x80", "\xc3", "\u2028\u2029", "\ufffd",
	"/slash/", "tab\tend",
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonStrings {
		got := appendString([]byte("prefix:"), s)
		want := append([]byte("prefix:"), stdString(t, s)...)
		if !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		if want := stdString(t, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

var jsonNumbers = []float64{0, math.Copysign(0, -1), 1, -1, 1.5, 0.1, 1e-6, 1e-7, 9.99e-7, 1.234e-9, 1e20, 1e21, 1.5e21, -1e-7,
	123456789, 1e300, 5e-324, math.MaxFloat64, -math.MaxFloat64, 1700000000, 0.000001}

func TestAppendNumberMatchesEncodingJSON(t *testing.T) {
	for _, f := range jsonNumbers {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendNumber(nil, f); !bytes.Equal(got, want) {
			t.Errorf("appendNumber(%v) = %s, want %s", f, got, want)
		}
	}
}

func FuzzAppendNumber(f *testing.F) {
	for _, n := range jsonNumbers {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n float64) {
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return // not JSON numbers; the context writer leaves them out
		}
		want, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendNumber([]byte("x"), n); !bytes.Equal(got[1:], want) {
			t.Fatalf("appendNumber(%v) = %s, want %s", n, got[1:], want)
		}
	})
}

// globRegexp is an oracle for globMatch.
func globRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	for _, c := range p {
		switch c {
		case '*':
			b.WriteString(`(?s:.*)`)
		case '?':
			b.WriteString(`(?s:.)`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func FuzzGlobMatch(f *testing.F) {
	for _, c := range [][2]string{
		{"GET/orders/*", "GET/orders/1/2"}, {"*/admin/*", "GET/x/admin/y"}, {"a*b*c", "abXbc"}, {"?", ""},
		{"*", ""}, {"", ""}, {"GET/", "GET/"}, {"**a", "ba"}, {"a?c", "abc"}, {"*a", "bab"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		if !isASCII(p) || !isASCII(s) {
			return // ARNs are ASCII; the oracle counts runes
		}
		if got, want := globMatch(p, s), globRegexp(p).MatchString(s); got != want {
			t.Fatalf("globMatch(%q, %q) = %v, want %v", p, s, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
