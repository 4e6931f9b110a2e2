package rie

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// TimeoutErrorType is the ErrorType of a Result for an invocation that
// exceeded the function timeout. The emulator answers a timeout with the
// plain text "Task timed out after N.00 seconds"; Lambda's own invoke
// reports the type Sandbox.Timedout.
const TimeoutErrorType = "Sandbox.Timedout"

// SandboxFailureErrorType is the ErrorType of a Result for an invocation
// the emulator answered with status 502 and an empty body: the execution
// environment failed without an error document, typically because the
// bootstrap exited during its cold start (a broken policy file). The
// emulator logs it as "Init failed" / "Sandbox.Failure"; its output (and
// the function's stderr) say why. Lambda reports such a failure to API
// Gateway as an error, so the client gets 500.
const SandboxFailureErrorType = "Sandbox.Failure"

// sandboxFailureMessage is the FunctionError of a SandboxFailureErrorType.
const sandboxFailureMessage = "the execution environment failed without an error document (typically the bootstrap exited during init); see the emulator output"

// Result is the function's answer to one invocation.
//
// The emulator answers a function error the way aws-lambda-go reports it to
// the Runtime API, as the body {"errorMessage": "...", "errorType": "..."}
// with status 200 and without Lambda's X-Amz-Function-Error header; a crash
// during an invocation (panic, exit) comes back with status 502 and
// errorType Runtime.ExitError or the panic's; a crash during init with
// status 502 and no body (SandboxFailureErrorType); a timeout with status
// 200 and a plain-text body (TimeoutErrorType). A body of exactly the error
// document's shape is therefore taken as a function error, never as a
// response.
type Result struct {
	// Failed reports whether the function returned an error, crashed or
	// timed out.
	Failed bool
	// Payload is the function's response; nil when the function failed.
	Payload []byte
	// FunctionError is the errorMessage of a failed invocation, exactly as
	// the function returned it (API Gateway answers 401 for "Unauthorized").
	FunctionError string
	// ErrorType is the errorType of a failed invocation ("errorString" for
	// errors.New, Runtime.ExitError for a crash, TimeoutErrorType).
	ErrorType string
	// Status is the emulator's HTTP status: 200, or 502 for a crash.
	Status int
	// Raw is the emulator's response body.
	Raw []byte
}

// functionError is the error document of the Lambda Runtime API.
type functionError struct {
	Message    *string         `json:"errorMessage"`
	Type       *string         `json:"errorType"`
	StackTrace json.RawMessage `json:"stackTrace"`
}

// parseResult interprets an emulator answer; ok is false for an answer
// that is neither a response nor a function error.
func parseResult(status int, body []byte) (res Result, ok bool) {
	res = Result{Status: status, Raw: body}
	if fe, isErr := asFunctionError(body); isErr {
		res.Failed, res.FunctionError, res.ErrorType = true, *fe.Message, *fe.Type
		return res, status == http.StatusOK || status == http.StatusBadGateway
	}
	if status == http.StatusBadGateway && len(body) == 0 {
		res.Failed, res.FunctionError, res.ErrorType = true, sandboxFailureMessage, SandboxFailureErrorType
		return res, true
	}
	if status != http.StatusOK {
		return res, false
	}
	if bytes.HasPrefix(body, []byte("Task timed out after ")) {
		res.Failed, res.FunctionError, res.ErrorType = true, string(body), TimeoutErrorType
		return res, true
	}
	res.Payload = body
	return res, true
}

// asFunctionError reports whether body is a Runtime API error document: a
// JSON object with string errorMessage and errorType and no other member
// than stackTrace.
func asFunctionError(body []byte) (functionError, bool) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return functionError{}, false
	}
	for k := range members {
		if k != "errorMessage" && k != "errorType" && k != "stackTrace" {
			return functionError{}, false
		}
	}
	var fe functionError
	if err := json.Unmarshal(body, &fe); err != nil || fe.Message == nil || fe.Type == nil {
		return functionError{}, false
	}
	return fe, true
}
