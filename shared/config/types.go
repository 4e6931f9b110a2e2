package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as Go writes it: "300ms", "60s", "5m", "1h".
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration such as 300ms, 60s, 5m or 1h, got %q", b)
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", b)
	}
	*d = Duration(v)
	return nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration.
func (d Duration) String() string { return time.Duration(d).String() }

// CIDR is an IP network in CIDR notation; a bare address means a single host
// (/32 or /128). Host bits must be zero.
type CIDR netip.Prefix

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *CIDR) UnmarshalText(b []byte) error {
	p, err := ParseCIDR(string(b))
	if err != nil {
		return err
	}
	*c = CIDR(p)
	return nil
}

// Prefix returns the network.
func (c CIDR) Prefix() netip.Prefix { return netip.Prefix(c) }

// String formats the network in canonical CIDR form.
func (c CIDR) String() string { return netip.Prefix(c).String() }

// ParseCIDR parses "203.0.113.0/24", "2001:db8::/32" or a bare address.
func ParseCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR block", s)
		}
		switch {
		case a.Zone() != "":
			return netip.Prefix{}, fmt.Errorf("%q: an address with a zone is not a network", s)
		case a.Is4In6():
			// API Gateway reports IPv4 callers in IPv4 form: a mapped
			// address would never match them.
			return netip.Prefix{}, fmt.Errorf("%q: write IPv4 addresses in IPv4 form (%s)", s, a.Unmap())
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR block", s)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q: write IPv4 blocks in IPv4 form", s)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set; did you mean %s?", s, m)
	}
	return p, nil
}

// Set is a requirement on a set of names (scopes or roles). Written either
// as a list (any of them suffices) or as {any_of: [...], all_of: [...]}.
type Set struct {
	AnyOf []string `yaml:"any_of"`
	AllOf []string `yaml:"all_of"`
}

func (s *Set) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.SequenceNode {
		var list []string
		d.decodeInto(n, &list, path)
		s.AnyOf = list
		if len(list) == 0 {
			d.addf(n, path, "name at least one value")
		}
		return
	}
	type plain Set
	d.decodeInto(n, (*plain)(s), path)
	if len(s.AnyOf) == 0 && len(s.AllOf) == 0 {
		d.addf(n, path, "name at least one value in any_of or all_of")
	}
}

// Names returns every name the set mentions.
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	return append(append([]string(nil), s.AnyOf...), s.AllOf...)
}

// SecretRef says where a secret comes from. Exactly one source is set.
type SecretRef struct {
	// Env names an environment variable holding the secret (local use).
	Env string `yaml:"env"`
	// File is a path to a file holding the secret, relative to the policy
	// file (local use).
	File string `yaml:"file"`
	// SSM names an AWS Systems Manager Parameter Store SecureString.
	SSM string `yaml:"ssm"`
	// SecretsManager names an AWS Secrets Manager secret (name or ARN).
	SecretsManager string `yaml:"secretsmanager"`
}

// Source returns which source is set ("env", "file", "ssm",
// "secretsmanager") and its value.
func (r *SecretRef) Source() (kind, value string) {
	switch {
	case r.Env != "":
		return "env", r.Env
	case r.File != "":
		return "file", r.File
	case r.SSM != "":
		return "ssm", r.SSM
	case r.SecretsManager != "":
		return "secretsmanager", r.SecretsManager
	}
	return "", ""
}

func (r *SecretRef) count() int {
	n := 0
	for _, v := range []string{r.Env, r.File, r.SSM, r.SecretsManager} {
		if v != "" {
			n++
		}
	}
	return n
}
