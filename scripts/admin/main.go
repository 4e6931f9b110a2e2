// Command admin manages Portcullis API keys and creates tables locally.
//
//	go run ./scripts/admin keys create --owner partner-7 --tenant acme --scopes reports:read --expires 90d
//	go run ./scripts/admin keys list [--tenant acme]
//	go run ./scripts/admin keys show|revoke|suspend|resume <key-id>
//	go run ./scripts/admin keys rotate <key-id> --grace 24h
//	go run ./scripts/admin tables create --endpoint http://127.0.0.1:8000
//
// It works against AWS through the default credential chain, or against a
// local DynamoDB-compatible endpoint (--endpoint or
// AWS_ENDPOINT_URL_DYNAMODB). Run `admin help` for every flag.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
