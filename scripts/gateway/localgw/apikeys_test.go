package localgw

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis-authz/portcullis/shared/config"
)

func TestAPIKeysControlPlane(t *testing.T) {
	k := NewAPIKeys([]config.UsagePlan{{Name: "bronze", Throttle: config.Throttle{Rate: 1, Burst: 1}}})
	call := func(method, path, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20261128/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=00")
		if !IsControlPlane(req) {
			t.Fatalf("%s %s is not recognised as a control-plane call", method, path)
		}
		w := httptest.NewRecorder()
		k.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	if code, body := call("GET", "/usageplans?limit=500", ""); code != 200 || !strings.Contains(body, `"name":"bronze"`) {
		t.Fatalf("GetUsagePlans: %d %s", code, body)
	}
	const value = "value-0123456789abcdefghij"
	code, body := call("POST", "/apikeys", `{"name":"n","value":"`+value+`","enabled":true}`)
	if code != 201 {
		t.Fatalf("CreateApiKey: %d %s", code, body)
	}
	id := body[strings.Index(body, `"id":"`)+6:]
	id = id[:strings.Index(id, `"`)]
	if _, err := k.Plan(context.Background(), value); !errors.Is(err, ErrUnknownUsageKey) {
		t.Errorf("a key in no usage plan resolves: %v", err)
	}
	for _, tt := range []struct {
		method, path, body string
		code               int
	}{
		{"POST", "/apikeys", `{"value":"` + value + `","enabled":true}`, 409},
		{"POST", "/apikeys", `{"value":"short","enabled":true}`, 400},
		{"POST", "/usageplans/gold/keys", `{"keyId":"` + id + `","keyType":"API_KEY"}`, 404},
		{"POST", "/usageplans/bronze/keys", `{"keyId":"nope","keyType":"API_KEY"}`, 404},
		{"POST", "/usageplans/bronze/keys", `{"keyId":"` + id + `","keyType":"API_KEY"}`, 201},
		{"GET", "/restapis", "", 404},
	} {
		if code, body := call(tt.method, tt.path, tt.body); code != tt.code {
			t.Errorf("%s %s %s: %d %s, want %d", tt.method, tt.path, tt.body, code, body, tt.code)
		}
	}
	if p, err := k.Plan(context.Background(), value); err != nil || p != "bronze" {
		t.Errorf("Plan after CreateUsagePlanKey = %q, %v; want bronze", p, err)
	}
	if code, _ := call("DELETE", "/apikeys/"+id, ""); code != 202 {
		t.Errorf("DeleteApiKey: %d", code)
	}
	if _, err := k.Plan(context.Background(), value); !errors.Is(err, ErrUnknownUsageKey) {
		t.Errorf("a deleted key resolves: %v", err)
	}
	plain := httptest.NewRequest("GET", "/usageplans", nil)
	plain.Header.Set("Authorization", "Bearer x")
	if IsControlPlane(plain) || IsControlPlane(httptest.NewRequest("GET", "/", nil)) {
		t.Error("an API request is taken for a control-plane call")
	}
	if err := k.Add("v", "platinum"); err == nil {
		t.Error("Add to an unknown plan succeeded")
	}
}
