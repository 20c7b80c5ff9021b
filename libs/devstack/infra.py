"""Postgres, Redis and Kafka for the local stack and the tests, from the first source that works:

1. servers named by the environment (`DATABASE_URL` = an administrator's URL, `REDIS_URL`,
   `KAFKA_BOOTSTRAP_SERVERS`), each on its own;
2. testcontainers, where a Docker daemon answers;
3. local processes from package-registry binaries (`servers.py`).

`KAFKA_FLAVOUR=apache` picks Apache Kafka instead of the quick tansu broker for the local path.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from libs.devstack import servers

log = logging.getLogger(__name__)


@dataclass
class Infra:
    admin_database_url: str
    redis_url: str
    kafka_bootstrap_servers: str
    kafka_flavour: str
    sources: dict[str, str]
    _closers: list[Any] = field(default_factory=list, repr=False)

    @property
    def kafka_idempotence(self) -> bool:
        """Whether the broker supports idempotent producers (the quick local one does not)."""
        return self.kafka_flavour != "tansu"

    def close(self) -> None:
        for close in reversed(self._closers):
            with contextlib.suppress(Exception):
                close()
        self._closers.clear()


def docker_available() -> bool:
    if os.environ.get("TESTCONTAINERS_DISABLED") == "1":
        return False
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
        return True
    except Exception:
        return False


def start_infra(workdir: Path, *, kafka_flavour: str | None = None,
                durable_postgres: bool = False) -> Infra:
    """Postgres, Redis and Kafka from the environment, testcontainers or local processes.
    `durable_postgres` (or POSTGRES_DURABLE=1) runs a local Postgres with fsync and
    synchronous commit on, as benchmarks need."""
    workdir.mkdir(parents=True, exist_ok=True)
    flavour = kafka_flavour or os.environ.get("KAFKA_FLAVOUR", "tansu")
    use_docker = None  # decided lazily: only asked when something is not given by env

    def docker() -> bool:
        nonlocal use_docker
        if use_docker is None:
            use_docker = docker_available()
        return use_docker

    closers: list[Any] = []
    sources: dict[str, str] = {}
    try:
        database_url = os.environ.get("DATABASE_URL")
        if database_url:
            sources["postgres"] = "environment"
        elif docker():
            from testcontainers.postgres import PostgresContainer

            pg = PostgresContainer("postgres:17-alpine", driver=None).start()
            closers.append(pg.stop)
            database_url = pg.get_connection_url()
            sources["postgres"] = "testcontainers"
        else:
            durable = durable_postgres or os.environ.get("POSTGRES_DURABLE") == "1"
            pg_server = servers.PostgresServer(workdir / "postgres", durable=durable).start()
            closers.append(pg_server.stop)
            database_url = pg_server.admin_url
            sources["postgres"] = "local process"

        redis_url = os.environ.get("REDIS_URL")
        if redis_url:
            sources["redis"] = "environment"
        elif docker():
            from testcontainers.redis import RedisContainer

            rc = RedisContainer("redis:7-alpine").start()
            closers.append(rc.stop)
            redis_url = f"redis://{rc.get_container_host_ip()}:{rc.get_exposed_port(6379)}/0"
            sources["redis"] = "testcontainers"
        else:
            redis_server = servers.RedisServer(workdir / "redis").start()
            closers.append(redis_server.stop)
            redis_url = redis_server.url
            sources["redis"] = "local process"

        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if bootstrap:
            sources["kafka"] = "environment"
            flavour = os.environ.get("KAFKA_FLAVOUR", "external")
        elif docker():
            from testcontainers.kafka import KafkaContainer

            kc = KafkaContainer("apache/kafka:4.1.1").with_kraft().start()
            closers.append(kc.stop)
            bootstrap = kc.get_bootstrap_server()
            sources["kafka"] = "testcontainers"
            flavour = "apache"
        elif flavour == "apache":
            jars = servers.resolve_kafka_jars(workdir.parent / "kafka-jars")
            broker = servers.ApacheKafka(workdir / "kafka", jars).start()
            closers.append(broker.stop)
            bootstrap = broker.bootstrap
            sources["kafka"] = "local process (Apache Kafka)"
        else:
            tansu = servers.TansuBroker(workdir / "kafka").start()
            closers.append(tansu.stop)
            bootstrap = tansu.bootstrap
            sources["kafka"] = "local process (tansu)"
    except BaseException:
        for close in reversed(closers):
            with contextlib.suppress(Exception):
                close()
        raise
    log.info("infrastructure: %s", sources)
    return Infra(database_url, redis_url, bootstrap, flavour, sources, closers)


def service_database_url(admin_url: str, role: str, password: str) -> str:
    """The administrator's URL with the service role's credentials instead."""
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(admin_url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(role)}:{quote(password)}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
