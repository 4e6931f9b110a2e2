package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/portcullis-authz/portcullis/scripts/rie"
)

// Exit codes.
const (
	exitOK        = 0
	exitTechnical = 1 // a binary could not be measured
	exitUsage     = 2
)

// defaultEvent is a REST API TOKEN authorizer event with a bogus token: an
// authorizer must answer it with the error "Unauthorized" after its whole
// cold start (policy, keys) has run.
const defaultEvent = `{"type":"TOKEN","authorizationToken":"Bearer coldstart-bogus-token","methodArn":"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/orders"}`

const usageText = `Usage: go run ./scripts/coldstart [flags] <bootstrap>...

Measures each function binary's cold start: the time from exec to the first
answered event. A minimal Lambda Runtime API runs in this program; each run
starts the binary afresh with AWS_LAMBDA_RUNTIME_API pointing at it and the
environment Lambda sets (function name = the binary's directory name, task
root = that directory, region us-east-1, 128 MB), hands it one event and
stops the clock when the response (or function error) has arrived. Also
reported: exec -> first "next" request (runtime + function init) and the
child's peak RSS (VmHWM once it has answered). Runs are sequential; the
host is not Lambda, so compare binaries with each other rather than with
Lambda's Init Duration.

Flags:
`

type config struct {
	runs    int
	event   []byte
	eventIs string
	env     map[string]string
	timeout time.Duration
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	err := coldstart(ctx, args, stdout, stderr, getenv)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "coldstart: %v\nRun with --help for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "coldstart: %v\n", err)
		return exitTechnical
	}
}

func coldstart(ctx context.Context, args []string, stdout, stderr io.Writer, _ func(string) string) error {
	var (
		runs      int
		eventFile string
		policy    string
		timeout   time.Duration
		env       = rie.EnvFlag{}
	)
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&runs, "runs", 20, "cold starts per binary")
	fs.StringVar(&eventFile, "event", "", "event JSON `file` (default: a built-in REST TOKEN event with a bogus token)")
	fs.StringVar(&policy, "policy", "events/policy.yaml", "policy `file` handed to the functions as PORTCULLIS_POLICY (made absolute; the default is skipped when absent); empty: none")
	fs.Var(env, "env", "extra environment variable for the functions, `KEY=VALUE` (repeatable)")
	fs.DurationVar(&timeout, "timeout", 10*time.Second, "limit per run (also the invocation deadline)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprint(stdout, usageText)
			fs.PrintDefaults()
			return err
		}
		return usageError{err.Error()}
	}
	bins := fs.Args()
	if len(bins) == 0 {
		return usagef("no bootstrap given (e.g. build/host/jwt-authorizer/bootstrap; make build-host builds them)")
	}
	if runs < 1 {
		return usagef("--runs %d: want at least 1", runs)
	}
	if timeout <= 0 {
		return usagef("--timeout %v: want a positive duration", timeout)
	}
	for _, b := range bins {
		if fi, err := os.Stat(b); err != nil {
			return usagef("%v", err)
		} else if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return usagef("%s is not an executable file", b)
		}
	}
	cfg := config{runs: runs, env: map[string]string{}, timeout: timeout, event: []byte(defaultEvent), eventIs: "built-in REST TOKEN event, bogus token"}
	if eventFile != "" {
		data, err := os.ReadFile(eventFile)
		if err != nil {
			return usagef("--event: %v", err)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return usagef("event %s is not valid JSON: %v", eventFile, err)
		}
		cfg.event, cfg.eventIs = data, eventFile
	}
	policySet := false
	fs.Visit(func(f *flag.Flag) { policySet = policySet || f.Name == "policy" })
	if policy != "" {
		abs, err := filepath.Abs(policy)
		if err != nil {
			return usagef("--policy: %v", err)
		}
		switch _, err := os.Stat(abs); {
		case err == nil:
			cfg.env["PORTCULLIS_POLICY"] = abs
		case policySet:
			return usagef("--policy: %v", err)
		default:
			fmt.Fprintf(stderr, "coldstart: no %s here; PORTCULLIS_POLICY not set\n", policy)
		}
	}
	for k, v := range env {
		cfg.env[k] = v
	}

	reports := make([]report, 0, len(bins))
	var failed []error
	for _, b := range bins {
		r, err := measureBinary(ctx, b, cfg)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			failed = append(failed, err)
			fmt.Fprintf(stderr, "coldstart: %v\n", err)
			continue
		}
		reports = append(reports, r)
	}
	printReports(stdout, cfg, reports)
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d binaries could not be measured", len(failed), len(bins))
	}
	return nil
}

// sample is one cold start.
type sample struct {
	start, init time.Duration // exec -> answer, exec -> first next
	rss         int64         // peak RSS in bytes, -1 if unknown
	answer      answer
}

// report is the measurement of one binary.
type report struct {
	bin     string
	samples []sample
}

func measureBinary(ctx context.Context, bin string, cfg config) (report, error) {
	r := report{bin: bin}
	for i := range cfg.runs {
		s, err := measureOnce(ctx, bin, cfg)
		if err != nil {
			return r, fmt.Errorf("%s: run %d: %w", bin, i+1, err)
		}
		r.samples = append(r.samples, s)
	}
	return r, nil
}

// measureOnce starts bin with a fresh Runtime API, hands it the event and
// times exec -> answer.
func measureOnce(ctx context.Context, bin string, cfg config) (sample, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return sample{}, err
	}
	dir := filepath.Dir(abs)
	name := filepath.Base(dir)
	api := newRuntimeAPI(cfg.event, "arn:aws:lambda:"+rie.DefaultRegion+":123456789012:function:"+name, cfg.timeout, time.Now)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return sample{}, err
	}
	srv := &http.Server{Handler: api}
	go srv.Serve(ln)
	defer srv.Close()
	defer api.stop()

	env := rie.LambdaEnv(name, dir)
	env["AWS_LAMBDA_RUNTIME_API"] = ln.Addr().String()
	for k, v := range cfg.env {
		env[k] = v
	}
	cmd := exec.Command(abs)
	cmd.Dir = dir
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &limitedBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second

	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopChild := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	timer := time.NewTimer(cfg.timeout)
	defer timer.Stop()
	select {
	case a := <-api.answered:
		rss := peakRSS(cmd.Process.Pid)
		stopChild()
		if a.errorType == "" && a.kind != answerResponse {
			// aws-lambda-go names the type in the body, not in the header.
			var doc struct {
				Type string `json:"errorType"`
			}
			if json.Unmarshal(a.body, &doc) == nil {
				a.errorType = doc.Type
			}
		}
		s := sample{start: a.at.Sub(t0), rss: rss, answer: a}
		if n := api.firstNext(); !n.IsZero() {
			s.init = n.Sub(t0)
		}
		return s, nil
	case err := <-exited:
		return sample{}, fmt.Errorf("exited before answering (%v)%s", err, out.quote())
	case <-timer.C:
		stopChild()
		return sample{}, fmt.Errorf("no answer within %v%s", cfg.timeout, out.quote())
	case <-ctx.Done():
		stopChild()
		return sample{}, context.Cause(ctx)
	}
}

// stats are the order statistics of durations.
type stats struct{ min, median, p90, max time.Duration }

func summarize(d []time.Duration) stats {
	if len(d) == 0 {
		return stats{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	p90 := s[(9*n+9)/10-1] // nearest rank: ceil(0.9 n)
	return stats{min: s[0], median: med, p90: p90, max: s[n-1]}
}

func printReports(w io.Writer, cfg config, reports []report) {
	if len(reports) == 0 {
		return
	}
	fmt.Fprintf(w, "cold start: exec -> first answered event, %d run(s) per binary (event: %s)\n\n", cfg.runs, cfg.eventIs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "binary\tmin\tmedian\tp90\tmax\tinit median\tpeak RSS")
	for _, r := range reports {
		var starts, inits []time.Duration
		var rss int64 = -1
		for _, s := range r.samples {
			starts = append(starts, s.start)
			inits = append(inits, s.init)
			rss = max(rss, s.rss)
		}
		st, in := summarize(starts), summarize(inits)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.bin, ms(st.min), ms(st.median), ms(st.p90), ms(st.max), ms(in.median), mib(rss))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range reports {
		a := r.samples[0].answer
		what := a.kind
		if a.errorType != "" {
			what += " (" + a.errorType + ")"
		}
		fmt.Fprintf(w, "%s, first run: %s: %s\n", r.bin, what, truncate(strings.TrimSpace(string(a.body)), 500))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) string {
	if b < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d bytes)", len(s))
}

// limitedBuffer keeps the first max bytes of a child's output.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) quote() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s := strings.TrimSpace(string(b.buf)); s != "" {
		return "; its output:\n" + s
	}
	return "; it wrote nothing"
}
