"""Checkout end to end, printed as figures (not asserted): `make bench-checkout`.

Open-loop load at a target rate: each virtual buyer puts a SKU in the cart and checks out (the
checkout request's own latency is measured); the time to the order's outcome is measured from
the checkout request to the `order.confirmed` / `order.cancelled` event on Kafka. Afterwards a
reconciliation: every accepted order confirmed or cancelled for a stated reason, none lost or
doubled, and catalog's stock consistent with the confirmed orders.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer

from benchmarks import conditions
from benchmarks.checkout_stages import print_stages, stage_times
from benchmarks.load import RawClient, open_loop, pct
from benchmarks.service_metrics import PHASES, histograms, window_figures
from libs.auth.dev_token import mint
from libs.events.envelope import from_kafka

ADDRESS = {"name": "Bench Buyer", "line1": "1 Test Street", "city": "Leeds",
           "postcode": "LS1 1AA", "country": "GB"}
UNITS = 1_000_000
SETTLE_SECONDS = 600  # a backlog of a minute's overload drains in a few minutes here
UNDECIDED = ("awaiting_stock", "awaiting_payment")  # on_hold is confirmed, in its hold window


async def setup(client: httpx.AsyncClient, stack: dict[str, Any], skus: int) -> list[str]:
    catalog, secret = stack["services"]["catalog"], stack["jwt_secret"]
    subject = f"bench-{secrets.token_hex(3)}"
    operator = {"Authorization": "Bearer " + mint(secret, subject="bench-ops", roles=["operator"])}
    seller = (await client.post(f"{catalog}/v1/sellers", json={
        "legal_name": "Bench Checkout Ltd", "country": "GB", "business_type": "company",
        "market": "GB"}, headers={"Authorization": "Bearer " + mint(
            secret, subject=subject, roles=["seller"])})).json()
    await client.post(f"{catalog}/v1/sellers/{seller['id']}/verification", headers=operator)
    headers = {"Authorization": "Bearer " + mint(secret, subject=subject, roles=["seller"],
                                                 seller_id=seller["id"])}
    category = (await client.post(f"{catalog}/v1/categories", headers=operator, json={
        "name": f"Bench {subject}"})).json()["id"]
    ids = []
    for n in range(skus):
        product = (await client.post(f"{catalog}/v1/products", headers=headers, json={
            # Distinct titles: near-duplicates would (rightly) wait for an operator.
            "title": f"{secrets.token_hex(5)} stoneware mug", "category_id": category, "skus": [{
                "code": f"BM-{subject}-{n}", "price_minor": 1500 + n, "currency": "GBP",
                "stock": UNITS}]})).json()
        submitted = (await client.post(f"{catalog}/v1/products/{product['id']}/submission",
                                       headers=headers)).json()
        if submitted["outcome"] != "auto_approved":
            raise RuntimeError(f"bench product not approved: {submitted['reasons']}")
        ids.append(product["skus"][0]["id"])
    print(f"  {skus} bench products live; waiting for orders to hear of them", flush=True)
    probe = {"Authorization": "Bearer " + mint(secret, subject="bench-probe", roles=["buyer"])}
    deadline = time.perf_counter() + 60
    for sku in ids:  # wait until orders has heard of every SKU
        while (await client.put(f"{stack['services']['orders']}/v1/cart/lines/{sku}",
                                headers=probe, json={"quantity": 1})).status_code != 200:
            if time.perf_counter() > deadline:
                raise RuntimeError("orders never heard of the bench products")
            await asyncio.sleep(0.2)
        await client.delete(f"{stack['services']['orders']}/v1/cart/lines/{sku}", headers=probe)
    return ids


async def run(stack: dict[str, Any], rate: float, seconds: float,
              skus: int) -> dict[str, Any]:
    orders_url, secret = stack["services"]["orders"], stack["jwt_secret"]
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        print("  setting up a seller and products ...", flush=True)
        sku_ids = await setup(client, stack, skus)
        print("  joining the outcome watcher ...", flush=True)
        outcomes: dict[str, tuple[str, float]] = {}
        watcher = AIOKafkaConsumer("orders.order.v1", bootstrap_servers=stack["kafka_bootstrap"],
                                   group_id=f"bench-{secrets.token_hex(3)}",
                                   auto_offset_reset="latest", enable_auto_commit=False,
                                   fetch_max_wait_ms=conditions.fetch_max_wait_ms())
        await watcher.start()
        while not watcher.assignment():
            await watcher.getmany(timeout_ms=200)
        stop_watching = asyncio.Event()

        async def watch() -> None:
            while not stop_watching.is_set():
                for records in (await watcher.getmany(timeout_ms=200)).values():
                    now = time.perf_counter()
                    for record in records:
                        event = from_kafka(record.key, record.value, record.headers)
                        if event.type in ("order.confirmed", "order.cancelled"):
                            outcomes.setdefault(event.data["order_id"], (event.type, now))

        watching = asyncio.create_task(watch())
        print(f"  offering {rate} checkouts/s for {seconds:.0f} s ...", flush=True)
        started_at: dict[str, float] = {}
        checkout_ms: list[float] = []
        accepted_ms: list[float] = []  # the 201s alone: a turned-away buyer's answer is quick
        failures: Counter[str] = Counter()
        accepted: list[str] = []

        raw = RawClient(orders_url, connections=256)
        checkout_body = json.dumps({"shipping_address": ADDRESS,
                                    "payment": {"method": "pm_card_visa"}}).encode()
        cart_body = json.dumps({"quantity": 1}).encode()

        async def one_buyer(n: int) -> None:
            token = mint(secret, subject=f"bench-buyer-{run_id}-{n}", roles=["buyer"])
            buyer = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            sku = sku_ids[n % len(sku_ids)]
            try:
                status, _ = await raw.request("PUT", f"/v1/cart/lines/{sku}", buyer, cart_body)
                if status != 200:  # turned away at the cart: checking out would find it empty
                    failures[f"{status} at the cart"] += 1
                    return
                began = time.perf_counter()
                status, payload = await raw.request(
                    "POST", "/v1/checkout", {**buyer, "Idempotency-Key": f"{run_id}-{n}"},
                    checkout_body)
                elapsed_ms = (time.perf_counter() - began) * 1000
                checkout_ms.append(elapsed_ms)
                if status != 201:
                    failures[str(status)] += 1
                    return
                accepted_ms.append(elapsed_ms)
                for order in json.loads(payload)["orders"]:
                    started_at[order["id"]] = began
                    accepted.append(order["id"])
            except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
                failures[type(exc).__name__] += 1

        run_id = secrets.token_hex(3)  # buyers and keys are new on every run
        wall_clock = time.time() - time.perf_counter()  # to compare with the stack's records
        watched = {"orders": orders_url, "catalog": stack["services"]["catalog"]}
        seen_before = {s: await histograms(client, url) for s, url in watched.items()}
        n, begin, offered = await open_loop(rate, seconds, one_buyer)
        seen_after = {s: await histograms(client, url) for s, url in watched.items()}
        inside = {k: v for name in seen_after["orders"] for k, v in window_figures(
            name, seen_before["orders"][name], seen_after["orders"][name]).items()}
        turns = {s: {phase: window_figures(phase, seen_before[s][f"consumer_{phase}"],
                                           seen_after[s][f"consumer_{phase}"])
                     for phase in PHASES} for s in watched}
        await raw.close()
        deadline = time.perf_counter() + 120
        while len([o for o in accepted if o in outcomes]) < len(accepted) and \
                time.perf_counter() < deadline:  # noqa: ASYNC110 - progress is a shared dict
            await asyncio.sleep(0.5)
        stop_watching.set()
        await watching
        await watcher.stop()

    e2e = [(outcomes[o][1] - started_at[o]) * 1000 for o in accepted if o in outcomes]
    # Decided while the load was on: a run that queued its overload drains it afterwards with
    # the HTTP side idle, which `decided_per_second` (to the last outcome) counts in its favour.
    under_load = sum(1 for o in accepted if o in outcomes and outcomes[o][1] <= begin + offered)
    kinds = Counter(outcomes[o][0] for o in accepted if o in outcomes)
    last = max((outcomes[o][1] for o in accepted if o in outcomes), default=begin)
    print(f"offered {n} checkouts at {rate}/s over {offered:.0f} s; accepted {len(accepted)}; "
          f"refused {dict(failures)}")
    print(f"  checkout request: p50 {pct(checkout_ms, 50):.0f} ms, p99 {pct(checkout_ms, 99):.0f} ms"
          f" (accepted only: p50 {pct(accepted_ms, 50):.0f} ms, "
          f"p99 {pct(accepted_ms, 99):.0f} ms)")
    print(f"  checkout -> outcome event: p50 {pct(e2e, 50):.0f} ms, p99 {pct(e2e, 99):.0f} ms; "
          f"outcomes {dict(kinds)}; {len(e2e) / (last - begin):.1f} orders/s decided "
          f"({under_load / offered:.1f}/s while the load was on)")
    print(f"  inside orders while offered: event loop lag p50 ≤ {inside['loop_lag_p50_s']} s, "
          f"p99 ≤ {inside['loop_lag_p99_s']} s ({inside['loop_lag_over_100ms_share']:.1%} of "
          f"probes over 100 ms); checkout in the app (answered and refused) p50 ≤ "
          f"{inside['checkout_in_app_p50_s']} s, p99 ≤ {inside['checkout_in_app_p99_s']} s")
    for service, phases in turns.items():
        figures = ", ".join(f"{phase} ≤ {f[f'{phase}_p50_s']} / {f[f'{phase}_p99_s']} s"
                            for phase, f in phases.items())
        print(f"  the consumer of {service}, its turns while offered (p50 / p99): {figures}")
    stages = await stage_times(
        stack["database_url"], {o: started_at[o] + wall_clock for o in accepted},
        {o: outcomes[o][1] + wall_clock for o in accepted
         if outcomes.get(o, ("",))[0] == "order.confirmed"})
    print_stages(stages)
    reconciled = await reconcile(stack, accepted, sku_ids)
    return {"offered": n, "rate": rate, "seconds": round(offered), "accepted": len(accepted),
            "refused": dict(failures), "decided_per_second": round(len(e2e) / (last - begin), 1),
            "decided_under_load_per_second": round(under_load / offered, 1),
            "request_p50_ms": round(pct(checkout_ms, 50)),
            "request_p99_ms": round(pct(checkout_ms, 99)),
            "accepted_request_p99_ms": round(pct(accepted_ms, 99)),
            "outcome_p50_ms": round(pct(e2e, 50)), "outcome_p99_ms": round(pct(e2e, 99)),
            "outcomes": dict(kinds), **inside, "consumer_turns": turns, "stages": stages,
            **reconciled}


async def reconcile(stack: dict[str, Any], accepted: list[str],
                    sku_ids: list[str]) -> dict[str, Any]:
    conn = await asyncpg.connect(stack["database_url"])
    try:
        settle_began = time.perf_counter()
        while not await _settled(conn, accepted):
            if time.perf_counter() - settle_began > SETTLE_SECONDS:
                await _print_unsettled(conn, accepted)
                break
            await asyncio.sleep(1)
        settle_seconds = time.perf_counter() - settle_began
        rows = await conn.fetch(
            """SELECT o.status, o.cancel_reason, count(*) AS n FROM orders.orders o
               WHERE o.id = ANY($1::uuid[]) GROUP BY 1, 2""", accepted)
        stored = await conn.fetchval("SELECT count(*) FROM orders.orders WHERE id = ANY($1::uuid[])",
                                     accepted)
        doubled = await conn.fetchval(
            """SELECT count(*) FROM (SELECT checkout_id FROM orders.orders
               WHERE buyer_id LIKE 'bench-buyer-%' GROUP BY buyer_id, checkout_id
               HAVING count(*) > 1) d""")
        confirmed_units = await conn.fetchval(
            """SELECT coalesce(sum(l.quantity), 0) FROM orders.order_lines l
               JOIN orders.orders o ON o.id = l.order_id
               WHERE o.id = ANY($1::uuid[]) AND o.status <> 'cancelled'""", accepted)
        stock = await conn.fetchrow(
            """SELECT sum(on_hand) AS on_hand, sum(reserved) AS reserved FROM catalog.stock
               WHERE sku_id = ANY($1::uuid[])""", sku_ids)
    finally:
        await conn.close()
    by_status = {f"{r['status']}{'/' + r['cancel_reason'] if r['cancel_reason'] else ''}": r["n"]
                 for r in rows}
    print(f"  reconciliation after {settle_seconds:.0f} s of settling: {stored} of "
          f"{len(accepted)} accepted orders stored, {doubled} doubled; by status {by_status}")
    print(f"  stock: units confirmed {confirmed_units}; catalog on hand "
          f"{UNITS * len(sku_ids) - stock['on_hand']} fewer, reserved {stock['reserved']} "
          f"(consistent: {UNITS * len(sku_ids) - stock['on_hand'] == confirmed_units})")
    return {"stored": int(stored), "doubled": int(doubled), "settle_seconds": round(settle_seconds),
            "reconciled": stored == len(accepted) and doubled == 0
            and UNITS * len(sku_ids) - stock["on_hand"] == confirmed_units}


async def _settled(conn: asyncpg.Connection, accepted: list[str]) -> bool:
    """Every accepted order decided and every reservation of theirs committed or released.

    Under overload the saga's backlog drains after the offered load stops; judging stock
    before it has drained would report a backlog as a loss.
    """
    return bool(await conn.fetchval(
        """SELECT NOT EXISTS (SELECT 1 FROM catalog.reservations
                              WHERE order_id = ANY($1::uuid[]) AND status = 'active')
              AND NOT EXISTS (SELECT 1 FROM orders.orders WHERE id = ANY($1::uuid[])
                              AND status = ANY($2::text[]))""", accepted, list(UNDECIDED)))


async def _print_unsettled(conn: asyncpg.Connection, accepted: list[str]) -> None:
    """What is still open after the settle window, by the order's state, to tell a backlog
    (orders still undecided) from a leak (a decided order whose stock is still held)."""
    rows = await conn.fetch(
        """SELECT o.status, count(*) AS n FROM catalog.reservations r
           JOIN orders.orders o ON o.id = r.order_id
           WHERE r.order_id = ANY($1::uuid[]) AND r.status = 'active' GROUP BY 1""", accepted)
    undecided = await conn.fetchval(
        "SELECT count(*) FROM orders.orders WHERE id = ANY($1::uuid[]) AND status = ANY($2::text[])",
        accepted, list(UNDECIDED))
    print(f"  not settled after {SETTLE_SECONDS} s: {undecided} orders undecided; active "
          f"reservations by order status {({r['status']: r['n'] for r in rows})}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default=".stack/stack.json")
    parser.add_argument("--rate", type=float, default=150, help="checkouts per second offered")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--skus", type=int, default=20)
    args = parser.parse_args()
    stack = json.loads(Path(args.stack).read_text())
    print(asyncio.run(conditions.describe(stack)), flush=True)
    asyncio.run(run(stack, args.rate, args.seconds, args.skus))


if __name__ == "__main__":
    main()
