package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// BuildFlags are the go build flags of every function binary (the
// Makefile's GOFLAGS_FN): lambda.norpc makes aws-lambda-go speak only the
// Runtime API, which is what the emulator and provided.al2023 offer.
var BuildFlags = []string{"-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w"}

// Build compiles the Go package pkg (e.g. "./functions/jwt-authorizer",
// relative to moduleRoot) for the host with BuildFlags and CGO_ENABLED=0,
// writing the executable to out. The output of a failed build is part of
// the error.
func Build(ctx context.Context, moduleRoot, pkg, out string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("rie: build %s: the go command is not on PATH: %w", pkg, err)
	}
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Dir = moduleRoot
	// GOOS/GOARCH emptied: a host binary even if the caller cross-compiles.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=", "GOARCH=")
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(output.String())
		if msg == "" {
			msg = "no output"
		}
		return fmt.Errorf("rie: go build %s: %w\n%s", pkg, err, msg)
	}
	if _, err := os.Stat(out); err != nil {
		return errors.Join(fmt.Errorf("rie: go build %s wrote no %s", pkg, out), err)
	}
	return nil
}
