# Portcullis — every developer task goes through this file. `make help` lists them.

SHELL        := /usr/bin/env bash
.SHELLFLAGS  := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO          ?= go
FUNCTIONS   := $(notdir $(wildcard functions/*-authorizer))
BUILD       := build
TOOLS       := $(BUILD)/tools
GOFLAGS_FN  := -trimpath -tags lambda.norpc -ldflags '-s -w'
POLICY      ?= events/policy.yaml
FUZZTIME    ?= 20s
BENCHTIME   ?= 1s

# Pinned tool versions. The Runtime Interface Emulator is what `sam local
# invoke` runs inside its container; we run it directly, without Docker.
RIE_MODULE  := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d

export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
# Integration tests find their real components here; with PORTCULLIS_INTEGRATION=require
# a missing component fails the test instead of skipping it.
export PORTCULLIS_RIE      := $(CURDIR)/$(TOOLS)/aws-lambda-rie
export PORTCULLIS_DYNALITE := $(CURDIR)/scripts/node_modules/dynalite/cli.js

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Run the local gateway with the authorizers and the dev identity provider on 127.0.0.1:4000.
	$(GO) run ./scripts/gateway --policy $(POLICY) $(ARGS)

.PHONY: fixtures
fixtures: ## Run the JWT authorizer on every fixture in events/jwt/ and print a table.
	$(GO) run ./scripts/fixtures --policy $(POLICY) events/jwt

.PHONY: build
build: $(addprefix $(BUILD)/,$(addsuffix /bootstrap,$(FUNCTIONS))) ## Build every function to build/<fn>/bootstrap (linux/arm64).

$(BUILD)/%/bootstrap: FORCE
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_FN) -o $@ ./functions/$*

.PHONY: build-host
build-host: ## Build host-architecture copies to build/host/<fn>/bootstrap (for the emulator).
	@for fn in $(FUNCTIONS); do \
	  CGO_ENABLED=0 $(GO) build $(GOFLAGS_FN) -o $(BUILD)/host/$$fn/bootstrap ./functions/$$fn; done

.PHONY: tools
tools: $(TOOLS)/aws-lambda-rie scripts/node_modules/.package-lock.json ## Install the pinned test tools (emulator, dynalite).

$(TOOLS)/aws-lambda-rie:
	GOBIN=$(CURDIR)/$(TOOLS) $(GO) install $(RIE_MODULE)@$(RIE_VERSION)

scripts/node_modules/.package-lock.json: scripts/package.json scripts/package-lock.json
	cd scripts && npm ci --no-audit --no-fund
	@# node_modules ships Go templates (aws-cdk); a go.mod makes it its own module, outside ./...
	@printf 'module portcullis.invalid/node_modules\n' > scripts/node_modules/go.mod
	@touch $@

.PHONY: test
test: tools ## Run every test: unit, fixtures, emulator, dynalite and CDK assertion tests.
	PORTCULLIS_INTEGRATION=require $(GO) test -count=1 -timeout 45m ./...

.PHONY: test-short
test-short: ## Unit tests only (no emulator, dynalite or CDK).
	$(GO) test -short ./...

.PHONY: lint
lint: ## gofmt, go vet, staticcheck and go mod tidy -diff.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) mod tidy -diff

.PHONY: bench
bench: build build-host ## Benchmarks: decision cost vs bare verification, cold start, binary size.
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./shared/... ./functions/...
	$(GO) run ./scripts/coldstart --runs 20 --env PORTCULLIS_APIKEYS_SEED=seed.json $(addprefix $(BUILD)/host/,$(addsuffix /bootstrap,$(FUNCTIONS)))
	@ls -l $(BUILD)/*/bootstrap | awk '{printf "binary %-40s %6.2f MiB (%d bytes)\n", $$9, $$5/1048576, $$5}'

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 20s).
	@for pkg in $$($(GO) list ./shared/... ./scripts/...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; done; done

.PHONY: invoke
invoke: tools ## Run a function's bootstrap under the emulator: make invoke FN=jwt-authorizer EVENT=events/jwt/x.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<function> EVENT=<event.json>"; exit 2; }
	$(GO) run ./scripts/invoke --fn $(FN) --event $(EVENT) --policy $(POLICY)

.PHONY: synth
synth: build ## Synthesize the CloudFormation templates into infra/cdk.out.
	cd infra && npx --prefix ../scripts cdk synth --quiet -c policy=$(abspath $(POLICY))

.PHONY: deploy
deploy: build ## Deploy the stack with cdk deploy (POLICY=your policy file).
	cd infra && npx --prefix ../scripts cdk deploy --all -c policy=$(abspath $(POLICY)) $(ARGS)

.PHONY: destroy
destroy: ## Tear the stack down (tables with retention are kept).
	cd infra && npx --prefix ../scripts cdk destroy --all -c policy=$(abspath $(POLICY))

.PHONY: clean
clean: ## Remove build outputs.
	rm -rf $(BUILD) infra/cdk.out

.PHONY: FORCE
FORCE:
