"""The orders process is killed (SIGKILL) while a payment is in flight, once for an order's
authorization and once for a gift-token top-up; a new process settles it from the database
and the buyer is charged exactly once."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from libs.devstack.infra import Infra
from libs.devstack.servers import REPO_ROOT, free_port
from libs.testing import QUICK_TIMINGS, TEST_CLAIM_SECRET, TEST_JWT_SECRET, bearer, eventually, run_service
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings

pytestmark = pytest.mark.kafka
SLOW_CARD = "pm_card_slow"  # the simulator charges at once and answers after 2 s


def start_orders(infra: Infra, database_url: str, port: int, group: str, log: Path,
                 **extra_env: str) -> subprocess.Popen[bytes]:
    """An orders process of its own, logging warnings to `log`, which a failure shows."""
    env = {**os.environ, **extra_env, "DATABASE_URL": database_url, "REDIS_URL": infra.redis_url,
           "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
           "KAFKA_IDEMPOTENT_PRODUCER": str(infra.kafka_idempotence).lower(),
           "JWT_SECRET": TEST_JWT_SECRET, "CLAIM_TOKEN_SECRET": TEST_CLAIM_SECRET,
           "HTTP_PORT": str(port), "CONSUMER_GROUP": group,
           "DEADLINE_LEASE_SECONDS": "1", "LOG_LEVEL": "WARNING",
           **{name.upper(): str(value) for name, value in QUICK_TIMINGS.items()}}
    with log.open("ab") as output:
        return subprocess.Popen([sys.executable, "-m", "services.orders"], env=env,
                                cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT)


async def status_of(database: asyncpg.Connection, order_id: str) -> str | None:
    status: str | None = await database.fetchval("SELECT status FROM orders WHERE id = $1",
                                                 uuid.UUID(order_id))
    return status


async def charges_of(database: asyncpg.Connection, order_id: str) -> int:
    """The simulated provider's authorisations of the order (it records one before it answers)."""
    return int(await database.fetchval(
        "SELECT count(*) FROM simulated_provider_calls WHERE idempotency_key = $1",
        f"authorize-{order_id}"))


async def diagnosis(database: asyncpg.Connection, order_id: str, log: Path) -> str:
    """What a failure message needs: where the order got to, and what its process logged."""
    status = await status_of(database, order_id)
    logged = log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
    return f"order {order_id} is {status!r}; the orders process logged:\n{logged}"


async def ready(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


async def test_a_killed_orders_process_resumes_the_saga_and_charges_once(
    infra: Infra, service_db_urls: dict[str, str], settings_for: Callable[..., Any],
    tmp_path: Path,
) -> None:
    port, group = free_port(), f"orders-{secrets.token_hex(3)}"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    database = await asyncpg.connect(service_db_urls["orders"],
                                     server_settings={"search_path": "orders"})
    first = start_orders(infra, service_db_urls["orders"], port, group, first_log)
    second = None
    try:
        async with (
            run_service(create_catalog(settings_for(CatalogSettings))) as catalog,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as orders,
        ):
            assert await eventually(lambda: ready(orders), timeout=60)
            subject = f"seller-{secrets.token_hex(3)}"
            seller = (await catalog.client.post("/v1/sellers", headers=bearer("seller", subject),
                                                json={"legal_name": "Crash Test Ltd",
                                                      "country": "GB", "business_type": "company",
                                                      "market": "GB"})).json()
            await catalog.client.post(f"/v1/sellers/{seller['id']}/verification",
                                      headers=bearer("operator"))
            headers = bearer("seller", subject, seller_id=seller["id"])
            category = (await catalog.client.post("/v1/categories", headers=bearer("operator"),
                                                  json={"name": f"C {subject}"})).json()["id"]
            product = (await catalog.client.post("/v1/products", headers=headers, json={
                "title": "Stoneware teapot", "category_id": category, "skus": [{
                    "code": f"TP-{subject}", "price_minor": 3200, "currency": "GBP",
                    "stock": 5}]})).json()
            await catalog.client.post(f"/v1/products/{product['id']}/submission", headers=headers)
            sku = product["skus"][0]["id"]
            buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")

            async def in_cart() -> bool:
                response = await orders.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                            json={"quantity": 1})
                return response.status_code == 200

            assert await eventually(in_cart, timeout=60)
            placed = await orders.post("/v1/checkout", headers={**buyer, "Idempotency-Key": "k1"},
                                       json={"shipping_address": {
                                           "name": "A", "line1": "1 High St", "city": "Bath",
                                           "postcode": "BA1 1AA", "country": "GB"},
                                           "payment": {"method": SLOW_CARD}})
            order_id = placed.json()["orders"][0]["id"]

            async def charged() -> bool:  # the provider answers 2 s after this
                return await charges_of(database, order_id) > 0

            # Watched in the database, not through the process about to die: a status poll
            # answered late by a busy process could miss the 2 s window.
            charged_in_time = await eventually(charged, timeout=60, interval=0.02)
            assert charged_in_time, await diagnosis(database, order_id, first_log)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            status = await status_of(database, order_id)
            assert status == "awaiting_payment", "killed after the answer, not inside it"

            second = start_orders(infra, service_db_urls["orders"], port, group, second_log)
            assert await eventually(lambda: ready(orders), timeout=60)

            async def held() -> bool:
                order = (await orders.get(f"/v1/orders/{order_id}", headers=buyer)).json()
                return bool(order.get("status") == "on_hold")

            assert await eventually(held, timeout=60), await diagnosis(database, order_id,
                                                                       second_log)
            charges = await charges_of(database, order_id)
            assert charges == 1
    finally:
        await database.close()
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)


async def test_a_top_up_killed_between_the_charge_and_the_commit_is_credited_once(
    infra: Infra, service_db_urls: dict[str, str], tmp_path: Path,
) -> None:
    """The provider has charged (the simulator records the authorization, then answers 2 s
    late) when the process dies: the intent's deadline settles it on the next process, with
    the same provider keys, so the top-up is neither lost nor charged twice, and a retry of
    the request with the same Idempotency-Key answers with that one top-up."""
    port, group = free_port(), f"orders-{secrets.token_hex(3)}"
    first = start_orders(infra, service_db_urls["orders"], port, group, tmp_path / "first.log",
                         TOP_UP_RECOVERY_SECONDS="1")
    second = None
    fan = f"fan-{secrets.token_hex(3)}"
    buyer = bearer("buyer", fan)
    headers = {**buyer, "Idempotency-Key": "top-up-1"}
    body = {"tokens": 100, "currency": "GBP", "payment": {"method": SLOW_CARD}}
    conn = await asyncpg.connect(service_db_urls["orders"],
                                 server_settings={"search_path": "orders"})
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as orders:
            assert await eventually(lambda: ready(orders), timeout=60)
            in_flight = asyncio.create_task(orders.post("/v1/wallet/top-ups", headers=headers, json=body))

            async def charged() -> bool:
                return bool(await conn.fetchval(
                    "SELECT count(*) FROM simulated_provider_calls c JOIN topup_intents i "
                    "ON c.idempotency_key = 'topup:' || i.id WHERE i.buyer_id = $1",
                    fan))

            assert await eventually(charged, timeout=30, interval=0.05)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            with pytest.raises(httpx.HTTPError):
                await in_flight
            intent = await conn.fetchrow("SELECT * FROM topup_intents WHERE buyer_id = $1",
                                         fan)
            assert intent["status"] == "open"  # charged, not recorded: the crash window

            second = start_orders(infra, service_db_urls["orders"], port, group,
                                  tmp_path / "second.log", TOP_UP_RECOVERY_SECONDS="1")
            assert await eventually(lambda: ready(orders), timeout=60)

            async def credited() -> bool:
                return bool(await conn.fetchval(
                    "SELECT count(*) FROM wallet_topups WHERE buyer_id = $1",
                    fan))

            assert await eventually(credited, timeout=60), "the top-up was lost"
            retried = await orders.post("/v1/wallet/top-ups", headers=headers, json=body)
            assert retried.status_code == 201, retried.text
            assert retried.json()["topup_id"] == str(intent["id"])
        calls = await conn.fetch(
            "SELECT operation FROM simulated_provider_calls WHERE idempotency_key IN ($1, $2)",
            f"topup:{intent['id']}", f"topup-capture:{intent['id']}")
        assert sorted(c["operation"] for c in calls) == ["authorize", "capture"]
        assert await conn.fetchval("SELECT count(*) FROM wallet_topups WHERE buyer_id = $1",
                                   fan) == 1
        assert await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE event_type = 'wallet.topped_up' "
            "AND payload->>'topup_id' = $1", str(intent["id"])) == 1
    finally:
        await conn.close()
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)

