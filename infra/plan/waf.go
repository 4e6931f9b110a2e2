package plan

import (
	"time"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// WAF is the AWS WAF web ACL on the REST API stage.
type WAF struct {
	// AllowV4 .. BlockV6 are the IP sets' addresses in CIDR form, split by
	// family (a WAF IP set holds one family). An empty list has no set and
	// no rule.
	AllowV4, AllowV6, BlockV4, BlockV6 []string
	// RateLimit is the most requests one IP may make per RateWindow.
	RateLimit  int
	RateWindow time.Duration
	// ManagedRules are the AWS managed rule groups, in the policy's order.
	ManagedRules []ManagedRule
}

// ManagedRule is an AWS managed rule group.
type ManagedRule struct {
	// Key is the policy's name: common, known_bad_inputs, ...
	Key string
	// Name is the rule group's name in AWS WAF.
	Name string
}

var managedRuleNames = map[string]string{
	"common":           "AWSManagedRulesCommonRuleSet",
	"known_bad_inputs": "AWSManagedRulesKnownBadInputsRuleSet",
	"ip_reputation":    "AWSManagedRulesAmazonIpReputationList",
	"anonymous_ip":     "AWSManagedRulesAnonymousIpList",
	"sqli":             "AWSManagedRulesSQLiRuleSet",
}

func buildWAF(f *config.File) *WAF {
	if f.WAF.Enabled != nil && !*f.WAF.Enabled {
		return nil
	}
	w := &WAF{RateLimit: f.WAF.RateLimit, RateWindow: f.WAF.RateWindow.D()}
	split := func(list []config.CIDR) (v4, v6 []string) {
		for _, c := range list {
			if c.Prefix().Addr().Is4() {
				v4 = append(v4, c.String())
			} else {
				v6 = append(v6, c.String())
			}
		}
		return v4, v6
	}
	w.AllowV4, w.AllowV6 = split(f.WAF.AllowList)
	w.BlockV4, w.BlockV6 = split(f.WAF.BlockList)
	for _, k := range f.WAF.ManagedRules {
		w.ManagedRules = append(w.ManagedRules, ManagedRule{Key: k, Name: managedRuleNames[k]})
	}
	return w
}
