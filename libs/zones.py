"""Delivery zones: where a postcode is, roughly, so warehouses can be chosen by distance and
shipping priced by zone. Orders (quotes at checkout) and fulfillment (allocation, promises) must
agree on a buyer's zone, so the one table lives here.

A zone is a region of a country named `CC-REGION`, found from the leading characters of a
postcode, with a centroid for distances. Countries without a regional table have one zone,
`CC-ALL`. Coordinates are approximate centroids: good for choosing the nearer of two warehouses,
not for routing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Zone:
    code: str
    country: str
    latitude: float
    longitude: float


# country -> [(postcode prefix pattern, region, lat, lon)], first match wins.
_REGIONS: dict[str, list[tuple[str, str, float, float]]] = {
    "GB": [
        (r"^(EC|WC|E|N|NW|SE|SW|W)[0-9]", "LON", 51.51, -0.13),
        (r"^(EH|G|AB|DD|FK|KY|PA|PH|IV|KA|ML|DG|TD|KW|HS|ZE)[0-9]", "SCO", 55.95, -3.19),
        (r"^(M|L|LS|S|NE|YO|BD|HD|HX|WF|HU|DN|SR|DH|TS|DL|BB|BL|OL|SK|WN|WA|PR|LA|CA|FY|CH|CW)"
         r"[0-9]", "NOR", 53.48, -2.24),
        (r"^(B|CV|LE|NG|DE|ST|WV|WS|DY|WR|TF|SY|HR|NN|LN|PE)[0-9]", "MID", 52.49, -1.89),
        (r"^(CF|SA|NP|LL|LD)[0-9]", "WAL", 51.48, -3.18),
        (r"^(BT)[0-9]", "NIR", 54.60, -5.93),
        (r"^[A-Z]", "SOU", 51.30, -1.10),
    ],
    "US": [
        (r"^[01]", "NE", 40.71, -74.01), (r"^2", "MA", 38.90, -77.04),
        (r"^3", "SE", 33.75, -84.39), (r"^[456]", "MW", 41.88, -87.63),
        (r"^7", "SC", 32.78, -96.80), (r"^8", "MT", 39.74, -104.99),
        (r"^9", "PAC", 34.05, -118.24),
    ],
    "DE": [
        (r"^[01]", "OST", 52.52, 13.40), (r"^2", "NORD", 53.55, 9.99),
        (r"^[345]", "WEST", 51.23, 6.78), (r"^[67]", "SUEDWEST", 48.78, 9.18),
        (r"^[89]", "SUED", 48.14, 11.58),
    ],
    "ID": [
        (r"^1", "JKT", -6.21, 106.85), (r"^[2-3]", "SUM", 3.59, 98.67),
        (r"^[4-6]", "JAWA", -7.25, 112.75), (r"^[7-9]", "TIMUR", -5.15, 119.43),
    ],
}
_COUNTRY_CENTRES: dict[str, tuple[float, float]] = {
    "GB": (52.5, -1.5), "US": (39.8, -98.6), "DE": (51.2, 10.4), "FR": (46.6, 2.2),
    "IE": (53.4, -8.2), "ES": (40.4, -3.7), "IT": (42.8, 12.6), "ID": (-2.5, 118.0),
    "MY": (3.1, 101.7), "PH": (14.6, 121.0), "SG": (1.35, 103.8), "TH": (13.75, 100.5),
    "VN": (16.0, 107.0), "MX": (19.4, -99.1), "BR": (-15.8, -47.9), "JP": (35.7, 139.7),
    "CN": (31.2, 121.5),
}
_COMPILED = {country: [(re.compile(p), region, lat, lon) for p, region, lat, lon in rows]
             for country, rows in _REGIONS.items()}


def zone_of(country: str, postcode: str) -> Zone:
    """The zone of a postcode in a country (`CC-ALL` where the country has no regions)."""
    normalised = postcode.strip().upper().replace(" ", "")
    for pattern, region, lat, lon in _COMPILED.get(country, []):
        if pattern.match(normalised):
            return Zone(f"{country}-{region}", country, lat, lon)
    lat, lon = _COUNTRY_CENTRES.get(country, (0.0, 0.0))
    return Zone(f"{country}-ALL", country, lat, lon)


def zone(code: str) -> Zone | None:
    """A zone by its code, as stored on a warehouse or an order."""
    country, _, region = code.partition("-")
    for _, known, lat, lon in _COMPILED.get(country, []):
        if known == region:
            return Zone(code, country, lat, lon)
    if region == "ALL" and country in _COUNTRY_CENTRES:
        lat, lon = _COUNTRY_CENTRES[country]
        return Zone(code, country, lat, lon)
    return None


def known_zones() -> list[str]:
    """Every zone code the table knows (for validating warehouses' zones served)."""
    codes = [f"{c}-{region}" for c, rows in _REGIONS.items() for _, region, _, _ in rows]
    return codes + [f"{c}-ALL" for c in _COUNTRY_CENTRES]


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(h))
