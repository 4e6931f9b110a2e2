// Package iam evaluates the IAM policy documents that Lambda authorizers
// return, the way Amazon API Gateway does for execute-api:Invoke: a
// request is allowed when some Allow statement matches its method ARN and
// no Deny statement does (an explicit Deny always wins); anything else is
// an implicit deny. Action and Resource patterns use the IAM wildcards "*"
// (any run of characters, "/" and ":" included) and "?" (exactly one
// character).
//
// Parsing is strict: a document API Gateway would reject (no statements, an
// Effect other than Allow or Deny, Action or Resource neither a string nor
// a list of strings) is an error, which the local gateway answers with 500
// as API Gateway does. Condition, NotAction, NotResource and Principal are
// not emulated and are rejected rather than silently ignored.
package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrPolicy is wrapped by every error Parse returns.
var ErrPolicy = errors.New("iam: invalid policy document")

// Action is the action API Gateway authorizes.
const Action = "execute-api:Invoke"

// Effect is a statement's effect.
type Effect string

// Statement effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Statement is one policy statement.
type Statement struct {
	Effect   Effect
	Action   []string
	Resource []string
}

// Document is a parsed policy document.
type Document struct {
	Version   string
	Statement []Statement
}

// Verdict is the outcome of evaluating a document for one request.
type Verdict int

// Verdicts.
const (
	// ImplicitDeny: no statement allows the request.
	ImplicitDeny Verdict = iota
	// ExplicitDeny: a Deny statement matches the request.
	ExplicitDeny
	// Allowed: an Allow statement matches and no Deny does.
	Allowed
)

func (v Verdict) String() string {
	switch v {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicit deny"
	}
	return "implicit deny"
}

// Parse decodes a policyDocument value. Statement may be one object or a
// list; Action and Resource may be a string or a list of strings.
func Parse(raw []byte) (*Document, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrPolicy)
	}
	var doc struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	var stmts []json.RawMessage
	st := bytes.TrimSpace(doc.Statement)
	switch {
	case len(st) == 0 || bytes.Equal(st, []byte("null")):
		return nil, fmt.Errorf("%w: no Statement", ErrPolicy)
	case st[0] == '{':
		stmts = []json.RawMessage{st}
	default:
		if err := json.Unmarshal(st, &stmts); err != nil {
			return nil, fmt.Errorf("%w: Statement must be an object or a list of objects", ErrPolicy)
		}
	}
	if len(stmts) == 0 {
		return nil, fmt.Errorf("%w: empty Statement list", ErrPolicy)
	}
	d := &Document{Version: doc.Version}
	for i, s := range stmts {
		stmt, err := parseStatement(s)
		if err != nil {
			return nil, fmt.Errorf("%w: Statement[%d]: %v", ErrPolicy, i, err)
		}
		d.Statement = append(d.Statement, stmt)
	}
	return d, nil
}

func parseStatement(raw json.RawMessage) (Statement, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return Statement{}, errors.New("not an object")
	}
	var s Statement
	for k, v := range members {
		switch k {
		case "Sid":
		case "Effect":
			var e string
			if err := json.Unmarshal(v, &e); err != nil {
				return s, errors.New("the Effect is not a string")
			}
			s.Effect = Effect(e)
		case "Action":
			list, err := stringOrList(v)
			if err != nil {
				return s, fmt.Errorf("member Action: %v", err)
			}
			s.Action = list
		case "Resource":
			list, err := stringOrList(v)
			if err != nil {
				return s, fmt.Errorf("member Resource: %v", err)
			}
			s.Resource = list
		default:
			return s, fmt.Errorf("member %s is not supported by the local gateway", k)
		}
	}
	switch {
	case s.Effect != Allow && s.Effect != Deny:
		return s, fmt.Errorf("the Effect must be Allow or Deny, got %q", s.Effect)
	case len(s.Action) == 0:
		return s, errors.New("no Action")
	case len(s.Resource) == 0:
		return s, errors.New("no Resource")
	}
	return s, nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("want a string or a list of strings")
	}
	return list, nil
}

// Evaluate judges action on resource: an explicit Deny wins over any
// Allow; without a matching Allow the request is implicitly denied.
// Actions match case-insensitively, resources case-sensitively, as IAM
// does.
func (d *Document) Evaluate(action, resource string) Verdict {
	allowed := false
	for _, s := range d.Statement {
		if !s.matches(action, resource) {
			continue
		}
		if s.Effect == Deny {
			return ExplicitDeny
		}
		allowed = true
	}
	if allowed {
		return Allowed
	}
	return ImplicitDeny
}

func (s Statement) matches(action, resource string) bool {
	ok := false
	for _, a := range s.Action {
		if Match(strings.ToLower(a), strings.ToLower(action)) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	for _, r := range s.Resource {
		if Match(r, resource) {
			return true
		}
	}
	return false
}

// Match reports whether s matches pattern, where "*" matches any run of
// characters (including none) and "?" exactly one character. Every other
// character matches itself.
func Match(pattern, s string) bool {
	// Iterative glob matching with single-star backtracking: linear in
	// practice, never exponential.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
