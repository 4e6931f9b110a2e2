package plan_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/scripts/fixtures/goldentest"
	"github.com/portcullis-authz/portcullis/scripts/rie"
	"github.com/portcullis-authz/portcullis/scripts/testenv"
)

// TestStagedAssetColdStarts runs each function's staged asset, as Lambda
// unpacks it, under the Runtime Interface Emulator: a host build of the
// real function in place of the arm64 one, no PORTCULLIS_POLICY, so the
// function must find policy.yaml and every file the policy names in its
// task root. The decisions must match the fixtures' golden answers.
func TestStagedAssetColdStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the functions under the emulator (-short)")
	}
	emulator := testenv.RIE(t)
	root := testenv.ModuleRoot(t)
	f := load(t, filepath.Join(root, "events", "policy.yaml"))
	p, err := plan.New(f, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		authorizer string
		env        map[string]string
		event      string // under events/; answered as its golden file says
	}{
		{"jwt", nil, "jwt/rest-token-allow.json"},
		{"jwt", nil, "jwt/rest-token-expired.json"},
		// Refused before any store lookup: needs the pepper file and the
		// policy, not DynamoDB.
		// (Lambda gives every function credentials in its environment.)
		{"apikey", map[string]string{"PORTCULLIS_APIKEYS_TABLE": "unused", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example"},
			"apikey/rest-request-malformed-key.json"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	buildDir := t.TempDir()
	built := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			a := p.Authorizer(tt.authorizer)
			if built[a.Function] == "" {
				out := filepath.Join(buildDir, a.Function, "bootstrap")
				if err := rie.Build(ctx, root, "./functions/"+a.Function, out); err != nil {
					t.Fatal(err)
				}
				built[a.Function] = out
			}
			dir := t.TempDir()
			if err := p.StageAsset(a, built[a.Function], dir); err != nil {
				t.Fatal(err)
			}
			e, err := rie.Start(ctx, emulator, rie.Options{Dir: dir, Env: tt.env})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			event, err := os.ReadFile(filepath.Join(root, "events", tt.event))
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.Invoke(ctx, event)
			if err != nil {
				t.Fatalf("Invoke: %v\n%s", err, e.Output())
			}
			fixture := filepath.Join(root, "events", tt.event)
			got := goldentest.Answer(res.Payload, res.FunctionError)
			if want := goldentest.Golden(t, fixture); !bytes.Equal(got, want) {
				t.Errorf("decision from the staged asset:\n got %s\nwant %s\n%s", got, want, e.Output())
			}
		})
	}
}
