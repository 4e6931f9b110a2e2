package authz

// Effect is the outcome of a decision.
type Effect int

// The outcomes of the outcome table.
const (
	// Unauthenticated: no, invalid or expired credentials (401).
	Unauthenticated Effect = iota
	// Deny: valid credentials, not permitted (403).
	Deny
	// StepUp: valid credentials whose authentication is not strong or
	// recent enough for the route (RFC 9470); answered as a denial with a
	// challenge.
	StepUp
	// Allow: permitted.
	Allow
)

var effectNames = [...]string{"unauthenticated", "deny", "step-up", "allow"}

func (e Effect) String() string {
	if e < 0 || int(e) >= len(effectNames) {
		return "unknown"
	}
	return effectNames[e]
}

// Decision is what an authorizer concluded about one request.
type Decision struct {
	Effect Effect
	Reason Reason
	// Detail explains the reason for people (logs, audit). It never
	// contains a credential.
	Detail string
	// Principal is the authenticated caller; nil when unauthenticated.
	Principal *Principal
	// Route is the policy route the request matched ("" when none did).
	Route string
	// Challenge is the WWW-Authenticate value the client should see with a
	// denial: an RFC 9470 step-up challenge or an RFC 6750
	// insufficient_scope challenge.
	Challenge string
	// Fingerprint is a short hash of the credential, for correlating audit
	// lines; never the credential itself.
	Fingerprint string
}

// Unauthenticatedf builds an unauthenticated decision.
func Unauthenticatedf(reason Reason, detail string) Decision {
	return Decision{Effect: Unauthenticated, Reason: reason, Detail: detail}
}
