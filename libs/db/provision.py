"""Creates each service's schema and a login role that can touch only that schema.

Run once per database with an administrator's URL (the local stack, the test fixtures and the
compose `db-init` job do): `python -m libs.db.provision --admin-url ... --service catalog:secret`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Mapping

import asyncpg

SERVICES = ("catalog", "orders", "live", "fulfillment", "support", "webhooks", "discovery")
_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def role_name(service: str) -> str:
    return f"svc_{service}"


async def _execute_formatted(conn: asyncpg.Connection, template: str, *args: str) -> None:
    """Utility statements take no bind parameters; let Postgres quote identifiers and literals."""
    statement = await conn.fetchval("SELECT format($1::text, VARIADIC $2::text[])",
                                    template, list(args))
    await conn.execute(statement)


async def provision(admin_url: str, passwords: Mapping[str, str]) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        database = await conn.fetchval("SELECT current_database()")
        await conn.execute("SELECT pg_advisory_lock(4242)")
        await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        await _execute_formatted(conn, "REVOKE ALL ON DATABASE %I FROM PUBLIC", database)
        for service, password in passwords.items():
            if not _IDENT.match(service):
                raise ValueError(f"invalid service name {service!r}")
            role = role_name(service)
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            await _execute_formatted(conn, f"{verb} ROLE %I LOGIN PASSWORD %L", role, password)
            await _execute_formatted(conn, "GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I",
                                     database, role)
            await _execute_formatted(conn, "CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I",
                                     service, role)
            await _execute_formatted(conn, "REVOKE ALL ON SCHEMA %I FROM PUBLIC", service)
        await conn.execute("SELECT pg_advisory_unlock(4242)")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--admin-url", required=True)
    parser.add_argument("--service", action="append", required=True,
                        help="service:password, repeatable")
    args = parser.parse_args()
    passwords = dict(item.split(":", 1) for item in args.service)
    asyncio.run(provision(args.admin_url, passwords))
    print(f"provisioned {', '.join(passwords)}")


if __name__ == "__main__":
    main()
