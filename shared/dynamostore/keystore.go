package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portcullis-authz/portcullis/shared/apikey"
)

// Client is the DynamoDB calls the key store makes. *dynamodb.Client
// implements it; tests use [ClientFuncs].
type Client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// ErrUnexpectedCall is returned by [ClientFuncs] for a call it has no
// function for.
var ErrUnexpectedCall = errors.New("dynamostore: unexpected DynamoDB call")

// ClientFuncs implements [Client] with one function per call, for tests;
// a nil function answers [ErrUnexpectedCall].
type ClientFuncs struct {
	GetItemFunc    func(context.Context, *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error)
	PutItemFunc    func(context.Context, *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error)
	UpdateItemFunc func(context.Context, *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	DeleteItemFunc func(context.Context, *dynamodb.DeleteItemInput) (*dynamodb.DeleteItemOutput, error)
	QueryFunc      func(context.Context, *dynamodb.QueryInput) (*dynamodb.QueryOutput, error)
	ScanFunc       func(context.Context, *dynamodb.ScanInput) (*dynamodb.ScanOutput, error)
}

var _ Client = ClientFuncs{}

// GetItem implements [Client].
func (c ClientFuncs) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if c.GetItemFunc == nil {
		return nil, fmt.Errorf("%w: GetItem", ErrUnexpectedCall)
	}
	return c.GetItemFunc(ctx, in)
}

// PutItem implements [Client].
func (c ClientFuncs) PutItem(ctx context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if c.PutItemFunc == nil {
		return nil, fmt.Errorf("%w: PutItem", ErrUnexpectedCall)
	}
	return c.PutItemFunc(ctx, in)
}

// UpdateItem implements [Client].
func (c ClientFuncs) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if c.UpdateItemFunc == nil {
		return nil, fmt.Errorf("%w: UpdateItem", ErrUnexpectedCall)
	}
	return c.UpdateItemFunc(ctx, in)
}

// DeleteItem implements [Client].
func (c ClientFuncs) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if c.DeleteItemFunc == nil {
		return nil, fmt.Errorf("%w: DeleteItem", ErrUnexpectedCall)
	}
	return c.DeleteItemFunc(ctx, in)
}

// Query implements [Client].
func (c ClientFuncs) Query(ctx context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if c.QueryFunc == nil {
		return nil, fmt.Errorf("%w: Query", ErrUnexpectedCall)
	}
	return c.QueryFunc(ctx, in)
}

// Scan implements [Client].
func (c ClientFuncs) Scan(ctx context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	if c.ScanFunc == nil {
		return nil, fmt.Errorf("%w: Scan", ErrUnexpectedCall)
	}
	return c.ScanFunc(ctx, in)
}

// KeyStore is the DynamoDB store of API-key records (table [APIKeys]). It
// implements apikey.Store for the authorizer and the admin operations the
// CLI uses, with the same semantics as apikey.MemoryStore.
type KeyStore struct {
	c     Client
	table string
}

var _ apikey.Store = (*KeyStore)(nil)

// NewKeyStore returns the store over the table with physical name table.
func NewKeyStore(c Client, table string) *KeyStore { return &KeyStore{c: c, table: table} }

// Table returns the physical table name.
func (s *KeyStore) Table() string { return s.table }

func keyOf(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrKeyID: &types.AttributeValueMemberS{Value: id}}
}

// Get implements apikey.Store with a strongly consistent read, so that a
// revocation is visible as soon as the caller's cache lets it be.
func (s *KeyStore) Get(ctx context.Context, id string) (*apikey.Record, error) {
	out, err := s.c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            keyOf(id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamostore: get key %s: %w", id, err)
	}
	if len(out.Item) == 0 {
		return nil, fmt.Errorf("%w: %s", apikey.ErrNotFound, id)
	}
	r, err := decodeRecord(out.Item)
	if err != nil {
		return nil, fmt.Errorf("dynamostore: key %s: %w", id, err)
	}
	return r, nil
}

// Create stores a new record on the condition that its id is free
// ([apikey.ErrExists] otherwise).
func (s *KeyStore) Create(ctx context.Context, r *apikey.Record) error {
	if err := r.Validate(); err != nil {
		return err
	}
	_, err := s.c.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     encodeRecord(r),
		ConditionExpression:      aws.String("attribute_not_exists(#id)"),
		ExpressionAttributeNames: map[string]string{"#id": AttrKeyID},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("%w: %s", apikey.ErrExists, r.ID)
	}
	if err != nil {
		return fmt.Errorf("dynamostore: create key %s: %w", r.ID, err)
	}
	return nil
}

// List returns the records of tenant (a query of the by_tenant index), or
// every record when tenant is "" (a scan), newest first.
func (s *KeyStore) List(ctx context.Context, tenant string) ([]*apikey.Record, error) {
	var items []map[string]types.AttributeValue
	if tenant != "" {
		p := dynamodb.NewQueryPaginator(s.c, &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			IndexName:                 aws.String(IndexByTenant),
			KeyConditionExpression:    aws.String("#t = :t"),
			ExpressionAttributeNames:  map[string]string{"#t": AttrTenant},
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: tenant}},
			ScanIndexForward:          aws.Bool(false),
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("dynamostore: list keys of tenant %s: %w", tenant, err)
			}
			items = append(items, out.Items...)
		}
	} else {
		p := dynamodb.NewScanPaginator(s.c, &dynamodb.ScanInput{TableName: aws.String(s.table)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("dynamostore: list keys: %w", err)
			}
			items = append(items, out.Items...)
		}
	}
	out := make([]*apikey.Record, 0, len(items))
	for _, it := range items {
		r, err := decodeRecord(it)
		if err != nil {
			return nil, fmt.Errorf("dynamostore: list keys: %w", err)
		}
		out = append(out, r)
	}
	apikey.SortNewestFirst(out)
	return out, nil
}

// SetStatus moves key id to status to at time at, on the condition that
// its current status allows it ([apikey.ErrConflict] otherwise).
func (s *KeyStore) SetStatus(ctx context.Context, id string, to apikey.Status, at time.Time) (*apikey.Record, error) {
	from := to.AllowedFrom()
	if len(from) == 0 {
		return nil, fmt.Errorf("%w: unknown status %q", apikey.ErrConflict, to)
	}
	probe := &apikey.Record{}
	apikey.ApplyStatus(probe, to, at)
	names := map[string]string{"#id": AttrKeyID, "#s": AttrStatus, "#u": AttrUpdatedAt}
	values := map[string]types.AttributeValue{":to": str(string(to)), ":at": str(stamp(probe.Updated))}
	update := "SET #s = :to, #u = :at"
	if to == apikey.StatusRevoked {
		names["#r"], names["#p"] = AttrRevokedAt, AttrPurgeAt
		values[":p"] = num(probe.PurgeAt.Unix())
		update += ", #r = :at, #p = :p"
	}
	cond := "attribute_exists(#id) AND #s IN ("
	for i, f := range from {
		k := ":f" + strconv.Itoa(i)
		values[k] = str(string(f))
		if i > 0 {
			cond += ", "
		}
		cond += k
	}
	cond += ")"
	out, err := s.c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       keyOf(id),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		cur, gerr := s.Get(ctx, id)
		if gerr != nil {
			return nil, gerr
		}
		return nil, fmt.Errorf("%w: key %s is %s, cannot become %s", apikey.ErrConflict, id, cur.Status, to)
	}
	if err != nil {
		return nil, fmt.Errorf("dynamostore: set key %s %s: %w", id, to, err)
	}
	return decodeRecord(out.Attributes)
}

// Rotate records that next replaces key oldID, which keeps working until
// graceUntil. DynamoDB transactions would make this one request; the
// store uses a conditional pair instead, which every DynamoDB-compatible
// server supports (dynalite has no TransactWriteItems), ordered so that
// no state in between is unsafe:
//
//  1. put next on the condition that its id is free;
//  2. link oldID to next on the condition that oldID exists, is active and
//     is not rotated already;
//  3. if step 2's condition fails, delete next again (on the condition
//     that it is still the successor of oldID) and report the conflict.
//
// Between steps 1 and 2 next exists unlinked; its secret has been shown
// to nobody (the caller prints it only after Rotate returns), so it
// authenticates no one. If the process dies there, `keys list` shows it
// as an active key with rotated_from set whose predecessor does not point
// back; revoke it.
func (s *KeyStore) Rotate(ctx context.Context, oldID string, next *apikey.Record, graceUntil time.Time) (*apikey.Record, error) {
	if err := next.Validate(); err != nil {
		return nil, err
	}
	old, err := s.Get(ctx, oldID)
	if err != nil {
		return nil, err
	}
	if err := apikey.CanRotate(old); err != nil {
		return nil, err
	}
	if err := s.Create(ctx, next); err != nil {
		return nil, err
	}
	probe := old.Clone()
	apikey.ApplyRotation(probe, next.ID, graceUntil, next.Created)
	out, err := s.c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 keyOf(oldID),
		UpdateExpression:    aws.String("SET #to = :next, #g = :g, #u = :u, #p = :p"),
		ConditionExpression: aws.String("attribute_exists(#id) AND #s = :active AND attribute_not_exists(#to)"),
		ExpressionAttributeNames: map[string]string{
			"#id": AttrKeyID, "#s": AttrStatus, "#to": AttrRotatedTo, "#g": AttrGraceUntil, "#u": AttrUpdatedAt, "#p": AttrPurgeAt,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":next":   str(next.ID),
			":g":      str(stamp(probe.GraceUntil)),
			":u":      str(stamp(probe.Updated)),
			":p":      num(probe.PurgeAt.Unix()),
			":active": str(string(apikey.StatusActive)),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if err != nil {
		_, derr := s.c.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:                 aws.String(s.table),
			Key:                       keyOf(next.ID),
			ConditionExpression:       aws.String("#from = :old"),
			ExpressionAttributeNames:  map[string]string{"#from": AttrRotatedFrom},
			ExpressionAttributeValues: map[string]types.AttributeValue{":old": str(oldID)},
		})
		if derr != nil && !isConditionFailed(derr) {
			err = errors.Join(err, fmt.Errorf("dynamostore: successor %s left unlinked; revoke it: %w", next.ID, derr))
		}
		if isConditionFailed(err) {
			cur, gerr := s.Get(ctx, oldID)
			if gerr != nil {
				return nil, gerr
			}
			if cerr := apikey.CanRotate(cur); cerr != nil {
				return nil, cerr
			}
			return nil, fmt.Errorf("%w: key %s changed during the rotation", apikey.ErrConflict, oldID)
		}
		return nil, fmt.Errorf("dynamostore: rotate key %s: %w", oldID, err)
	}
	return decodeRecord(out.Attributes)
}

func isConditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

// timeLayout is how records keep times: RFC 3339, UTC, whole seconds, so
// that strings sort in time order (the by_tenant index sorts on them).
const timeLayout = "2006-01-02T15:04:05Z"

func stamp(t time.Time) string { return t.UTC().Format(timeLayout) }

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func strList(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, s := range ss {
		l[i] = str(s)
	}
	return &types.AttributeValueMemberL{Value: l}
}

func encodeRecord(r *apikey.Record) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		AttrKeyID:      str(r.ID),
		AttrEnv:        str(string(r.Env)),
		AttrSecretHash: &types.AttributeValueMemberB{Value: slices.Clone(r.SecretHash)},
		AttrStatus:     str(string(r.Status)),
		AttrCreatedAt:  str(stamp(r.Created)),
		AttrOwner:      str(r.Owner),
	}
	optS := func(name, v string) {
		if v != "" {
			item[name] = str(v)
		}
	}
	optT := func(name string, t time.Time) {
		if !t.IsZero() {
			item[name] = str(stamp(t))
		}
	}
	optT(AttrUpdatedAt, r.Updated)
	optT(AttrExpiresAt, r.Expires)
	optT(AttrRevokedAt, r.Revoked)
	optT(AttrGraceUntil, r.GraceUntil)
	optS(AttrTenant, r.Tenant)
	optS(AttrUsageKey, r.UsageKey)
	optS(AttrUsageKeyID, r.UsageKeyID)
	optS(AttrUsagePlan, r.UsagePlan)
	optS(AttrDescription, r.Description)
	optS(AttrRotatedFrom, r.RotatedFrom)
	optS(AttrRotatedTo, r.RotatedTo)
	if len(r.Scopes) > 0 {
		item[AttrScopes] = strList(r.Scopes)
	}
	if len(r.CIDRs) > 0 {
		cs := make([]string, len(r.CIDRs))
		for i, p := range r.CIDRs {
			cs[i] = p.String()
		}
		item[AttrCIDRs] = strList(cs)
	}
	if !r.PurgeAt.IsZero() {
		item[AttrPurgeAt] = num(r.PurgeAt.Unix())
	}
	return item
}

// ErrBadItem is wrapped when an item does not decode into a record.
var ErrBadItem = errors.New("dynamostore: malformed item")

func decodeRecord(item map[string]types.AttributeValue) (*apikey.Record, error) {
	d := itemDecoder{item: item}
	r := &apikey.Record{
		ID:          d.s(AttrKeyID, true),
		Env:         apikey.Env(d.s(AttrEnv, true)),
		SecretHash:  d.b(AttrSecretHash),
		Status:      apikey.Status(d.s(AttrStatus, true)),
		Created:     d.t(AttrCreatedAt, true),
		Updated:     d.t(AttrUpdatedAt, false),
		Expires:     d.t(AttrExpiresAt, false),
		Revoked:     d.t(AttrRevokedAt, false),
		Owner:       d.s(AttrOwner, true),
		Tenant:      d.s(AttrTenant, false),
		Scopes:      d.list(AttrScopes),
		UsageKey:    d.s(AttrUsageKey, false),
		UsageKeyID:  d.s(AttrUsageKeyID, false),
		UsagePlan:   d.s(AttrUsagePlan, false),
		Description: d.s(AttrDescription, false),
		RotatedFrom: d.s(AttrRotatedFrom, false),
		RotatedTo:   d.s(AttrRotatedTo, false),
		GraceUntil:  d.t(AttrGraceUntil, false),
	}
	for _, c := range d.list(AttrCIDRs) {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			d.fail(AttrCIDRs, "%q is not a CIDR block", c)
			continue
		}
		r.CIDRs = append(r.CIDRs, p)
	}
	if v, ok := item[AttrPurgeAt]; ok {
		n, isN := v.(*types.AttributeValueMemberN)
		sec, err := strconv.ParseInt(n.Value, 10, 64)
		if !isN || err != nil {
			d.fail(AttrPurgeAt, "want a number of seconds")
		} else {
			r.PurgeAt = time.Unix(sec, 0).UTC()
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

type itemDecoder struct {
	item map[string]types.AttributeValue
	err  error
}

func (d *itemDecoder) fail(name, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: attribute %s: %s", ErrBadItem, name, fmt.Sprintf(format, args...))
	}
}

func (d *itemDecoder) s(name string, required bool) string {
	v, ok := d.item[name]
	if !ok {
		if required {
			d.fail(name, "missing")
		}
		return ""
	}
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		d.fail(name, "want a string")
		return ""
	}
	return s.Value
}

func (d *itemDecoder) b(name string) []byte {
	v, ok := d.item[name].(*types.AttributeValueMemberB)
	if !ok {
		d.fail(name, "missing or not binary")
		return nil
	}
	return v.Value
}

func (d *itemDecoder) t(name string, required bool) time.Time {
	s := d.s(name, required)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		d.fail(name, "%q is not an RFC 3339 time", s)
	}
	return t.UTC()
}

func (d *itemDecoder) list(name string) []string {
	v, ok := d.item[name]
	if !ok {
		return nil
	}
	l, ok := v.(*types.AttributeValueMemberL)
	if !ok {
		d.fail(name, "want a list")
		return nil
	}
	out := make([]string, 0, len(l.Value))
	for _, e := range l.Value {
		s, ok := e.(*types.AttributeValueMemberS)
		if !ok {
			d.fail(name, "want a list of strings")
			return nil
		}
		out = append(out, s.Value)
	}
	return out
}
