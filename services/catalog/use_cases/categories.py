"""Adding a category to the tree (operators)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from libs.api import field_problem
from libs.errors import Problem
from libs.ids import new_id
from libs.taxes import TaxClass
from services.catalog.adapters import categories_repository
from services.catalog.domain.categories import (
    Category,
    RequiredAttribute,
    slugify,
    validate_new_category,
)


async def add_category(conn: asyncpg.Connection, *, name: str, parent_id: UUID | None,
                       required_attributes: list[RequiredAttribute], age_restricted: bool,
                       prohibited_markets: set[str], tax_class: TaxClass | None = None,
                       ) -> tuple[Category, list[Category]]:
    """Adds the category; returns it with its ancestors (root first), whose rules it inherits."""
    validate_new_category(name=name, required_attributes=required_attributes,
                          prohibited_markets=prohibited_markets)
    parent = None
    if parent_id is not None:
        parent = await categories_repository.get(conn, parent_id)
        if parent is None:
            raise field_problem("parent_id", "unknown category", "not_found", status=409)
    category = Category(
        id=new_id(), parent_id=parent_id, name=name.strip(), slug=slugify(name),
        required_attributes=tuple(required_attributes), age_restricted=age_restricted,
        prohibited_markets=frozenset(prohibited_markets), tax_class=tax_class,
    )
    try:
        await categories_repository.add(conn, category)
    except categories_repository.DuplicateCategory as exc:
        raise Problem(409, "Conflict", f"A sibling category is already called {name!r}.") \
            from exc
    ancestors = [*await categories_repository.ancestors(conn, parent), parent] if parent else []
    return category, ancestors
