"""Commands: what a seller asks to create, validated for shape (the rules live in products.py).

Shared by the API and the bulk import, which feeds each row through the same model.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from libs.bounds import MAX_GRAMS, MAX_MILLIMETRES, MAX_MINOR, MAX_UNITS
from libs.request_guard import NOT_BLANK

EXAMPLE: dict[str, Any] = {
    "title": "Waxed cotton field jacket", "description": "Water-resistant, made in Wales.",
    "category_id": "01930000-0000-7000-8000-000000000001",
    "images": ["https://cdn.example/jacket-olive.jpg"],
    "attributes": {"size": "M", "colour": "olive"},
    "skus": [{"code": "JKT-OLV-M", "options": {"size": "M", "colour": "olive"},
              "price_minor": 8900, "compare_at_minor": 12000, "currency": "GBP",
              "weight_grams": 1200, "dimensions": {"length_mm": 400, "width_mm": 300,
                                                   "height_mm": 80}, "stock": 25}],
}


AttributeValue = str | int | float | bool
"""What a product attribute holds (its category says which kind)."""


class NewDimensions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    length_mm: int = Field(gt=0, le=MAX_MILLIMETRES)
    width_mm: int = Field(gt=0, le=MAX_MILLIMETRES)
    height_mm: int = Field(gt=0, le=MAX_MILLIMETRES)


class NewSku(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64, description="The seller's own SKU code.")
    options: dict[str, str] = Field(default_factory=dict, max_length=10,
                                    examples=[{"size": "M"}])
    price_minor: int = Field(gt=0, le=MAX_MINOR,
                             description="In the currency's minor unit (pence, cents).")
    compare_at_minor: int | None = Field(default=None, gt=0, le=MAX_MINOR,
                                         description="The was-price; above price_minor.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="The shop's currency.")
    weight_grams: int | None = Field(default=None, gt=0, le=MAX_GRAMS)
    dimensions: NewDimensions | None = None
    stock: int = Field(default=0, ge=0, le=MAX_UNITS, description="Units on hand to start with.")


class NewProduct(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})
    title: str = Field(min_length=3, max_length=255, pattern=NOT_BLANK)
    description: str = Field(default="", max_length=20000)
    category_id: UUID
    images: list[str] = Field(default_factory=list, max_length=10,
                              json_schema_extra={"items": {"type": "string",
                                                           "pattern": "^https://",
                                                           "maxLength": 2000}})
    attributes: dict[str, AttributeValue] = Field(default_factory=dict, max_length=50)
    skus: list[NewSku] = Field(min_length=1, max_length=100)
