package dynamostore

// This file is the single definition of every Portcullis table's key
// schema. It is plain Go on purpose (no SDK types, no imports) so that the
// runtime, the admin CLI's local table creation and the CDK stack all read
// the same values. SDK-facing helpers live in schema.go.
//
// Adding a table (consent, risk profiles): declare a Table value below and
// append it to [Tables]; the CLI's `tables create` and the CDK stack pick it
// up from there.

// AttrType is a DynamoDB key attribute type.
type AttrType string

// Key attribute types.
const (
	String AttrType = "S"
	Number AttrType = "N"
	Binary AttrType = "B"
)

// Attr is a key attribute: its name and type.
type Attr struct {
	Name string
	Type AttrType
}

// Projection says which attributes a secondary index copies.
type Projection string

// Index projections.
const (
	ProjectAll      Projection = "ALL"
	ProjectKeysOnly Projection = "KEYS_ONLY"
)

// Index is a global secondary index.
type Index struct {
	Name         string
	PartitionKey Attr
	SortKey      *Attr // nil: no sort key
	Projection   Projection
}

// Table is the key schema of one table. Tables are billed on demand
// (PAY_PER_REQUEST) everywhere.
type Table struct {
	// Name is the logical name: the CDK construct id, and the table name
	// the admin CLI creates locally when none is given.
	Name string
	// EnvVar is the environment variable that carries the deployed table's
	// physical name to functions and to the admin CLI.
	EnvVar       string
	PartitionKey Attr
	SortKey      *Attr // nil: no sort key
	// TTLAttribute names the attribute DynamoDB's time-to-live deletes
	// items by (a Number of Unix seconds); "" for none.
	TTLAttribute string
	Indexes      []Index
}

// Attribute names of the API-keys table. Every item is one key; the
// secret is stored only as a keyed hash.
const (
	AttrKeyID       = "key_id"       // S, partition key: the key's public id
	AttrEnv         = "env"          // S: "live" or "test"
	AttrSecretHash  = "secret_hash"  // B: HMAC-SHA256(pepper, id and secret)
	AttrStatus      = "status"       // S: active, suspended or revoked
	AttrCreatedAt   = "created_at"   // S: RFC 3339 UTC, whole seconds
	AttrUpdatedAt   = "updated_at"   // S: RFC 3339 UTC
	AttrExpiresAt   = "expires_at"   // S: RFC 3339 UTC; absent: never expires
	AttrRevokedAt   = "revoked_at"   // S: RFC 3339 UTC; set on revocation
	AttrOwner       = "owner"        // S: who the key belongs to (the principal's subject)
	AttrTenant      = "tenant"       // S: optional; the by_tenant index key
	AttrScopes      = "scopes"       // L of S: granted scopes
	AttrCIDRs       = "cidrs"        // L of S: source-CIDR allow-list; absent: any source
	AttrUsageKey    = "usage_key"    // S: the API Gateway API-key value (usageIdentifierKey)
	AttrUsageKeyID  = "usage_key_id" // S: the API Gateway API key's id
	AttrUsagePlan   = "usage_plan"   // S: the usage plan's name
	AttrDescription = "description"  // S
	AttrRotatedFrom = "rotated_from" // S: the key this one replaced
	AttrRotatedTo   = "rotated_to"   // S: the key that replaced this one
	AttrGraceUntil  = "grace_until"  // S: RFC 3339; a rotated key works until then
	AttrPurgeAt     = "purge_at"     // N: Unix seconds; DynamoDB TTL deletes the item after
)

// IndexByTenant lists a tenant's keys, newest first.
const IndexByTenant = "by_tenant"

// APIKeys is the API-keys table: one item per key, keyed by its public id.
var APIKeys = Table{
	Name:         "APIKeys",
	EnvVar:       "PORTCULLIS_APIKEYS_TABLE",
	PartitionKey: Attr{Name: AttrKeyID, Type: String},
	TTLAttribute: AttrPurgeAt,
	Indexes: []Index{{
		Name:         IndexByTenant,
		PartitionKey: Attr{Name: AttrTenant, Type: String},
		SortKey:      &Attr{Name: AttrCreatedAt, Type: String},
		Projection:   ProjectAll,
	}},
}

// Tables lists every table Portcullis uses.
var Tables = []Table{APIKeys}

// AttributeDefinitions returns every key attribute of the table and its
// indexes, each once, in a stable order (table keys first).
func (t Table) AttributeDefinitions() []Attr {
	var out []Attr
	add := func(a *Attr) {
		if a == nil {
			return
		}
		for _, b := range out {
			if b.Name == a.Name {
				return
			}
		}
		out = append(out, *a)
	}
	add(&t.PartitionKey)
	add(t.SortKey)
	for i := range t.Indexes {
		add(&t.Indexes[i].PartitionKey)
		add(t.Indexes[i].SortKey)
	}
	return out
}
