"""What every benchmark prints first: the conditions its figures were measured under, read from
the servers themselves (a figure without them cannot be compared with anything)."""

from __future__ import annotations

import asyncio
import os
import platform
import time
from pathlib import Path
from typing import Any

import asyncpg

from libs.settings import ServiceSettings


async def describe(stack: dict[str, Any], note: str = "") -> str:
    """Machine, cores, Python, each service's process count, the Postgres durability settings
    and autovacuum's naptime as the server reports them, and the broker. A fast (non-durable)
    Postgres is flagged: its figures flatter every path that writes. The naptime says how long
    a fresh stack's queue tables go without statistics (`libs.devstack.servers`)."""
    conn = await asyncpg.connect(stack["database_url"])
    try:
        settings = {name: await conn.fetchval(f"SHOW {name}")
                    for name in ("fsync", "synchronous_commit", "full_page_writes",
                                 "autovacuum_naptime")}
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    workers = stack.get("http_workers") or {}
    processes = ", ".join(f"{name} {count}" for name, count in workers.items()) or "unknown"
    durable = settings["fsync"] == "on" and settings["synchronous_commit"] == "on"
    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load generator on the same machine",
        f"processes per service: {processes}",
        f"postgres {version}: fsync={settings['fsync']}, synchronous_commit="
        f"{settings['synchronous_commit']}, full_page_writes={settings['full_page_writes']}, "
        f"autovacuum_naptime={settings['autovacuum_naptime']}"
        + ("" if durable else "  <- NOT DURABLE: writes look faster than in production; "
                              "start the stack with DURABLE=1 make run"),
        f"kafka: {stack.get('kafka_flavour')}, consumers' fetch wait {fetch_max_wait_ms()} ms",
    ]
    if note:
        lines.append(note)
    return "\n".join(lines)


def fetch_max_wait_ms() -> int:
    """The services' `KAFKA_FETCH_MAX_WAIT_MS` (they read the same environment, and the same
    default); a benchmark's own watcher waits on its fetches as long as they do."""
    default = ServiceSettings.model_fields["kafka_fetch_max_wait_ms"].default
    return int(os.environ.get("KAFKA_FETCH_MAX_WAIT_MS", default))


def service_pid(port: int) -> int | None:
    """The process of the stack's service listening on `port` (its parent, with workers)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"HTTP_PORT={port}".encode() in environ and any(
                arg.startswith(b"services.") for arg in cmdline):
            return int(entry.name)
    return None


def _cpu_times() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields), idle


async def wait_until_quiet(busy_below: float = 0.25, window: float = 5.0,
                           give_up_after: float = 300.0) -> float:
    """Waits until the machine's CPUs were busy less than `busy_below` over `window` seconds
    (a freshly seeded stack's consumers catch up for minutes; a figure measured meanwhile
    measures them). Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < give_up_after:
        total, idle = _cpu_times()
        await asyncio.sleep(window)
        total2, idle2 = _cpu_times()
        if total2 > total and 1 - (idle2 - idle) / (total2 - total) < busy_below:
            break
    return time.monotonic() - started
