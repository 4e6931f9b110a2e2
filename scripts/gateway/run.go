package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/portcullis-authz/portcullis/scripts/gateway/devidp"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // a runtime failure (the server stopped with an error, a store is unreachable)
	exitUsage = 2 // bad input: flags, policy file, seed file, address in use
)

const usageText = `usage:
  gateway [flags]                 serve the local API on 127.0.0.1:4000 (make run)
  gateway token [flags]           print a token signed by the development identity provider

Serve flags:
  --policy FILE             policy file (default events/policy.yaml)
  --addr HOST:PORT          listen address (default 127.0.0.1:4000); loopback only while the dev IdP is on
  --port N                  listen port, overriding the one in --addr (0: any free port)
  --api rest|http           emulate a REST API (default) or an HTTP API (payload 2.0)
  --seed FILE|none          API keys for the in-memory store (default seed.json beside the policy)
  --dynamodb-endpoint URL   keep API keys in DynamoDB at URL (e.g. dynalite) instead of in memory;
                            the table is created if missing and seeded with the keys it lacks
  --table NAME              API-keys table (default $PORTCULLIS_APIKEYS_TABLE, else APIKeys)
  --dev-idp NAME|none       the policy issuer the dev IdP signs for (default dev)
  --signing-key FILE        the dev IdP's private key (default dev-signing-key.pem beside the policy)
  --via-emulator            run the authorizers' built bootstraps under the Lambda Runtime
                            Interface Emulator instead of in process (needs make tools)
  --access-log=false        no access log line per request (stderr)
  --audit=false             no authorizer audit lines (stderr)

Token flags:
  --sub S --scope 'a b' --groups g1,g2 --acr A --amr pwd,mfa --ttl 1h --auth-age 20m
  --tenant T --email E --aud A --policy FILE --issuer NAME --signing-key FILE
`

// errUsage marks bad input; the message is printed and the exit code is 2.
var errUsage = errors.New("bad input")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// app holds what run needs; tests replace the clock and read the server.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	// ready, when set, is called with the running server once it serves.
	ready func(*server)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, now: time.Now}
	return a.run(ctx, args)
}

func (a *app) run(ctx context.Context, args []string) int {
	var err error
	switch {
	case len(args) > 0 && args[0] == "token":
		err = a.token(args[1:])
	case len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help"):
		fmt.Fprint(a.stdout, usageText)
		return exitOK
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		err = usageErr("unknown command %q (commands: token, help; flags start with --)", args[0])
	default:
		err = a.serve(ctx, args)
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(a.stderr, "gateway: %s\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		fmt.Fprintln(a.stderr, "run `go run ./scripts/gateway help` for usage")
		return exitUsage
	default:
		fmt.Fprintf(a.stderr, "gateway: %v\n", err)
		return exitFail
	}
}

func (a *app) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args, turning flag errors into usage errors; -h is
// answered with the usage text.
func (a *app) parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(a.stdout, usageText)
			return err
		}
		return usageErr("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// loadPolicy loads the policy file; problems are bad input, listed in full.
func loadPolicy(path string) (*config.File, error) {
	f, err := config.Load(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usageErr("policy file %s does not exist (pass --policy FILE)", path)
		}
		return nil, usageErr("%v", err)
	}
	return f, nil
}

// token prints a token minted by the development identity provider.
func (a *app) token(args []string) error {
	fs := a.flagSet("gateway token")
	policy := fs.String("policy", "events/policy.yaml", "")
	issuer := fs.String("issuer", "dev", "")
	key := fs.String("signing-key", "", "")
	var c devidp.Claims
	var scope, groups, amr string
	fs.StringVar(&c.Subject, "sub", "", "")
	fs.StringVar(&scope, "scope", "", "")
	fs.StringVar(&groups, "groups", "", "")
	fs.StringVar(&c.ACR, "acr", "", "")
	fs.StringVar(&amr, "amr", "", "")
	fs.DurationVar(&c.TTL, "ttl", 0, "")
	fs.DurationVar(&c.AuthAge, "auth-age", 0, "")
	fs.StringVar(&c.Tenant, "tenant", "", "")
	fs.StringVar(&c.Email, "email", "", "")
	fs.StringVar(&c.Audience, "aud", "", "")
	if err := a.parseFlags(fs, args); err != nil {
		return err
	}
	c.Scopes, c.Groups, c.AMR = devidp.SplitList(scope), devidp.SplitList(groups), devidp.SplitList(amr)
	f, err := loadPolicy(*policy)
	if err != nil {
		return err
	}
	p, err := devidp.New(f, *issuer, signingKeyPath(f, *key), devidp.WithClock(a.now))
	if err != nil {
		return usageErr("%v", err)
	}
	tok, err := p.Mint(c)
	if err != nil {
		return usageErr("%v", err)
	}
	fmt.Fprintln(a.stdout, tok)
	return nil
}

// signingKeyPath is the dev IdP's key: the flag, or dev-signing-key.pem
// beside the policy file.
func signingKeyPath(f *config.File, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return f.Resolve("dev-signing-key.pem")
}
