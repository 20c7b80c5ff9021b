"""Who may buy what. Age comes only from a verified OIDC `birthdate`; an unverified age counts
as under 18 for age-restricted products. Buyers under 18 have a monthly spending cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ADULT_AGE = 18


class AgeRuleViolation(Exception):
    def __init__(self, rule: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.field = field


def age_on(birthdate: date, today: date) -> int:
    return today.year - birthdate.year - ((today.month, today.day) < (birthdate.month, birthdate.day))


def is_adult(birthdate: date | None, today: date) -> bool:
    return birthdate is not None and age_on(birthdate, today) >= ADULT_AGE


@dataclass(frozen=True)
class LineForAgeCheck:
    index: int
    age_restricted: bool


def check_restricted_products(lines: list[LineForAgeCheck], birthdate: date | None,
                              today: date) -> None:
    if is_adult(birthdate, today):
        return
    for line in lines:
        if line.age_restricted:
            if birthdate is None:
                raise AgeRuleViolation(
                    "age_unverified", "This item is for buyers aged 18 or over; verify your "
                    "age with your account provider to buy it.", f"lines.{line.index}")
            raise AgeRuleViolation("age_restricted_product",
                                   "This item is for buyers aged 18 or over.",
                                   f"lines.{line.index}")


def check_minor_spending_cap(birthdate: date | None, today: date, *, spent_this_month: int,
                             this_order: int, cap: int | None, currency: str) -> None:
    """Applies to buyers whose verified age is under 18."""
    if birthdate is None or is_adult(birthdate, today) or cap is None:
        return
    if spent_this_month + this_order > cap:
        left = max(0, cap - spent_this_month)
        raise AgeRuleViolation(
            "minor_monthly_cap", f"Buyers under 18 may spend {cap} {currency} (minor units) a "
            f"month; {left} is left this month.")
