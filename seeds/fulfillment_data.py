"""FBT warehouses across the seeded markets, and the sellers who send stock into them."""

from __future__ import annotations

from typing import Any

ROYAL_MAIL = [{"carrier": "Royal Mail", "service": "Tracked 48", "speed": "standard",
               "transit_days": 2},
              {"carrier": "DPD", "service": "Next Day", "speed": "express", "transit_days": 1}]
US_SERVICES = [{"carrier": "USPS", "service": "Ground Advantage", "speed": "standard",
                "transit_days": 3},
               {"carrier": "UPS", "service": "Next Day Air", "speed": "express",
                "transit_days": 1}]
ID_SERVICES = [{"carrier": "J&T Express", "service": "EZ", "speed": "standard",
                "transit_days": 3},
               {"carrier": "J&T Express", "service": "Super", "speed": "express",
                "transit_days": 1}]
EU_SERVICES = [{"carrier": "DHL", "service": "Paket", "speed": "standard", "transit_days": 2},
               {"carrier": "DHL", "service": "Express", "speed": "express", "transit_days": 1}]
ASIA_SERVICES = [{"carrier": "J&T Express", "service": "Standard", "speed": "standard",
                  "transit_days": 3},
                 {"carrier": "DHL", "service": "Express", "speed": "express", "transit_days": 1}]

# (code, name, market, postcode, address, time zone, cut-off, zones served, services, capacity)
WAREHOUSES: list[dict[str, Any]] = [
    {"code": "GB-LHR1", "name": "London Park Royal FBT", "market": "GB", "country": "GB",
     "postcode": "NW10 7AB", "address": "Unit 4, Abbey Road, Park Royal, London",
     "timezone": "Europe/London", "cutoff": "15:00", "zones_served": ["GB-LON", "GB-SOU"],
     "services": ROYAL_MAIL, "capacity_units": 250_000},
    {"code": "GB-MAN1", "name": "Manchester Trafford FBT", "market": "GB", "country": "GB",
     "postcode": "M17 1AB", "address": "Trafford Park, Manchester", "timezone": "Europe/London",
     "cutoff": "14:00", "zones_served": ["GB-NOR", "GB-MID", "GB-SCO", "GB-WAL"],
     "services": ROYAL_MAIL, "capacity_units": 180_000},
    {"code": "US-EWR1", "name": "New Jersey Carteret FBT", "market": "US", "country": "US",
     "postcode": "07008", "address": "Carteret, NJ", "timezone": "America/New_York",
     "cutoff": "16:00", "zones_served": ["US-NE", "US-MA", "US-SE"], "services": US_SERVICES,
     "capacity_units": 400_000},
    {"code": "US-DFW1", "name": "Dallas Fort Worth FBT", "market": "US", "country": "US",
     "postcode": "75261", "address": "Fort Worth, TX", "timezone": "America/Chicago",
     "cutoff": "15:00", "zones_served": ["US-SC", "US-MW", "US-MT"], "services": US_SERVICES,
     "capacity_units": 350_000},
    {"code": "US-LAX1", "name": "Los Angeles Ontario FBT", "market": "US", "country": "US",
     "postcode": "91761", "address": "Ontario, CA", "timezone": "America/Los_Angeles",
     "cutoff": "15:00", "zones_served": ["US-PAC"], "services": US_SERVICES,
     "capacity_units": 300_000},
    {"code": "ID-CGK1", "name": "Jakarta Cikarang FBT", "market": "ID", "country": "ID",
     "postcode": "17530", "address": "Cikarang, Bekasi", "timezone": "Asia/Jakarta",
     "cutoff": "14:00", "zones_served": ["ID-JKT", "ID-SUM"], "services": ID_SERVICES,
     "capacity_units": 200_000},
    {"code": "ID-SUB1", "name": "Surabaya Rungkut FBT", "market": "ID", "country": "ID",
     "postcode": "60293", "address": "Rungkut, Surabaya", "timezone": "Asia/Jakarta",
     "cutoff": "14:00", "zones_served": ["ID-JAWA", "ID-TIMUR"], "services": ID_SERVICES,
     "capacity_units": 120_000},
    {"code": "MY-KUL1", "name": "Shah Alam FBT", "market": "MY", "country": "MY",
     "postcode": "40000", "address": "Shah Alam, Selangor", "timezone": "Asia/Kuala_Lumpur",
     "cutoff": "15:00", "zones_served": ["MY-ALL"], "services": ASIA_SERVICES,
     "capacity_units": 90_000},
    {"code": "DE-BER1", "name": "Berlin Schönefeld FBT", "market": "DE", "country": "DE",
     "postcode": "12529", "address": "Schönefeld, Brandenburg", "timezone": "Europe/Berlin",
     "cutoff": "16:00", "zones_served": ["DE-OST", "DE-NORD"], "services": EU_SERVICES,
     "capacity_units": 150_000},
    {"code": "FR-CDG1", "name": "Paris Roissy FBT", "market": "FR", "country": "FR",
     "postcode": "95700", "address": "Roissy-en-France", "timezone": "Europe/Paris",
     "cutoff": "15:00", "zones_served": ["FR-ALL"], "services": EU_SERVICES,
     "capacity_units": 120_000},
]

FBT_SELLERS = {1: ("GB", "SA72 6AA"), 9: ("US", "78701"), 13: ("ID", "55281")}
"""Seed sellers (by number) who send their first listings into FBT, and where from."""
FBT_SKUS_PER_SELLER = 8
FBT_UNITS_PER_SKU = 40
