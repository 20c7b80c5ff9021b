"""Who may be profiled: personalisation consent and the age rule, as data.

Profiling (using a buyer's own history to choose what they see, or letting advertisers reach
them by audience) needs both:
- the buyer's consent: explicit, or the market's default (off in the EU, EEA countries sold in
  and the UK, where the GDPR and the DSA ask for an opt-in; on elsewhere, where an opt-out is
  the norm), always changeable;
- a verified age of 18 or over (the OIDC `birthdate` the platform already trusts for
  age-restricted goods). An unverified age counts as under 18 here too: the DSA forbids
  profiling-based ads to minors and a platform cannot know a buyer is not one.

Without both, the feed and the ads use context (market, category, what is on screen) and
popularity only. A buyer may also ask for the non-personalised feed on any request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

ADULT_AGE = 18
OPT_IN_MARKETS = frozenset({"GB", "IE", "DE", "FR", "ES", "IT"})
"""Markets where personalisation is off until the buyer turns it on."""


class Basis(StrEnum):
    """Why a request is, or is not, personalised (shown to the buyer and in tests)."""

    PERSONALISED = "personalised"
    NO_CONSENT = "no_consent"
    MINOR = "minor"
    AGE_UNVERIFIED = "age_unverified"
    NOT_REQUESTED = "not_requested"


def default_consent(market: str) -> bool:
    return market not in OPT_IN_MARKETS


def age_on(birthdate: date, today: date) -> int:
    return today.year - birthdate.year - ((today.month, today.day) < (birthdate.month, birthdate.day))


def is_verified_adult(birthdate: date | None, today: date) -> bool:
    return birthdate is not None and age_on(birthdate, today) >= ADULT_AGE


@dataclass(frozen=True)
class Audience:
    """What one request may use about its buyer."""

    basis: Basis
    minor_or_unverified: bool
    """Age-restricted items are left out (as at checkout)."""

    @property
    def profiled(self) -> bool:
        return self.basis is Basis.PERSONALISED


def audience(*, consent: bool | None, market: str, birthdate: date | None, today: date,
             wants_personalised: bool = True) -> Audience:
    """`consent` is the buyer's recorded choice, or None when they never made one."""
    adult = is_verified_adult(birthdate, today)
    if birthdate is not None and not adult:
        basis = Basis.MINOR
    elif birthdate is None:
        basis = Basis.AGE_UNVERIFIED
    elif not (default_consent(market) if consent is None else consent):
        basis = Basis.NO_CONSENT
    elif not wants_personalised:
        basis = Basis.NOT_REQUESTED
    else:
        basis = Basis.PERSONALISED
    return Audience(basis, minor_or_unverified=not adult)


def may_keep_history(*, consent: bool | None, market: str, birthdate: date | None,
                     today: date) -> bool:
    """A buyer's own interactions are kept (to personalise later) only when they could be used:
    a consenting, verified adult. Everyone's interactions still count, unnamed, toward
    popularity."""
    return audience(consent=consent, market=market, birthdate=birthdate, today=today).profiled
