"""Fulfillment through the real pipeline, printed as figures (not asserted):
`make bench-fulfillment`.

Against a running stack: a bench seller's SKUs are received into a bench warehouse (inbound plans
through the API), buyers check out at a target rate, and a warehouse crew of concurrent
operators drives every parcel through waves, pick, pack, label and hand-over (the API, as a
floor would). A Kafka watcher times each order from `order.confirmed` to
`fulfillment_order.allocated` and to `shipment.shipped`; the simulated carrier then delivers.

Printed beside the same run's checkout rate and the machine's ceiling for durable commits
(measured in the same run, on the same Postgres): fulfillment keeps up when its shipped rate
matches the confirmed rate.
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

import httpx
from aiokafka import AIOKafkaConsumer

from benchmarks import conditions
from benchmarks.ceilings import commits_per_second
from benchmarks.checkout import ADDRESS
from benchmarks.load import RawClient, open_loop, pct
from libs.auth.dev_token import mint
from libs.events.envelope import from_kafka

UNITS_PER_SKU = 100_000


async def commit_ceiling(database_url: str, seconds: float = 5, connections: int = 8) -> float:
    """Durable single-row commits per second this machine's Postgres sustains: the ceiling
    every figure here is a fraction of."""
    return await commits_per_second(
        database_url, connections, seconds,
        setup="CREATE TABLE IF NOT EXISTS public.bench_ceiling "
              "(id bigserial PRIMARY KEY, at timestamptz DEFAULT now())",
        statement="INSERT INTO public.bench_ceiling DEFAULT VALUES",
        teardown="DROP TABLE public.bench_ceiling")


async def setup(client: httpx.AsyncClient, stack: dict[str, Any], skus: int) -> dict[str, Any]:
    """A verified seller, `skus` products received into a bench warehouse, known to orders."""
    services, secret = stack["services"], stack["jwt_secret"]
    catalog, fulfillment = services["catalog"], services["fulfillment"]
    subject = f"bench-{secrets.token_hex(3)}"
    operator = {"Authorization": "Bearer " + mint(secret, subject="bench-ops", roles=["operator"])}
    seller = (await client.post(f"{catalog}/v1/sellers", json={
        "legal_name": "Bench Fulfilment Ltd", "country": "GB", "business_type": "company",
        "market": "GB"}, headers={"Authorization": "Bearer " + mint(
            secret, subject=subject, roles=["seller"])})).json()
    await client.post(f"{catalog}/v1/sellers/{seller['id']}/verification", headers=operator)
    headers = {"Authorization": "Bearer " + mint(secret, subject=subject, roles=["seller"],
                                                 seller_id=seller["id"])}
    warehouse = (await client.post(f"{fulfillment}/v1/warehouses", headers={
        **operator, "Idempotency-Key": subject}, json={
        "code": f"BENCH-{subject[-6:].upper()}", "name": "Bench Wakefield FBT", "market": "GB",
        "country": "GB", "postcode": "WF2 0XQ", "address": "Calder Park, Wakefield",
        "timezone": "Europe/London", "cutoff": "23:59", "handling_days": 1,
        "zones_served": ["GB-NOR", "GB-MID"],
        "services": [{"carrier": "Royal Mail", "service": "Tracked 48", "speed": "standard",
                      "transit_days": 2}], "capacity_units": UNITS_PER_SKU * skus * 2})).json()
    category = (await client.post(f"{catalog}/v1/categories", headers=operator, json={
        "name": f"Bench {subject}"})).json()["id"]
    ids = []
    for n in range(skus):
        product = (await client.post(f"{catalog}/v1/products", headers=headers, json={
            "title": f"{secrets.token_hex(5)} wool throw", "category_id": category, "skus": [{
                "code": f"BF-{subject}-{n}", "price_minor": 3500 + n, "currency": "GBP",
                "stock": 0, "weight_grams": 700}]})).json()
        await client.post(f"{catalog}/v1/products/{product['id']}/submission", headers=headers)
        ids.append(product["skus"][0]["id"])
    lines = [{"sku_id": sku, "quantity": UNITS_PER_SKU} for sku in ids]
    body = {"ship_from": {"country": "GB", "postcode": "WF1 1AA"}, "lines": lines,
            "cartons": [{"weight_grams": 20_000, "length_mm": 600, "width_mm": 400,
                         "height_mm": 400, "contents": [line]} for line in lines]}
    print(f"  {skus} bench SKUs live; planning their inbound shipment", flush=True)
    for _ in range(120):
        response = await client.post(f"{fulfillment}/v1/inbound-plans", json=body,
                                     headers={**headers, "Idempotency-Key": subject})
        if response.status_code == 201:
            break
        await asyncio.sleep(0.5)
    plan = response.json()
    if plan.get("warehouse_id") != warehouse["id"]:
        raise RuntimeError(f"the bench stock did not go to the bench warehouse: {plan}")
    path = f"{fulfillment}/v1/inbound-plans/{plan['id']}"
    await client.post(f"{path}/confirmation", headers=headers)
    await client.post(f"{path}/transport", headers=headers,
                      json={"carrier": "DPD", "tracking_number": "15501234567890"})
    for step in ("arrival", "receiving"):
        await client.post(f"{path}/{step}", headers=operator)
    await client.post(f"{path}/receipt", headers=operator, json={"counts": [
        {"sku_id": sku, "good": UNITS_PER_SKU} for sku in ids]})
    probe = {"Authorization": "Bearer " + mint(secret, subject="bench-probe", roles=["buyer"])}
    for sku in ids:  # orders knows the SKU and catalog sells the received units
        for _ in range(240):
            stock = (await client.get(f"{catalog}/v1/skus/{sku}/stock", headers=headers)).json()
            cart = await client.put(f"{services['orders']}/v1/cart/lines/{sku}", headers=probe,
                                    json={"quantity": 1})
            if stock.get("available") == UNITS_PER_SKU and cart.status_code == 200:
                break
            await asyncio.sleep(0.25)
        else:
            raise RuntimeError(f"SKU {sku} never became sellable")
        await client.delete(f"{services['orders']}/v1/cart/lines/{sku}", headers=probe)
    return {"skus": ids, "warehouse": warehouse["id"], "operator": operator}


def confirmed(accepted: list[str], seen: dict[str, dict[str, float]]) -> list[str]:
    return [o for o in accepted if "order.confirmed" in seen.get(o, {})]


class Floor:
    """The warehouse crew: waves of parcels, each picked, packed, labelled and handed over."""

    def __init__(self, client: httpx.AsyncClient, fulfillment: str, warehouse: str,
                 operator: dict[str, str], crew: int) -> None:
        self.client, self.base = client, f"{fulfillment}/v1/warehouses/{warehouse}"
        self.operator, self.crew = operator, crew
        self.errors: Counter[str] = Counter()
        self.handed_over = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            wave = await self.client.post(f"{self.base}/waves", json={"size": 100}, headers={
                **self.operator, "Idempotency-Key": secrets.token_hex(8)})
            parcels = wave.json().get("parcels", []) if wave.status_code == 201 else []
            if not parcels:
                await asyncio.sleep(0.2)
                continue
            queue: asyncio.Queue[str] = asyncio.Queue()
            for parcel in parcels:
                queue.put_nowait(parcel["id"])
            await asyncio.gather(*(self._work(queue) for _ in range(self.crew)))

    async def _work(self, queue: asyncio.Queue[str]) -> None:
        while not queue.empty():
            parcel = queue.get_nowait()
            steps = [("pick", None), ("pack", {"weight_grams": 800, "length_mm": 350,
                                               "width_mm": 250, "height_mm": 120}),
                     ("label", None), ("handover", None)]
            for step, body in steps:
                response = await self.client.post(f"{self.base}/parcels/{parcel}/{step}",
                                                  json=body, headers=self.operator)
                if response.status_code != 200:
                    self.errors[f"{step}:{response.status_code}"] += 1
                    break
            else:
                self.handed_over += 1


async def run(stack: dict[str, Any], rate: float, seconds: float, skus: int, crew: int) -> None:
    services, secret = stack["services"], stack["jwt_secret"]
    print("  measuring the machine's durable commit ceiling ...", flush=True)
    ceiling = await commit_ceiling(stack["database_url"])
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        print("  setting up a seller, a warehouse and received stock ...", flush=True)
        world = await setup(client, stack, skus)
        seen: dict[str, dict[str, float]] = {}
        watcher = AIOKafkaConsumer("orders.order.v1", "fulfillment.shipment.v1",
                                   bootstrap_servers=stack["kafka_bootstrap"],
                                   group_id=f"bench-{secrets.token_hex(3)}",
                                   auto_offset_reset="latest", enable_auto_commit=False)
        await watcher.start()
        while len(watcher.assignment()) == 0:
            await watcher.getmany(timeout_ms=200)
        stop_watching = asyncio.Event()
        wanted = {"order.confirmed", "order.cancelled", "fulfillment_order.allocated",
                  "shipment.shipped", "shipment.delivered"}

        async def watch() -> None:
            while not stop_watching.is_set():
                for records in (await watcher.getmany(timeout_ms=200)).values():
                    now = time.perf_counter()
                    for record in records:
                        event = from_kafka(record.key, record.value, record.headers)
                        if event.type in wanted:
                            seen.setdefault(event.data["order_id"], {}).setdefault(event.type, now)

        watching = asyncio.create_task(watch())
        floor = Floor(client, services["fulfillment"], world["warehouse"], world["operator"], crew)
        stop_floor = asyncio.Event()
        floor_task = asyncio.create_task(floor.run(stop_floor))

        print(f"  offering {rate} checkouts/s for {seconds:.0f} s; a crew of {crew} ships ...",
              flush=True)
        raw = RawClient(services["orders"], connections=max(4, min(128, int(rate))))
        run_id, accepted, failures = secrets.token_hex(3), list[str](), Counter[str]()
        checkout_body = json.dumps({"shipping_address": {**ADDRESS, "postcode": "M1 1AE"},
                                    "payment": {"method": "pm_card_visa"}}).encode()

        async def one_buyer(n: int) -> None:
            token = mint(secret, subject=f"bench-fbt-{run_id}-{n}", roles=["buyer"])
            buyer = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            sku = world["skus"][n % len(world["skus"])]
            try:
                await raw.request("PUT", f"/v1/cart/lines/{sku}", buyer, b'{"quantity": 1}')
                status, payload = await raw.request(
                    "POST", "/v1/checkout", {**buyer, "Idempotency-Key": f"{run_id}-{n}"},
                    checkout_body)
                if status != 201:
                    failures[str(status)] += 1
                    return
                accepted.extend(o["id"] for o in json.loads(payload)["orders"])
            except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
                failures[type(exc).__name__] += 1

        n, begin, offered = await open_loop(rate, seconds, one_buyer)
        await raw.close()
        drain = time.perf_counter() + 180
        while time.perf_counter() < drain and any(  # noqa: ASYNC110 - a shared dict
                "shipment.shipped" not in seen.get(o, {}) for o in confirmed(accepted, seen)):
            await asyncio.sleep(0.5)
        stop_floor.set()
        await floor_task
        stop_watching.set()
        await watching
        await watcher.stop()

    done = confirmed(accepted, seen)
    allocated = [seen[o]["fulfillment_order.allocated"] - seen[o]["order.confirmed"]
                 for o in done if "fulfillment_order.allocated" in seen[o]]
    shipped = [seen[o]["shipment.shipped"] for o in done if "shipment.shipped" in seen[o]]
    first = min((seen[o]["order.confirmed"] for o in done), default=begin)
    confirmed_rate = len(done) / max(max((seen[o]["order.confirmed"] for o in done),
                                         default=first) - first, 1e-9)
    shipped_rate = len(shipped) / max(max(shipped, default=first) - first, 1e-9)
    print(f"offered {n} checkouts at {rate}/s over {offered:.0f} s; accepted {len(accepted)}; "
          f"refused {dict(failures)}; confirmed {len(done)}")
    print(f"  checkout (same run): {len(done)} confirmed at {confirmed_rate:.1f} orders/s")
    print(f"  confirmed -> allocated: p50 {pct(allocated, 50) * 1000:.0f} ms, "
          f"p99 {pct(allocated, 99) * 1000:.0f} ms over {len(allocated)} orders")
    print(f"  confirmed -> shipped: {len(shipped)} of {len(done)} shipped, "
          f"{shipped_rate:.1f} orders/s through the floor (crew {crew}); floor errors "
          f"{dict(floor.errors)}")
    print(f"  delivered by the simulated carrier before the end: "
          f"{sum(1 for o in done if 'shipment.delivered' in seen[o])}")
    print(f"  machine ceiling: {ceiling:,.0f} durable commits/s; checkout at "
          f"{confirmed_rate / ceiling:.2%} of it, shipping at {shipped_rate / ceiling:.2%} "
          f"(ratio shipped/confirmed {shipped_rate / max(confirmed_rate, 1e-9):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default=".stack/stack.json")
    parser.add_argument("--rate", type=float, default=40, help="checkouts per second offered")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--skus", type=int, default=10)
    parser.add_argument("--crew", type=int, default=8, help="concurrent warehouse operators")
    args = parser.parse_args()
    stack = json.loads(Path(args.stack).read_text())
    print(asyncio.run(conditions.describe(stack)), flush=True)
    asyncio.run(run(stack, args.rate, args.seconds, args.skus, args.crew))


if __name__ == "__main__":
    main()
