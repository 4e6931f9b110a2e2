package dynamostore

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

func TestAttributeDefinitions(t *testing.T) {
	tbl := Table{
		PartitionKey: Attr{"pk", String},
		SortKey:      &Attr{"sk", Number},
		Indexes: []Index{
			{Name: "a", PartitionKey: Attr{"sk", Number}, SortKey: &Attr{"x", String}},
			{Name: "b", PartitionKey: Attr{"pk", String}},
		},
	}
	got := tbl.AttributeDefinitions()
	want := []Attr{{"pk", String}, {"sk", Number}, {"x", String}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("AttributeDefinitions() (-got +want):\n%s", diff)
	}
}

func TestCreateTableInputAPIKeys(t *testing.T) {
	in := APIKeys.CreateTableInput("keys-local")
	if got := aws.ToString(in.TableName); got != "keys-local" {
		t.Errorf("TableName = %q, want keys-local", got)
	}
	if in.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("BillingMode = %q, want PAY_PER_REQUEST", in.BillingMode)
	}
	type ks struct{ Name, Type string }
	flat := func(k []types.KeySchemaElement) []ks {
		var out []ks
		for _, e := range k {
			out = append(out, ks{aws.ToString(e.AttributeName), string(e.KeyType)})
		}
		return out
	}
	if diff := cmp.Diff(flat(in.KeySchema), []ks{{AttrKeyID, "HASH"}}); diff != "" {
		t.Errorf("KeySchema (-got +want):\n%s", diff)
	}
	if len(in.GlobalSecondaryIndexes) != 1 {
		t.Fatalf("got %d indexes, want 1", len(in.GlobalSecondaryIndexes))
	}
	gsi := in.GlobalSecondaryIndexes[0]
	if diff := cmp.Diff(flat(gsi.KeySchema), []ks{{AttrTenant, "HASH"}, {AttrCreatedAt, "RANGE"}}); diff != "" {
		t.Errorf("by_tenant KeySchema (-got +want):\n%s", diff)
	}
	var defs []string
	for _, d := range in.AttributeDefinitions {
		defs = append(defs, aws.ToString(d.AttributeName)+":"+string(d.AttributeType))
	}
	if diff := cmp.Diff(defs, []string{"key_id:S", "tenant:S", "created_at:S"}); diff != "" {
		t.Errorf("AttributeDefinitions (-got +want):\n%s", diff)
	}
	ttl := APIKeys.UpdateTimeToLiveInput("keys-local")
	if ttl == nil || aws.ToString(ttl.TimeToLiveSpecification.AttributeName) != AttrPurgeAt {
		t.Errorf("UpdateTimeToLiveInput = %+v, want TTL on %s", ttl, AttrPurgeAt)
	}
	if (Table{}).UpdateTimeToLiveInput("x") != nil {
		t.Error("a table without a TTL attribute got an UpdateTimeToLiveInput")
	}
}

func TestTablesUnique(t *testing.T) {
	names, envs := map[string]bool{}, map[string]bool{}
	for _, tbl := range Tables {
		if names[tbl.Name] || envs[tbl.EnvVar] {
			t.Errorf("table %s: name or env var %s used twice", tbl.Name, tbl.EnvVar)
		}
		names[tbl.Name], envs[tbl.EnvVar] = true, true
	}
}
