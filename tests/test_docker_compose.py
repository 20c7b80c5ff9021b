"""docker-compose.yml, checked by Docker Compose's own parser (no engine needed)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import compose
import pytest

from libs.devstack.servers import AUTOVACUUM_NAPTIME

ROOT = Path(__file__).resolve().parents[1]
# The package's console wrapper exits 0 even on errors; the binary inside tells the truth.
COMPOSE = Path(compose.__file__).parent / "docker-compose"
SERVICES = ["catalog", "orders", "live", "fulfillment", "support", "webhooks", "discovery"]


SECRETS = [line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
           if line and not line.startswith("#")]
"""What an operator must set (`.env.example` lists it)."""


def run_compose(compose_file: Path, *args: str, env: dict[str, str] | None = None,
                ) -> subprocess.CompletedProcess[str]:
    """`docker compose config` with every profile (the on-demand backup job included)."""
    given = {name: f"{name.lower()}-{'x' * 32}" for name in SECRETS} if env is None else env
    return subprocess.run([str(COMPOSE), "-f", str(compose_file), "--profile", "*", "config",
                           *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={"PATH": "/usr/bin:/bin", **given})


def test_the_compose_file_is_valid() -> None:
    result = run_compose(ROOT / "docker-compose.yml", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_run_without_each_secret() -> None:
    everything = {name: f"{name.lower()}-{'x' * 32}" for name in SECRETS}
    for name in SECRETS:
        result = run_compose(ROOT / "docker-compose.yml", "-q",
                             env={k: v for k, v in everything.items() if k != name})
        assert result.returncode != 0 and name in result.stderr, name


def test_the_validator_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text((ROOT / "docker-compose.yml").read_text().replace(
        "db-init: { condition: service_completed_successfully }",
        "db-missing: { condition: service_completed_successfully }"))
    assert run_compose(broken, "-q").returncode != 0


@pytest.fixture(scope="module")
def resolved() -> dict:  # type: ignore[type-arg]
    result = run_compose(ROOT / "docker-compose.yml", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["services"]  # type: ignore[no-any-return]


def test_every_service_is_built_from_the_repo_with_health_and_ordering(resolved: dict) -> None:  # type: ignore[type-arg]
    for name in SERVICES:
        service = resolved[name]
        assert "build" in service
        assert service["command"] == ["python", "-m", f"services.{name}"]
        assert "readyz" in " ".join(service["healthcheck"]["test"])
        assert service["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert service["depends_on"]["db-init"]["condition"] == "service_completed_successfully"
        assert f"svc_{name}:" in service["environment"]["DATABASE_URL"], "its own role"


def test_infrastructure_is_real_apache_kafka_postgres_redis_and_a_proxy(resolved: dict) -> None:  # type: ignore[type-arg]
    assert resolved["kafka"]["image"].startswith("apache/kafka:4")
    assert resolved["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert resolved["postgres"]["image"].startswith("postgres:")
    assert f"autovacuum_naptime={AUTOVACUUM_NAPTIME}" in resolved["postgres"]["command"], (
        "the queue tables are analysed as soon as the dev stack's are")
    assert resolved["redis"]["image"].startswith("redis:")
    assert resolved["gateway"]["image"].startswith("nginx:")
    assert {p["target"] for p in resolved["gateway"]["ports"]} == {8080}
    assert "otel-collector" in resolved and "jaeger" in resolved


def test_every_image_is_pinned_to_a_release(resolved: dict) -> None:  # type: ignore[type-arg]
    """`latest` or a bare major version changes under an operator between two `up`s."""
    for name, service in resolved.items():
        image = service["image"]
        tag = image.rsplit(":", 1)[1] if ":" in image else "latest"
        assert re.fullmatch(r"v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?", tag), f"{name}: {image}"
        if name in SERVICES or name == "db-init":
            assert image == "socialcommerce:0.1.0", "the services run the release's image"


def test_prometheus_scrapes_every_service_and_grafana_shows_the_dashboard(
        resolved: dict) -> None:  # type: ignore[type-arg]
    import yaml  # type: ignore[import-untyped]

    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {target for job in config["scrape_configs"]
               for group in job["static_configs"] for target in group["targets"]}
    assert targets == {f"{name}:8000" for name in SERVICES}
    mounts = {volume["target"] for volume in resolved["grafana"]["volumes"]}
    assert {"/etc/grafana/provisioning", "/var/lib/grafana/dashboards"} <= mounts
    assert resolved["prometheus"]["volumes"][0]["source"].endswith(
        "deploy/prometheus/prometheus.yml")


def test_backups_run_on_demand_with_the_documented_script(resolved: dict) -> None:  # type: ignore[type-arg]
    backup = resolved["backup"]
    assert backup["profiles"] == ["backup"], "never started by a plain `up`"
    assert backup["command"] == ["/scripts/backup.sh", "/backups"]
    assert backup["image"] == resolved["postgres"]["image"], "pg_dump matches the server"
