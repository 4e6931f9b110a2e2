// Command echo is a test-only Lambda function used by the scripts/rie,
// scripts/invoke and scripts/coldstart tests. It answers an event with the
// event itself plus a few facts about its execution environment, so tests
// can check what the emulator hands the function:
//
//	{"event": <the event>, "pid": 123, "cwd": "...", "env": {"NAME": "value", ...}, "file": "..."}
//
// "env" lists the variables named in the event's "env" array; "file" is the
// content of the file named by the event's "readFile" (relative to the
// working directory). An event {"fail": "message"} makes the handler return
// errors.New(message), the way an authorizer returns "Unauthorized";
// {"sleep": "2s"} sleeps first; {"exit": 3} makes the process exit with that
// status (a crash). With ECHO_FAIL_INIT set, the process exits with status
// 1 before starting the runtime loop, like a function whose cold start
// fails (a broken policy file).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Fail     *string  `json:"fail"`
	Sleep    string   `json:"sleep"`
	Exit     *int     `json:"exit"`
	Env      []string `json:"env"`
	ReadFile string   `json:"readFile"`
}

type response struct {
	Event json.RawMessage   `json:"event"`
	PID   int               `json:"pid"`
	Cwd   string            `json:"cwd"`
	Env   map[string]string `json:"env,omitempty"`
	File  string            `json:"file,omitempty"`
}

func handle(_ context.Context, event json.RawMessage) (response, error) {
	var req request
	// Events that are not objects are echoed as they are.
	_ = json.Unmarshal(event, &req)
	if req.Sleep != "" {
		d, err := time.ParseDuration(req.Sleep)
		if err != nil {
			return response{}, err
		}
		time.Sleep(d)
	}
	if req.Exit != nil {
		os.Exit(*req.Exit)
	}
	if req.Fail != nil {
		return response{}, errors.New(*req.Fail)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return response{}, fmt.Errorf("getwd: %w", err)
	}
	out := response{Event: event, PID: os.Getpid(), Cwd: cwd}
	if len(req.Env) > 0 {
		out.Env = make(map[string]string, len(req.Env))
		for _, k := range req.Env {
			out.Env[k] = os.Getenv(k)
		}
	}
	if req.ReadFile != "" {
		b, err := os.ReadFile(req.ReadFile)
		if err != nil {
			return response{}, fmt.Errorf("read %s: %w", req.ReadFile, err)
		}
		out.File = string(b)
	}
	return out, nil
}

func main() {
	if msg := os.Getenv("ECHO_FAIL_INIT"); msg != "" {
		fmt.Fprintf(os.Stderr, "echo: cold start failed: %s\n", msg)
		os.Exit(1)
	}
	lambda.Start(handle)
}
