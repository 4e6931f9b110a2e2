package localgw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/portcullis-authz/portcullis/scripts/gateway/iam"
)

// ErrResponse is wrapped by every error parseResult returns: the
// authorizer's answer is one API Gateway refuses (it answers 500).
var ErrResponse = errors.New("malformed authorizer response")

// maxResponseBytes is the largest authorizer response API Gateway takes
// (8 KB for the policy and context together); larger answers are 500.
const maxResponseBytes = 8192

// parseResult interprets an authorizer's response payload as API Gateway
// does for the API kind and response format.
func parseResult(api API, simple bool, payload []byte) (*result, error) {
	if len(payload) > maxResponseBytes {
		return nil, fmt.Errorf("%w: %d bytes, over API Gateway's %d-byte limit", ErrResponse, len(payload), maxResponseBytes)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(payload, &members); err != nil || members == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrResponse)
	}
	res := &result{}
	if api == HTTP && simple {
		raw, ok := members["isAuthorized"]
		if !ok {
			return nil, fmt.Errorf("%w: simple response without isAuthorized", ErrResponse)
		}
		if err := json.Unmarshal(raw, &res.authorized); err != nil {
			return nil, fmt.Errorf("%w: isAuthorized is not a boolean", ErrResponse)
		}
	} else {
		raw, ok := members["principalId"]
		if !ok {
			return nil, fmt.Errorf("%w: no principalId", ErrResponse)
		}
		if err := json.Unmarshal(raw, &res.principalID); err != nil {
			return nil, fmt.Errorf("%w: principalId is not a string", ErrResponse)
		}
		pd, ok := members["policyDocument"]
		if !ok {
			return nil, fmt.Errorf("%w: no policyDocument", ErrResponse)
		}
		doc, err := iam.Parse(pd)
		if err != nil {
			return nil, fmt.Errorf("%w: policyDocument: %w", ErrResponse, err)
		}
		res.policy = doc
		if raw, ok := members["usageIdentifierKey"]; ok && api == REST {
			if err := json.Unmarshal(raw, &res.usageKey); err != nil {
				return nil, fmt.Errorf("%w: usageIdentifierKey is not a string", ErrResponse)
			}
		}
	}
	if raw, ok := members["context"]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		ctx, err := parseContext(api, raw)
		if err != nil {
			return nil, err
		}
		res.context = ctx
	}
	return res, nil
}

// parseContext reads the context map. On a REST API every value must be a
// string, number or boolean — anything else makes API Gateway answer 500
// — and the integration sees each as a string. An HTTP API passes any JSON
// value through.
func parseContext(api API, raw json.RawMessage) ([]contextEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: context is not an object", ErrResponse)
	}
	var out []contextEntry
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: context: %v", ErrResponse, err)
		}
		key := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: context[%q]: %v", ErrResponse, key, err)
		}
		e := contextEntry{key: key, json: v}
		switch c := v[0]; {
		case c == '"':
			if err := json.Unmarshal(v, &e.str); err != nil {
				return nil, fmt.Errorf("%w: context[%q]: %v", ErrResponse, key, err)
			}
		case c == 't' || c == 'f':
			e.str = string(v)
		case c == '-' || c >= '0' && c <= '9':
			e.str = string(v)
			if _, err := strconv.ParseFloat(e.str, 64); err != nil {
				return nil, fmt.Errorf("%w: context[%q]: %v", ErrResponse, key, err)
			}
		default: // null, objects, arrays
			if api == REST {
				return nil, fmt.Errorf("%w: context[%q] is %s; a REST API takes only strings, numbers and booleans", ErrResponse, key, kindOf(c))
			}
			e.str = string(v)
		}
		out = append(out, e)
	}
	return out, nil
}

func kindOf(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 'n':
		return "null"
	}
	return "not a scalar"
}
