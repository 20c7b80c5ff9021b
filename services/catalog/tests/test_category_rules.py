"""Category rules flow down the tree (domain, no servers)."""

from __future__ import annotations

import pytest

from libs.ids import new_id
from services.catalog.domain.categories import (
    AttributeKind,
    Category,
    CategoryError,
    RequiredAttribute,
    effective_rules,
    validate_new_category,
)

SIZE = RequiredAttribute("size", AttributeKind.CHOICE, ("S", "M", "L"))


def node(name: str, parent: Category | None = None, **kw: object) -> Category:
    return Category(id=new_id(), parent_id=parent.id if parent else None, name=name,
                    slug=name.lower(), **kw)  # type: ignore[arg-type]


def test_children_inherit_age_restriction_markets_and_attributes() -> None:
    health = node("Health", prohibited_markets=frozenset({"ID"}))
    adult = node("Adult wellness", health, age_restricted=True,
                 required_attributes=(RequiredAttribute("brand", AttributeKind.TEXT),))
    leaf = node("Massagers", adult, required_attributes=(SIZE,),
                prohibited_markets=frozenset({"MY"}))
    rules = effective_rules(leaf, [health, adult])
    assert rules.path == ("Health", "Adult wellness", "Massagers")
    assert rules.age_restricted
    assert rules.prohibited_markets == {"ID", "MY"}
    assert [a.name for a in rules.required_attributes] == ["brand", "size"]


def test_a_root_has_only_its_own_rules() -> None:
    rules = effective_rules(node("Books"), [])
    assert not rules.age_restricted and not rules.prohibited_markets


@pytest.mark.parametrize(("attributes", "markets", "field"), [
    ([RequiredAttribute("Size!", AttributeKind.TEXT)], set(), "required_attributes.0.name"),
    ([SIZE, SIZE], set(), "required_attributes.1.name"),
    ([RequiredAttribute("colour", AttributeKind.CHOICE)], set(), "required_attributes.0.choices"),
    ([RequiredAttribute("weight", AttributeKind.NUMBER, ("1",))], set(),
     "required_attributes.0.choices"),
    ([], {"GB", "XX"}, "prohibited_markets"),
])
def test_invalid_definitions_name_the_field(attributes: list[RequiredAttribute],
                                            markets: set[str], field: str) -> None:
    with pytest.raises(CategoryError) as err:
        validate_new_category(name="x", required_attributes=attributes, prohibited_markets=markets)
    assert err.value.field == field
