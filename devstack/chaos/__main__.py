"""`make chaos` (`python -m devstack.chaos`): the fault suite.

Starts its own Postgres, Redis and Apache Kafka (a broker restart must keep its data) and the
six services, puts a steady checkout load on them, and strikes one fault at a time: every
service killed with SIGKILL and restarted, Postgres and the broker restarted, Redis killed
during a flash deal (and back empty), live killed during a flash deal, a poison record on
every topic, and three instances of every service with one of each killed. Then it waits for
the marketplace to settle and reconciles: every order, payment, reservation, claim, ledger
entry and event accounted for, none lost and none doubled. Prints one row per fault and the
checks, writes them to `<workdir>/chaos.json`, and exits non-zero if anything failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from devstack.chaos import faults
from devstack.chaos.load import CheckoutLoad, ClaimRush, Tokens
from devstack.chaos.reconcile import SERVICES, Check, quiesce, reconcile, units_granted
from devstack.stack import SERVICE_PORTS, Stack
from libs.devstack import servers
from libs.devstack.infra import Infra
from libs.devstack.servers import REPO_ROOT
from ops import dead_letters


def start_servers(workdir: Path, flavour: str) -> tuple[Infra, dict[str, Any]]:
    pg = servers.PostgresServer(workdir / "postgres").start()
    redis = servers.RedisServer(workdir / "redis").start()
    if flavour == "apache":
        jars = servers.resolve_kafka_jars(REPO_ROOT / ".stack" / "kafka-jars")
        kafka: Any = servers.ApacheKafka(workdir / "kafka", jars).start()
    else:
        kafka = servers.TansuBroker(workdir / "kafka").start()
    infra = Infra(pg.admin_url, redis.url, kafka.bootstrap, flavour, {},
                  [kafka.stop, redis.stop, pg.stop])
    return infra, {"postgres": pg, "redis": redis, "kafka": kafka}


async def eventually(probe: Any, within: float = 90, interval: float = 0.3) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(interval)
    raise TimeoutError(f"gave up waiting for {probe.__name__}")


async def open_shop(urls: dict[str, str], tokens: Tokens) -> dict[str, Any]:
    """A verified seller with six listings of deep stock; the last one is for flash deals."""
    async with httpx.AsyncClient(timeout=20) as http:
        seller = (await http.post(f"{urls['catalog']}/v1/sellers",
                                  headers=tokens.header("seller", "chaos-seller"), json={
            "legal_name": "Chaos Goods Ltd", "country": "GB", "business_type": "company",
            "market": "GB"})).json()
        operator = tokens.header("operator", "chaos-ops")
        await http.post(f"{urls['catalog']}/v1/sellers/{seller['id']}/verification",
                        headers=operator)
        headers = tokens.header("seller", "chaos-seller", seller_id=seller["id"])
        category = (await http.post(f"{urls['catalog']}/v1/categories", headers=operator,
                                    json={"name": "Chaos"})).json()["id"]
        products = []
        for n in range(6):
            product = (await http.post(f"{urls['catalog']}/v1/products", headers=headers, json={
                "title": f"Chaos item {n} {os.urandom(6).hex()}", "category_id": category,
                "skus": [{"code": f"CH-{n}", "price_minor": 1000 + n, "currency": "GBP",
                          "stock": 100_000}]})).json()
            await http.post(f"{urls['catalog']}/v1/products/{product['id']}/submission",
                            headers=headers)
            products.append(product)
        probe = tokens.header("buyer", "chaos-probe")

        async def sellable() -> bool:
            for product in products:
                sku = product["skus"][0]["id"]
                put = await http.put(f"{urls['orders']}/v1/cart/lines/{sku}", headers=probe,
                                     json={"quantity": 1})
                if put.status_code != 200:
                    return False
                await http.delete(f"{urls['orders']}/v1/cart/lines/{sku}", headers=probe)
            return True

        await eventually(sellable)
    return {"seller_id": seller["id"], "headers": headers, "products": products}


async def flash_deal(urls: dict[str, str], shop: dict[str, Any]) -> str:
    """A live session with a running deal of 40 units on the shop's last listing."""
    live, headers = urls["live"], shop["headers"]
    product = shop["products"][-1]
    async with httpx.AsyncClient(base_url=live, timeout=20) as http:
        async def scheduled() -> Any:
            answer = await http.post("/v1/live/sessions", headers=headers, json={
                "title": "Chaos live", "scheduled_for": time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            return answer if answer.status_code == 201 else None

        session = (await eventually(scheduled)).json()["id"]
        started = await http.post(f"/v1/live/sessions/{session}/start", headers=headers)
        assert started.status_code == 200, started.text

        async def shown() -> bool:  # live hears of the listing by event, in its own time
            put = await http.put(f"/v1/live/sessions/{session}/showcase/{product['id']}",
                                 headers=headers)
            return put.status_code == 204

        await eventually(shown)
        created = await http.post(f"/v1/live/sessions/{session}/deals", headers=headers, json={
            "sku_id": product["skus"][0]["id"], "deal_price_minor": 500, "quantity": 40,
            "per_buyer_limit": 1, "countdown_seconds": 10, "duration_seconds": 1200})
        assert created.status_code == 201, created.text
        deal = created.json()

        async def running() -> bool:
            got = await http.get(f"/v1/live/deals/{deal['id']}")
            return bool(got.json()["status"] == "live")

        await eventually(running, within=120)
        return str(deal["id"])


async def units_left(live_url: str, deal_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as http:
        deal = (await http.get(f"{live_url}/v1/live/deals/{deal_id}")).json()
    return {"id": deal_id, "quantity": deal["quantity"], "units_left": deal["units_left"]}


async def settled_deal(live_url: str, admin_url: str, deal_id: str,
                       within: float = 90) -> dict[str, Any]:
    """The deal's units once its books add up, or as they stand after `within` seconds: a
    grant whose instance was killed before recording it goes back only when the claims audit
    finds it, a grace period (15 s) after it was decided."""
    began = time.monotonic()
    conn = await asyncpg.connect(admin_url)
    try:
        while True:
            deal = await units_left(live_url, deal_id)
            granted = await units_granted(conn, deal_id)
            if (granted + (deal["units_left"] or 0) == deal["quantity"]
                    or time.monotonic() - began > within):
                return deal
            await asyncio.sleep(1)
    finally:
        await conn.close()


async def run_faults(stack: Stack, held: dict[str, Any], rate: float) -> dict[str, Any]:
    tokens = Tokens(stack.jwt_secret)
    urls, infra = stack.urls, stack.infra
    assert infra is not None
    shop = await open_shop(urls, tokens)
    skus = [p["skus"][0]["id"] for p in shop["products"][:-1]]
    deals = [await flash_deal(urls, shop) for _ in range(1)]
    load = CheckoutLoad(urls["orders"], tokens, skus, rate=rate)
    stop = asyncio.Event()
    loading = asyncio.create_task(load.run(stop))
    await asyncio.sleep(8)  # steady state first
    rows = [await faults.kill_service(stack, name, load) for name in SERVICE_PORTS]
    pg, redis, kafka = held["postgres"], held["redis"], held["kafka"]

    async def restart_postgres() -> None:
        await faults.in_thread(pg.restart)

    async def nothing() -> None:
        return None

    rows.append(await faults.strike("Postgres restarted under load", load, restart_postgres,
                                    nothing, outage_seconds=0))
    if infra.kafka_flavour == "apache":
        async def kill_broker() -> None:
            await faults.in_thread(lambda: kafka.stop(signal.SIGKILL))

        async def broker_back() -> None:
            await faults.in_thread(kafka.restart)

        rows.append(await faults.strike("Kafka broker killed and restarted under load", load,
                                        kill_broker, broker_back, outage_seconds=5))
    rush = ClaimRush(urls["live"], tokens, deals[0])

    async def kill_redis() -> None:
        await faults.in_thread(lambda: redis.stop(signal.SIGKILL))

    async def redis_back_empty() -> None:
        await faults.in_thread(redis.start)

    rows.append(await faults.kill_during_deal(
        stack, load, rush, "Redis killed during a flash deal, back empty", kill_redis,
        redis_back_empty))

    async def kill_live() -> None:
        stack.kill("live")

    async def live_back() -> None:
        stack.launch("live")
        await faults.in_thread(lambda: stack._wait_ready(urls={"live": urls["live"]}))

    rows.append(await faults.kill_during_deal(stack, load, rush, "kill -9 live during a flash deal",
                                              kill_live, live_back))
    poison_keys: set[bytes] = set()

    async def poison() -> None:
        poison_keys.update(await faults.poison_every_topic(infra.kafka_bootstrap_servers,
                                                           infra.kafka_idempotence))

    rows.append(await faults.strike("a poison record on every topic", load, poison, nothing,
                                    outage_seconds=5))
    rows.append(await faults.three_instances(stack, load))
    stop.set()
    await loading
    settled = await quiesce(infra.admin_database_url)
    letters = {s: await dead_letters.read(infra.kafka_bootstrap_servers, s) for s in SERVICES}
    checks = await reconcile(infra.admin_database_url, load.tally.acked,
                             {sku: 100_000 for sku in skus},
                             await settled_deal(urls["live"], infra.admin_database_url, deals[0]),
                             poison_keys, letters)
    if load.tally.server_errors:
        checks.append(Check("no 500 answered to a client", False,
                            f"{load.tally.server_errors} 500s"))
    return {"rows": rows, "checks": checks, "settled_seconds": round(settled, 1),
            "tally": load.tally}


def report(outcome: dict[str, Any], path: Path) -> bool:
    rows, checks, tally = outcome["rows"], outcome["checks"], outcome["tally"]
    print(f"\n{'fault':<50} {'checkout again':>14} {'acked during':>12} {'retries':>8}  notes")
    for row in rows:
        served = f"{row.recovered_seconds} s" if row.recovered_seconds is not None else "NEVER"
        print(f"{row.fault:<50} {served:>14} {row.acked_during:>12} "
              f"{row.retried_by_clients:>8}  {'; '.join(row.notes)}")
    print("(checkout again: from the fault to the first checkout acknowledged after it was "
          "lifted; acked during: checkouts acknowledged while it was on; retries: answers "
          "clients had to retry with the same Idempotency-Key)")
    print(f"\ncheckouts attempted {tally.attempts}, orders acknowledged {len(tally.acked)}, "
          f"refusals {tally.refused or 'none'}; settled {outcome['settled_seconds']} s after "
          "the load stopped\n")
    for check in checks:
        print(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    ok = all(row.ok for row in rows) and all(check.ok for check in checks)
    path.write_text(json.dumps({
        "rows": [{"fault": r.fault, "checkout_again_seconds": r.recovered_seconds,
                  "acked_during": r.acked_during,
                  "client_retries": r.retried_by_clients, "notes": r.notes} for r in rows],
        "checks": [check.__dict__ for check in checks],
        "orders_acknowledged": len(tally.acked), "ok": ok}, indent=2))
    print(f"\n{'every fault recovered and every count reconciled' if ok else 'FAILED'} "
          f"(written to {path})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=REPO_ROOT / ".stack" / "chaos")
    parser.add_argument("--kafka", choices=["apache", "tansu"],
                        default=os.environ.get("KAFKA_FLAVOUR", "apache"),
                        help="tansu keeps nothing across a restart: its row is left out")
    parser.add_argument("--rate", type=float, default=4, help="checkouts a second")
    args = parser.parse_args()
    if args.workdir.exists():
        shutil.rmtree(args.workdir)
    args.workdir.mkdir(parents=True)
    infra, held = start_servers(args.workdir / "servers", args.kafka)
    stack = Stack(args.workdir, args.kafka, infra=infra)
    try:
        stack.start()
        outcome = asyncio.run(run_faults(stack, held, args.rate))
        return 0 if report(outcome, args.workdir / "chaos.json") else 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
