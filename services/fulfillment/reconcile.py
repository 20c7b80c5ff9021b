"""Do catalog and the warehouses agree? `python -m services.fulfillment.reconcile`.

Catalog is the one source of sellable stock; fulfillment tells it every change by event. For
each SKU the warehouses hold, catalog's units on hand should equal the warehouses' fulfillable
units (units allocated to orders left catalog's stock when the order was confirmed). A difference
is either in flight (an event not yet applied: run again) or a real disagreement, such as a
seller changing an FBT SKU's stock by hand, which this command names.

Reads both services' databases, read-only: each service's own URL, or one admin URL with both
schemas (the dev stack's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import asyncpg


@dataclass(frozen=True)
class Difference:
    sku_id: UUID
    catalog_on_hand: int | None
    warehouses_fulfillable: int


async def compare(catalog: asyncpg.Connection | asyncpg.Pool,
                  fulfillment: asyncpg.Connection | asyncpg.Pool, *,
                  catalog_schema: str = "catalog",
                  fulfillment_schema: str = "fulfillment") -> tuple[int, list[Difference]]:
    """(SKUs compared, the ones that differ)."""
    held = await fulfillment.fetch(
        f"SELECT sku_id, sum(fulfillable) AS units FROM {fulfillment_schema}.stock "  # noqa: S608
        "GROUP BY sku_id")
    warehouses = {r["sku_id"]: int(r["units"]) for r in held}
    rows = await catalog.fetch(
        f"SELECT sku_id, on_hand FROM {catalog_schema}.stock "  # noqa: S608 - schema names only
        "WHERE sku_id = ANY($1::uuid[])", list(warehouses))
    on_hand = {r["sku_id"]: int(r["on_hand"]) for r in rows}
    differences = [Difference(sku, on_hand.get(sku), units)
                   for sku, units in sorted(warehouses.items())
                   if on_hand.get(sku) != units]
    return len(warehouses), differences


async def _main(args: argparse.Namespace) -> int:
    admin = args.database_url
    if admin is None and args.stack.exists():
        admin = json.loads(args.stack.read_text())["database_url"]
    catalog_url, fulfillment_url = args.catalog_db or admin, args.fulfillment_db or admin
    if not catalog_url or not fulfillment_url:
        print("give --database-url, or --catalog-db and --fulfillment-db", file=sys.stderr)
        return 2
    catalog = await asyncpg.connect(catalog_url)
    fulfillment = await asyncpg.connect(fulfillment_url)
    try:
        compared, differences = await compare(catalog, fulfillment,
                                              catalog_schema=args.catalog_schema,
                                              fulfillment_schema=args.fulfillment_schema)
    finally:
        await catalog.close()
        await fulfillment.close()
    for d in differences:
        print(f"  {d.sku_id}: catalog on hand {d.catalog_on_hand}, warehouses fulfillable "
              f"{d.warehouses_fulfillable}")
    print(f"{compared} FBT SKUs compared; {len(differences)} differ"
          + ("" if differences else ": catalog and the warehouses agree"))
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="one URL that reaches both schemas")
    parser.add_argument("--stack", type=Path, default=Path(".stack/stack.json"),
                        help="the dev stack's description (its admin URL is used)")
    parser.add_argument("--catalog-db")
    parser.add_argument("--fulfillment-db")
    parser.add_argument("--catalog-schema", default="catalog")
    parser.add_argument("--fulfillment-schema", default="fulfillment")
    sys.exit(asyncio.run(_main(parser.parse_args())))


if __name__ == "__main__":
    main()
