"""Kafka goes away for a while: checkout still accepts orders (they wait in the outbox), and the
saga completes once the broker is back.

On Apache Kafka the broker process is stopped and restarted on its data. The quick local broker
keeps its data only in memory, so there the network is cut instead: clients reach it through a
TCP proxy (which it advertises) that goes down and comes back.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg
import pytest

from libs.db.provision import provision, role_name
from libs.devstack.infra import Infra, service_database_url
from libs.devstack.servers import ApacheKafka, TansuBroker, free_port, resolve_kafka_jars
from libs.testing import bearer, eventually, run_service
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings

pytestmark = pytest.mark.kafka


class Outage(Protocol):
    bootstrap: str

    async def cut(self) -> None: ...
    async def restore(self) -> None: ...
    async def close(self) -> None: ...


class RestartedBroker:
    def __init__(self, workdir: Path) -> None:
        jars = resolve_kafka_jars(Path(tempfile.gettempdir()) / "socialcommerce-kafka-jars")
        self.broker = ApacheKafka(workdir, jars).start()
        self.bootstrap = self.broker.bootstrap

    async def cut(self) -> None:
        await asyncio.to_thread(self.broker.stop)

    async def restore(self) -> None:
        await asyncio.to_thread(self.broker.restart)

    async def close(self) -> None:
        await asyncio.to_thread(self.broker.stop)


class PartitionedBroker:
    """A TCP proxy in front of the broker; cutting it drops every connection and refuses new
    ones, as a network partition would."""

    def __init__(self, workdir: Path) -> None:
        self.proxy_port = free_port()
        self.broker = TansuBroker(workdir, advertised_port=self.proxy_port).start()
        self.bootstrap = f"127.0.0.1:{self.proxy_port}"
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.broker.port)
        except OSError:
            writer.close()
            return
        self.pipes.update({writer, up_writer})
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def restore(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.proxy_port)

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in self.pipes:
            writer.close()
        self.pipes.clear()

    async def close(self) -> None:
        await self.cut()
        await asyncio.to_thread(self.broker.stop)


async def own_broker(infra: Infra) -> Outage:
    workdir = Path(tempfile.mkdtemp(prefix="outage-"))
    if infra.kafka_flavour == "apache":
        return RestartedBroker(workdir)
    partitioned = PartitionedBroker(workdir)
    await partitioned.restore()
    return partitioned


async def own_database(infra: Infra, service_db_urls: dict[str, str]) -> dict[str, str]:
    """Catalog's and orders' schemas in a database of their own. On the session's shared
    schemas, this test's outbox rows and deadlines would outlive its broker: a later instance
    on the session's broker would publish an aggregate's second event there without its first
    (the event-sequence check saw exactly that)."""
    name = f"outage_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(infra.admin_database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    admin_url = urlunsplit(urlsplit(infra.admin_database_url)._replace(path=f"/{name}"))
    passwords = {service: unquote(urlsplit(service_db_urls[service]).password or "")
                 for service in ("catalog", "orders")}  # the roles' own: unchanged
    await provision(admin_url, passwords)
    return {service: service_database_url(admin_url, role_name(service), password)
            for service, password in passwords.items()}


async def test_checkout_survives_a_kafka_outage(infra: Infra, settings_for: Callable[..., Any],
                                                service_db_urls: dict[str, str]) -> None:
    databases = await own_database(infra, service_db_urls)
    broker = await own_broker(infra)
    bootstrap = broker.bootstrap
    try:
        async with (
            run_service(create_catalog(settings_for(
                CatalogSettings, kafka_bootstrap_servers=bootstrap,
                database_url=databases["catalog"]))) as catalog,
            run_service(create_orders(settings_for(
                OrdersSettings, kafka_bootstrap_servers=bootstrap,
                database_url=databases["orders"], hold_window_seconds=3600))) as orders,
        ):
            subject = f"seller-{secrets.token_hex(3)}"
            seller = (await catalog.client.post("/v1/sellers", headers=bearer("seller", subject),
                                                json={"legal_name": "Outage Ltd", "country": "GB",
                                                      "business_type": "company",
                                                      "market": "GB"})).json()
            await catalog.client.post(f"/v1/sellers/{seller['id']}/verification",
                                      headers=bearer("operator"))
            headers = bearer("seller", subject, seller_id=seller["id"])
            category = (await catalog.client.post("/v1/categories", headers=bearer("operator"),
                                                  json={"name": f"O {subject}"})).json()["id"]
            product = (await catalog.client.post("/v1/products", headers=headers, json={
                "title": "Linen tea towel", "category_id": category, "skus": [{
                    "code": f"TT-{subject}", "price_minor": 1200, "currency": "GBP",
                    "stock": 5}]})).json()
            await catalog.client.post(f"/v1/products/{product['id']}/submission", headers=headers)
            sku = product["skus"][0]["id"]
            buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")

            async def in_cart() -> bool:
                response = await orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                                   json={"quantity": 2})
                return response.status_code == 200

            assert await eventually(in_cart, timeout=60)

            await broker.cut()
            placed = await orders.client.post(
                "/v1/checkout", headers={**buyer, "Idempotency-Key": "during-outage"},
                json={"shipping_address": {"name": "A", "line1": "1 Quay", "city": "Hull",
                                           "postcode": "HU1 1AA", "country": "GB"},
                      "payment": {"method": "pm_card_visa"}})
            assert placed.status_code == 201, "checkout must not need Kafka"
            order_id = placed.json()["orders"][0]["id"]
            await asyncio.sleep(3)
            waiting = await orders.runtime.db.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            assert waiting >= 1, "the order.placed event waits in the outbox"

            await broker.restore()

            async def held() -> bool:
                order = (await orders.client.get(f"/v1/orders/{order_id}", headers=buyer)).json()
                return bool(order.get("status") == "on_hold")

            assert await eventually(held, timeout=120, interval=0.5), \
                "the saga did not complete after Kafka came back"
    finally:
        await broker.close()
