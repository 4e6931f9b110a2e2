package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/portcullis-authz/portcullis/scripts/gateway/localgw"
	"github.com/portcullis-authz/portcullis/scripts/rie"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
)

// emulated builds function fn for this machine with the Lambda build flags
// and runs its bootstrap under the Runtime Interface Emulator, as `make
// invoke` does; the returned Function posts each event to it.
func (a *app) emulated(ctx context.Context, srv *server, fn string, fl *serveFlags, log io.Writer) (localgw.Function, func(), error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, nil, usageErr("--via-emulator: %v", err)
	}
	emu := a.getenv("PORTCULLIS_RIE")
	if emu == "" {
		emu = filepath.Join(root, "build", "tools", "aws-lambda-rie")
	}
	if _, err := os.Stat(emu); err != nil {
		return nil, nil, usageErr("--via-emulator: the Runtime Interface Emulator is not at %s: run `make tools` (or set PORTCULLIS_RIE)", emu)
	}
	tmp, err := os.MkdirTemp("", "portcullis-gateway-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	taskRoot := filepath.Join(tmp, fn)
	if err := os.Mkdir(taskRoot, 0o755); err != nil {
		cleanup()
		return nil, nil, err
	}
	bootstrap := filepath.Join(taskRoot, "bootstrap")
	if err := rie.Build(ctx, root, "./functions/"+fn, bootstrap); err != nil {
		cleanup()
		return nil, nil, err
	}
	policy, err := filepath.Abs(srv.File.Path)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	env := map[string]string{"PORTCULLIS_POLICY": policy}
	if k := srv.Keys; k != nil {
		switch {
		case k.table != "":
			env[dynamostore.APIKeys.EnvVar] = k.table
			env["AWS_ENDPOINT_URL_DYNAMODB"] = k.endpoint
			env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = "local", "local"
		case k.seedPath != "":
			seed, err := filepath.Abs(k.seedPath)
			if err != nil {
				cleanup()
				return nil, nil, err
			}
			env["PORTCULLIS_APIKEYS_SEED"] = seed
		}
	}
	e, err := rie.Start(ctx, emu, rie.Options{Dir: taskRoot, FunctionName: fn, Env: env, Timeout: fl.invokeTimeout, Log: log})
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("--via-emulator: %s: %w", fn, err)
	}
	closer := func() {
		_ = e.Close()
		cleanup()
	}
	return localgw.FunctionFunc(func(ctx context.Context, event []byte) ([]byte, error) {
		res, err := e.Invoke(ctx, event)
		if err != nil {
			return nil, err
		}
		if res.Failed {
			// The function's error message is what API Gateway reads.
			return nil, errors.New(res.FunctionError)
		}
		return res.Payload, nil
	}), closer, nil
}

// moduleRoot finds the repository root (the directory holding go.mod)
// from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it from inside the repository (no go.mod found)")
		}
		dir = parent
	}
}
