package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portcullis-authz/portcullis/shared/apikey"
)

// recordJSON is a record as --json prints it: everything but the secret hash.
type recordJSON struct {
	ID          string   `json:"id"`
	Env         string   `json:"env"`
	Status      string   `json:"status"`
	State       string   `json:"state"` // "usable", or why the key is refused now
	Owner       string   `json:"owner"`
	Tenant      string   `json:"tenant,omitempty"`
	Scopes      []string `json:"scopes"`
	CIDRs       []string `json:"cidrs,omitempty"`
	Created     string   `json:"created"`
	Updated     string   `json:"updated,omitempty"`
	Expires     string   `json:"expires,omitempty"`
	Revoked     string   `json:"revoked,omitempty"`
	UsagePlan   string   `json:"usage_plan,omitempty"`
	UsageKeyID  string   `json:"usage_key_id,omitempty"`
	Description string   `json:"description,omitempty"`
	RotatedFrom string   `json:"rotated_from,omitempty"`
	RotatedTo   string   `json:"rotated_to,omitempty"`
	GraceUntil  string   `json:"grace_until,omitempty"`
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (a *app) state(r *apikey.Record) string {
	if reason, _ := r.Check(a.now()); reason != "" {
		return string(reason)
	}
	if r.RotatedTo != "" {
		return "usable (rotation grace)"
	}
	return "usable"
}

func (a *app) toJSON(r *apikey.Record) recordJSON {
	scopes := r.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return recordJSON{
		ID: r.ID, Env: string(r.Env), Status: string(r.Status), State: a.state(r), Owner: r.Owner, Tenant: r.Tenant,
		Scopes: scopes, CIDRs: ipList(r.CIDRs), Created: ts(r.Created), Updated: ts(r.Updated), Expires: ts(r.Expires),
		Revoked: ts(r.Revoked), UsagePlan: r.UsagePlan, UsageKeyID: r.UsageKeyID, Description: r.Description,
		RotatedFrom: r.RotatedFrom, RotatedTo: r.RotatedTo, GraceUntil: ts(r.GraceUntil),
	}
}

func (a *app) writeJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) printNewKey(asJSON bool, verb string, k apikey.Key, rec, prev *apikey.Record) error {
	if asJSON {
		out := struct {
			Key      string      `json:"key"`
			Record   recordJSON  `json:"record"`
			Previous *recordJSON `json:"previous,omitempty"`
		}{Key: k.Reveal(), Record: a.toJSON(rec)}
		if prev != nil {
			p := a.toJSON(prev)
			out.Previous = &p
		}
		return a.writeJSON(out)
	}
	fmt.Fprintf(a.stdout, "%s key %s (owner %s", verb, rec.ID, rec.Owner)
	if rec.Tenant != "" {
		fmt.Fprintf(a.stdout, ", tenant %s", rec.Tenant)
	}
	fmt.Fprintln(a.stdout, ").")
	if prev != nil {
		fmt.Fprintf(a.stdout, "The old key %s keeps working until %s; move clients to the new key before then.\n", prev.ID, ts(prev.GraceUntil))
	}
	fmt.Fprintf(a.stdout, "\nThe key is shown only this once. Store it in a secret manager now:\n\n    %s\n\n", k.Reveal())
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) printList(asJSON bool, recs []*apikey.Record) error {
	if asJSON {
		out := make([]recordJSON, len(recs))
		for i, r := range recs {
			out[i] = a.toJSON(r)
		}
		return a.writeJSON(out)
	}
	if len(recs) == 0 {
		fmt.Fprintln(a.stdout, "No keys.")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tENV\tSTATUS\tSTATE\tOWNER\tTENANT\tSCOPES\tEXPIRES\tCREATED")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Env, r.Status, a.state(r), r.Owner, dash(r.Tenant),
			dash(strings.Join(r.Scopes, ",")), dash(ts(r.Expires)), ts(r.Created))
	}
	return tw.Flush()
}

func (a *app) printRecord(asJSON bool, r *apikey.Record) error {
	if asJSON {
		return a.writeJSON(a.toJSON(r))
	}
	j := a.toJSON(r)
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	rows := [][2]string{
		{"id", j.ID}, {"env", j.Env}, {"status", j.Status}, {"state", j.State}, {"owner", j.Owner}, {"tenant", j.Tenant},
		{"scopes", strings.Join(j.Scopes, ", ")}, {"cidrs", strings.Join(j.CIDRs, ", ")}, {"created", j.Created},
		{"updated", j.Updated}, {"expires", j.Expires}, {"revoked", j.Revoked}, {"usage plan", j.UsagePlan},
		{"usage key id", j.UsageKeyID}, {"description", j.Description}, {"rotated from", j.RotatedFrom},
		{"rotated to", j.RotatedTo}, {"grace until", j.GraceUntil},
	}
	for _, row := range rows {
		if row[1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
		}
	}
	return tw.Flush()
}
