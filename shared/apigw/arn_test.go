package apigw_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/apigw"
)

var validARNs = []struct {
	in     string
	want   apigw.ARN
	prefix string
}{
	{"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/orders/42",
		apigw.ARN{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", APIID: "a1b2c3", Stage: "prod", Method: "GET", Path: "/orders/42"},
		"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/"},
	{"arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/POST/orders",
		apigw.ARN{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "abcdef123", Stage: "$default", Method: "POST", Path: "/orders"},
		"arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/"},
	{"arn:aws:execute-api:us-east-1:123456789012:ws123/prod/$connect",
		apigw.ARN{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "ws123", Stage: "prod", Route: "$connect"},
		"arn:aws:execute-api:us-east-1:123456789012:ws123/prod/"},
	{"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/",
		apigw.ARN{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", APIID: "a1b2c3", Stage: "prod", Method: "GET", Path: "/"},
		"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/"},
	{"arn:aws-cn:execute-api:cn-north-1:123456789012:a1b2c3/prod/DELETE/admin/users/7",
		apigw.ARN{Partition: "aws-cn", Region: "cn-north-1", AccountID: "123456789012", APIID: "a1b2c3", Stage: "prod", Method: "DELETE", Path: "/admin/users/7"},
		"arn:aws-cn:execute-api:cn-north-1:123456789012:a1b2c3/prod/"},
	{"arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:a1b2c3/test-invoke-stage/PATCH/x",
		apigw.ARN{Partition: "aws-us-gov", Region: "us-gov-west-1", AccountID: "123456789012", APIID: "a1b2c3", Stage: "test-invoke-stage", Method: "PATCH", Path: "/x"},
		"arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:a1b2c3/test-invoke-stage/"},
	{"arn:aws:execute-api:us-east-1:123456789012:example/prod/POST/{proxy+}",
		apigw.ARN{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "example", Stage: "prod", Method: "POST", Path: "/{proxy+}"},
		"arn:aws:execute-api:us-east-1:123456789012:example/prod/"},
	{"arn:aws:execute-api:us-east-1:123456789012:a/prod/OPTIONS/a//b/",
		apigw.ARN{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "a", Stage: "prod", Method: "OPTIONS", Path: "/a//b/"},
		"arn:aws:execute-api:us-east-1:123456789012:a/prod/"},
	{"arn:aws:execute-api:us-east-1:123456789012:a/prod/$disconnect",
		apigw.ARN{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "a", Stage: "prod", Route: "$disconnect"},
		"arn:aws:execute-api:us-east-1:123456789012:a/prod/"},
}

var invalidARNs = []string{
	"",
	"aws:execute-api:eu-west-1:123456789012:a/prod/GET/x",            // no arn: prefix
	"arn:aws:execute-api:eu-west-1:123456789012",                     // no resource
	"arn:aws:lambda:eu-west-1:123456789012:a/prod/GET/x",             // another service
	"arn::execute-api:eu-west-1:123456789012:a/prod/GET/x",           // empty partition
	"arn:aws:execute-api::123456789012:a/prod/GET/x",                 // empty region
	"arn:aws:execute-api:eu_west_1:123456789012:a/prod/GET/x",        // bad region
	"arn:aws:execute-api:eu-west-1:12345678901:a/prod/GET/x",         // 11-digit account
	"arn:aws:execute-api:eu-west-1:1234567890123:a/prod/GET/x",       // 13-digit account
	"arn:aws:execute-api:eu-west-1:12345678901x:a/prod/GET/x",        // non-digit account
	"arn:aws:execute-api:eu-west-1:123456789012:a",                   // API id only
	"arn:aws:execute-api:eu-west-1:123456789012:/prod/GET/x",         // empty API id
	"arn:aws:execute-api:eu-west-1:123456789012:a-b/prod/GET/x",      // bad API id
	"arn:aws:execute-api:eu-west-1:123456789012:*/prod/GET/x",        // wildcard API id
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod",              // no method
	"arn:aws:execute-api:eu-west-1:123456789012:a//GET/x",            // empty stage
	"arn:aws:execute-api:eu-west-1:123456789012:a/*/GET/x",           // wildcard stage
	"arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/",   // the documentation's placeholder stage
	"arn:aws:execute-api:eu-west-1:123456789012:a/pr?d/GET/x",        // wildcard in stage
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET",          // no path
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/get/x",        // lower-case method
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/ANY/x",        // ANY is not a request method
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/*/x",          // wildcard method
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/TRACE/x",      // unknown method
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/orders/*", // wildcard path
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/orders/?", // wildcard path
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/a b",      // space in path
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/$",            // bare dollar
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/$con*",        // wildcard route
	"arn:aws:execute-api:eu-west-1:123456789012:a/prod/$connect/x",   // route key with a path
}

func TestParseARN(t *testing.T) {
	for _, tt := range validARNs {
		t.Run(tt.in, func(t *testing.T) {
			got, err := apigw.ParseARN(tt.in)
			if err != nil {
				t.Fatalf("ParseARN: %v", err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ParseARN (-got +want):\n%s", diff)
			}
			if got.Prefix() != tt.prefix {
				t.Errorf("Prefix() = %q, want %q", got.Prefix(), tt.prefix)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want the input %q", got.String(), tt.in)
			}
			if !strings.HasPrefix(tt.in, got.Prefix()) {
				t.Errorf("Prefix() %q is not a prefix of the ARN", got.Prefix())
			}
		})
	}
}

func TestParseARNRejects(t *testing.T) {
	for _, in := range invalidARNs {
		t.Run(in, func(t *testing.T) {
			got, err := apigw.ParseARN(in)
			if !errors.Is(err, apigw.ErrARN) {
				t.Errorf("ParseARN(%q) = %+v, %v; want an error wrapping ErrARN", in, got, err)
			}
		})
	}
}

// FuzzParseARN checks the round trip: the String of a parsed ARN parses
// back to the same value, and no accepted ARN carries an IAM wildcard
// (an exact ARN in a policy must not become a pattern).
func FuzzParseARN(f *testing.F) {
	for _, tt := range validARNs {
		f.Add(tt.in)
	}
	for _, in := range invalidARNs {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := apigw.ParseARN(s)
		if err != nil {
			if !errors.Is(err, apigw.ErrARN) {
				t.Fatalf("ParseARN(%q) error %v does not wrap ErrARN", s, err)
			}
			return
		}
		if strings.ContainsAny(a.String(), "*?") {
			t.Fatalf("ParseARN(%q) accepted an IAM wildcard: %+v", s, a)
		}
		if (a.Route == "") == (a.Method == "") {
			t.Fatalf("ParseARN(%q) = %+v: want exactly one of Route and Method", s, a)
		}
		b, err := apigw.ParseARN(a.String())
		if err != nil {
			t.Fatalf("ParseARN(%q) = %+v, but its String %q does not parse: %v", s, a, a.String(), err)
		}
		if b != a {
			t.Fatalf("round trip of %q: %+v, then %+v", s, a, b)
		}
		if !strings.HasPrefix(a.String(), a.Prefix()) {
			t.Fatalf("Prefix %q is not a prefix of %q", a.Prefix(), a.String())
		}
	})
}
