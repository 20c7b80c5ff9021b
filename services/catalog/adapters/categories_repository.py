"""Postgres persistence of the category tree."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.catalog.domain.categories import AttributeKind, Category, RequiredAttribute


class DuplicateCategory(Exception):
    pass


def _to_category(row: asyncpg.Record) -> Category:
    return Category(
        id=row["id"], parent_id=row["parent_id"], name=row["name"], slug=row["slug"],
        required_attributes=tuple(
            RequiredAttribute(a["name"], AttributeKind(a["kind"]), tuple(a.get("choices", ())))
            for a in row["required_attributes"]),
        age_restricted=row["age_restricted"],
        prohibited_markets=frozenset(row["prohibited_markets"]),
        tax_class=row["tax_class"],
    )


def _attributes_json(category: Category) -> list[dict[str, Any]]:
    return [{"name": a.name, "kind": a.kind.value, "choices": list(a.choices)}
            for a in category.required_attributes]


async def add(pool: asyncpg.Pool, category: Category) -> None:
    try:
        await pool.execute(
            """INSERT INTO categories (id, parent_id, name, slug, required_attributes,
                                       age_restricted, prohibited_markets, tax_class)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            category.id, category.parent_id, category.name, category.slug,
            _attributes_json(category), category.age_restricted,
            sorted(category.prohibited_markets), category.tax_class,
        )
    except asyncpg.UniqueViolationError as exc:
        raise DuplicateCategory(category.slug) from exc


async def get(pool: asyncpg.Pool, category_id: UUID) -> Category | None:
    row = await pool.fetchrow("SELECT * FROM categories WHERE id = $1", category_id)
    return _to_category(row) if row else None


async def ancestors(pool: asyncpg.Pool, category: Category) -> list[Category]:
    """From the root down to the parent, in one recursive query."""
    if category.parent_id is None:
        return []
    rows = await pool.fetch(
        """WITH RECURSIVE up AS (
               SELECT c.*, 1 AS depth FROM categories c WHERE c.id = $1
               UNION ALL
               SELECT c.*, up.depth + 1 FROM categories c JOIN up ON c.id = up.parent_id
           )
           SELECT * FROM up ORDER BY depth DESC""",
        category.parent_id,
    )
    return [_to_category(r) for r in rows]


async def all_categories(pool: asyncpg.Pool) -> list[Category]:
    rows = await pool.fetch("SELECT * FROM categories ORDER BY name")
    return [_to_category(r) for r in rows]
