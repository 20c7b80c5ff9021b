"""Carriers the platform works with: their services, how fast each is, and what their tracking
numbers look like (a seller's tracking number is checked against its carrier's format)."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

from libs.domain_errors import FieldError


@dataclass(frozen=True)
class Carrier:
    name: str
    tracking_format: re.Pattern[str]
    example: str
    make_number: Callable[[], str]
    """A fresh tracking number in the carrier's format, for labels the platform buys."""


def _digits(n: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(n))


def _alnum(n: int) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(n))


CARRIERS: dict[str, Carrier] = {c.name: c for c in [
    Carrier("Royal Mail", re.compile(r"^[A-Z]{2}[0-9]{9}GB$"), "RM123456785GB",
            lambda: f"RM{_digits(9)}GB"),
    Carrier("Evri", re.compile(r"^[A-Z0-9]{16}$"), "H01HYA0012345678", lambda: _alnum(16)),
    Carrier("DPD", re.compile(r"^[0-9]{14}$"), "15501234567890", lambda: _digits(14)),
    Carrier("UPS", re.compile(r"^1Z[0-9A-Z]{16}$"), "1Z999AA10123456784",
            lambda: f"1Z{_alnum(16)}"),
    Carrier("USPS", re.compile(r"^9[2-5][0-9]{20}$"), "9400111899223344556677",
            lambda: f"94{_digits(20)}"),
    Carrier("FedEx", re.compile(r"^([0-9]{12}|[0-9]{15})$"), "123456789012",
            lambda: _digits(12)),
    Carrier("DHL", re.compile(r"^[0-9]{10}$"), "1234567890", lambda: _digits(10)),
    Carrier("J&T Express", re.compile(r"^JX[0-9]{10}$"), "JX1234567890",
            lambda: f"JX{_digits(10)}"),
    Carrier("Platform Express", re.compile(r"^PX[0-9A-Z]{12}$"), "PX0A1B2C3D4E5F",
            lambda: f"PX{_alnum(12)}"),
]}


def carrier(name: str, field: str = "carrier") -> Carrier:
    found = CARRIERS.get(name)
    if found is None:
        raise FieldError(field, f"unknown carrier {name!r}; one of: {', '.join(CARRIERS)}",
                         "unknown_carrier")
    return found


def check_tracking_number(carrier_name: str, tracking_number: str,
                          field: str = "tracking_number") -> str:
    """The tracking number, normalised, if it has the carrier's format."""
    found = carrier(carrier_name)
    normalised = tracking_number.strip().upper().replace(" ", "")
    if not found.tracking_format.match(normalised):
        raise FieldError(field, f"not a {found.name} tracking number (like {found.example})",
                         "tracking_format")
    return normalised
