"""Automatic listing checks (domain, no servers)."""

from __future__ import annotations

from services.catalog.domain.categories import AttributeKind, EffectiveRules, RequiredAttribute
from services.catalog.domain.moderation import Listing, Outcome, moderate

PLAIN = EffectiveRules(path=("Beauty", "Skincare"), required_attributes=(),
                       age_restricted=False, prohibited_markets=frozenset())


def listing(title: str = "Hydrating face cream 50ml", description: str = "", market: str = "GB",
            attributes: dict[str, object] | None = None, prices: list[int] | None = None) -> Listing:
    return Listing(title=title, description=description, attributes=attributes or {},
                   prices_minor=prices or [1500], market=market)


def test_a_clean_listing_is_approved() -> None:
    verdict = moderate(listing(), PLAIN, category_median_minor=1800, sellers_other_titles=[])
    assert verdict.outcome is Outcome.AUTO_APPROVED and verdict.reasons == []


def test_skin_bleaching_is_rejected_everywhere_with_the_field() -> None:
    verdict = moderate(listing(description="Fast skin-bleaching formula!"), PLAIN,
                       category_median_minor=None, sellers_other_titles=[])
    assert verdict.outcome is Outcome.AUTO_REJECTED
    [reason] = verdict.reasons
    assert (reason.code, reason.field) == ("prohibited_keyword", "description")


def test_market_specific_keywords_apply_only_in_their_market() -> None:
    vape = listing(title="Mango vape pen")
    assert moderate(vape, PLAIN, category_median_minor=None,
                    sellers_other_titles=[]).outcome is Outcome.AUTO_APPROVED
    singapore = listing(title="Mango vape pen", market="SG")
    assert moderate(singapore, PLAIN, category_median_minor=None,
                    sellers_other_titles=[]).outcome is Outcome.AUTO_REJECTED


def test_a_category_prohibited_in_the_market_is_rejected() -> None:
    rules = EffectiveRules(path=("Age-restricted", "Alcohol"), required_attributes=(),
                           age_restricted=True, prohibited_markets=frozenset({"ID"}))
    verdict = moderate(listing(title="Craft lager 6-pack", market="ID"), rules,
                       category_median_minor=None, sellers_other_titles=[])
    assert [r.code for r in verdict.reasons] == ["prohibited_category"]


def test_missing_and_invalid_attributes_are_named() -> None:
    rules = EffectiveRules(path=("Fashion",), required_attributes=(
        RequiredAttribute("size", AttributeKind.CHOICE, ("S", "M")),
        RequiredAttribute("colour", AttributeKind.TEXT),
        RequiredAttribute("eu_size", AttributeKind.NUMBER)), age_restricted=False,
        prohibited_markets=frozenset())
    verdict = moderate(listing(attributes={"size": "XXL", "eu_size": "forty"}), rules,
                       category_median_minor=None, sellers_other_titles=[])
    assert {(r.code, r.field) for r in verdict.reasons} == {
        ("invalid_attribute", "attributes.size"), ("missing_attribute", "attributes.colour"),
        ("invalid_attribute", "attributes.eu_size")}


def test_soft_signals_go_to_the_operators() -> None:
    bait = moderate(listing(prices=[1]), PLAIN, category_median_minor=2000,
                    sellers_other_titles=[])
    assert bait.outcome is Outcome.REVIEW_QUEUE
    assert bait.reasons[0].code == "price_outlier"
    twin = moderate(listing(title="Hydrating face cream 50 ml"), PLAIN,
                    category_median_minor=None,
                    sellers_other_titles=["Hydrating face cream 50ml", "Lip balm"])
    assert twin.outcome is Outcome.REVIEW_QUEUE and twin.reasons[0].code == "near_duplicate"
    other = moderate(listing(title="Vitamin C serum 30ml"), PLAIN, category_median_minor=None,
                     sellers_other_titles=["Hydrating face cream 50ml"])
    assert other.outcome is Outcome.AUTO_APPROVED


def test_a_colour_is_not_contraband() -> None:
    verdict = moderate(listing(title="Linen shirt in ivory"), PLAIN, category_median_minor=None,
                       sellers_other_titles=[])
    assert verdict.outcome is Outcome.AUTO_APPROVED
    carved = moderate(listing(title="Antique carved ivory figurine"), PLAIN,
                      category_median_minor=None, sellers_other_titles=[])
    assert carved.outcome is Outcome.AUTO_REJECTED
