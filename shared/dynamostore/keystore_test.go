package dynamostore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/apikey/apikeytest"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestGetErrors(t *testing.T) {
	ctx := context.Background()
	throttled := errors.New("ProvisionedThroughputExceededException")
	tests := []struct {
		name    string
		out     *dynamodb.GetItemOutput
		err     error
		wantErr error
	}{
		{"not found", &dynamodb.GetItemOutput{}, nil, apikey.ErrNotFound},
		{"store failure", nil, throttled, throttled},
		{"missing attributes", &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{
			dynamostore.AttrKeyID: &types.AttributeValueMemberS{Value: "AAAAAAAAAAAA"},
		}}, nil, dynamostore.ErrBadItem},
		{"wrong type", &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{
			dynamostore.AttrKeyID:      &types.AttributeValueMemberN{Value: "1"},
			dynamostore.AttrSecretHash: &types.AttributeValueMemberB{Value: make([]byte, 32)},
		}}, nil, dynamostore.ErrBadItem},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dynamostore.ClientFuncs{GetItemFunc: func(_ context.Context, in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
				if aws.ToString(in.TableName) != "keys" || !aws.ToBool(in.ConsistentRead) {
					t.Errorf("GetItem on %q consistent=%v, want keys, consistent", aws.ToString(in.TableName), aws.ToBool(in.ConsistentRead))
				}
				return tt.out, tt.err
			}}
			_, err := dynamostore.NewKeyStore(c, "keys").Get(ctx, "AAAAAAAAAAAA")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Get() error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestCreateConditional(t *testing.T) {
	h := apikeytest.Hasher(t)
	_, rec := apikeytest.Issue(t, h, apikey.Spec{}, now)
	var cond string
	c := dynamostore.ClientFuncs{PutItemFunc: func(_ context.Context, in *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
		cond = aws.ToString(in.ConditionExpression) + " " + in.ExpressionAttributeNames["#id"]
		if _, ok := in.Item[dynamostore.AttrSecretHash].(*types.AttributeValueMemberB); !ok {
			t.Error("secret hash not stored as binary")
		}
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("exists")}
	}}
	err := dynamostore.NewKeyStore(c, "keys").Create(context.Background(), rec)
	if !errors.Is(err, apikey.ErrExists) {
		t.Fatalf("Create() error = %v, want ErrExists", err)
	}
	if cond != "attribute_not_exists(#id) key_id" {
		t.Errorf("condition %q, want attribute_not_exists on key_id", cond)
	}
}

// raceClient runs before() once, just before the first UpdateItem: a
// concurrent change between the store's read and its conditional write.
type raceClient struct {
	dynamostore.Client
	before func()
	done   bool
}

func (c *raceClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if !c.done {
		c.done = true
		c.before()
	}
	return c.Client.UpdateItem(ctx, in, opts...)
}

// TestRotateRaceDynalite: a key revoked while it is being rotated is not
// linked, and the successor written in step 1 is removed again.
func TestRotateRaceDynalite(t *testing.T) {
	srv := startDynalite(t)
	ctx := context.Background()
	table := srv.CreateTable(t, dynamostore.APIKeys)
	plain := dynamostore.NewKeyStore(srv.Client, table)
	h := apikeytest.Hasher(t)
	_, old := apikeytest.Issue(t, h, apikey.Spec{}, now)
	if err := plain.Create(ctx, old); err != nil {
		t.Fatal(err)
	}
	racy := dynamostore.NewKeyStore(&raceClient{Client: srv.Client, before: func() {
		if _, err := plain.SetStatus(ctx, old.ID, apikey.StatusRevoked, now); err != nil {
			t.Fatal(err)
		}
	}}, table)
	_, next, err := apikey.Successor(h, old, now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = racy.Rotate(ctx, old.ID, next, now.Add(time.Hour))
	if !errors.Is(err, apikey.ErrConflict) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("Rotate() error = %v, want ErrConflict naming the revocation", err)
	}
	if _, err := plain.Get(ctx, next.ID); !errors.Is(err, apikey.ErrNotFound) {
		t.Errorf("successor still stored after the refused rotation (Get error %v)", err)
	}
	got, err := plain.Get(ctx, old.ID)
	if err != nil || got.RotatedTo != "" || got.Status != apikey.StatusRevoked {
		t.Errorf("old key after the race: %+v, %v; want revoked and unlinked", got, err)
	}
}

// TestRotateUpdateFailureReportsOrphan: when the link write fails and the
// clean-up fails too, the error names the successor to revoke.
func TestRotateUpdateFailureReportsOrphan(t *testing.T) {
	h := apikeytest.Hasher(t)
	_, old := apikeytest.Issue(t, h, apikey.Spec{}, now)
	_, next, _ := apikey.Successor(h, old, now)
	down := errors.New("connection reset")
	c := dynamostore.ClientFuncs{
		GetItemFunc: func(context.Context, *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			return &dynamodb.GetItemOutput{Item: dynamostore.EncodeRecord(old)}, nil
		},
		PutItemFunc: func(context.Context, *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
			return &dynamodb.PutItemOutput{}, nil
		},
		UpdateItemFunc: func(context.Context, *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
			return nil, down
		},
		DeleteItemFunc: func(context.Context, *dynamodb.DeleteItemInput) (*dynamodb.DeleteItemOutput, error) {
			return nil, down
		},
	}
	_, err := dynamostore.NewKeyStore(c, "keys").Rotate(context.Background(), old.ID, next, now.Add(time.Hour))
	if !errors.Is(err, down) || !strings.Contains(err.Error(), next.ID) {
		t.Fatalf("Rotate() error = %v, want the failure naming successor %s", err, next.ID)
	}
}
