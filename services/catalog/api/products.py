"""Products: sellers create, edit, submit and deactivate their listings; buyers read and search
the live ones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_MINOR
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.lean_routes import lean
from libs.markets import MARKET_PATTERN
from libs.pagination import (
    Page,
    PageParams,
    encode_cursor,
    page_params,
    time_cursor,
)
from libs.request_guard import NOT_BLANK
from libs.taxes import TAXES
from services.catalog.adapters import product_cache, products_repository, sellers_repository
from services.catalog.domain.commands import AttributeValue
from services.catalog.domain.commands import NewProduct as ProductIn
from services.catalog.domain.products import (
    PriceChange,
    Product,
    ProductChanges,
    ProductStatus,
)
from services.catalog.use_cases import listings as listing
from services.catalog.use_cases.search import SearchFilters, SortOrder, search_listings

router = APIRouter(tags=["products"])
PRODUCT_RULES = ["SKU codes are unique within the product, and so are their option sets",
                 "compare_at_minor is above price_minor", "prices are in the shop's currency",
                 "the category's required attributes are present, of their kinds"]


class PriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64)
    price_minor: int = Field(gt=0, le=MAX_MINOR)
    compare_at_minor: int | None = Field(default=None, gt=0, le=MAX_MINOR)


class ProductPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"prices": [{"code": "JKT-OLV-M", "price_minor": 7900}]}]})
    title: str | None = Field(default=None, min_length=3, max_length=255, pattern=NOT_BLANK)
    description: str | None = Field(default=None, max_length=20000)
    category_id: UUID | None = None
    images: list[str] | None = Field(default=None, max_length=10,
                                     json_schema_extra={"items": {"type": "string",
                                                                  "pattern": "^https://",
                                                                  "maxLength": 2000}})
    attributes: dict[str, AttributeValue] | None = Field(default=None, max_length=50)
    prices: list[PriceIn] = Field(default_factory=list, max_length=100)


class SkuView(BaseModel):
    id: UUID
    code: str
    options: dict[str, str]
    price_minor: int
    compare_at_minor: int | None
    currency: str


class ProductView(BaseModel):
    id: UUID
    seller_id: UUID
    shop_id: UUID
    category_id: UUID
    title: str
    description: str
    images: list[str]
    attributes: dict[str, Any]
    status: ProductStatus
    rejection_reasons: list[dict[str, Any]]
    skus: list[SkuView]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, p: Product) -> ProductView:
        return cls(
            id=p.id, seller_id=p.seller_id, shop_id=p.shop_id, category_id=p.category_id,
            title=p.title, description=p.description, images=list(p.images),
            attributes=p.attributes, status=p.status, rejection_reasons=list(p.rejection_reasons),
            skus=[SkuView(id=s.id, code=s.code, options=s.options, price_minor=s.price_minor,
                          compare_at_minor=s.compare_at_minor, currency=s.currency)
                  for s in p.skus],
            created_at=p.created_at, updated_at=p.updated_at)


class SubmissionResult(BaseModel):
    product: ProductView
    outcome: Literal["auto_approved", "auto_rejected", "review_queue"]
    reasons: list[dict[str, Any]]


class BuyerSku(SkuView):
    available: int
    in_stock: bool


class PriceTax(BaseModel):
    kind: Literal["vat", "sales_tax"]
    included: bool = Field(description="True: prices hold the tax (VAT or GST, at `rate_bps`); "
                                       "false: sales tax is added at checkout by the state "
                                       "the order ships to.")
    rate_bps: int | None
    tax_class: Literal["standard", "reduced", "zero"]


class BuyerProduct(BaseModel):
    id: UUID
    title: str
    description: str
    images: list[str]
    attributes: dict[str, Any]
    category_id: UUID
    seller_id: UUID
    shop_id: UUID
    currency: str
    age_restricted: bool
    published_at: datetime
    skus: list[BuyerSku]
    market: str = Field(description="Where it is sold: buyers elsewhere cannot buy it.")
    tax: PriceTax
    cross_border: bool = Field(description="Shipped from another country than `market`.")
    ships_from: str = Field(description="The country the seller ships from.")


class SearchHit(BaseModel):
    id: UUID
    title: str
    image: str | None
    min_price_minor: int
    currency: str
    seller_id: UUID
    category_id: UUID
    published_at: datetime
    market: str
    cross_border: bool
    ships_from: str

    @classmethod
    def of(cls, row: Any) -> SearchHit:
        return cls(id=row["id"], title=row["title"], image=(row["images"] or [None])[0],
                   min_price_minor=row["min_price_minor"], currency=row["currency"].strip(),
                   seller_id=row["seller_id"], category_id=row["category_id"],
                   published_at=row["published_at"], market=row["market"].strip(),
                   cross_border=row["cross_border"], ships_from=row["ships_from"].strip())


async def own_product(conn: Any, product_id: UUID, seller_id: UUID, *,
                      for_update: bool = False) -> Product:
    product = await products_repository.get(conn, product_id, for_update=for_update)
    if product is None or product.seller_id != seller_id:
        raise Problem(404, "Not found", "No such product.")
    return product


@router.post("/v1/products", openapi_extra={"x-cross-field-rules": PRODUCT_RULES},
             status_code=201, response_model=ProductView,
             summary="Create a draft listing with its SKUs.")
async def create(
    request: Request, body: ProductIn,
    principal: Annotated[Principal, Depends(require(Role.SELLER))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    seller_id = acting_seller(principal)

    async def work(conn: Any) -> tuple[int, Any]:
        product = await listing.create_product(conn, seller_id, body)
        return 201, ProductView.of(product).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST /v1/products", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.get("/v1/seller/products", response_model=Page[ProductView],
            summary="The calling seller's listings in every state, newest first.")
async def my_products(
    request: Request, principal: Annotated[Principal, Depends(require(Role.SELLER))],
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[ProductStatus | None, Query()] = None,
) -> Page[ProductView]:
    products = await products_repository.list_for_seller(
        runtime(request).db, acting_seller(principal), status=status.value if status else None,
        after=time_cursor(page.cursor), limit=page.limit + 1)
    more = len(products) > page.limit
    products = products[: page.limit]
    cursor = (encode_cursor(products[-1].created_at.isoformat(), str(products[-1].id))
              if more else None)
    return Page[ProductView](items=[ProductView.of(p) for p in products], next_cursor=cursor)


@router.get("/v1/seller/products/{product_id}", response_model=ProductView,
            summary="One of the calling seller's listings, in any state.")
async def my_product(
    request: Request, product_id: UUID,
    principal: Annotated[Principal, Depends(require(Role.SELLER))],
) -> ProductView:
    return ProductView.of(await own_product(runtime(request).db, product_id,
                                            acting_seller(principal)))


@router.patch("/v1/products/{product_id}", openapi_extra={"x-cross-field-rules": PRODUCT_RULES},
             response_model=ProductView,
              summary="Edit a listing. Text, images or category of a live listing go back "
                      "through review; prices do not.")
async def edit_product(
    request: Request, product_id: UUID, patch: ProductPatch,
    principal: Annotated[Principal, Depends(require(Role.SELLER))],
) -> ProductView:
    seller_id = acting_seller(principal)
    async with transaction(runtime(request).db) as conn:
        product = await own_product(conn, product_id, seller_id, for_update=True)
        seller = await sellers_repository.get(conn, seller_id)
        assert seller is not None
        changes = ProductChanges(
            title=patch.title, description=patch.description, images=patch.images,
            category_id=patch.category_id, attributes=patch.attributes,
            prices=[PriceChange(p.code, p.price_minor, p.compare_at_minor)
                    for p in patch.prices])
        edited, _ = await listing.edit(conn, product, changes, seller.currency)
    return ProductView.of(edited)


@router.post("/v1/products/{product_id}/submission", response_model=SubmissionResult,
             summary="Submit a draft (or a rejected listing, edited) for review.")
async def submit_product(
    request: Request, product_id: UUID,
    principal: Annotated[Principal, Depends(require(Role.SELLER))],
) -> SubmissionResult:
    seller_id = acting_seller(principal)
    async with transaction(runtime(request).db) as conn:
        product = await own_product(conn, product_id, seller_id, for_update=True)
        result, outcome, reasons = await listing.submit(conn, product)
    return SubmissionResult(product=ProductView.of(result), outcome=outcome.value,
                            reasons=[r.as_dict() for r in reasons])


@router.post("/v1/products/{product_id}/deactivation", response_model=ProductView,
             summary="Take a listing down for good.")
async def deactivate_product(
    request: Request, product_id: UUID,
    principal: Annotated[Principal, Depends(require(Role.SELLER))],
) -> ProductView:
    async with transaction(runtime(request).db) as conn:
        product = await own_product(conn, product_id, acting_seller(principal), for_update=True)
        gone = await listing.deactivate(conn, product)
    return ProductView.of(gone)


@router.get("/v1/products/{product_id}", response_model=BuyerProduct,
            summary="A live listing as buyers see it (public; cached).")
@lean
async def product_detail(
    request: Request, product_id: UUID,
    market: Annotated[str | None, Query(pattern=MARKET_PATTERN, description=(
        "The buyer's market: a listing sold elsewhere is not found."))] = None,
) -> Response:
    rt = runtime(request)
    lookup = await product_cache.get(rt.redis, product_id)
    cached = lookup.found
    if cached is None:
        detail = await products_repository.public_detail(rt.db, product_id)
        if detail is None:
            raise Problem(404, "Not found", "No such product.")
        rules = await listing.rules_for(rt.db, detail["category_id"])
        detail["tax"] = TAXES.shown(detail["market"], rules.tax_class)
        cached = await product_cache.put(rt.redis, product_id, detail, lookup)
    if market is not None and cached.market != market:
        raise Problem(404, "Not found", f"This product is not sold in {market}.")
    return Response(content=cached.body, media_type="application/json")




@router.get("/v1/products", response_model=Page[SearchHit],
            summary="Search live listings (public).")
async def search_products(
    request: Request, page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str | None, Query(max_length=200, description="Words to look for.")] = None,
    category_id: Annotated[UUID | None, Query(description="Includes sub-categories.")] = None,
    min_price: Annotated[int | None, Query(ge=0, le=MAX_MINOR)] = None,
    max_price: Annotated[int | None, Query(ge=0, le=MAX_MINOR)] = None,
    seller_id: UUID | None = None,
    in_stock: bool = False,
    market: Annotated[str | None, Query(pattern=MARKET_PATTERN,
                                        description="The buyer's market.")] = None,
    sort: Annotated[SortOrder | None, Query(
        description="Default: relevance with `q`, else newest (relevance without words is "
                    "newest).")] = None,
) -> Page[SearchHit]:
    rows, cursor = await search_listings(
        runtime(request).db, SearchFilters(q=q, category_id=category_id, min_price=min_price,
                                           max_price=max_price, seller_id=seller_id,
                                           in_stock=in_stock, market=market),
        sort=sort, cursor=page.cursor, limit=page.limit)
    return Page[SearchHit](items=[SearchHit.of(r) for r in rows], next_cursor=cursor)
