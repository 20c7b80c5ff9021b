"""`make bench-all`: every benchmark and its ceiling in one sitting, one table of ratios, and a
JSON file two commits can be compared by.

The ceilings are measured on the same machine in the same run, with the same load client,
connections and process counts as the path they bound (`benchmarks.ceilings`): HTTP routes
against a bare FastAPI route, hot-row paths against a bare Postgres hot-row UPDATE on the
stack's own server, fan-out against a naive FastAPI broadcast loop. By default the run starts
its own seeded stack with a durable Postgres (fsync and synchronous commit on); `--stack`
uses a running one (its conditions are printed, a non-durable one flagged).

    python -m benchmarks.all [--profile] [--seconds 15] [--checkout-seconds 60]
    python -m benchmarks.all --compare bench-results/A.json bench-results/B.json

`--profile` samples the services under test with py-spy during each path and prints the
functions with the most samples per path, the machine's CPU split by process, and Postgres'
statements by execution time (`benchmarks.profiling`); the raw profiles are kept beside the
JSON.
Scaling from one to two processes: run it again with `CATALOG_HTTP_WORKERS=2
LIVE_HTTP_WORKERS=2 ORDERS_HTTP_WORKERS=2` and compare the two files.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as redis

from benchmarks import catalog, ceilings, checkout, conditions, live
from benchmarks.load import Result, run
from benchmarks.profiling import Profiler
from devstack.stack import redis_db_url

RESULTS = Path("bench-results")
TARGETS = {
    "product_detail": "≥ 50 % of the bare route; p99 ≤ 25 ms",
    "search": "p99 ≤ 50 ms",
    "hot_sku": "≥ 1,000 decisions/s; 0 oversold",
    "flash_claims": "≥ 50 % of the bare route (same processes); p99 ≤ 50 ms; 0 oversold",
    "checkout": "≥ 150 decided/s; outcome p99 ≤ 1.5 s; request p99 ≤ 100 ms; reconciled",
    "fanout": "p99 ≤ 250 ms; ≤ 20 KiB per connection; 0 lost",
}


def _http(result: Result) -> dict[str, Any]:
    rate = result.requests / result.elapsed_s if result.elapsed_s else 0
    return {"requests_per_second": round(rate), "p50_ms": round(result.percentile(50), 1),
            "p99_ms": round(result.percentile(99), 1), "statuses": result.statuses}


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,  # noqa: S607
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


async def _timed(label: str, work: Awaitable[Any]) -> Any:
    print(f"-- {label}", flush=True)
    started = time.perf_counter()
    value = await work
    print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    return value


async def ceilings_for(stack: dict[str, Any], seconds: float) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with ceilings.serving("bare_app", 1) as (base, _):
        for concurrency in (8, 32, 64):
            result = await run(base, lambda: "/bare", concurrency=concurrency, seconds=seconds)
            found[f"bare_1_process_c{concurrency}"] = _http(result)
    workers = int(stack.get("http_workers", {}).get("live", 1))
    with ceilings.serving("bare_app", workers) as (base, _):
        result = await run(base, lambda: "/bare", concurrency=64, seconds=seconds)
        found[f"bare_{workers}_processes_c64"] = _http(result)
    found["postgres_hot_row"] = await ceilings.hot_row(stack["database_url"], 32, seconds)
    return found


async def naive_fanout(stack: dict[str, Any], viewers: int, broadcasts: int) -> dict[str, Any]:
    url = redis_db_url(stack["redis_url"], 15)
    feed = redis.Redis.from_url(url)
    try:
        with ceilings.serving("naive_fanout_app", 1, {"BENCH_REDIS_URL": url}) as (base, pid):
            ws_url = "ws" + base.removeprefix("http") + "/ws"
            return await live.measure_fanout(ws_url, feed, ceilings.NAIVE_FEED_KEY, pid,
                                             viewers, broadcasts, 2)
    finally:
        await feed.aclose()


def ratio(value: float, ceiling: float) -> str:
    return f"{100 * value / ceiling:.0f} %" if ceiling else "-"


def table(report: dict[str, Any]) -> str:
    c, p = report["ceilings"], report["paths"]
    workers = report["live_processes"]
    bare8, bare32 = c["bare_1_process_c8"], c["bare_1_process_c32"]
    bare64, bare_live = c["bare_1_process_c64"], c[f"bare_{workers}_processes_c64"]
    hot = c["postgres_hot_row"]["transactions_per_second"]
    d, s, h, f = p["product_detail"], p["search"], p["hot_sku"], p["flash_claims"]
    o, v, n = p["checkout"], p["fanout"], p["naive_fanout"]
    rows = [
        ("bare FastAPI route, 1 process, c32", f"{bare32['requests_per_second']:,} req/s, "
         f"p99 {bare32['p99_ms']} ms", "(ceiling)", "", ""),
        (f"bare FastAPI route, {workers} processes, c64",
         f"{bare_live['requests_per_second']:,} req/s, p99 {bare_live['p99_ms']} ms",
         "(ceiling)", "", ""),
        ("Postgres hot-row UPDATE, 32 connections", f"{hot:,} tx/s", "(ceiling)", "", ""),
        ("product detail, warm cache, c32", f"{d['requests_per_second']:,} req/s, p99 "
         f"{d['p99_ms']} ms", f"{bare32['requests_per_second']:,} req/s",
         ratio(d["requests_per_second"], bare32["requests_per_second"]),
         TARGETS["product_detail"]),
        (f"search over {report['live_products']:,} products, c8",
         f"{s['requests_per_second']:,} req/s, p99 {s['p99_ms']} ms",
         f"{bare8['requests_per_second']:,} req/s",
         ratio(s["requests_per_second"], bare8["requests_per_second"]), TARGETS["search"]),
        (f"hot SKU, {h['attempts']:,} reservations on {h['units']} units via Kafka",
         f"{h['decisions_per_second']:,} decisions/s, reserved {h['reserved']}",
         f"{hot:,} tx/s", ratio(h["decisions_per_second"], hot), TARGETS["hot_sku"]),
        (f"flash claims, {workers} live processes, c{f['connections']}",
         f"{f['claims_per_second']:,} claims/s, p99 {f['p99_ms']} ms (granted "
         f"{f.get('granted_p99_ms', '?')}, refused {f.get('refused_p99_ms', '?')}), "
         f"oversold {f['oversold']}",
         f"{bare_live['requests_per_second']:,} req/s",
         ratio(f["claims_per_second"], bare_live["requests_per_second"]),
         TARGETS["flash_claims"]),
        (f"checkout offered {o['rate']:.0f}/s for {o['seconds']} s",
         f"{o['decided_per_second']} decided/s, outcome p99 {o['outcome_p99_ms']:,} ms, "
         f"request p99 {o['request_p99_ms']} ms (accepted "
         f"{o.get('accepted_request_p99_ms', '?')} ms), turned away "
         f"{o['refused'].get('503', 0):,} of {o['offered']:,}, reconciled {o['reconciled']}",
         f"{bare64['requests_per_second']:,} req/s",
         ratio(o["decided_per_second"], bare64["requests_per_second"]), TARGETS["checkout"]),
        (f"fan-out, {v['viewers']:,} viewers, {v['broadcasts']} broadcasts",
         f"p99 {v['p99_ms']} ms, {v['kib_per_connection']} KiB/conn, lost {v['lost']}",
         f"naive: p99 {n['p99_ms']} ms, {n['kib_per_connection']} KiB/conn, lost {n['lost']}",
         ratio(n["p99_ms"], v["p99_ms"]) + " (naive p99 / ours)", TARGETS["fanout"]),
    ]
    head = ("path", "measured", "ceiling or peer, same run", "ratio", "target")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(5)]
    lines = [" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(r))
             for r in [head, *rows]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


@contextlib.contextmanager
def _stack(args: argparse.Namespace) -> Any:
    if args.stack:
        yield json.loads(Path(args.stack).read_text()), None
        return
    from devstack.stack import Stack

    print("starting a seeded stack with a durable Postgres ...", flush=True)
    if args.profile:  # the stack's Postgres then tracks statements (pg_stat_statements)
        os.environ["POSTGRES_TRACK_STATEMENTS"] = "1"
    own = Stack(Path(".stack-bench").resolve(), None, durable=True)
    try:
        yield own.start(), own
    finally:
        own.stop()


async def measure(args: argparse.Namespace, stack: dict[str, Any], seeded: bool,
                  folder: Path) -> dict[str, Any]:
    from seeds.load import approve_review_queue, load_seed_marketplace, refresh_statistics

    if seeded:
        print(f"seeding ({args.per_seller} products per seller) ...", flush=True)
        await load_seed_marketplace(stack, per_seller=args.per_seller)
        if args.per_seller > DEFAULT_PER_SELLER:
            print(f"  approved {await approve_review_queue(stack)} listings waiting for review "
                  "(near-duplicate titles of a large seed)", flush=True)
    if not seeded or args.per_seller > DEFAULT_PER_SELLER:
        # the seed analyses at its end; a given stack's data and the approvals are not yet
        await refresh_statistics(stack)
    conn = await asyncpg.connect(stack["database_url"])
    live_products = await conn.fetchval(
        "SELECT count(*) FROM catalog.products WHERE status = 'live'")
    await conn.close()
    described = await conditions.describe(stack, f"{live_products} live products")
    print(described + "\n", flush=True)
    profiler = Profiler(args.profile, stack, folder)
    ceiling = await _timed("ceilings", ceilings_for(stack, args.seconds))
    paths: dict[str, Any] = {}
    wanted = set(args.only.split(",")) if args.only else set(PATHS)
    if "product_detail" in wanted:
        async with profiler.sampling("product_detail", "catalog"):
            paths["product_detail"] = _http(await _timed(
                "product detail", catalog.detail_reads(stack, 32, args.seconds)))
    if "search" in wanted:
        async with profiler.sampling("search", "catalog"):
            paths["search"] = _http(await _timed("search", catalog.search(stack, 8,
                                                                          args.seconds)))
    if "hot_sku" in wanted:
        async with profiler.sampling("hot_sku", "catalog"):
            paths["hot_sku"] = await _timed("hot SKU", catalog.hot_sku(stack))
    if "flash_claims" in wanted:
        async with profiler.sampling("flash_claims", "live"):
            paths["flash_claims"] = await _timed("flash claims",
                                                 live.claims(stack, 5000, 100, 64))
    if "checkout" in wanted:
        async with profiler.sampling("checkout", "orders", "catalog"):
            paths["checkout"] = await _timed("checkout", checkout.run(
                stack, args.checkout_rate, args.checkout_seconds, 20))
    if "fanout" in wanted:
        async with profiler.sampling("fanout", "live"):
            paths["fanout"] = await _timed("fan-out", live.fanout(stack, args.viewers, 20, 2))
        paths["naive_fanout"] = await _timed("naive fan-out",
                                             naive_fanout(stack, args.viewers, 20))
    return {"commit": _commit(), "at": datetime.now(UTC).isoformat(), "conditions": described,
            "live_products": live_products,
            "live_processes": int(stack.get("http_workers", {}).get("live", 1)),
            "ceilings": ceiling, "paths": paths, "targets": TARGETS,
            "profiles": profiler.top}


DEFAULT_PER_SELLER = 120
PATHS = ("product_detail", "search", "hot_sku", "flash_claims", "checkout", "fanout")


def compare(old_file: str, new_file: str) -> None:
    old, new = (json.loads(Path(f).read_text()) for f in (old_file, new_file))
    print(f"{old['commit']} -> {new['commit']}")
    for path, figures in new["paths"].items():
        before = old["paths"].get(path, {})
        for key, value in figures.items():
            if isinstance(value, (int, float)) and isinstance(before.get(key), (int, float)) \
                    and before[key]:
                print(f"  {path}.{key}: {before[key]} -> {value} "
                      f"({100 * (value - before[key]) / before[key]:+.0f} %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", help="a running stack's stack.json (default: start one)")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--checkout-rate", type=float, default=150)
    parser.add_argument("--checkout-seconds", type=float, default=60)
    parser.add_argument("--viewers", type=int, default=10_000)
    parser.add_argument("--per-seller", type=int, default=DEFAULT_PER_SELLER,
                        help="seeded products per seller (22 sellers; 1050 is ten times the "
                             "seed, about 23,000)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", help=f"a comma-separated subset of {','.join(PATHS)} "
                                       "(prints figures, not the table)")
    parser.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"))
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = RESULTS / f"{stamp}-{_commit()}"
    folder.mkdir(parents=True, exist_ok=True)
    with _stack(args) as (stack, own):
        report = asyncio.run(measure(args, stack, own is not None, folder))
    (folder / "results.json").write_text(json.dumps(report, indent=2, default=str))
    if args.only:
        print("\n" + json.dumps(report["paths"], indent=1, default=str))
    else:
        print("\n" + table(report))
    for path, kinds in report["profiles"].items():
        for kind, frames in kinds.items():
            print(f"\nprofile, {path}, {kind}")
            for frame, share in frames:  # shares are floats, counts integers
                print(f"  {share:5.1f} %  {frame}" if isinstance(share, float)
                      else f"  {share:>7}  {frame}")
    print(f"\nresults: {folder / 'results.json'}")


if __name__ == "__main__":
    main()
