"""Bounds every service puts on the numbers it accepts, so that no request reaches a database
column or a calculation with a number it cannot hold (a 422 naming the field instead)."""

from __future__ import annotations

MAX_MINOR = 10**12
"""The largest amount of money in minor units (ten billion pounds): no price, voucher or
filter is larger."""
MAX_UNITS = 10_000_000
"""The most units of one SKU in any one count, adjustment or deal."""
MAX_GRAMS = 10_000_000
MAX_MILLIMETRES = 100_000
