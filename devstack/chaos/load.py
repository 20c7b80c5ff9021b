"""The steady load the faults strike: buyers checking out one unit at a time, each attempt
retried with the same Idempotency-Key through every outage (as a careful app would), so the
client's list of acknowledged orders is what the platform must hold in the end."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from libs.auth.dev_token import mint

ADDRESS = {"name": "Chaos Monkey", "line1": "1 Fault Lane", "city": "London",
           "postcode": "SW1Y 4JH", "country": "GB"}
TRANSIENT = {500, 502, 503, 504}
RNG = random.Random(12)  # noqa: S311 - a repeatable mix of buyers, items and cards


@dataclass
class Tally:
    attempts: int = 0
    acked: set[str] = field(default_factory=set)
    refused: dict[int, int] = field(default_factory=dict)
    transient: int = 0
    """Answers a client had to retry: connection errors, 5xx, an in-progress 409."""
    server_errors: int = 0
    """500s in particular: a fault must surface as a retryable 503, never as a crash."""
    last_ack: float = 0.0


class Tokens:
    def __init__(self, secret: str) -> None:
        self.secret = secret

    def header(self, role: str, subject: str, **claims: Any) -> dict[str, str]:
        token = mint(self.secret, subject=subject, roles=[role], ttl_seconds=6 * 3600, **claims)
        return {"Authorization": f"Bearer {token}"}


class CheckoutLoad:
    def __init__(self, orders_url: str, tokens: Tokens, skus: list[str], *, rate: float,
                 buyers: int = 120, declined_share: float = 0.1) -> None:
        self.client = httpx.AsyncClient(base_url=orders_url, timeout=10)
        self.tokens, self.skus, self.rate = tokens, skus, rate
        self.idle = [f"chaos-buyer-{n}" for n in range(buyers)]
        self.declined_share = declined_share
        self.tally = Tally()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.idle:
                buyer = self.idle.pop(RNG.randrange(len(self.idle)))
                task = asyncio.create_task(self._checkout(buyer))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            await asyncio.sleep(1 / self.rate)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=180)
        await self.client.aclose()

    async def _checkout(self, buyer: str) -> None:
        self.tally.attempts += 1
        headers = self.tokens.header("buyer", buyer)
        card = "pm_card_declined" if RNG.random() < self.declined_share else "pm_card_visa"
        try:
            line = f"/v1/cart/lines/{RNG.choice(self.skus)}"
            put = await self._until_decided("PUT", line, headers, {"quantity": 1})
            if put is None or put.status_code != 200:
                return
            key = secrets.token_hex(8)
            placed = await self._until_decided(
                "POST", "/v1/checkout", {**headers, "Idempotency-Key": key},
                {"shipping_address": ADDRESS, "payment": {"method": card}})
            if placed is not None and placed.status_code == 201:
                self.tally.acked.update(o["id"] for o in placed.json()["orders"])
                self.tally.last_ack = time.monotonic()
        finally:
            self.idle.append(buyer)

    async def _until_decided(self, method: str, path: str, headers: dict[str, str],
                             body: dict[str, Any]) -> httpx.Response | None:
        """The answer once it is not a transient failure (same request, same key)."""
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                response = await self.client.request(method, path, headers=headers, json=body)
            except httpx.HTTPError:
                self.tally.transient += 1
                await asyncio.sleep(0.5)
                continue
            in_progress = response.status_code == 409 and "Retry-After" in response.headers
            if response.status_code in TRANSIENT or in_progress:
                self.tally.transient += 1
                self.tally.server_errors += response.status_code == 500
                await asyncio.sleep(0.5)
                continue
            if response.status_code >= 400:
                self.tally.refused[response.status_code] = (
                    self.tally.refused.get(response.status_code, 0) + 1)
            return response
        return None


@dataclass
class ClaimRush:
    """Distinct buyers claiming a flash deal while a fault strikes it."""

    live_url: str
    tokens: Tokens
    deal_id: str
    statuses: dict[int, int] = field(default_factory=dict)

    async def run(self, stop: asyncio.Event, rate: float = 8) -> None:
        async with httpx.AsyncClient(base_url=self.live_url, timeout=5) as client:
            n = 0
            while not stop.is_set():
                n += 1
                headers = self.tokens.header("buyer", f"claimer-{self.deal_id[:8]}-{n}")
                try:
                    answer = await client.post(f"/v1/live/deals/{self.deal_id}/claims",
                                               headers=headers)
                    status = answer.status_code
                except httpx.HTTPError:
                    status = 0  # the process is down: no answer at all
                self.statuses[status] = self.statuses.get(status, 0) + 1
                await asyncio.sleep(1 / rate)
