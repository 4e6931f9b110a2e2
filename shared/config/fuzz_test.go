package config_test

import (
	"errors"
	"os"
	"testing"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// FuzzParse checks that Parse never panics and returns either a valid
// *File or an error wrapping ErrInvalid, never both or neither.
func FuzzParse(f *testing.F) {
	f.Add(base)
	f.Add(withAPIKey)
	if dev, err := os.ReadFile(devPolicy); err == nil {
		f.Add(string(dev))
	}
	for _, cases := range [][]configCase{validationCases(), unknownKeyCases(), duplicateKeyCases(), typeErrorCases()} {
		for _, c := range cases {
			f.Add(c.text)
		}
	}
	f.Add("a: &a [*a]\nversion: *a\n")
	f.Add("issuers: &i [{name: x, jwks: *i}]\n")
	f.Add("routes: {GET /a: &r {step_up: *r}}\n")
	f.Fuzz(func(t *testing.T, text string) {
		file, err := config.Parse([]byte(text), "fuzz.yaml")
		switch {
		case err != nil && file != nil:
			t.Fatalf("Parse returned both a file and %v", err)
		case err != nil && !errors.Is(err, config.ErrInvalid):
			t.Fatalf("Parse error %v does not wrap ErrInvalid", err)
		case err == nil && file == nil:
			t.Fatal("Parse returned neither a file nor an error")
		case err == nil:
			// A valid file builds a policy for each authorizer it configures.
			for _, name := range []string{config.AuthorizerJWT, config.AuthorizerAPIKey, config.AuthorizerNone} {
				if _, err := file.Policy(name); err != nil {
					t.Fatalf("valid file, Policy(%s): %v", name, err)
				}
			}
			if file.Version != 1 || file.WAF.RateWindow == nil || file.Settings.UnlistedRoutes == "" {
				t.Fatalf("valid file without its defaults: %+v", file)
			}
		}
	})
}
