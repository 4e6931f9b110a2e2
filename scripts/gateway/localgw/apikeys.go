package localgw

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// APIKeys is API Gateway's API-key registry — keys, their values and the
// usage plans they belong to — with the slice of the API Gateway control
// plane the Portcullis admin CLI calls (`keys create --usage-plan`):
// GetUsagePlans, CreateApiKey, CreateUsagePlanKey and DeleteApiKey, in
// the REST-JSON protocol the AWS SDK speaks. Point the SDK at the local
// gateway with AWS_ENDPOINT_URL_API_GATEWAY; requests signed for the
// apigateway service are control-plane calls ([IsControlPlane]).
//
// It implements [UsageKeys]. It is safe for concurrent use.
type APIKeys struct {
	plans []config.UsagePlan

	mu      sync.Mutex
	keys    map[string]*apiKey // by id
	byValue map[string]*apiKey
}

type apiKey struct {
	ID          string            `json:"id"`
	Name        string            `json:"name,omitempty"`
	Description string            `json:"description,omitempty"`
	Value       string            `json:"value"`
	Enabled     bool              `json:"enabled"`
	Tags        map[string]string `json:"tags,omitempty"`
	plans       []string
}

var _ UsageKeys = (*APIKeys)(nil)

// NewAPIKeys returns a registry for the usage plans of a policy file. A
// plan's id is its name.
func NewAPIKeys(plans []config.UsagePlan) *APIKeys {
	return &APIKeys{plans: plans, keys: map[string]*apiKey{}, byValue: map[string]*apiKey{}}
}

// Add registers an enabled API key with value in plan (an existing value
// joins plan too), as the stack's operators or the admin CLI would.
func (k *APIKeys) Add(value, plan string) error {
	if !k.hasPlan(plan) {
		return fmt.Errorf("localgw: no usage plan %q", plan)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	key := k.byValue[value]
	if key == nil {
		key = &apiKey{ID: newID(), Value: value, Enabled: true}
		k.keys[key.ID], k.byValue[value] = key, key
	}
	if !slices.Contains(key.plans, plan) {
		key.plans = append(key.plans, plan)
	}
	return nil
}

func (k *APIKeys) hasPlan(name string) bool {
	return slices.ContainsFunc(k.plans, func(p config.UsagePlan) bool { return p.Name == name })
}

// Plan implements [UsageKeys]: the usage plan of an enabled key.
func (k *APIKeys) Plan(_ context.Context, value string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	key := k.byValue[value]
	if key == nil || !key.Enabled || len(key.plans) == 0 {
		return "", ErrUnknownUsageKey
	}
	return key.plans[0], nil
}

// IsControlPlane reports whether r is an AWS SDK call to the API Gateway
// control plane: signed with Signature Version 4 for the apigateway
// service. API clients never send such a signature to an API with Lambda
// authorizers.
func IsControlPlane(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	return strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") && strings.Contains(auth, "/apigateway/aws4_request")
}

// ServeHTTP answers the control-plane calls. Signatures are not checked:
// the local gateway has no AWS credentials to check them against.
func (k *APIKeys) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == "GET" && len(parts) == 1 && parts[0] == "usageplans":
		type throttle struct {
			RateLimit  float64 `json:"rateLimit"`
			BurstLimit int     `json:"burstLimit"`
		}
		type plan struct {
			ID       string   `json:"id"`
			Name     string   `json:"name"`
			Throttle throttle `json:"throttle"`
		}
		items := []plan{}
		for _, p := range k.plans {
			items = append(items, plan{ID: p.Name, Name: p.Name, Throttle: throttle{p.Throttle.Rate, p.Throttle.Burst}})
		}
		controlJSON(w, http.StatusOK, map[string]any{"item": items})
	case r.Method == "POST" && len(parts) == 1 && parts[0] == "apikeys":
		var in apiKey
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
			controlError(w, http.StatusBadRequest, "BadRequestException", "invalid request body")
			return
		}
		k.mu.Lock()
		if in.Value == "" {
			in.Value = newID() + newID() + newID()
		}
		if len(in.Value) < 20 {
			k.mu.Unlock()
			controlError(w, http.StatusBadRequest, "BadRequestException", "API key value should be at least 20 characters")
			return
		}
		if k.byValue[in.Value] != nil {
			k.mu.Unlock()
			controlError(w, http.StatusConflict, "ConflictException", "API key value already exists")
			return
		}
		key := &apiKey{ID: newID(), Name: in.Name, Description: in.Description, Value: in.Value, Enabled: in.Enabled, Tags: in.Tags}
		k.keys[key.ID], k.byValue[key.Value] = key, key
		out := *key
		k.mu.Unlock()
		controlJSON(w, http.StatusCreated, out)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "usageplans" && parts[2] == "keys":
		var in struct {
			KeyID   string `json:"keyId"`
			KeyType string `json:"keyType"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil || in.KeyType != "API_KEY" {
			controlError(w, http.StatusBadRequest, "BadRequestException", "want keyId and keyType API_KEY")
			return
		}
		if !k.hasPlan(parts[1]) {
			controlError(w, http.StatusNotFound, "NotFoundException", "Invalid Usage Plan ID specified")
			return
		}
		k.mu.Lock()
		key := k.keys[in.KeyID]
		if key != nil && !slices.Contains(key.plans, parts[1]) {
			key.plans = append(key.plans, parts[1])
		}
		k.mu.Unlock()
		if key == nil {
			controlError(w, http.StatusNotFound, "NotFoundException", "Invalid API Key identifier specified")
			return
		}
		controlJSON(w, http.StatusCreated, map[string]string{"id": key.ID, "type": "API_KEY", "name": key.Name, "value": key.Value})
	case r.Method == "DELETE" && len(parts) == 2 && parts[0] == "apikeys":
		k.mu.Lock()
		key := k.keys[parts[1]]
		if key != nil {
			delete(k.keys, key.ID)
			delete(k.byValue, key.Value)
		}
		k.mu.Unlock()
		if key == nil {
			controlError(w, http.StatusNotFound, "NotFoundException", "Invalid API Key identifier specified")
			return
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		controlError(w, http.StatusNotFound, "NotFoundException", "the local gateway emulates only GetUsagePlans, CreateApiKey, CreateUsagePlanKey and DeleteApiKey")
	}
}

func controlJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func controlError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("x-amzn-ErrorType", typ)
	controlJSON(w, status, map[string]string{"message": msg})
}

func newID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [10]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
