package stack

import (
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// SetPolicyFor makes the stack build route policies with fn, so that tests
// reach the cache-safety refusal with requirements the policy file cannot
// express yet.
func SetPolicyFor(p *Props, fn func(*config.File, string) (*authz.Policy, error)) { p.policyFor = fn }
