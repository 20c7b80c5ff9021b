"""Holds every service to its OpenAPI with schemathesis, as each kind of caller.

Starts the stack (or uses a running one, `--stack-json`), prepares a caller of each role (a
verified seller with its token, a buyer with a verified adult birthdate, a creator, an agent, an
operator, and nobody), then runs schemathesis against each service as each of them. A run fails
on a server error, a status code or content type the OpenAPI does not document, a response that
breaks its schema, or a schema-valid request refused with 400/422. Prints a table; exits 1 if
any run failed. `make api-contracts` (also in CI, with few examples per operation).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from libs.auth.dev_token import mint
from libs.devstack.servers import REPO_ROOT

# One worker: hypothesis describes filter lambdas by parsing source, which races across threads
# ("AST constructor recursion depth mismatch") and fails runs for no fault of the API.
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,positive_data_acceptance")
RUN_TIMEOUT_SECONDS = 240
EXCLUDED_PATHS = {
    # Its body is a file of products (JSON lines or CSV), which no JSON Schema describes;
    # services/catalog/tests/test_imports_api.py covers it.
    "catalog": ["/v1/product-imports"],
    # A Server-Sent Events stream never ends, so every call would wait out the timeout;
    # services/live/tests/test_realtime.py covers it.
    "live": ["/v1/live/sessions/{session_id}/events"],
}


def callers(stack: dict[str, Any]) -> dict[str, str | None]:
    """A bearer token per role (None: no credentials), for a seller that exists and is
    verified, so seller routes are exercised past "register first"."""
    secret = stack["jwt_secret"]
    catalog = stack["services"]["catalog"]
    owner = f"contract-seller-{secrets.token_hex(3)}"
    with httpx.Client(timeout=30) as client:
        registering = mint(secret, subject=owner, roles=["seller"])
        seller = client.post(f"{catalog}/v1/sellers", json={
            "legal_name": "Contract Testing Ltd", "country": "GB", "business_type": "company",
            "market": "GB"}, headers={"Authorization": f"Bearer {registering}"})
        seller.raise_for_status()
        seller_id, shop_id = seller.json()["id"], seller.json()["shop_id"]
        operator = mint(secret, subject="contract-operator", roles=["operator"])
        client.post(f"{catalog}/v1/sellers/{seller_id}/verification",
                    headers={"Authorization": f"Bearer {operator}"}).raise_for_status()
    return {
        "anonymous": None,
        "buyer": mint(secret, subject="contract-buyer", roles=["buyer"], birthdate="1990-01-01"),
        "seller": mint(secret, subject=owner, roles=["seller"], seller_id=seller_id,
                       shop_id=shop_id),
        "creator": mint(secret, subject="contract-creator", roles=["creator"],
                        creator_id="contract-creator"),
        "agent": mint(secret, subject="contract-agent", roles=["agent"]),
        "operator": operator,
    }


def config_file(url: str, log_dir: Path, service: str) -> Path:
    """Operations whose OpenAPI states rules across fields (`x-cross-field-rules`, which JSON
    Schema cannot express: an end after a start, a limit under a quantity) may answer a
    schema-valid request with 422; every other operation may not."""
    spec = httpx.get(f"{url}/openapi.json", timeout=30).json()
    lines = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("x-cross-field-rules"):
                lines += ["[[operations]]", f"include-path = {json.dumps(path)}",
                          f"include-method = {json.dumps(method.upper())}",
                          "checks.positive_data_acceptance.expected-statuses = "
                          '["2xx", 401, 403, 404, 409, 422, 429]', ""]
    config = log_dir / f"{service}.schemathesis.toml"
    config.write_text("\n".join(lines))
    return config


def run_one(url: str, token: str | None, *, examples: int, excluded: list[str],
            config: Path, log: Path) -> tuple[bool, str]:
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config),
               "run", f"{url}/openapi.json",
               "--checks", CHECKS, "--max-examples", str(examples), "--workers", "1",
               "--phases", "examples,coverage,fuzzing", "--request-timeout", "10",
               "--suppress-health-check", "all", "--seed", "1"]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    for path in excluded:
        command += ["--exclude-path", path]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "devstack.schemathesis_hooks",
           "PYTHONPATH": str(REPO_ROOT)}
    for attempt in (1, 2):
        try:
            done = subprocess.run(command, capture_output=True, text=True, env=env,
                                  cwd=REPO_ROOT, check=False, timeout=RUN_TIMEOUT_SECONDS)
            break
        except subprocess.TimeoutExpired as exc:
            # Seen once in many runs: a schemathesis process that stops making progress. One
            # retry; a second hang fails the run with what it printed.
            log.write_text(f"attempt {attempt} timed out after {RUN_TIMEOUT_SECONDS}s\n"
                           f"{exc.stdout!r}")
            if attempt == 2:
                return False, f"timed out twice after {RUN_TIMEOUT_SECONDS}s"
    log.write_text(done.stdout + done.stderr)
    summary = next((line.strip("= ").strip() for line in reversed(done.stdout.splitlines())
                    if " in " in line and ("passed" in line or "fail" in line or "error" in line)),
                   f"exit {done.returncode}")
    return done.returncode == 0, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack-json", type=Path, help="use this running stack")
    parser.add_argument("--examples", type=int, default=15, help="per operation and phase")
    parser.add_argument("--services", default="catalog,orders,live,fulfillment,support,webhooks,discovery")
    parser.add_argument("--roles", default="anonymous,buyer,seller,creator,agent,operator")
    parser.add_argument("--parallel", type=int, default=1,
                        help="services fuzzed at once (each runs its roles in turn)")
    parser.add_argument("--logs", type=Path, default=REPO_ROOT / ".stack" / "api-contracts")
    args = parser.parse_args()
    stack_runner = None
    if args.stack_json:
        stack = json.loads(args.stack_json.read_text())
    else:
        from devstack.stack import Stack

        stack_runner = Stack(REPO_ROOT / ".stack" / "api-contracts-stack", None)
        stack = stack_runner.start()
    try:
        tokens = callers(stack)
        args.logs.mkdir(parents=True, exist_ok=True)
        print(f"{'service':<12} {'caller':<10} {'result':<6} summary (logs in {args.logs})")

        def check_service(service: str) -> list[str]:
            """Every role against one service, one after another; the roles it failed."""
            config = config_file(stack["services"][service], args.logs, service)
            failed_roles = []
            for role in args.roles.split(","):
                began = time.monotonic()
                ok, summary = run_one(stack["services"][service], tokens[role],
                                      examples=args.examples,
                                      excluded=EXCLUDED_PATHS.get(service, []),
                                      config=config, log=args.logs / f"{service}-{role}.log")
                print(f"{service:<12} {role:<10} {'ok' if ok else 'FAIL':<6} {summary} "
                      f"({time.monotonic() - began:.0f}s)", flush=True)
                if not ok:
                    failed_roles.append(f"{service}/{role}")
            return failed_roles

        # Services are separate processes with their own schemas, so two can be fuzzed at
        # once; one service's roles run in turn, since they share its state.
        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            failed = [role for roles in pool.map(check_service, args.services.split(","))
                      for role in roles]
        print(f"{len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
        return 1 if failed else 0
    finally:
        if stack_runner is not None:
            stack_runner.stop()


if __name__ == "__main__":
    raise SystemExit(main())
