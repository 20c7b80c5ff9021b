"""The faults, one per row: each strikes while the load runs and says when the marketplace
was serving again (a checkout acknowledged after the fault was lifted)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer

from devstack.chaos.load import CheckoutLoad, ClaimRush
from devstack.stack import SERVICE_PORTS, Stack
from libs.devstack.servers import free_port
from libs.events.catalogue import TOPICS


@dataclass
class Row:
    fault: str
    recovered_seconds: float | None = None
    """From the fault to the first checkout acknowledged after it was lifted."""
    acked_during: int = 0
    """Checkouts acknowledged while the fault was on (the rest of the marketplace went on)."""
    retried_by_clients: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.recovered_seconds is not None


async def served_again(load: CheckoutLoad, since: float, within: float = 120) -> float | None:
    """Seconds from `since` until a checkout is acknowledged after it."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if load.tally.last_ack > since:
            return round(load.tally.last_ack - since, 1)
        await asyncio.sleep(0.2)
    return None


async def in_thread(work: Callable[[], Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, work)


async def strike(name: str, load: CheckoutLoad, fault: Callable[[], Awaitable[None]],
                 lift: Callable[[], Awaitable[None]], *, outage_seconds: float = 3) -> Row:
    row = Row(name)
    before, acked = load.tally.transient, len(load.tally.acked)
    injected = time.monotonic()
    await fault()
    await asyncio.sleep(outage_seconds)
    await lift()
    row.acked_during = len(load.tally.acked) - acked
    if await served_again(load, time.monotonic()) is not None:
        row.recovered_seconds = round(load.tally.last_ack - injected, 1)
    row.retried_by_clients = load.tally.transient - before
    return row


async def kill_service(stack: Stack, name: str, load: CheckoutLoad) -> Row:
    async def fault() -> None:
        stack.kill(name)

    async def lift() -> None:
        stack.launch(name)
        await in_thread(lambda: stack._wait_ready(urls={name: stack.urls[name]}))

    return await strike(f"kill -9 {name}, restarted", load, fault, lift)


async def kill_during_deal(stack: Stack, load: CheckoutLoad, rush: ClaimRush,
                           what: str, fault: Callable[[], Awaitable[None]],
                           lift: Callable[[], Awaitable[None]]) -> Row:
    stop = asyncio.Event()
    rushing = asyncio.create_task(rush.run(stop))
    await asyncio.sleep(2)
    row = await strike(what, load, fault, lift, outage_seconds=4)
    await asyncio.sleep(3)  # claims after the fault was lifted
    stop.set()
    await rushing
    bad = {s: n for s, n in rush.statuses.items() if s not in (0, 201, 409, 429, 503)}
    row.notes.append("claim answers " + ", ".join(f"{s or 'no answer'}: {n}" for s, n in
                                                  sorted(rush.statuses.items())))
    if bad:
        row.notes.append(f"unexpected claim answers {bad}")
        row.recovered_seconds = None
    rush.statuses.clear()
    return row


async def poison_every_topic(bootstrap: str, idempotent: bool) -> set[bytes]:
    """A record no consumer can read on every topic; returns their keys."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=idempotent,
                                acks="all")
    await producer.start()
    keys = set()
    try:
        for topic in TOPICS:
            key = f"poison-{secrets.token_hex(4)}".encode()
            keys.add(key)
            await producer.send_and_wait(topic, value=b"\x00 not an event", key=key)
    finally:
        await producer.stop()
    return keys


async def three_instances(stack: Stack, load: CheckoutLoad) -> Row:
    """Two more instances of every service join its consumer group; then one of each extra
    instance is killed mid-load and the groups rebalance."""
    row = Row("3 instances of every service, one of each killed")
    extra = {}
    for name in SERVICE_PORTS:
        for n in (2, 3):
            port = free_port()
            stack.launch(name, instance=f"-{n}", port=port)
            extra[f"{name}-{n}"] = f"http://127.0.0.1:{port}"
    await in_thread(lambda: stack._wait_ready(urls=extra))
    await asyncio.sleep(8)  # rebalanced, serving
    before, acked, injected = load.tally.transient, len(load.tally.acked), time.monotonic()
    for name in SERVICE_PORTS:
        stack.kill(f"{name}-3")
    if await served_again(load, time.monotonic()) is not None:
        row.recovered_seconds = round(load.tally.last_ack - injected, 1)
    await asyncio.sleep(8)
    row.acked_during = len(load.tally.acked) - acked
    row.retried_by_clients = load.tally.transient - before
    row.notes.append("consumer groups rebalanced over the two instances left")
    return row
