// Command infra is the Portcullis CDK app. The CDK CLI runs it from this
// directory (cdk.json: `go run .`); `make synth` and `make deploy` pass the
// policy file as -c policy=<path>. See package stack for the other context
// keys (stage, build, allow-local-policy, http-api, cors-origin,
// log-retention-days, table-key, secrets-kms-key, alarm-topic,
// account-log-role).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/portcullis-authz/portcullis/infra/stack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "portcullis infra: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	props, err := stack.PropsFromContext(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) }, wd)
	if err != nil {
		return err
	}
	// Assets are staged here; synthesis copies them into cdk.out.
	assets, err := os.MkdirTemp("", "portcullis-assets-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(assets)
	props.AssetDir = assets
	if _, err := stack.NewPortcullisStack(app, "Portcullis-"+string(props.Stage), props); err != nil {
		return err
	}
	stack.AddChecks(app)
	app.Synth(nil)
	return nil
}
