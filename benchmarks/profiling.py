"""What a profiled benchmark (`--profile`) records while each path runs, and its summaries.

Three views, because on a 2-core box holding the whole stack a path is bound by whichever
process takes the cores, not only by the service under test:
- py-spy on the services the path exercises (own time and our functions' inclusive time);
- the machine's CPU split by process group (services, Postgres, the broker, the load client),
  read from /proc at the start and end of the path;
- Postgres' statements by total execution time (pg_stat_statements, which the benchmark's own
  server loads when profiling: `POSTGRES_TRACK_STATEMENTS=1`), with calls and mean time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from benchmarks import conditions

PROCESS_GROUPS = ("services.catalog", "services.orders", "services.live", "services.fulfillment",
                  "services.support", "services.webhooks", "services.discovery", "benchmarks",
                  "py-spy", "tansu", "kafka.Kafka", "redis-server", "postgres")


class Profiler:
    """Samples the services a path exercises, the machine's CPU and Postgres' statements, for
    as long as the path runs."""

    def __init__(self, enabled: bool, stack: dict[str, Any], folder: Path) -> None:
        self.enabled, self.stack, self.folder = enabled, stack, folder
        self.top: dict[str, dict[str, list[tuple[str, float]]]] = {}

    @contextlib.asynccontextmanager
    async def sampling(self, path: str, *services: str) -> AsyncIterator[None]:
        if not self.enabled:
            yield
            return
        processes = []
        for service in services:
            pid = conditions.service_pid(urlsplit(self.stack["services"][service]).port or 80)
            if pid is None:
                continue
            out = self.folder / f"{path}-{service}.txt"
            processes.append((out, await asyncio.create_subprocess_exec(
                "py-spy", "record", "--pid", str(pid), "--subprocesses", "--rate", "50",
                "--format", "raw", "--output", str(out), "--nonblocking",
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
        statements = await _reset_statements(self.stack["database_url"])
        cpu_before = cpu_by_process_group()
        try:
            yield
        finally:
            cpu = cpu_shares(cpu_before, cpu_by_process_group())
            if cpu:
                self.top[f"{path} (CPU by process, % of one core)"] = {"processes": cpu}
            if statements is not None:
                top, commits, by_service = await _top_statements(self.stack["database_url"])
                (self.folder / f"{path}-postgres.json").write_text(
                    json.dumps({"statements": top, "by_service": by_service}, indent=1))
                self.top[f"{path} (postgres)"] = {
                    "transactions committed": [("commits", int(commits - statements))],
                    "statements, share of execution time": [
                        (f"{s['calls']} calls, {s['mean_ms']} ms: {s['query'][:110]}", s["share"])
                        for s in top[:8]],
                    "by service: explicit commits (statements, their ms)": [
                        (f"{row['service']} ({row['statements']}, {row['ms']} ms)",
                         row["commits"]) for row in by_service]}
            for _, process in processes:
                process.send_signal(2)  # SIGINT: py-spy writes what it sampled
            for out, process in processes:
                await asyncio.wait_for(process.wait(), 60)
                self.top[f"{path} ({out.stem.rsplit('-', 1)[-1]})"] = profile_summary(out)


def _frames(raw: Path) -> list[tuple[list[str], int]]:
    """A py-spy raw (collapsed) profile as (frames root first, samples)."""
    if not raw.exists():
        return []
    stacks = []
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if stack and samples.isdigit():
            stacks.append((stack.split(";")[1:], int(samples)))
    return stacks


def _name(frame: str) -> str:
    function, _, where = frame.partition(" (")
    return f"{function} ({where.rsplit(':', 1)[0]})"


def profile_summary(raw: Path, count: int = 6) -> dict[str, list[tuple[str, float]]]:
    """Shares of all samples: the frames most often running (own time), and the project's own
    functions most often on the stack (inclusive time: where the work is decided)."""
    stacks = _frames(raw)
    total = sum(n for _, n in stacks) or 1
    own: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    for frames, samples in stacks:
        if frames:
            own[_name(frames[-1])] += samples
        mine = {_name(f) for f in frames
                if ("(services/" in f or "(libs/" in f) and "entrypoint.py" not in f
                and "__main__.py" not in f}
        for name in mine:
            ours[name] += samples
    return {kind: [(name, round(100 * n / total, 1)) for name, n in counter.most_common(count)]
            for kind, counter in (("own time, share of samples", own),
                                  ("our code inclusive, share of samples", ours))}


def _group(pid: str) -> str | None:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return None
    return next((group for group in PROCESS_GROUPS if group in command), None)


@dataclass
class CpuReading:
    """Each process's CPU seconds so far (user + system) with its group, and when."""

    at: float
    by_pid: dict[str, tuple[str | None, float]]


def cpu_by_process_group() -> CpuReading | None:
    """A reading of every process's CPU; None without /proc."""
    if not Path("/proc/self/stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    by_pid: dict[str, tuple[str | None, float]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        by_pid[pid] = (_group(pid), (int(fields[11]) + int(fields[12])) / ticks)
    return CpuReading(float(Path("/proc/uptime").read_text().split()[0]), by_pid)


def cpu_shares(before: CpuReading | None,
               after: CpuReading | None) -> list[tuple[str, float]]:
    """CPU per process group between two readings, as a percentage of one core (a 2-core box
    saturates at 200); processes outside the groups are summed as 'other'."""
    if before is None or after is None or after.at <= before.at:
        return []
    used: dict[str, float] = {}
    for pid, (group, seconds) in after.by_pid.items():
        earlier_group, earlier_seconds = before.by_pid.get(pid, (None, 0.0))
        name = group or earlier_group or "other"
        used[name] = used.get(name, 0.0) + seconds - earlier_seconds
    shares = [(group, round(100 * seconds / (after.at - before.at), 1))
              for group, seconds in sorted(used.items(), key=lambda item: -item[1])]
    return [*shares, ("all", round(sum(share for _, share in shares), 1))]


_COMMITS = "SELECT sum(xact_commit) FROM pg_stat_database"


async def _reset_statements(database_url: str) -> int | None:
    """Starts a path's statement statistics from zero and returns the server's transactions
    committed so far; None when the server does not track statements."""
    conn = await asyncpg.connect(database_url)
    try:
        loaded = await conn.fetchval("SELECT current_setting('shared_preload_libraries')")
        if "pg_stat_statements" not in loaded:
            return None
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.execute("SELECT pg_stat_statements_reset()")
        return int(await conn.fetchval(_COMMITS))
    finally:
        await conn.close()


async def _top_statements(
        database_url: str, count: int = 25,
) -> tuple[list[dict[str, Any]], int, list[dict[str, Any]]]:
    """The statements with the most execution time since the reset, the server's transactions
    committed so far, and each service's share (`_BY_SERVICE`)."""
    conn = await asyncpg.connect(database_url)
    try:
        commits = int(await conn.fetchval(_COMMITS))
        rows = await conn.fetch(
            """SELECT query, calls, total_exec_time, rows,
                      100 * total_exec_time / nullif(sum(total_exec_time) OVER (), 0) AS share
               FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1""", count)
        by_service = await conn.fetch(_BY_SERVICE)
        most_called = await conn.fetch(_MOST_CALLED_BY_SERVICE, 15)
    finally:
        await conn.close()
    top = [{"query": " ".join(r["query"].split()), "calls": r["calls"], "rows": r["rows"],
            "total_ms": round(r["total_exec_time"]), "share": round(float(r["share"] or 0), 1),
            "mean_ms": round(r["total_exec_time"] / max(r["calls"], 1), 2)} for r in rows]
    called: dict[str, list[dict[str, Any]]] = {}
    for r in most_called:
        called.setdefault(r["role"], []).append(
            {"calls": r["calls"], "ms": round(r["total_exec_time"]),
             "query": " ".join(r["query"].split())[:240]})
    services = [{"service": r["role"].removeprefix("svc_"), "commits": int(r["commits"] or 0),
                 "statements": int(r["statements"] or 0), "ms": round(float(r["ms"] or 0)),
                 "most_called": called.get(r["role"], [])}
                for r in by_service]
    return top, commits, services


_BY_SERVICE = """
SELECT r.rolname AS role,
       sum(s.calls) FILTER (WHERE s.query ILIKE 'commit%') AS commits,
       sum(s.calls) FILTER (WHERE s.query NOT ILIKE 'commit%'
                              AND s.query NOT ILIKE 'begin%') AS statements,
       sum(s.total_exec_time) AS ms
FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
GROUP BY r.rolname ORDER BY commits DESC NULLS LAST
"""
"""Per service (each connects as its own role): its explicit transactions committed (the
`COMMIT`s counted; single statements outside a transaction commit too and are not among them),
its statements and their execution time, since the reset. Where a path's commits per order
come from."""

_MOST_CALLED_BY_SERVICE = """
SELECT role, query, calls, total_exec_time FROM (
    SELECT r.rolname AS role, s.query, s.calls, s.total_exec_time,
           row_number() OVER (PARTITION BY r.rolname ORDER BY s.calls DESC) AS place
    FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid) ranked
WHERE place <= $1 ORDER BY role, calls DESC
"""
"""Each service's most frequently run statements: which of them a path runs per order."""
