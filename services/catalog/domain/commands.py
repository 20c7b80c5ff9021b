"""Commands: what a seller asks to create, validated for shape (the rules live in products.py).

Shared by the API and the bulk import, which feeds each row through the same model.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

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


class NewDimensions(BaseModel):
    length_mm: int = Field(gt=0)
    width_mm: int = Field(gt=0)
    height_mm: int = Field(gt=0)


class NewSku(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64, description="The seller's own SKU code.")
    options: dict[str, str] = Field(default_factory=dict, examples=[{"size": "M"}])
    price_minor: int = Field(description="In the currency's minor unit (pence, cents).")
    compare_at_minor: int | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    weight_grams: int | None = Field(default=None, gt=0)
    dimensions: NewDimensions | None = None
    stock: int = Field(default=0, ge=0, description="Units on hand to start with.")


class NewProduct(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})
    title: str = Field(max_length=255)
    description: str = Field(default="", max_length=20000)
    category_id: UUID
    images: list[str] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)
    skus: list[NewSku] = Field(min_length=1)
