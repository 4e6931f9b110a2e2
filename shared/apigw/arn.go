package apigw

import (
	"errors"
	"fmt"
	"strings"
)

// ErrARN is wrapped by every ARN parse error.
var ErrARN = errors.New("invalid execute-api ARN")

// ARN is a parsed execute-api method ARN (REST, HTTP API) or route ARN
// (WebSocket):
//
//	arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/orders/42
//	arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/$connect
type ARN struct {
	Partition string
	Region    string
	AccountID string
	APIID     string
	Stage     string
	Method    string // HTTP method; empty for WebSocket routes
	Path      string // "/orders/42"; "/" for the root; empty for WebSocket routes
	Route     string // WebSocket route key such as "$connect"; empty otherwise
}

// ParseARN parses a method or route ARN as API Gateway sends it.
func ParseARN(s string) (ARN, error) {
	var a ARN
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return a, fmt.Errorf("%w %q: no \"arn:\" prefix", ErrARN, s)
	}
	fields := strings.SplitN(rest, ":", 5)
	if len(fields) != 5 {
		return a, fmt.Errorf("%w %q: want arn:partition:execute-api:region:account:resource", ErrARN, s)
	}
	a.Partition, a.Region, a.AccountID = fields[0], fields[2], fields[3]
	switch {
	case fields[1] != "execute-api":
		return a, fmt.Errorf("%w %q: service is %q, not execute-api", ErrARN, s, fields[1])
	case !isToken(a.Partition, "-"):
		return a, fmt.Errorf("%w %q: bad partition", ErrARN, s)
	case !isToken(a.Region, "-"):
		return a, fmt.Errorf("%w %q: bad region", ErrARN, s)
	case len(a.AccountID) != 12 || !isDigits(a.AccountID):
		return a, fmt.Errorf("%w %q: account id must be 12 digits", ErrARN, s)
	}
	res := fields[4]
	apiID, res, ok := strings.Cut(res, "/")
	if !ok || !isToken(apiID, "") {
		return a, fmt.Errorf("%w %q: bad API id", ErrARN, s)
	}
	a.APIID = apiID
	stage, res, ok := strings.Cut(res, "/")
	if !ok || stage == "" || strings.ContainsAny(stage, "*? ") {
		return a, fmt.Errorf("%w %q: missing stage", ErrARN, s)
	}
	a.Stage = stage
	method, path, hasPath := strings.Cut(res, "/")
	if strings.HasPrefix(method, "$") && !hasPath {
		if len(method) < 2 || strings.ContainsAny(method, "*? ") {
			return a, fmt.Errorf("%w %q: bad route key", ErrARN, s)
		}
		a.Route = method
		return a, nil
	}
	if !hasPath || !isHTTPMethod(method) {
		return a, fmt.Errorf("%w %q: want <stage>/<METHOD>/<path>", ErrARN, s)
	}
	if strings.ContainsAny(path, "*? ") {
		return a, fmt.Errorf("%w %q: wildcards or spaces in a request path", ErrARN, s)
	}
	a.Method = method
	a.Path = "/" + path
	return a, nil
}

// Prefix returns the ARN up to and including the stage and a trailing
// "/", the common prefix of every method ARN of the stage.
func (a ARN) Prefix() string {
	return "arn:" + a.Partition + ":execute-api:" + a.Region + ":" + a.AccountID + ":" + a.APIID + "/" + a.Stage + "/"
}

// String formats the ARN.
func (a ARN) String() string {
	if a.Route != "" {
		return a.Prefix() + a.Route
	}
	return a.Prefix() + a.suffix()
}

// suffix returns the ARN after its Prefix: "GET/orders/42" or "$connect".
func (a ARN) suffix() string {
	if a.Route != "" {
		return a.Route
	}
	return a.Method + a.Path
}

func isHTTPMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
		return true
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isToken reports whether s is non-empty lower-case letters and digits plus
// the extra characters allowed.
func isToken(s, extra string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || strings.IndexByte(extra, c) >= 0 {
			continue
		}
		return false
	}
	return true
}
