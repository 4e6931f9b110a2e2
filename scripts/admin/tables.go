package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/portcullis-authz/portcullis/shared/dynamostore"
)

// tablesCreate creates every table from the shared definitions (for a
// local endpoint; in AWS the CDK stack owns the tables). Tables that exist
// are left alone.
func (a *app) tablesCreate(ctx context.Context, args []string) error {
	var c common
	fs := a.flags("tables create", &c)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("tables create takes no arguments (got %q)", pos)
	}
	if !c.local() {
		return usageErr("tables create is for a local endpoint (--endpoint or AWS_ENDPOINT_URL_DYNAMODB); in AWS the stack creates the tables")
	}
	cfg, err := a.awsConfig(ctx, &c)
	if err != nil {
		return err
	}
	db := a.dynamo(cfg, &c)
	for _, tbl := range dynamostore.Tables {
		name := a.getenv(tbl.EnvVar)
		if tbl.EnvVar == dynamostore.APIKeys.EnvVar && c.table != "" {
			name = c.table
		}
		if name == "" {
			name = tbl.Name
		}
		_, err := db.CreateTable(ctx, tbl.CreateTableInput(name))
		var inUse *types.ResourceInUseException
		switch {
		case errors.As(err, &inUse):
			fmt.Fprintf(a.stdout, "table %s exists\n", name)
			continue
		case err != nil:
			return fmt.Errorf("create table %s: %w", name, err)
		}
		w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = 100*time.Millisecond, 2*time.Second
		})
		if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
			return fmt.Errorf("table %s did not become active: %w", name, err)
		}
		if in := tbl.UpdateTimeToLiveInput(name); in != nil {
			_, err := db.UpdateTimeToLive(ctx, in)
			var api smithy.APIError
			switch {
			case errors.As(err, &api) && api.ErrorCode() == "UnknownOperationException":
				fmt.Fprintf(a.stderr, "note: the endpoint does not support UpdateTimeToLive (dynalite does not); %s items will not expire locally\n", name)
			case err != nil:
				return fmt.Errorf("enable time to live on %s: %w", name, err)
			}
		}
		fmt.Fprintf(a.stdout, "table %s created\n", name)
	}
	return nil
}
