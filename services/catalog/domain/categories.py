"""The category tree: what a listing in each category must declare, and who may buy it where.

Restrictions flow down the tree: a category under an 18+ branch is 18+, and one under a branch
prohibited in a market is prohibited there too, whatever its own flags say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from libs.domain_errors import FieldError
from libs.markets import MARKET_CURRENCIES
from libs.taxes import TaxClass

_ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class AttributeKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"


@dataclass(frozen=True)
class RequiredAttribute:
    name: str
    kind: AttributeKind
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    id: UUID
    parent_id: UUID | None
    name: str
    slug: str
    required_attributes: tuple[RequiredAttribute, ...] = ()
    age_restricted: bool = False
    prohibited_markets: frozenset[str] = field(default_factory=frozenset)
    tax_class: TaxClass | None = None
    """None: as the parent's (standard at the root)."""


@dataclass(frozen=True)
class EffectiveRules:
    """A category's rules with everything inherited from its ancestors."""

    path: tuple[str, ...]
    required_attributes: tuple[RequiredAttribute, ...]
    age_restricted: bool
    prohibited_markets: frozenset[str]
    tax_class: TaxClass = "standard"


class CategoryError(FieldError):
    """A category definition that cannot be."""


def validate_new_category(
    *, name: str, required_attributes: list[RequiredAttribute], prohibited_markets: set[str],
) -> None:
    if not name.strip():
        raise CategoryError("name", "must not be blank")
    seen: set[str] = set()
    for index, attribute in enumerate(required_attributes):
        where = f"required_attributes.{index}"
        if not _ATTRIBUTE_NAME.match(attribute.name):
            raise CategoryError(f"{where}.name", "lower-case letters, digits and _ only")
        if attribute.name in seen:
            raise CategoryError(f"{where}.name", f"{attribute.name!r} is declared twice")
        seen.add(attribute.name)
        if (attribute.kind is AttributeKind.CHOICE) != bool(attribute.choices):
            raise CategoryError(f"{where}.choices", "choices go with kind 'choice', and only")
    unknown = sorted(m for m in prohibited_markets if m not in MARKET_CURRENCIES)
    if unknown:
        raise CategoryError("prohibited_markets", f"unknown market(s): {', '.join(unknown)}")


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "category"


def effective_rules(category: Category, ancestors: list[Category]) -> EffectiveRules:
    """`ancestors` from the root down to the parent."""
    chain = [*ancestors, category]
    attributes: dict[str, RequiredAttribute] = {}
    for node in chain:  # a deeper category may refine an inherited attribute
        attributes.update({a.name: a for a in node.required_attributes})
    return EffectiveRules(
        path=tuple(node.name for node in chain),
        required_attributes=tuple(attributes.values()),
        age_restricted=any(node.age_restricted for node in chain),
        prohibited_markets=frozenset().union(*(node.prohibited_markets for node in chain)),
        tax_class=next((node.tax_class for node in reversed(chain) if node.tax_class),
                       "standard"),
    )
