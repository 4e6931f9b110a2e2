package apikey

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

// A fixed valid key (its checksum computed by the code under test is
// checked against the literal, so the format cannot drift silently).
const validKey = "pcl_test_AbCdEfGh1234_0123456789abcdefghijKL"

func validKeyWithSum(t testing.TB) string {
	t.Helper()
	return validKey + checksum(validKey)
}

var scanner = regexp.MustCompile(`^pcl_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{28}$`)

// parseTests seed FuzzParse too.
var parseTests = []struct {
	name string
	in   string
	ok   bool
}{
	{"empty", "", false},
	{"short", "pcl_test_", false},
	{"long", "pcl_test_AbCdEfGh1234_0123456789abcdefghijKLxxxxxxx", false},
	{"bearer", "Bearer pcl_test_AbCdEfGh1234_0123456789abcdefgh", false},
	{"wrong prefix", "ghp_test_AbCdEfGh1234_0123456789abcdefghijKL000000", false},
	{"wrong env", "pcl_prod_AbCdEfGh1234_0123456789abcdefghijKL000000", false},
	{"upper env", "pcl_TEST_AbCdEfGh1234_0123456789abcdefghijKL000000", false},
	{"no separator", "pcl_test_AbCdEfGh1234-0123456789abcdefghijKL000000", false},
	{"bad char", "pcl_test_AbCdEfGh12-4_0123456789abcdefghijKL000000", false},
	{"utf8", "pcl_test_AbCdEfGh12é_0123456789abcdefghijKL000000", false},
	{"bad checksum", "pcl_test_AbCdEfGh1234_0123456789abcdefghijKL000000", false},
}

func TestParse(t *testing.T) {
	good := validKeyWithSum(t)
	if !scanner.MatchString(good) {
		t.Fatalf("valid key %q does not match the documented scanner pattern", good)
	}
	k, err := Parse(good)
	if err != nil {
		t.Fatalf("Parse(valid) error = %v", err)
	}
	if k.Env != Test || k.ID != "AbCdEfGh1234" || k.Reveal() != good {
		t.Errorf("Parse(valid) = env %q id %q reveal %q; want test, AbCdEfGh1234 and the input", k.Env, k.ID, k.Reveal())
	}
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("Parse(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse error %v does not wrap ErrMalformed", err)
			}
			if err != nil && len(tt.in) > 12 && strings.Contains(err.Error(), tt.in[len(tt.in)-12:]) {
				t.Errorf("Parse error %q repeats the input", err)
			}
		})
	}
}

// TestChecksumCatchesTypos: every single-character substitution and every
// transposition of two adjacent characters of a valid key is rejected.
func TestChecksumCatchesTypos(t *testing.T) {
	good := []byte(validKeyWithSum(t))
	for i := range good {
		for _, c := range []byte(alphabet + "_") {
			if c == good[i] {
				continue
			}
			b := bytes.Clone(good)
			b[i] = c
			if _, err := Parse(string(b)); err == nil {
				t.Errorf("substitution %q at %d accepted: %s", c, i, b)
			}
		}
		if i+1 < len(good) && good[i] != good[i+1] {
			b := bytes.Clone(good)
			b[i], b[i+1] = b[i+1], b[i]
			if _, err := Parse(string(b)); err == nil {
				t.Errorf("transposition at %d accepted: %s", i, b)
			}
		}
	}
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for i := range 200 {
		env := []Env{Live, Test}[i%2]
		k, err := Generate(env)
		if err != nil {
			t.Fatal(err)
		}
		s := k.Reveal()
		if len(s) != Len || !scanner.MatchString(s) {
			t.Fatalf("Generate() = %q: not in the documented format", s)
		}
		back, err := Parse(s)
		if err != nil || back != k {
			t.Fatalf("Parse(Generate()) = %v, %v; want the generated key", back, err)
		}
		if seen[k.ID] || seen[k.secret] {
			t.Fatalf("Generate() repeated an id or secret after %d keys", i)
		}
		seen[k.ID], seen[k.secret] = true, true
	}
	if _, err := Generate("prod"); err == nil {
		t.Error("Generate(prod) succeeded, want an error")
	}
}

func TestGenerateFromDistribution(t *testing.T) {
	// Every byte value below 248 maps to alphabet[b%62]; 248..255 are skipped.
	src := bytes.NewReader(append([]byte{248, 255, 0, 61, 62, 247}, make([]byte, 200)...))
	k, err := GenerateFrom(src, Live)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.ID[:4], "0z0z"; got != want {
		t.Errorf("id starts %q, want %q (rejection sampling)", got, want)
	}
	if _, err := GenerateFrom(iotest.ErrReader(errors.New("no entropy")), Live); err == nil {
		t.Error("GenerateFrom(failing reader) succeeded")
	}
}

func TestKeyRedaction(t *testing.T) {
	k, err := Generate(Live)
	if err != nil {
		t.Fatal(err)
	}
	holder := struct{ K Key }{k}
	for _, s := range []string{k.String(), fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, holder, k, &k), fmt.Sprintf("%#v", holder)} {
		if strings.Contains(s, k.secret) {
			t.Errorf("formatted key %q reveals the secret", s)
		}
	}
	if !strings.Contains(k.String(), k.ID) {
		t.Errorf("String() = %q, want it to show the key id", k.String())
	}
}

func TestLooksLikeKey(t *testing.T) {
	for in, want := range map[string]bool{
		validKey:                 true,
		"pcl_live_x":             true,
		"pcl_live_":              false,
		"pcl_prod_abc":           false,
		"hello":                  false,
		"":                       false,
		"pcl_test":               false,
		"xpcl_test_AbCdEfGh1234": false,
	} {
		if got := LooksLikeKey(in); got != want {
			t.Errorf("LooksLikeKey(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(validKeyWithSum(f))
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if k.Reveal() != s || !scanner.MatchString(s) || !ValidID(k.ID) {
			t.Fatalf("Parse(%q) accepted a key that does not round-trip or match the format", s)
		}
	})
}

func ExampleParse() {
	_, err := Parse("pcl_live_AbCdEfGh1234_0123456789abcdefghijKL000000")
	fmt.Println(err)
	k, _ := Generate(Test)
	k2, err := Parse(k.Reveal())
	fmt.Println(k2.Env, len(k2.ID), err, k2.ID == k.ID)
	// Output:
	// apikey: malformed key: checksum does not match (mistyped or truncated key)
	// test 12 <nil> true
}
