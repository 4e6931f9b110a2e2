package stack_test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/portcullis-authz/portcullis/infra/plan/plantest"
	"github.com/portcullis-authz/portcullis/infra/stack"
	"github.com/portcullis-authz/portcullis/scripts/testenv"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// requireCDK skips under -short (no CDK) and fails or skips, as
// testenv decides, when Node.js (which runs the CDK through jsii) is
// missing.
func requireCDK(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("CDK synthesis is not a unit test (-short)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		testenv.Missing(t, "node not found: the CDK runs on Node.js (install Node.js 20 or later)")
	}
}

// synthesized is one stack configuration, synthesized once and shared by
// the subtests that inspect it.
type synthesized struct {
	stack  *stack.PortcullisStack
	policy *config.File
	props  stack.Props
	tpl    assertions.Template
	ann    assertions.Annotations
	res    map[string]map[string]any // logical id -> resource
	json   map[string]any
}

// synth builds the stack with cdk-nag applied, as `cdk synth` does, with
// fake function binaries unless the props name a build directory.
func synth(t *testing.T, id string, props stack.Props) *synthesized {
	t.Helper()
	requireCDK(t)
	if props.BuildDir == "" {
		props.BuildDir = plantest.BuildDir(t)
	}
	if props.AssetDir == "" {
		props.AssetDir = t.TempDir()
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	s, err := stack.NewPortcullisStack(app, id, &props)
	if err != nil {
		t.Fatalf("NewPortcullisStack: %v", err)
	}
	stack.AddChecks(app)
	tpl := assertions.Template_FromStack(s.Stack, nil)
	out := &synthesized{stack: s, policy: s.Plan.File, props: props, tpl: tpl, ann: assertions.Annotations_FromStack(s.Stack)}
	out.json = *tpl.ToJSON()
	out.res = map[string]map[string]any{}
	for k, v := range out.json["Resources"].(map[string]any) {
		out.res[k] = v.(map[string]any)
	}
	return out
}

// of returns the resources of type typ by logical id.
func (s *synthesized) of(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for k, r := range s.res {
		if r["Type"] == typ {
			out[k] = r
		}
	}
	return out
}

// one returns the only resource of type typ.
func (s *synthesized) one(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	rs := s.of(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for k, r := range rs {
		return k, r
	}
	return "", nil
}

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// get walks a JSON value by keys (strings for objects, ints for arrays).
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// has asserts with the CDK's own matcher that a resource of type typ has
// the properties; a mismatch is reported, not panicked.
func (s *synthesized) has(t *testing.T, typ string, properties any) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("no %s with the expected properties: %v", typ, r)
		}
	}()
	s.tpl.HasResourceProperties(jsii.String(typ), properties)
}

// ref returns the logical id a {"Ref": id} or {"Fn::GetAtt": [id, ...]}
// names.
func ref(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		s, _ := ga[0].(string)
		return s
	}
	return ""
}

// restMethods returns the REST API's methods other than the CORS
// preflights, as "METHOD /path" -> authorizer type ("TOKEN", "REQUEST" or
// "NONE"), following each method's resource up to the root.
func (s *synthesized) restMethods(t *testing.T) map[string]string {
	t.Helper()
	var path func(id string) string
	path = func(id string) string {
		r, ok := s.res[id]
		if !ok || r["Type"] != "AWS::ApiGateway::Resource" {
			return "" // the root resource (a GetAtt of the RestApi)
		}
		return path(ref(props(r)["ParentId"])) + "/" + props(r)["PathPart"].(string)
	}
	out := map[string]string{}
	for _, m := range s.of("AWS::ApiGateway::Method") {
		p := props(m)
		if p["HttpMethod"] == "OPTIONS" {
			continue
		}
		full := path(ref(p["ResourceId"]))
		if full == "" {
			full = "/"
		}
		auth := "NONE"
		if id := ref(p["AuthorizerId"]); id != "" {
			auth, _ = props(s.res[id])["Type"].(string)
		}
		key := fmt.Sprintf("%s %s", p["HttpMethod"], full)
		if _, dup := out[key]; dup {
			t.Errorf("method %s appears twice", key)
		}
		out[key] = auth
	}
	return out
}

// policyActions walks every policy document in the template and returns
// each statement's actions, by the path where it was found.
func policyActions(v any, where string, out map[string][]string) {
	switch x := v.(type) {
	case map[string]any:
		if st, ok := x["Statement"]; ok {
			if list, ok := st.([]any); ok {
				for i, s := range list {
					sm, _ := s.(map[string]any)
					var acts []string
					switch a := sm["Action"].(type) {
					case string:
						acts = []string{a}
					case []any:
						for _, e := range a {
							acts = append(acts, fmt.Sprint(e))
						}
					}
					out[fmt.Sprintf("%s.Statement[%d]", where, i)] = acts
				}
			}
		}
		for k, e := range x {
			policyActions(e, where+"."+k, out)
		}
	case []any:
		for i, e := range x {
			policyActions(e, fmt.Sprintf("%s[%d]", where, i), out)
		}
	}
}

// nagFindings returns the unsuppressed cdk-nag findings at level.
func (s *synthesized) nagFindings(level string) []string {
	var msgs []string
	find := s.ann.FindError
	if level == "warning" {
		find = s.ann.FindWarning
	}
	for _, m := range *find(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		b, _ := json.Marshal(m) // {"id": path, "entry": {"data": message}}
		msgs = append(msgs, string(b))
	}
	return msgs
}

var contextVar = regexp.MustCompile(`\$context\.[A-Za-z0-9_.]+`)

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinLines(list []string) string { return strings.Join(list, "\n  ") }
