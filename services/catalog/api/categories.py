"""The category tree: public to browse, managed by operators."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.markets import MARKET_CURRENCIES
from libs.request_guard import NOT_BLANK
from libs.taxes import TaxClass
from services.catalog.adapters import categories_repository
from services.catalog.domain.categories import (
    AttributeKind,
    Category,
    RequiredAttribute,
    effective_rules,
)
from services.catalog.use_cases.categories import add_category

router = APIRouter(prefix="/v1/categories", tags=["categories"])


class AttributeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        # choices go with kind "choice", and only with it
        "if": {"properties": {"kind": {"const": "choice"}}, "required": ["kind"]},
        "then": {"required": ["choices"], "properties": {"choices": {"minItems": 1}}},
        "else": {"properties": {"choices": {"maxItems": 0}}}})
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", examples=["size"])
    kind: AttributeKind
    choices: list[str] = Field(default_factory=list, max_length=100,
                               examples=[["S", "M", "L"]])


class NewCategory(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "Vapes & e-cigarettes", "parent_id": None, "age_restricted": True,
        "prohibited_markets": ["SG", "TH"],
        "required_attributes": [{"name": "nicotine_mg", "kind": "number"}],
    }]})
    name: str = Field(min_length=1, max_length=100, pattern=NOT_BLANK)
    parent_id: UUID | None = None
    required_attributes: list[AttributeSpec] = Field(
        default_factory=list, max_length=30,
        description="Attribute names are unique within a category.")
    age_restricted: bool = False
    tax_class: TaxClass | None = Field(
        default=None, description="The VAT class of its products (standard, reduced, zero); "
                                  "unset: as its parent's, standard at the root.")
    prohibited_markets: list[str] = Field(
        default_factory=list, max_length=len(MARKET_CURRENCIES),
        json_schema_extra={"items": {"type": "string",
                                     "enum": list[JsonValue](sorted(MARKET_CURRENCIES))}})


class CategoryView(BaseModel):
    id: UUID
    parent_id: UUID | None
    name: str
    slug: str
    path: list[str] = Field(description="Names from the root down to this category.")
    required_attributes: list[AttributeSpec] = Field(
        description="Including those inherited from ancestors.")
    age_restricted: bool = Field(description="18+ buyers only (here or inherited).")
    prohibited_markets: list[str] = Field(description="Here or inherited.")
    tax_class: TaxClass = Field(description="Here or inherited.")


class CategoryNode(BaseModel):
    id: UUID
    name: str
    slug: str
    age_restricted: bool
    prohibited_markets: list[str]
    children: list[CategoryNode] = Field(default_factory=list)


def _view(category: Category, ancestors: list[Category]) -> CategoryView:
    rules = effective_rules(category, ancestors)
    return CategoryView(
        id=category.id, parent_id=category.parent_id, name=category.name, slug=category.slug,
        path=list(rules.path),
        required_attributes=[AttributeSpec(name=a.name, kind=a.kind, choices=list(a.choices))
                             for a in rules.required_attributes],
        age_restricted=rules.age_restricted, prohibited_markets=sorted(rules.prohibited_markets),
        tax_class=rules.tax_class,
    )


@router.post("", status_code=201, response_model=CategoryView,
             openapi_extra={"x-cross-field-rules": [
                 "required_attributes have unique names"]},
             summary="Add a category (operators).")
async def create_category(
    request: Request, body: NewCategory,
    _: Annotated[Principal, Depends(require(Role.OPERATOR))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    async def work(conn: Any) -> tuple[int, Any]:
        category, ancestors = await add_category(
            conn, name=body.name, parent_id=body.parent_id,
            required_attributes=[RequiredAttribute(a.name, a.kind, tuple(a.choices))
                                 for a in body.required_attributes],
            age_restricted=body.age_restricted, prohibited_markets=set(body.prohibited_markets),
            tax_class=body.tax_class)
        return 201, _view(category, ancestors).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope="POST /v1/categories", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.get("", response_model=list[CategoryNode], summary="The whole tree (public).")
async def category_tree(request: Request) -> list[CategoryNode]:
    categories = await categories_repository.all_categories(request.app.state.runtime.db)
    children: dict[UUID | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)

    def build(node: Category, inherited_age: bool, inherited_markets: frozenset[str]) -> CategoryNode:
        age = inherited_age or node.age_restricted
        markets = inherited_markets | node.prohibited_markets
        return CategoryNode(
            id=node.id, name=node.name, slug=node.slug, age_restricted=age,
            prohibited_markets=sorted(markets),
            children=[build(c, age, markets) for c in children.get(node.id, [])],
        )

    return [build(root, False, frozenset()) for root in children.get(None, [])]


@router.get("/{category_id}", response_model=CategoryView,
            summary="A category with its inherited rules (public).")
async def get_category(request: Request, category_id: UUID) -> CategoryView:
    pool = request.app.state.runtime.db
    category = await categories_repository.get(pool, category_id)
    if category is None:
        raise Problem(404, "Not found", "No such category.")
    return _view(category, await categories_repository.ancestors(pool, category))
