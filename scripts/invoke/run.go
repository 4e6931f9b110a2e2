package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/portcullis-authz/portcullis/scripts/rie"
)

// Exit codes.
const (
	exitOK        = 0 // the function answered: a response or a function error
	exitTechnical = 1 // build, emulator or invocation failure
	exitUsage     = 2 // bad flags or input
)

const usageText = `Usage:
  make invoke FN=<function> EVENT=<event.json> [POLICY=<policy.yaml>]
  go run ./scripts/invoke --fn <function> --event <event.json|-> [flags]

Builds functions/<function> for this machine with the Lambda build flags
(CGO_ENABLED=0, -tags lambda.norpc), stages a task root holding the
bootstrap, runs it under the AWS Lambda Runtime Interface Emulator (what
'sam local invoke' runs inside its container; here without Docker), posts
the event and prints the function's answer on stdout: its response as
indented JSON, or the function error document ({"errorMessage", "errorType"}).
The emulator's log, the function's own log lines and a one-line summary go
to stderr.

The function gets the policy file through PORTCULLIS_POLICY (its absolute
path), so the files the policy names (JWKS, pepper) are read from beside
it; the task root holds only the bootstrap. The function sees a Lambda-like
environment (region us-east-1, 128 MB, no AWS credentials) plus --env.

Exit status: 0 when the function answered (a response or a function error,
including a crash or a timeout), 1 on a technical failure (build, emulator
start, invocation), 2 on bad usage or input.

Flags:
`

const samText = `
The same with AWS SAM CLI and Docker runs the linux/arm64 build that CDK
staged in infra/cdk.out inside Lambda's own container image:
  make synth
  sam local invoke -t infra/cdk.out/<stack>.template.json -e <event.json> <LogicalId>
<LogicalId> is the function's logical ID in the template (SAM also accepts
its CDK construct id).
`

type options struct {
	fn, event, policy, emulator, bootstrap string
	timeout                                time.Duration
	verbose                                bool
	env                                    rie.EnvFlag
}

// usageError is bad input: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	err := invoke(ctx, args, stdin, stdout, stderr, getenv)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "invoke: %v\nRun with --help for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return exitTechnical
	}
}

func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.fn, "fn", "", "function to run: the `name` of its directory under functions/ (e.g. jwt-authorizer)")
	fs.StringVar(&o.event, "event", "", "event JSON `file`, or - for stdin")
	fs.StringVar(&o.policy, "policy", "events/policy.yaml", "policy `file` handed to the function as PORTCULLIS_POLICY; empty: none (the function then looks beside its binary)")
	fs.Var(o.env, "env", "extra environment variable for the function, `KEY=VALUE` (repeatable)")
	fs.StringVar(&o.emulator, "emulator", "", "aws-lambda-rie executable `path` (default $PORTCULLIS_RIE, then build/tools/aws-lambda-rie from make tools)")
	fs.StringVar(&o.bootstrap, "bootstrap", "", "run this prebuilt host bootstrap `file` instead of building functions/<fn> (e.g. build/host/<fn>/bootstrap)")
	fs.DurationVar(&o.timeout, "timeout", rie.DefaultTimeout, "function timeout (whole seconds)")
	fs.BoolVar(&o.verbose, "v", false, "show the emulator's info log lines too")
	return fs
}

func printUsage(w io.Writer) {
	o := options{env: rie.EnvFlag{}}
	fs := newFlagSet(&o)
	fs.SetOutput(w)
	fmt.Fprint(w, usageText)
	fs.PrintDefaults()
	fmt.Fprint(w, samText)
}

func invoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	o := options{env: rie.EnvFlag{}}
	fs := newFlagSet(&o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags only)", fs.Arg(0))
	}
	if o.fn == "" {
		return usagef("--fn is required")
	}
	if o.event == "" {
		return usagef("--event is required (a JSON file, or - for stdin)")
	}
	if o.timeout < time.Second || o.timeout%time.Second != 0 {
		return usagef("--timeout %v: the emulator takes whole seconds", o.timeout)
	}
	root, rootErr := moduleRoot()
	policySet := false
	fs.Visit(func(f *flag.Flag) { policySet = policySet || f.Name == "policy" })
	if !policySet && rootErr == nil {
		o.policy = filepath.Join(root, o.policy) // the default, from anywhere in the repository
	}

	pkg := ""
	if o.bootstrap == "" {
		if rootErr != nil {
			return usagef("%v (run from inside the repository, or pass --bootstrap)", rootErr)
		}
		if !isFunction(root, o.fn) {
			return usagef("unknown function %q: no Go package in functions/%s (functions: %s)", o.fn, o.fn, strings.Join(functions(root), ", "))
		}
		pkg = "./functions/" + o.fn
	} else if err := checkFile(o.bootstrap); err != nil {
		return usagef("--bootstrap: %v", err)
	}

	event, err := readEvent(o.event, stdin)
	if err != nil {
		return err
	}

	env := map[string]string{}
	if o.policy != "" {
		p, err := filepath.Abs(o.policy)
		if err == nil {
			err = checkFile(p)
		}
		if err != nil {
			return usagef("--policy: %v", err)
		}
		env["PORTCULLIS_POLICY"] = p
	}
	for k, v := range o.env {
		env[k] = v
	}

	emulator, err := emulatorPath(o.emulator, getenv, root)
	if err != nil {
		return err
	}

	// The task root: a fresh directory named after the function, holding
	// only the bootstrap.
	tmp, err := os.MkdirTemp("", "portcullis-invoke-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	taskRoot := filepath.Join(tmp, o.fn)
	if err := os.Mkdir(taskRoot, 0o755); err != nil {
		return err
	}
	bootstrap := filepath.Join(taskRoot, "bootstrap")
	t0 := time.Now()
	if pkg != "" {
		fmt.Fprintf(stderr, "invoke: building %s for the host\n", pkg)
		if err := rie.Build(ctx, root, pkg, bootstrap); err != nil {
			return err
		}
	} else if err := copyFile(o.bootstrap, bootstrap); err != nil {
		return fmt.Errorf("stage --bootstrap: %w", err)
	}
	built := time.Since(t0)

	logLevel := "warn"
	if o.verbose {
		logLevel = "info"
	}
	t1 := time.Now()
	e, err := rie.Start(ctx, emulator, rie.Options{
		Dir: taskRoot, FunctionName: o.fn, Env: env, Timeout: o.timeout, LogLevel: logLevel, Log: stderr,
	})
	if err != nil {
		return err
	}
	defer e.Close()
	started := time.Since(t1)

	t2 := time.Now()
	res, err := e.Invoke(ctx, event)
	if err != nil {
		return err
	}
	invoked := time.Since(t2)
	// Stop the emulator before printing so its last log lines come first.
	if err := e.Close(); err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
	}

	stage := "build"
	if pkg == "" {
		stage = "copy"
	}
	timing := fmt.Sprintf("%s %s, emulator start %s, invoke (cold) %s", stage, round(built), round(started), round(invoked))
	if !res.Failed {
		stdout.Write(indent(res.Payload))
		fmt.Fprintf(stderr, "invoke: %s answered (%s)\n", o.fn, timing)
		return nil
	}
	doc := res.Raw
	if !json.Valid(doc) { // the emulator's plain-text timeout
		doc, _ = json.Marshal(map[string]string{"errorMessage": res.FunctionError, "errorType": res.ErrorType})
	}
	stdout.Write(indent(doc))
	fmt.Fprintf(stderr, "invoke: %s returned a function error (%s): %q; %s (%s)\n",
		o.fn, res.ErrorType, res.FunctionError, gatewayOutcome(res), timing)
	return nil
}

// gatewayOutcome says what API Gateway answers the client for an authorizer
// that fails this way.
func gatewayOutcome(res rie.Result) string {
	if res.FunctionError == "Unauthorized" {
		return "API Gateway answers 401 Unauthorized"
	}
	return "API Gateway answers 500 (only the exact error \"Unauthorized\" means 401)"
}

func readEvent(name string, stdin io.Reader) ([]byte, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
		name = "stdin"
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, usagef("--event: %v", err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, usagef("event %s is not valid JSON: %v", name, err)
	}
	return data, nil
}

// emulatorPath finds aws-lambda-rie: the flag, $PORTCULLIS_RIE,
// build/tools/aws-lambda-rie under the repository, then PATH.
func emulatorPath(flagValue string, getenv func(string) string, root string) (string, error) {
	if flagValue != "" {
		if err := checkFile(flagValue); err != nil {
			return "", usagef("--emulator: %v", err)
		}
		return flagValue, nil
	}
	candidates := []string{getenv("PORTCULLIS_RIE")}
	if root != "" {
		candidates = append(candidates, filepath.Join(root, "build", "tools", "aws-lambda-rie"))
	}
	for _, c := range candidates {
		if c != "" && checkFile(c) == nil {
			return c, nil
		}
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	return "", errors.New("the Runtime Interface Emulator (aws-lambda-rie) is not installed: run `make tools`, or pass --emulator or set PORTCULLIS_RIE")
}

// moduleRoot finds the repository root: the nearest directory up from the
// working directory whose go.mod declares this module.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.Contains(b, []byte("module github.com/portcullis-authz/portcullis\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the portcullis repository (no go.mod for github.com/portcullis-authz/portcullis)")
		}
		dir = parent
	}
}

func isFunction(root, fn string) bool {
	if fn != filepath.Base(fn) || strings.HasPrefix(fn, ".") {
		return false
	}
	matches, _ := filepath.Glob(filepath.Join(root, "functions", fn, "*.go"))
	return len(matches) > 0
}

func functions(root string) []string {
	entries, _ := os.ReadDir(filepath.Join(root, "functions"))
	var out []string
	for _, e := range entries {
		if e.IsDir() && isFunction(root, e.Name()) {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		return []string{"none yet"}
	}
	slices.Sort(out)
	return out
}

func checkFile(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", p)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// indent returns data as indented JSON with a final newline, or data as it
// is when it is not JSON.
func indent(data []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, data, "", "  "); err != nil {
		b.Reset()
		b.Write(data)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func round(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
