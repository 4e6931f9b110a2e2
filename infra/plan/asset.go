package plan

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// bundleFiles decides which files beside the policy go into each
// function's asset.
func (p *Plan) bundleFiles(opts Options) error {
	f := p.File
	var errs []error
	check := func(rel, field string) bool {
		clean := filepath.Clean(rel)
		if filepath.IsAbs(rel) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
			errs = append(errs, fmt.Errorf("%w: %s names %s, outside the policy file's directory; the function reads the policy beside its binary, so keep bundled files beside or below %s",
				ErrBundle, field, rel, filepath.Base(f.Path)))
			return false
		}
		return true
	}
	var jwks []string
	for i, is := range f.Issuers {
		if is.JWKS.File != "" && check(is.JWKS.File, fmt.Sprintf("issuers[%d].jwks.file", i)) {
			jwks = append(jwks, filepath.Clean(is.JWKS.File))
		}
	}
	for _, a := range p.Authorizers {
		a.Files = append(a.Files, jwks...)
		switch a.Name {
		case config.AuthorizerJWT:
			for i, is := range f.Issuers {
				if is.HMACSecret != nil && is.HMACSecret.File != "" && check(is.HMACSecret.File, fmt.Sprintf("issuers[%d].hmac_secret.file", i)) {
					a.Files = append(a.Files, filepath.Clean(is.HMACSecret.File))
				}
			}
		case config.AuthorizerAPIKey:
			if pf := f.Authorizers.APIKey.Pepper.File; pf != "" && check(pf, "authorizers.apikey.pepper.file") {
				a.Files = append(a.Files, filepath.Clean(pf))
			}
		}
		slices.Sort(a.Files)
		a.Files = slices.Compact(a.Files)
	}
	return errors.Join(errs...)
}

// Bootstrap returns the path of function fn's built binary under buildDir
// (build/<fn>/bootstrap) after checking that it is a linux/arm64
// executable, the only thing the deployed function can run.
func Bootstrap(buildDir, fn string) (string, error) {
	path := filepath.Join(buildDir, fn, "bootstrap")
	ef, err := elf.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w: %s does not exist: run `make build` first (it builds every functions/*-authorizer for linux/arm64)", ErrNotBuilt, path)
	}
	if err != nil {
		return "", fmt.Errorf("%w: %s is not a Linux executable (%v): run `make build`", ErrNotBuilt, path, err)
	}
	defer ef.Close()
	if ef.Machine != elf.EM_AARCH64 || ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN {
		return "", fmt.Errorf("%w: %s is a %s %s binary, but the functions run on arm64: run `make build` (not build-host)", ErrNotBuilt, path, ef.Machine, ef.Type)
	}
	return path, nil
}

// StageAsset fills dir with what function a's asset holds: the bootstrap
// binary, the policy as policy.yaml (where the function looks by default)
// and the files the policy names, at the same relative paths.
func (p *Plan) StageAsset(a *Authorizer, bootstrap, dir string) error {
	if err := copyFile(bootstrap, filepath.Join(dir, "bootstrap"), 0o755); err != nil {
		return err
	}
	if err := copyFile(p.File.Path, filepath.Join(dir, config.DefaultFileName), 0o644); err != nil {
		return err
	}
	for _, rel := range a.Files {
		if err := copyFile(p.File.Resolve(rel), filepath.Join(dir, rel), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBundle, err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrBundle, err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBundle, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("%w: copy %s: %w", ErrBundle, src, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("%w: %w", ErrBundle, err)
	}
	// The umask may have narrowed the mode; the bootstrap must be executable.
	return os.Chmod(dst, mode)
}
