"""What a new deployment's service desk starts with: business calendars per market, SLA
policies per support tier and priority. Both are data operators change through the API; the
migration writes these once. Help articles live in `knowledge_base/`.
"""

from __future__ import annotations

from libs.markets import MARKET_CURRENCIES

WEEKDAYS = [1, 2, 3, 4, 5]
MONDAY_TO_SATURDAY = [1, 2, 3, 4, 5, 6]

CALENDARS: dict[str, tuple[str, list[int], str, str]] = {
    # market: (time zone, ISO working days, opens, closes), local time
    "GB": ("Europe/London", MONDAY_TO_SATURDAY, "08:00", "20:00"),
    "IE": ("Europe/Dublin", WEEKDAYS, "08:00", "20:00"),
    "US": ("America/New_York", MONDAY_TO_SATURDAY, "08:00", "22:00"),
    "DE": ("Europe/Berlin", WEEKDAYS, "08:00", "20:00"),
    "FR": ("Europe/Paris", WEEKDAYS, "09:00", "19:00"),
    "ES": ("Europe/Madrid", WEEKDAYS, "09:00", "20:00"),
    "IT": ("Europe/Rome", WEEKDAYS, "09:00", "19:00"),
    "ID": ("Asia/Jakarta", MONDAY_TO_SATURDAY, "08:00", "21:00"),
    "MY": ("Asia/Kuala_Lumpur", MONDAY_TO_SATURDAY, "09:00", "21:00"),
    "PH": ("Asia/Manila", MONDAY_TO_SATURDAY, "08:00", "21:00"),
    "SG": ("Asia/Singapore", WEEKDAYS, "09:00", "21:00"),
    "TH": ("Asia/Bangkok", MONDAY_TO_SATURDAY, "09:00", "21:00"),
    "VN": ("Asia/Ho_Chi_Minh", MONDAY_TO_SATURDAY, "08:00", "21:00"),
    "MX": ("America/Mexico_City", MONDAY_TO_SATURDAY, "09:00", "21:00"),
    "BR": ("America/Sao_Paulo", MONDAY_TO_SATURDAY, "09:00", "21:00"),
    "JP": ("Asia/Tokyo", WEEKDAYS, "09:00", "18:00"),
}
assert set(CALENDARS) == set(MARKET_CURRENCIES), "every market needs a support calendar"

HOLIDAYS: dict[str, list[tuple[str, str]]] = {
    "GB": [("2026-12-25", "Christmas Day"), ("2026-12-28", "Boxing Day (substitute)"),
           ("2027-01-01", "New Year's Day"), ("2027-03-26", "Good Friday"),
           ("2027-03-29", "Easter Monday"), ("2027-05-03", "Early May bank holiday"),
           ("2027-05-31", "Spring bank holiday"), ("2027-08-30", "Summer bank holiday"),
           ("2027-12-27", "Christmas Day (substitute)"),
           ("2027-12-28", "Boxing Day (substitute)")],
    "DE": [("2026-12-25", "1. Weihnachtstag"), ("2026-12-26", "2. Weihnachtstag"),
           ("2027-01-01", "Neujahr"), ("2027-03-26", "Karfreitag"),
           ("2027-03-29", "Ostermontag"), ("2027-05-01", "Tag der Arbeit"),
           ("2027-05-06", "Christi Himmelfahrt"), ("2027-05-17", "Pfingstmontag"),
           ("2027-10-03", "Tag der Deutschen Einheit"), ("2027-12-25", "1. Weihnachtstag"),
           ("2027-12-26", "2. Weihnachtstag")],
    "FR": [("2026-12-25", "Noël"), ("2027-01-01", "Jour de l'an"),
           ("2027-03-29", "Lundi de Pâques"), ("2027-05-01", "Fête du Travail"),
           ("2027-05-06", "Ascension"), ("2027-05-08", "Victoire 1945"),
           ("2027-05-17", "Lundi de Pentecôte"), ("2027-07-14", "Fête nationale"),
           ("2027-08-15", "Assomption"), ("2027-11-01", "Toussaint"),
           ("2027-11-11", "Armistice"), ("2027-12-25", "Noël")],
    "US": [("2026-11-26", "Thanksgiving Day"), ("2026-12-25", "Christmas Day"),
           ("2027-01-01", "New Year's Day"), ("2027-01-18", "Martin Luther King Jr. Day"),
           ("2027-02-15", "Washington's Birthday"), ("2027-05-31", "Memorial Day"),
           ("2027-06-18", "Juneteenth (observed)"), ("2027-07-05", "Independence Day (observed)"),
           ("2027-09-06", "Labor Day"), ("2027-11-25", "Thanksgiving Day"),
           ("2027-12-24", "Christmas Day (observed)")],
}

TIERS = ("buyer", "standard", "growing", "top")
"""Support tiers: buyers, and sellers by their orders in the last 30 days. A seller's origin
(local or cross-border) is deliberately not a dimension of any policy."""

POLICIES: dict[str, dict[str, tuple[int, int, int]]] = {
    # tier: priority: (first reply, next reply, resolution), business minutes
    "buyer": {"urgent": (60, 120, 480), "high": (240, 480, 1440),
              "normal": (480, 960, 2880), "low": (1440, 1440, 4320)},
    "standard": {"urgent": (60, 120, 480), "high": (120, 240, 1440),
                 "normal": (240, 480, 2880), "low": (480, 960, 4320)},
    "growing": {"urgent": (30, 60, 480), "high": (60, 180, 960),
                "normal": (120, 240, 1920), "low": (240, 480, 2880)},
    "top": {"urgent": (15, 30, 240), "high": (30, 60, 480),
            "normal": (60, 120, 960), "low": (120, 240, 1920)},
}


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def calendars_sql() -> str:
    rows = [f"({_quote(m)}, {_quote(tz)}, ARRAY{days}::smallint[], {_minutes(o)}, {_minutes(c)})"
            for m, (tz, days, o, c) in CALENDARS.items()]
    holidays = [f"({_quote(m)}, DATE {_quote(day)}, {_quote(name)})"
                for m, days in HOLIDAYS.items() for day, name in days]
    return ("INSERT INTO business_calendars (market, timezone, working_days, opens_minute, "  # noqa: S608
            "closes_minute) VALUES " + ",\n".join(rows) + ";\n"
            "INSERT INTO holidays (market, day, name) VALUES " + ",\n".join(holidays) + ";")


def policies_sql() -> str:
    rows = [f"({_quote(tier)}, {_quote(priority)}, {first}, {following}, {resolution})"
            for tier, by_priority in POLICIES.items()
            for priority, (first, following, resolution) in by_priority.items()]
    return ("INSERT INTO sla_policies (tier, priority, first_reply_minutes, next_reply_minutes, "  # noqa: S608
            "resolution_minutes) VALUES " + ",\n".join(rows) + ";")
