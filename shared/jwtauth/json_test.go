package jwtauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// jsonCases are the JSON reader's table (and FuzzParseObject's seeds).
var jsonCases = []struct {
	name string
	in   string
	want error // nil, errJSON or errDuplicate
}{
	{"empty_object", `{}`, nil},
	{"whitespace", " \t\r\n{ \"a\" : 1 , \"b\" :[ ] }\n", nil},
	{"all_value_kinds", `{"s":"x","n":-1.5e+10,"t":true,"f":false,"z":null,"o":{"a":[1,{"b":2}]},"a":[]}`, nil},
	{"escapes", `{"e":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude80"}`, nil},
	{"same_name_in_sibling_objects", `{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}`, nil},
	{"names_differ_by_case", `{"exp":1,"EXP":2}`, nil},
	{"duplicate_top_level", `{"exp":1,"exp":2}`, errDuplicate},
	{"duplicate_after_many", `{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"k":1,"l":1,"m":1,"n":1,"o":1,"p":1,"q":1,"r":1,"a":2}`, errDuplicate},
	{"duplicate_escaped", `{"alg":"RS256","\u0061lg":"none"}`, errDuplicate},
	{"duplicate_escaped_slash", `{"a/b":1,"a\/b":2}`, errDuplicate},
	{"duplicate_nested", `{"a":{"b":1,"b":2}}`, errDuplicate},
	{"duplicate_in_array", `{"a":[{"b":1},{"b":1,"b":1}]}`, errDuplicate},
	{"duplicate_empty_name", `{"":1,"":2}`, errDuplicate},
	{"not_object_array", `[1]`, errJSON},
	{"not_object_string", `"x"`, errJSON},
	{"not_object_empty", ``, errJSON},
	{"trailing_comma", `{"a":1,}`, errJSON},
	{"trailing_data", `{"a":1}x`, errJSON},
	{"two_objects", `{}{}`, errJSON},
	{"missing_colon", `{"a" 1}`, errJSON},
	{"single_quotes", `{'a':1}`, errJSON},
	{"unquoted_name", `{a:1}`, errJSON},
	{"leading_zero", `{"a":01}`, errJSON},
	{"bare_dot", `{"a":1.}`, errJSON},
	{"bare_exponent", `{"a":1e}`, errJSON},
	{"plus_sign", `{"a":+1}`, errJSON},
	{"nan", `{"a":NaN}`, errJSON},
	{"literal_typo", `{"a":tru}`, errJSON},
	{"control_char", "{\"a\":\"x\x01\"}", errJSON},
	{"invalid_escape", `{"a":"\x"}`, errJSON},
	{"short_unicode_escape", `{"a":"\u12"}`, errJSON},
	{"lone_high_surrogate", `{"a":"\ud800"}`, errJSON},
	{"lone_low_surrogate", `{"a":"\udc00"}`, errJSON},
	{"high_surrogate_then_other", `{"a":"\ud800\u0041"}`, errJSON},
	{"invalid_utf8", "{\"a\":\"\xff\"}", errJSON},
	{"overlong_utf8", "{\"a\":\"\xc0\xaf\"}", errJSON},
	{"utf8_surrogate", "{\"a\":\"\xed\xa0\x80\"}", errJSON},
	{"bom", "\xef\xbb\xbf{}", errJSON},
	{"unterminated", `{"a":"x`, errJSON},
	{"too_deep", strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1), errJSON},
	{"deep_enough", `{"a":` + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + "}", nil},
}

func TestParseObject(t *testing.T) {
	for _, tc := range jsonCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseObject(tc.in, nil)
			switch {
			case tc.want == nil && err != nil:
				t.Errorf("parseObject = %v, want success", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("parseObject = %v, want %v", err, tc.want)
			}
			if tc.want == errDuplicate && err != nil && !strings.Contains(err.Error(), "twice") {
				t.Errorf("error %q does not name the duplicate", err)
			}
		})
	}
}

func TestParseObjectMembers(t *testing.T) {
	in := `{"s":"a\u00e9","n":12.5,"o":{"x":[1]},"t":true,"z":null}`
	ms, err := parseObject(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	type m struct {
		Name, Raw string
		Kind      kind
	}
	var got []m
	for _, x := range ms {
		got = append(got, m{x.name, x.raw, x.kind})
	}
	want := []m{
		{"s", `"a\u00e9"`, kindString}, {"n", "12.5", kindNumber}, {"o", `{"x":[1]}`, kindObject},
		{"t", "true", kindTrue}, {"z", "null", kindNull},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("members (-got +want):\n%s", diff)
	}
	if s, ok := ms[0].str(); !ok || s != "aé" {
		t.Errorf("str() = %q, %v; want aé", s, ok)
	}
}

func TestLookupPath(t *testing.T) {
	ms, err := parseObject(`{"a.b":"exact","a":{"b":"nested","c":{"d":"deep"}},"x":{"y.z":"dotted-name"},"n":{"b":1}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
		ok         bool
	}{
		{"a.b", `"exact"`, true},
		{"a.c.d", `"deep"`, true},
		{"x.y.z", `"dotted-name"`, true},
		{"n.b", "1", true},
		{"a.missing", "", false},
		{"missing", "", false},
		{"a.b.c", "", false},
		{".", "", false},
	} {
		o := newObject(ms)
		m, ok := o.path(tc.path)
		if ok != tc.ok || m.raw != tc.want {
			t.Errorf("lookupPath(%q) = %q, %v; want %q, %v", tc.path, m.raw, ok, tc.want, tc.ok)
		}
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"kid":                   `"kid"`,
		"a\nb":                  `"a\nb"`,
		strings.Repeat("é", 40): `"` + strings.Repeat("é", 32) + `"…`,
		strings.Repeat("x", 65): `"` + strings.Repeat("x", 64) + `"…`,
		"\xff":                  `"\xff"`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// b64Cases are the base64url decoder's table (and FuzzDecodeB64's seeds).
var b64Cases = []struct {
	in string
	ok bool
}{
	{"", true}, {"Zg", true}, {"Zm8", true}, {"Zm9v", true}, {"_-_-", true},
	{"Zh", false},     // non-zero trailing bits
	{"Zm9", false},    // non-zero trailing bits
	{"Z", false},      // impossible length
	{"Zg==", false},   // padding
	{"Zm9v\n", false}, // newline (the standard decoder skips it)
	{"Zm\r9v", false}, // carriage return
	{"Zm 9v", false},  // space
	{"Zm+v", false},   // standard alphabet
	{"Zm/v", false},
	{"Zm9?", false},
	{"\x00\x00\x00\x00", false},
}

func TestDecodeB64(t *testing.T) {
	for _, tc := range b64Cases {
		dst := make([]byte, decodedLen(len(tc.in)))
		n, err := decodeB64(dst, tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("decodeB64(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok {
			want, _ := base64.RawURLEncoding.Strict().DecodeString(tc.in)
			if !bytes.Equal(dst[:n], want) {
				t.Errorf("decodeB64(%q) = %x, want %x", tc.in, dst[:n], want)
			}
		}
	}
}

// referenceDuplicates walks a JSON text with encoding/json's token API and
// reports whether any object repeats a member name: the oracle
// FuzzParseObject compares the reader with.
func referenceDuplicates(data []byte) (dup bool, err error) {
	d := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		names map[string]bool
		obj   bool
		key   bool // next string token in an object is a name
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{names: map[string]bool{}, obj: true, key: true})
			case '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.obj && top.key {
				if top.names[v] {
					return true, nil
				}
				top.names[v] = true
				top.key = false
				continue
			}
			if top != nil && top.obj {
				top.key = true
			}
		default:
			if top != nil && top.obj {
				top.key = true
			}
		}
	}
}

func TestReferenceDuplicates(t *testing.T) {
	for _, tc := range jsonCases {
		if tc.want == errJSON {
			continue
		}
		dup, err := referenceDuplicates([]byte(tc.in))
		if err != nil || dup != (tc.want == errDuplicate) {
			t.Errorf("%s: reference = %v, %v", tc.name, dup, err)
		}
	}
}

// comparable reports whether encoding/json and the reader must agree on
// data: valid UTF-8, no \u escape of a surrogate (encoding/json replaces
// lone ones with U+FFFD, the reader refuses them), shallow nesting and no
// byte order mark.
func comparable(data []byte) bool {
	if !utf8.Valid(data) || bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return false
	}
	lower := bytes.ToLower(data)
	if bytes.Contains(lower, []byte(`\ud`)) {
		return false
	}
	depth, maxSeen := 0, 0
	for _, c := range data {
		switch c {
		case '{', '[':
			depth++
			maxSeen = max(maxSeen, depth)
		case '}', ']':
			depth--
		}
	}
	return maxSeen <= maxDepth/2
}
