"""Fills a fresh stack with a believable small marketplace through the services' own APIs.

Safe to run twice: every create carries an Idempotency-Key derived from the seed row (so a
re-run replays the first answer), and onboarding decisions already taken are skipped. Run alone with
`uv run python -m seeds.load` against the stack described in `.stack/stack.json`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from libs.auth.dev_token import mint

# (legal name, business type, based in, sells in)
SELLERS: list[tuple[str, str, str, str]] = [
    ("Tenby Threads Ltd", "company", "GB", "GB"),
    ("Harbour & Pine Candles", "company", "GB", "GB"),
    ("Amelia Okafor", "individual", "GB", "GB"),
    ("Northside Sneaker Lab Ltd", "company", "GB", "GB"),
    ("Glow Theory Cosmetics Ltd", "company", "GB", "GB"),
    ("Shenzhen Brightway Electronics Co.", "company", "CN", "GB"),
    ("Yiwu Happy Home Trading Co.", "company", "CN", "GB"),
    ("Dongguan Kitchen Pro Co.", "company", "CN", "US"),
    ("Lone Star Leatherworks LLC", "company", "US", "US"),
    ("Maya Rodriguez", "individual", "US", "US"),
    ("Brooklyn Batch Coffee Co.", "company", "US", "US"),
    ("Pacific Pet Supply Inc.", "company", "US", "US"),
    ("Batik Nusantara CV", "company", "ID", "ID"),
    ("Siti Rahmawati", "individual", "ID", "ID"),
    ("Kedai Kopi Aceh", "company", "ID", "ID"),
    ("Kuala Modest Wear Sdn Bhd", "company", "MY", "MY"),
    ("Manila Bay Crafts", "company", "PH", "PH"),
    ("Bangkok Street Style Co.", "company", "TH", "TH"),
    ("Saigon Silk House", "company", "VN", "VN"),
    ("Berlin Vintage Records GmbH", "company", "DE", "DE"),
    ("Atelier Lumière SARL", "company", "FR", "FR"),
    ("Guangzhou Beauty Source Co.", "company", "CN", "MY"),
]


# Seeds left in other onboarding states, by row number: a realistic review queue.
PENDING = {21, 22}
SUSPENDED = {7: "Repeated listings of unbranded chargers without safety marks."}


async def _register_sellers(client: httpx.AsyncClient, catalog: str, secret: str) -> list[str]:
    registered = []
    for number, (legal_name, business_type, country, market) in enumerate(SELLERS, start=1):
        subject = f"seed-seller-{number:03d}"
        token = mint(secret, subject=subject, roles=["seller"])
        response = await client.post(
            f"{catalog}/v1/sellers",
            json={"legal_name": legal_name, "business_type": business_type, "country": country,
                  "market": market},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"seed-{subject}"},
        )
        if response.status_code not in (200, 201):
            raise RuntimeError(f"seeding {legal_name}: {response.status_code} {response.text}")
        registered.append(response.json()["id"])
    return registered


async def _onboard(client: httpx.AsyncClient, catalog: str, secret: str,
                   seller_ids: list[str]) -> None:
    operator = {"Authorization": f"Bearer {mint(secret, subject='seed-operator', roles=['operator'])}"}
    for number, seller_id in enumerate(seller_ids, start=1):
        if number in PENDING:
            continue
        response = await client.post(f"{catalog}/v1/sellers/{seller_id}/verification",
                                     headers=operator)
        if response.status_code not in (200, 409):  # 409: done by an earlier run
            raise RuntimeError(f"verifying {seller_id}: {response.status_code} {response.text}")
        if number in SUSPENDED and response.status_code == 200:
            await client.post(f"{catalog}/v1/sellers/{seller_id}/suspension", headers=operator,
                              json={"reason": SUSPENDED[number]})


async def load_seed_marketplace(stack: dict[str, Any]) -> dict[str, int]:
    services = stack["services"]
    async with httpx.AsyncClient(timeout=30) as client:
        seller_ids = await _register_sellers(client, services["catalog"], stack["jwt_secret"])
        await _onboard(client, services["catalog"], stack["jwt_secret"], seller_ids)
    return {"sellers": len(seller_ids)}


def main() -> None:
    stack_file = Path(sys.argv[1] if len(sys.argv) > 1 else ".stack/stack.json")
    print(asyncio.run(load_seed_marketplace(json.loads(stack_file.read_text()))))


if __name__ == "__main__":
    main()
