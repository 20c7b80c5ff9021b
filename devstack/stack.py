"""`make run`: the whole marketplace on this machine, no Docker needed.

Starts Postgres, Redis and a Kafka broker (or uses DATABASE_URL / REDIS_URL /
KAFKA_BOOTSTRAP_SERVERS), gives each service its schema and role, starts the six services
(each migrates at start-up), waits until every one is ready, loads the seed marketplace, prints
the URLs and writes them to `.stack/stack.json`. Ctrl-C stops everything, services first.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from libs.db.provision import provision, role_name
from libs.devstack.infra import Infra, service_database_url, start_infra
from libs.devstack.servers import REPO_ROOT, port_open

SERVICE_PORTS = {"catalog": 8001, "orders": 8002, "live": 8003, "fulfillment": 8004,
                 "support": 8005, "webhooks": 8006, "discovery": 8007}


def redis_db_url(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


class Stack:
    def __init__(self, workdir: Path, kafka_flavour: str | None,
                 infra: Infra | None = None, *, durable: bool = False) -> None:
        """`infra`: servers someone else started (the fault suite, which kills them);
        `durable`: a local Postgres with fsync and synchronous commit on (benchmarks)."""
        self.workdir = workdir
        self.durable = durable
        self.kafka_flavour = kafka_flavour
        self.infra = infra
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.envs: dict[str, dict[str, str]] = {}
        self.urls: dict[str, str] = {}
        self.jwt_secret = secrets.token_urlsafe(32)
        self.claim_token_secret = secrets.token_urlsafe(32)
        self.ad_token_secret = secrets.token_urlsafe(32)
        self.carrier_webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()

    def start(self) -> dict[str, Any]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.infra is None:
            self.infra = start_infra(self.workdir / "servers", kafka_flavour=self.kafka_flavour,
                                     durable_postgres=self.durable)
        infra = self.infra
        passwords = {name: secrets.token_urlsafe(16) for name in SERVICE_PORTS}
        asyncio.run(provision(infra.admin_database_url, passwords))
        for index, (name, default_port) in enumerate(SERVICE_PORTS.items()):
            port = default_port if not port_open(default_port) else _free_port()
            self.envs[name] = {
                **os.environ,
                "DATABASE_URL": service_database_url(infra.admin_database_url,
                                                     role_name(name), passwords[name]),
                "REDIS_URL": redis_db_url(infra.redis_url, index),
                "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
                "KAFKA_IDEMPOTENT_PRODUCER": str(infra.kafka_idempotence).lower(),
                "JWT_SECRET": self.jwt_secret,
                "CLAIM_TOKEN_SECRET": self.claim_token_secret,
                "AD_TOKEN_SECRET": self.ad_token_secret,
                "HTTP_PORT": str(port),
                "HTTP_WORKERS": os.environ.get(f"{name.upper()}_HTTP_WORKERS", "1"),
                "DEV_MODE": "true",
                "RELAY_POLL_INTERVAL_SECONDS": "0.5",
                "CARRIER_WEBHOOK_SECRET": self.carrier_webhook_secret,
                # The simulated carrier moves parcels every few seconds, for a lively demo.
                "CARRIER_STEP_SECONDS": os.environ.get("CARRIER_STEP_SECONDS", "10"),
            }
            self.launch(name)
            self.urls[name] = f"http://127.0.0.1:{port}"
        self._wait_ready()
        return self.describe()

    def launch(self, name: str, *, instance: str = "", port: int | None = None) -> None:
        """Starts a service process (again, after a kill; or another instance of it, sharing
        its database and consumer group, on `port`)."""
        env = dict(self.envs[name])
        if port is not None:
            env["HTTP_PORT"] = str(port)
        log = open(self.workdir / f"{name}{instance}.log", "ab")  # noqa: SIM115 - lives with the process
        self.processes[name + instance] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"], env=env, cwd=REPO_ROOT,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hooks run, as when a machine dies."""
        process = self.processes[name]
        process.kill()
        process.wait(10)

    def describe(self) -> dict[str, Any]:
        assert self.infra is not None
        return {
            "services": self.urls,
            "kafka_bootstrap": self.infra.kafka_bootstrap_servers,
            "kafka_flavour": self.infra.kafka_flavour,
            "database_url": self.infra.admin_database_url,
            "redis_url": self.infra.redis_url,
            "jwt_secret": self.jwt_secret,
            "carrier_webhook_secret": self.carrier_webhook_secret,
            "infra_sources": self.infra.sources,
            "http_workers": {name: int(env.get("HTTP_WORKERS", "1"))
                             for name, env in self.envs.items()},
            "logs": str(self.workdir),
        }

    def _wait_ready(self, timeout: float = 180, urls: dict[str, str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        pending = dict(urls or self.urls)
        while pending and time.monotonic() < deadline:
            for name, url in list(pending.items()):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}); see "
                                       f"{self.workdir / (name + '.log')}")
                try:
                    with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:  # noqa: S310
                        if response.status == 200:
                            del pending[name]
                except OSError:
                    pass
            time.sleep(0.3)
        if pending:
            raise TimeoutError(f"not ready after {timeout}s: {', '.join(pending)}; "
                               f"see the logs in {self.workdir}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.infra is not None:
            self.infra.close()


def _free_port() -> int:
    from libs.devstack.servers import free_port

    return free_port()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=REPO_ROOT / ".stack")
    parser.add_argument("--kafka", choices=["tansu", "apache"], default=None,
                        help="local broker to start when KAFKA_BOOTSTRAP_SERVERS is not set")
    parser.add_argument("--no-seed", action="store_true", help="do not load the seed data")
    parser.add_argument("--durable", action="store_true",
                        default=os.environ.get("DURABLE") == "1",
                        help="Postgres with fsync and synchronous commit on (for benchmarks; "
                             "DURABLE=1 make run)")
    parser.add_argument("--exit-when-ready", action="store_true",
                        help="stop everything once it is up (a smoke test of the stack)")
    args = parser.parse_args()

    stopping = False

    def request_stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)  # explicit: a background start inherits SIG_IGN
    stack = Stack(args.workdir, args.kafka, durable=args.durable)
    began = time.monotonic()
    try:
        description = stack.start()
        seeded = None
        if not args.no_seed:
            from seeds.load import load_seed_marketplace

            seeded = asyncio.run(load_seed_marketplace(description))
        elapsed = time.monotonic() - began
        description["started_in_seconds"] = round(elapsed, 1)
        (args.workdir / "stack.json").write_text(json.dumps(description, indent=2))
        _print_summary(description, seeded, args.workdir / "stack.json")
        if args.exit_when_ready:
            return _check_metrics(description)
        while not stopping:
            time.sleep(1)
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"{name} exited ({process.returncode}); stopping the stack",
                          file=sys.stderr)
                    return 1
    except KeyboardInterrupt:
        pass
    finally:
        # Ctrl-C in a terminal reaches `uv` and this process alike, so a second interrupt
        # often follows the first: it must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopping the stack ...", flush=True)
        stack.stop()
        print("stopped.", flush=True)
    return 0


CORE_METRICS = ("http_requests_total", "http_request_duration_seconds_bucket",
                "outbox_backlog", "outbox_oldest_unpublished_age_seconds")
"""What every service exports once it has answered a request and sampled its outbox."""


def _check_metrics(description: dict[str, Any]) -> int:
    """The smoke run's last check: every service's /metrics has the core series (what the
    Prometheus of compose and the Helm chart's annotations scrape)."""
    from prometheus_client.parser import text_string_to_metric_families

    deadline = time.monotonic() + 30
    for name, url in description["services"].items():
        while True:
            with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:  # noqa: S310
                text = response.read().decode()
            found = {sample.name for family in text_string_to_metric_families(text)
                     for sample in family.samples if sample.labels.get("service") == name}
            missing = set(CORE_METRICS) - found
            if not missing:
                print(f"  metrics      {name}: {len(found)} series names, core ones present")
                break
            if time.monotonic() > deadline:
                print(f"{name}/metrics lacks {sorted(missing)}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    return 0


def _print_summary(description: dict[str, Any], seeded: dict[str, int] | None, path: Path) -> None:
    print(f"\nThe marketplace is up ({description['started_in_seconds']} s).\n")
    for name, url in description["services"].items():
        print(f"  {name:<12} {url}   (docs: {url}/docs, metrics: {url}/metrics)")
    print(f"\n  kafka        {description['kafka_bootstrap']} ({description['kafka_flavour']})")
    print(f"  postgres     {description['database_url']}")
    print(f"  redis        {description['redis_url']}")
    if seeded:
        print("\n  seeded: " + ", ".join(f"{v} {k}" for k, v in seeded.items()))
    print(f"\n  written to {path}")
    print("  a token:   make token ROLE=operator SUBJECT=ops-1")
    print("\nCtrl-C stops everything.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
