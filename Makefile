# Two commands: `make run` (the whole marketplace, locally, no Docker) and `make test`.
SHELL := /bin/bash
UV_VERSION := 0.13.9
HELM_VERSION := v3.22.0
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_PYTHON_DOWNLOADS := never

.PHONY: tools helm-check install run test test-apache-kafka token lint typecheck events-doc contracts api-contracts smoke chaos bench bench-checkout bench-fulfillment bench-webhooks bench-support bench-live bench-all bench-discovery eval-discovery

install:  ## a virtualenv with the pinned dependencies (uv.lock)
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	@$(UV) sync --frozen --quiet

tools:  ## helm (for the chart's tests), built from the Go module proxy into .tools/bin
	@[ -x .tools/bin/helm ] && .tools/bin/helm version --short | grep -q "$(HELM_VERSION)" || \
		GOBIN="$(CURDIR)/.tools/bin" GOFLAGS=-buildvcs=false go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

helm-check: install tools  ## lint the Helm chart and validate what it renders against Kubernetes' schemas (offline)
	.tools/bin/helm lint --strict deploy/helm/socialcommerce --kube-version 1.33.0
	.tools/bin/helm template shop deploy/helm/socialcommerce --kube-version 1.33.0 \
		| $(UV) run kubernetes-validate --strict --quiet -k 1.33.0 -

run: install  ## Postgres, Redis, Kafka and the six services, seeded; Ctrl-C stops all
	$(UV) run python -m devstack.stack

smoke: install  ## bring the stack up, then down again
	$(UV) run python -m devstack.stack --exit-when-ready

test: install  ## every test, against real Postgres, Redis and Kafka
	$(UV) run pytest

chaos: install  ## the fault suite: kills, restarts and poison under load, then reconciles (RATE=4)
	$(UV) run python -m devstack.chaos --rate $(or $(RATE),4)

test-apache-kafka: install  ## the Kafka-facing tests on Apache Kafka (jars from Maven Central)
	KAFKA_FLAVOUR=apache $(UV) run pytest -m kafka

token: install  ## make token ROLE=seller SUBJECT=u-1 [SELLER_ID=..] [SHOP_ID=..] [CREATOR_ID=..] [BIRTHDATE=..]
	@$(UV) run python -m libs.auth.dev_token --role "$(ROLE)" --subject "$(SUBJECT)" \
		$(if $(SELLER_ID),--seller-id "$(SELLER_ID)") $(if $(SHOP_ID),--shop-id "$(SHOP_ID)") \
		$(if $(CREATOR_ID),--creator-id "$(CREATOR_ID)") $(if $(BIRTHDATE),--birthdate "$(BIRTHDATE)")

bench: install  ## catalog benchmarks against the running stack (or a fresh seeded one); prints figures
	$(UV) run python -m benchmarks.catalog

bench-checkout: install  ## checkout end to end against the running stack (RATE=150 SECONDS=300)
	$(UV) run python -m benchmarks.checkout --rate $(or $(RATE),150) --seconds $(or $(SECONDS),300)

bench-fulfillment: install  ## checkout -> allocated -> shipped through the real pipeline against the running stack (RATE=40 SECONDS=60)
	$(UV) run python -m benchmarks.fulfillment --rate $(or $(RATE),40) --seconds $(or $(SECONDS),60)

bench-webhooks: install  ## signed deliveries to a local receiver against the running dev stack (RATE=100 SECONDS=30)
	$(UV) run python -m benchmarks.webhooks --rate $(or $(RATE),100) --seconds $(or $(SECONDS),30)

bench-support: install  ## ticket -> automatic answer, and SLA timer accuracy with 10,000 open tickets, against the running stack (RATE=10 SECONDS=30)
	$(UV) run python -m benchmarks.support --rate $(or $(RATE),10) --seconds $(or $(SECONDS),30)

bench-live: install  ## flash claims and WebSocket fan-out against the running stack (see benchmarks/live.py)
	$(UV) run python -m benchmarks.live claims
	$(UV) run python -m benchmarks.live fanout

bench-discovery: install  ## feed requests (auction included) and interaction ingest against the running stack (SECONDS=20)
	$(UV) run python -m benchmarks.discovery --seconds $(or $(SECONDS),20)

eval-discovery: install  ## the feed's model against a popularity baseline: recall@20 and nDCG@20 on simulated buyers
	$(UV) run python -m services.discovery.evaluation

bench-all: install  ## every benchmark and its same-box ceiling in one sitting on a durable stack: a table of ratios and bench-results/<run>/results.json (PROFILE=1: py-spy, CPU by process, Postgres statements)
	$(UV) run python -m benchmarks.all $(if $(PROFILE),--profile)

lint: install
	$(UV) run ruff check .
	$(UV) run mypy libs services seeds devstack tests benchmarks ops conftest.py

events-doc: install  ## docs/events.md, docs/asyncapi.json and the per-type JSON Schemas (refuses breaking changes)
	$(UV) run python -m libs.events.docs > docs/events.md
	$(UV) run python -m libs.events.contracts write

api-contracts: install  ## schemathesis against every service as every role (EXAMPLES=10, PARALLEL=1 services at once); starts its own stack
	$(UV) run python -m devstack.api_contracts --examples $(or $(EXAMPLES),10) --parallel $(or $(PARALLEL),1)

contracts: install  ## event schemas compatible with the released ones; AsyncAPI valid (AsyncAPI's own parser)
	$(UV) run python -m libs.events.contracts check
	cd contracts/asyncapi && npm ci --silent --no-audit --no-fund && node validate.mjs ../../docs/asyncapi.json \
		&& node selftest.mjs ../../docs/asyncapi.json
