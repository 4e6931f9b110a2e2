// Package awsenv builds the AWS SDK configuration of a Lambda function from
// its execution environment: the region and the role's temporary
// credentials that Lambda puts in environment variables.
//
// Functions use it instead of the SDK's default configuration chain
// (config.LoadDefaultConfig), which links STS, SSO, IMDS and shared-file
// parsing that a Lambda function never uses: leaving them out keeps each
// bootstrap about 1.5 MB smaller and its cold start shorter. Tools that run
// on people's machines (the admin CLI) keep the full chain.
package awsenv

import (
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// ErrIncomplete is returned when the environment lacks the region or the
// credentials.
var ErrIncomplete = errors.New("awsenv: incomplete AWS environment")

// Config returns the configuration the environment describes:
// AWS_REGION (or AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and AWS_ENDPOINT_URL as the
// base endpoint when set. Every variable Lambda sets is read once here, at
// cold start; Lambda keeps those credentials valid for the life of the
// execution environment.
func Config(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	id, key := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	var missing []string
	if region == "" {
		missing = append(missing, "AWS_REGION")
	}
	if id == "" {
		missing = append(missing, "AWS_ACCESS_KEY_ID")
	}
	if key == "" {
		missing = append(missing, "AWS_SECRET_ACCESS_KEY")
	}
	if len(missing) > 0 {
		return aws.Config{}, errors.Join(ErrIncomplete, errors.New("not set: "+strings.Join(missing, ", ")))
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, key, getenv("AWS_SESSION_TOKEN"))),
	}
	if u := getenv("AWS_ENDPOINT_URL"); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	return cfg, nil
}

// Endpoint returns the endpoint override for one service, read as the
// SDK's own configuration reads it: AWS_ENDPOINT_URL_<SERVICE> (for
// example AWS_ENDPOINT_URL_DYNAMODB), else nil (the base endpoint or the
// service's default applies).
func Endpoint(getenv func(string) string, service string) *string {
	if u := getenv("AWS_ENDPOINT_URL_" + strings.ToUpper(service)); u != "" {
		return aws.String(u)
	}
	return nil
}
