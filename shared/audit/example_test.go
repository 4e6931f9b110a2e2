package audit_test

import (
	"os"
	"time"

	"github.com/portcullis-authz/portcullis/shared/audit"
)

func ExampleLogger_Log() {
	l := audit.New(os.Stdout)
	l.Log(audit.Record{
		Time:        time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Authorizer:  "jwt",
		Outcome:     "allow",
		Reason:      "allowed",
		Principal:   "alice",
		Fingerprint: audit.Fingerprint("the bearer token"),
		Route:       "GET /orders/{id}",
		Latency:     250 * time.Microsecond,
	})
	// Output:
	// {"_aws":{"Timestamp":1772366400000,"CloudWatchMetrics":[{"Namespace":"Portcullis","Dimensions":[["Authorizer"],["Authorizer","Outcome"],["Authorizer","Reason"]],"Metrics":[{"Name":"Decisions","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds"}]}]},"level":"info","msg":"decision","Authorizer":"jwt","Outcome":"allow","Reason":"allowed","Decisions":1,"Latency":0.25,"principal":"alice","fingerprint":"68c93c132234","route":"GET /orders/{id}"}
}
