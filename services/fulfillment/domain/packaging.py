"""Parcels' billable weight and size tier, and the FBT fee per unit each tier costs a seller.

Billable weight is the larger of the actual weight and the dimensional weight (volume in cm3 /
5000, in kg: the divisor carriers commonly use). Size tiers follow package dimensions and weight.
"""

from __future__ import annotations

from libs.bounds import MAX_GRAMS, MAX_MILLIMETRES
from libs.domain_errors import FieldError

DIMENSIONAL_DIVISOR = 5000
TIERS: list[tuple[str, tuple[int, int, int], int]] = [
    ("small", (330, 230, 25), 460),
    ("standard", (450, 340, 260), 12_000),
    ("large", (1200, 600, 600), 30_000),
]
FEE_PER_UNIT_GBP = {"small": 175, "standard": 265, "large": 585, "oversize": 1150}
"""Minor units of GBP per unit shipped, by tier; other currencies scale by `FEE_SCALE`."""
FEE_SCALE = {"GBP": 1.0, "EUR": 1.15, "USD": 1.25, "IDR": 19_500, "MYR": 5.9, "PHP": 71,
             "SGD": 1.7, "THB": 44, "VND": 31_000, "MXN": 21, "BRL": 6.4, "JPY": 1.9}


def check_package(weight_grams: int, dims_mm: tuple[int, int, int], field: str = "") -> None:
    prefix = f"{field}." if field else ""
    if not 0 < weight_grams <= MAX_GRAMS:
        raise FieldError(f"{prefix}weight_grams", f"must be between 1 and {MAX_GRAMS}",
                         "out_of_range")
    for name, value in zip(("length_mm", "width_mm", "height_mm"), dims_mm, strict=True):
        if not 0 < value <= MAX_MILLIMETRES:
            raise FieldError(f"{prefix}{name}", f"must be between 1 and {MAX_MILLIMETRES}",
                             "out_of_range")


def billable_grams(weight_grams: int, dims_mm: tuple[int, int, int]) -> int:
    length, width, height = dims_mm
    dimensional = -(-length * width * height // DIMENSIONAL_DIVISOR)  # mm3/5000 = g, rounded up
    return max(weight_grams, dimensional)


def size_tier(weight_grams: int, dims_mm: tuple[int, int, int]) -> str:
    sides = sorted(dims_mm, reverse=True)
    for name, limits, max_grams in TIERS:
        if weight_grams <= max_grams and all(s <= lim for s, lim in zip(sides, limits,
                                                                          strict=True)):
            return name
    return "oversize"


def fee_per_unit(tier: str, currency: str) -> int:
    return round(FEE_PER_UNIT_GBP[tier] * FEE_SCALE.get(currency, 1.0))
