"""Fixtures shared by every test layer.

Servers come from `libs.devstack.infra.start_infra`: the environment's, else testcontainers where
Docker answers, else local processes. Nothing is mocked: integration tests talk to real Postgres,
Redis and Kafka.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from libs.db.platform_tables import PLATFORM_TABLES_DDL, SECOND_PASS_DDL
from libs.db.pool import create_pool
from libs.db.provision import SERVICES, provision, role_name
from libs.devstack.infra import Infra, service_database_url, start_infra
from libs.settings import ServiceSettings
from libs.telemetry import configure_tracing
from libs.testing import QUICK_TIMINGS, SPANS, TEST_CLAIM_SECRET, TEST_JWT_SECRET, Scratch

configure_tracing("tests", ServiceSettings(service_name="tests", dev_mode=True),
                  extra_exporter=SPANS)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    workdir = Path(tempfile.mkdtemp(prefix="socialcommerce-tests-"))
    started = start_infra(workdir / "servers")
    yield started
    started.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(infra: Infra) -> str:
    return infra.kafka_bootstrap_servers


@pytest.fixture(scope="session")
async def service_db_urls(infra: Infra) -> dict[str, str]:
    passwords = {name: secrets.token_urlsafe(12) for name in SERVICES}
    await provision(infra.admin_database_url, passwords)
    return {name: service_database_url(infra.admin_database_url, role_name(name), pw)
            for name, pw in passwords.items()}


@pytest.fixture(scope="session")
def settings_for(infra: Infra, service_db_urls: dict[str, str]) -> Callable[..., Any]:
    """`settings_for(CatalogSettings, **overrides)`: settings pointing at the test servers."""

    def build(settings_class: type[ServiceSettings], **overrides: Any) -> ServiceSettings:
        name = settings_class.model_fields["service_name"].default
        values: dict[str, Any] = {
            "database_url": service_db_urls[name],
            "redis_url": infra.redis_url,
            "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
            "kafka_idempotent_producer": infra.kafka_idempotence,
            "jwt_secret": TEST_JWT_SECRET,
            "claim_token_secret": TEST_CLAIM_SECRET,
            "ad_token_secret": "test-only-discovery-ad-click-token-secret",
            # Webhooks seals endpoint secrets with it (required outside dev mode); the other
            # services ignore it.
            "endpoint_secret_key": "dGVzdC1vbmx5LXdlYmhvb2stc2VjcmV0cy1rZXktMzI=",
            **QUICK_TIMINGS,
            "log_level": os.environ.get("TEST_LOG_LEVEL", "WARNING"),
            # A group per instance: the quick local broker mishandles a group whose members
            # come and go in sequence (Apache Kafka does not; production uses the service name).
            "consumer_group": f"{name}-{secrets.token_hex(3)}",
        }
        values.update(overrides)
        return settings_class(**values)

    return build


@pytest.fixture
async def scratch(infra: Infra) -> AsyncIterator[Scratch]:
    """A pool on a fresh schema holding only the platform tables (outbox, inbox, idempotency,
    event sequences, deadlines)."""
    schema = f"t_{secrets.token_hex(5)}"
    admin = await asyncpg.connect(infra.admin_database_url)
    await admin.execute(f"CREATE SCHEMA {schema}")
    await admin.execute(f"SET search_path TO {schema}")
    await admin.execute(PLATFORM_TABLES_DDL)
    await admin.execute(SECOND_PASS_DDL)
    await admin.execute("CREATE TABLE effects (event_id text PRIMARY KEY, seller_id uuid)")
    await admin.close()
    pool = await create_pool(infra.admin_database_url, schema, application_name="tests",
                             min_size=1, max_size=10)
    yield Scratch(pool, schema)
    await pool.close()
