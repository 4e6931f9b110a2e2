package jwtauth

import (
	"testing"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

func TestSmoke(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA", "PS256", "HS256"} {
		t.Run(alg, func(t *testing.T) {
			is := issuerAt(t, alg)
			e := newEnv(t, policy(is.Config()), secretsOf(is))
			d := e.verify(t, is.Token(nil))
			wantReason(t, d, authz.ReasonAllowed)
			t.Logf("%+v %+v", d, d.Principal)
		})
	}
}
