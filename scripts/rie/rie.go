// Package rie runs a Lambda function's real bootstrap binary under the AWS
// Lambda Runtime Interface Emulator (github.com/aws/aws-lambda-runtime-interface-emulator,
// command aws-lambda-rie), the program `sam local invoke` runs inside its
// container, directly on the host and without Docker.
//
// Start launches the emulator on two free loopback ports (the invoke API and
// the Runtime API the bootstrap talks to), with a Lambda-like environment
// (LambdaEnv) and the task root as the working directory, and waits until the
// emulator itself listens on both. Invoke posts an event and returns the
// function's answer; Close stops the emulator and the bootstrap it started.
//
// The emulator initialises the function lazily, on the first invocation (as
// Lambda does for an on-demand cold start), so problems at the function's
// init surface from the first Invoke, not from Start.
package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors returned (wrapped) by Start and Invoke.
var (
	// ErrNotReady means the emulator did not listen on its ports in time.
	ErrNotReady = errors.New("rie: emulator did not become ready")
	// ErrExited means the emulator process ended before or during a call.
	ErrExited = errors.New("rie: emulator exited")
	// ErrBadResponse means the emulator answered with something that is
	// neither a function response nor a function error.
	ErrBadResponse = errors.New("rie: unexpected response from the emulator")
)

// InvokePath is the emulator's invocation endpoint (the Lambda Invoke API
// path for a function named "function").
const InvokePath = "/2015-03-31/functions/function/invocations"

// Defaults applied by Start.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultStartTimeout = 15 * time.Second
	// DefaultLogLevel is the emulator's own log level (its --log-level flag);
	// it does not change what the function logs.
	DefaultLogLevel = "info"
	// outputTail is how much of the emulator's output an Emulator keeps for
	// error messages and Output.
	outputTail = 64 << 10
)

// Options describe the function to run.
type Options struct {
	// Dir is the function's task root, as Lambda unpacks the deployment
	// package: the bootstrap and the files bundled with it (policy.yaml, ...).
	// It becomes LAMBDA_TASK_ROOT and the bootstrap's working directory.
	// Default: the directory of Bootstrap.
	Dir string
	// Bootstrap is the executable to run. Default: Dir/bootstrap.
	Bootstrap string
	// FunctionName is AWS_LAMBDA_FUNCTION_NAME. Default: the base name of Dir.
	FunctionName string
	// Env is added to LambdaEnv, overriding it. The host environment is not
	// inherited: the function sees only LambdaEnv and Env, as on Lambda.
	Env map[string]string
	// Timeout is the function timeout (AWS_LAMBDA_FUNCTION_TIMEOUT, whole
	// seconds, at least 1). Default DefaultTimeout.
	Timeout time.Duration
	// StartTimeout bounds the wait for the emulator to listen. Default
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// LogLevel is the emulator's --log-level (debug, info, warn, error).
	// Default DefaultLogLevel.
	LogLevel string
	// Log receives the emulator's output: its own log lines (stderr), its
	// START/END/REPORT lines (stdout) and everything the function writes to
	// stdout and stderr. nil discards it; the last 64 KiB are kept either way
	// (Output) and quoted in errors.
	Log io.Writer
}

// Emulator is a running aws-lambda-rie process serving one function.
// Its methods are safe for concurrent use.
type Emulator struct {
	cmd        *exec.Cmd
	invokeURL  string
	runtimeAPI string
	out        *tail
	client     *http.Client

	invokeMu sync.Mutex // the emulator serves one invocation at a time

	done    chan struct{} // closed when the process has been waited for
	waitErr error         // set before done is closed

	closeOnce sync.Once
	closeErr  error
}

// Start launches emulator (the aws-lambda-rie executable) for the function
// described by opts and waits until it is ready to be invoked. ctx bounds the
// start only; the emulator runs until Close.
func Start(ctx context.Context, emulator string, opts Options) (*Emulator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkExecutable(emulator); err != nil {
		return nil, fmt.Errorf("rie: emulator: %w", err)
	}
	if err := checkExecutable(o.Bootstrap); err != nil {
		return nil, fmt.Errorf("rie: bootstrap: %w", err)
	}
	// Free ports are picked, released and then bound by the emulator, so
	// another process may take one in between; the emulator then exits with
	// "address already in use" and we try again with new ports.
	const attempts = 4
	for i := 1; ; i++ {
		e, err := start(ctx, emulator, o)
		if err == nil || i == attempts || !errors.Is(err, errAddrInUse) {
			return e, err
		}
	}
}

var errAddrInUse = errors.New("address already in use")

func (o Options) withDefaults() (Options, error) {
	if o.Bootstrap == "" && o.Dir == "" {
		return o, errors.New("rie: Options need Dir or Bootstrap")
	}
	if o.Bootstrap == "" {
		o.Bootstrap = filepath.Join(o.Dir, "bootstrap")
	}
	if o.Dir == "" {
		o.Dir = filepath.Dir(o.Bootstrap)
	}
	var err error
	if o.Dir, err = filepath.Abs(o.Dir); err != nil {
		return o, fmt.Errorf("rie: task root: %w", err)
	}
	if o.Bootstrap, err = filepath.Abs(o.Bootstrap); err != nil {
		return o, fmt.Errorf("rie: bootstrap: %w", err)
	}
	if fi, err := os.Stat(o.Dir); err != nil {
		return o, fmt.Errorf("rie: task root: %w", err)
	} else if !fi.IsDir() {
		return o, fmt.Errorf("rie: task root %s is not a directory", o.Dir)
	}
	if o.FunctionName == "" {
		o.FunctionName = filepath.Base(o.Dir)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Timeout < time.Second {
		return o, fmt.Errorf("rie: timeout %v: the emulator counts whole seconds, at least 1s", o.Timeout)
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.LogLevel == "" {
		o.LogLevel = DefaultLogLevel
	}
	if _, ok := o.Env["AWS_LAMBDA_MAX_CONCURRENCY"]; ok {
		// The variable switches aws-lambda-rie into its Lambda Managed
		// Instances mode, which has other flags and semantics.
		return o, errors.New("rie: AWS_LAMBDA_MAX_CONCURRENCY selects the emulator's managed-instances mode, which this package does not drive")
	}
	return o, nil
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

func start(ctx context.Context, emulator string, o Options) (*Emulator, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("rie: pick ports: %w", err)
	}
	invokeAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	runtimeAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))

	env := LambdaEnv(o.FunctionName, o.Dir)
	env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(int(o.Timeout / time.Second))
	for k, v := range o.Env {
		env[k] = v
	}

	out := &tail{max: outputTail}
	var w io.Writer = out
	if o.Log != nil {
		w = io.MultiWriter(out, o.Log)
	}
	// Flags go before the bootstrap: the emulator treats every argument
	// after the first positional one as the bootstrap's command line.
	cmd := exec.Command(emulator,
		"--log-level", o.LogLevel,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		o.Bootstrap)
	cmd.Dir = o.Dir // the emulator runs the bootstrap in its own working directory
	cmd.Env = envList(env)
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = sysProcAttr()
	// The bootstrap inherits the output pipe; if it outlived the emulator,
	// Wait would block on the pipe. WaitDelay bounds that.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("rie: start %s: %w", emulator, err)
	}
	e := &Emulator{
		cmd:        cmd,
		invokeURL:  "http://" + invokeAddr + InvokePath,
		runtimeAPI: runtimeAddr,
		out:        out,
		client: &http.Client{Transport: &http.Transport{
			Proxy:               nil, // never send loopback traffic through a proxy
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 1,
		}},
		done: make(chan struct{}),
	}
	go func() {
		e.waitErr = cmd.Wait()
		close(e.done)
	}()

	if err := e.waitReady(ctx, o.StartTimeout, ports); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// waitReady polls until the emulator process itself listens on both ports
// (checking the owner, not just that something answers, so that a port
// taken by another emulator in a parallel test is never mistaken for ours).
func (e *Emulator) waitReady(ctx context.Context, timeout time.Duration, ports []int) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-e.done:
			out := e.out.String()
			err := fmt.Errorf("%w before listening (%v)%s", ErrExited, e.waitErr, quote(out))
			if strings.Contains(out, "address already in use") {
				err = fmt.Errorf("%w: %w", errAddrInUse, err)
			}
			return err
		case <-deadline.C:
			return fmt.Errorf("%w: not listening on 127.0.0.1:%d and :%d after %v%s", ErrNotReady, ports[0], ports[1], timeout, quote(e.out.String()))
		case <-ctx.Done():
			return fmt.Errorf("rie: waiting for the emulator: %w", context.Cause(ctx))
		case <-tick.C:
			if ok, err := listening(e.cmd.Process.Pid, ports...); err != nil {
				return fmt.Errorf("rie: checking the emulator's ports: %w", err)
			} else if ok {
				return nil
			}
		}
	}
}

// URL returns the emulator's invocation URL, for callers that want to post
// events themselves (curl, another HTTP client).
func (e *Emulator) URL() string { return e.invokeURL }

// RuntimeAPI returns the host:port of the Runtime API the emulator serves
// to the bootstrap (its AWS_LAMBDA_RUNTIME_API).
func (e *Emulator) RuntimeAPI() string { return e.runtimeAPI }

// Output returns the last 64 KiB of the emulator's combined output (its
// logs, REPORT lines and the function's stdout and stderr).
func (e *Emulator) Output() string { return e.out.String() }

// Invoke sends event to the function and returns its answer. A function
// error (including a crash or a timeout) is a Result with ErrorType set, not
// an error; error means the invocation itself failed (emulator gone,
// unexpected status, ctx done). Invocations are serialized, as in one Lambda
// execution environment.
func (e *Emulator) Invoke(ctx context.Context, event []byte) (Result, error) {
	e.invokeMu.Lock()
	defer e.invokeMu.Unlock()
	select {
	case <-e.done:
		return Result{}, fmt.Errorf("%w (%v)%s", ErrExited, e.waitErr, quote(e.out.String()))
	default:
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.invokeURL, bytes.NewReader(event))
	if err != nil {
		return Result{}, fmt.Errorf("rie: invoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		select {
		case <-e.done:
			return Result{}, fmt.Errorf("%w during the invocation (%v)%s", ErrExited, e.waitErr, quote(e.out.String()))
		default:
		}
		return Result{}, fmt.Errorf("rie: invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{}, fmt.Errorf("rie: invoke: read the response: %w", err)
	}
	res, ok := parseResult(resp.StatusCode, body)
	if !ok {
		return res, fmt.Errorf("%w: status %d, body %q%s", ErrBadResponse, resp.StatusCode, truncate(body, 512), quote(e.out.String()))
	}
	return res, nil
}

// Close stops the emulator and the bootstrap it started and waits for them.
// It is safe to call more than once.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		e.client.CloseIdleConnections()
		select {
		case <-e.done:
			return // already exited (crashed or killed)
		default:
		}
		pid := e.cmd.Process.Pid
		// The emulator starts the bootstrap in a process group of its own;
		// note the children now, while they are still the emulator's.
		children := childGroups(pid)
		// SIGTERM makes the emulator kill the runtime and exit.
		terminate(e.cmd.Process)
		select {
		case <-e.done:
		case <-time.After(3 * time.Second):
		}
		for _, pg := range children {
			killGroup(pg)
		}
		killGroup(pid)
		select {
		case <-e.done:
		case <-time.After(10 * time.Second):
			e.closeErr = fmt.Errorf("rie: emulator pid %d did not exit after SIGKILL", pid)
		}
	})
	return e.closeErr
}

func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		// Hold every listener until all ports are picked, so they differ.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func quote(out string) string {
	out = strings.TrimSpace(out)
	if out == "" {
		return "; the emulator wrote nothing"
	}
	const max = 4096
	if len(out) > max {
		out = "..." + out[len(out)-max:]
	}
	return "; emulator output:\n" + out
}

func truncate(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[:n]
}

// tail is an io.Writer keeping the last max bytes written.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
