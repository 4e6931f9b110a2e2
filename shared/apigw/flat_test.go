package apigw

import (
	"encoding/json"
	"reflect"
	"testing"
)

var flatSeeds = []string{
	`{"type":"TOKEN","authorizationToken":"Bearer a.b.c","methodArn":"arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/x"}`,
	` { "type" : "TOKEN" , "methodArn" : "m" } `,
	`{}`,
	`{"TYPE":"TOKEN","Type":"REQUEST"}`,
	`{"type":"TOKEN","extra":"ignored"}`,
	`{"type":"TOKEN","identitySource":"a,b"}`,
	`{"type":"TOKEN","headers":"not a map"}`,
	`{"type":"TO\u004bEN"}`,
	`{"type":"TOKEN","n":1}`,
	`{"type":"TOKEN",}`,
	`{"type":"TOKEN"} x`,
	"{\"type\":\"\x01\"}",
	"{\"type\":\"\xff\"}",
	`{"type":"TOKEN","requestContext":{}}`,
	`[]`,
	``,
}

// TestDecodeFlat: the fast path takes the plain TOKEN event and leaves
// anything else to encoding/json.
func TestDecodeFlat(t *testing.T) {
	for _, tt := range []struct {
		in   string
		fast bool
	}{
		{flatSeeds[0], true},
		{flatSeeds[1], true},
		{`{}`, true},
		{`{"type":"TOKEN","identitySource":"a,b"}`, true},
		{`{"type":"TOKEN","headers":"not a map"}`, false},
		{`{"type":"TO\u004bEN"}`, false},
		{`{"type":"TOKEN","n":1}`, false},
		{`{"type":"TOKEN",}`, false},
		{`{"type":"TOKEN"} x`, false},
		{"{\"type\":\"\x01\"}", false},
		{"{\"type\":\"\xff\"}", false},
	} {
		var ev event
		if got := ev.decodeFlat([]byte(tt.in)); got != tt.fast {
			t.Errorf("decodeFlat(%q) = %v, want %v", tt.in, got, tt.fast)
		}
	}
}

// FuzzDecodeFlat: whatever the fast path accepts, encoding/json accepts
// too and decodes to the same event.
func FuzzDecodeFlat(f *testing.F) {
	for _, s := range flatSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast event
		if !fast.decodeFlat(data) {
			return
		}
		var slow event
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json: %v", data, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast path %+v, encoding/json %+v", data, fast, slow)
		}
	})
}
