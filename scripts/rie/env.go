package rie

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Defaults of the Lambda-like environment.
const (
	DefaultRegion     = "us-east-1"
	DefaultMemorySize = "128"
)

// LambdaEnv returns the environment AWS Lambda gives a provided.al2023
// function named name whose deployment package is unpacked in taskRoot
// (region DefaultRegion, memory DefaultMemorySize MB). It carries no
// credentials and nothing from the host environment.
func LambdaEnv(name, taskRoot string) map[string]string {
	return map[string]string{
		"_HANDLER":                        "bootstrap",
		"AWS_DEFAULT_REGION":              DefaultRegion,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": DefaultMemorySize,
		"AWS_LAMBDA_FUNCTION_NAME":        name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "local",
		"AWS_REGION":                      DefaultRegion,
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LANG":                            "en_US.UTF-8",
		"PATH":                            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"TZ":                              ":UTC",
	}
}

// EnvFlag is a flag.Value collecting repeated KEY=VALUE arguments.
type EnvFlag map[string]string

// String returns the collected variables, sorted, space-separated.
func (f EnvFlag) String() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(f)) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + "=" + f[k])
	}
	return b.String()
}

// Set adds one KEY=VALUE.
func (f EnvFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" || strings.ContainsAny(k, " \t\n") {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	f[k] = v
	return nil
}
