"""Fulfillment's rules without servers: allocation and splits, promises from cut-offs and
transit days, inbound counts that must add up, billable weight and size tiers, carrier tracking
formats, parcel and return state machines, zones."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import UUID

import pytest

from libs import zones
from libs.domain_errors import FieldError, InvalidTransition
from libs.ids import new_id
from services.fulfillment.domain import carriers, inbound, packaging, promises, returns, shipments
from services.fulfillment.domain.allocation import Candidate, allocate
from services.fulfillment.domain.inbound import Carton, Count, InboundStatus
from services.fulfillment.domain.shipments import ParcelStatus
from services.fulfillment.domain.warehouses import CarrierService, Warehouse

A, B, C = new_id(), new_id(), new_id()


def test_the_nearest_warehouse_that_has_everything_wins() -> None:
    near, far = new_id(), new_id()
    result = allocate({A: 2, B: 1}, [Candidate(far, 300, {A: 5, B: 5}),
                                     Candidate(near, 10, {A: 2, B: 1})])
    assert result.parcels == [(near, {A: 2, B: 1})] and not result.split and not result.short


def test_an_order_no_warehouse_can_serve_alone_is_split_nearest_first() -> None:
    near, far = new_id(), new_id()
    result = allocate({A: 3, B: 1}, [Candidate(near, 10, {A: 2}),
                                     Candidate(far, 200, {A: 1, B: 1})])
    assert result.split
    assert result.parcels == [(near, {A: 2}), (far, {A: 1, B: 1})]
    assert result.short == {}


def test_units_no_warehouse_holds_are_reported_short() -> None:
    only = new_id()
    result = allocate({A: 4, C: 1}, [Candidate(only, 10, {A: 3})])
    assert result.parcels == [(only, {A: 3})] and result.short == {A: 1, C: 1}
    assert allocate({A: 1}, []).short == {A: 1}


def _warehouse(cutoff: time, *, postcode: str = "NW10 7AB", handling: int = 0) -> Warehouse:
    return Warehouse(id=new_id(), code="LON1", name="London", market="GB", country="GB",
                     postcode=postcode, address="x", timezone="Europe/London", cutoff=cutoff,
                     zones_served=("GB-LON",), handling_days=handling, capacity_units=100,
                     services=(CarrierService("Royal Mail", "Tracked 48", "standard", 2),
                               CarrierService("DPD", "Next Day", "express", 1)))


def test_orders_in_before_the_cutoff_ship_that_day_later_ones_the_next() -> None:
    warehouse = _warehouse(time(15, 0))
    morning = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # London is on UTC in November
    evening = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    assert warehouse.next_cutoff(morning) == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    assert warehouse.next_cutoff(evening) == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 13, 30, tzinfo=UTC)  # 14:30 in London (BST)
    assert warehouse.next_cutoff(summer) == datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
    assert _warehouse(time(15, 0), handling=1).next_cutoff(morning) == \
        datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def test_promises_add_transit_days_by_zone_and_speed_and_take_the_slowest_parcel() -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    london, manchester = _warehouse(time(15, 0)), _warehouse(time(12, 0), postcode="M17 1AB")
    scale = promises.TimeScale()
    to_london = promises.from_warehouses(now, [london], zones.zone_of("GB", "SW1Y 4JH"),
                                         "standard", scale)
    assert to_london.ship_by == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    assert to_london.deliver_by == to_london.ship_by + timedelta(days=2)
    express = promises.from_warehouses(now, [london], zones.zone_of("GB", "SW1Y 4JH"),
                                       "express", scale)
    assert express.deliver_by == express.ship_by + timedelta(days=1)
    split = promises.from_warehouses(now, [london, manchester],
                                     zones.zone_of("GB", "SW1Y 4JH"), "standard", scale)
    assert split.deliver_by == datetime(2026, 11, 26, 12, 0, tzinfo=UTC) + timedelta(days=3)
    assert split.ship_by == to_london.ship_by
    abroad = promises.from_warehouses(now, [london], zones.zone_of("DE", "10115"), "standard",
                                      scale)
    assert abroad.deliver_by == abroad.ship_by + timedelta(days=5)


def test_a_time_scale_shrinks_days_for_tests() -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    scale = promises.TimeScale(seconds_per_day=600)
    assert scale.later(now, now + timedelta(days=2)) == now + timedelta(seconds=1200)
    assert promises.from_seller(now, 2, 3, scale).deliver_by == now + timedelta(seconds=3000)


def test_an_inbound_plan_must_pack_exactly_its_lines_with_sane_cartons() -> None:
    good = [Carton(1000, 400, 300, 200, {A: 3}), Carton(800, 400, 300, 200, {A: 2, B: 1})]
    inbound.check_plan({A: 5, B: 1}, good)
    for lines, cartons, field in [
        ({}, good, "lines"),
        ({A: 5, B: 1}, [], "cartons"),
        ({A: 5, B: 1}, [Carton(0, 1, 1, 1, {A: 5, B: 1})], "cartons.0.weight_grams"),
        ({A: 5, B: 1}, [Carton(10, 1, 10**9, 1, {A: 5, B: 1})], "cartons.0.width_mm"),
        ({A: 5, B: 1}, [Carton(10, 1, 1, 1, {A: 4, B: 1})], "cartons"),
        ({A: 5}, [Carton(10, 1, 1, 1, {A: 5, C: 1})], "cartons.0.contents"),
    ]:
        with pytest.raises(FieldError) as error:
            inbound.check_plan(lines, cartons)
        assert error.value.field == field


def test_received_counts_must_explain_every_planned_unit() -> None:
    planned = {A: 10, B: 4}
    exact = [Count(A, 10, 0, 0, 0), Count(B, 4, 0, 0, 0)]
    assert inbound.check_counts(planned, exact) is False
    messy = [Count(A, 7, 1, 2, 0), Count(B, 5, 0, 0, 1), Count(C, 2, 0, 0, 2)]
    assert inbound.check_counts(planned, messy) is True
    for counts, field in [
        ([Count(A, 12, 0, 0, 0), Count(B, 4, 0, 0, 0)], "counts.0.unexpected"),
        ([Count(A, 8, 0, 0, 0), Count(B, 4, 0, 0, 0)], "counts.0.missing"),
        ([Count(A, 10, 0, 0, 0)], "counts"),
        ([Count(A, 10, 0, 0, 0), Count(A, 10, 0, 0, 0)], "counts.1.sku_id"),
        ([Count(A, 9, 0, 1, 0), Count(B, 4, 0, 1, 1)], "counts.1.unexpected"),
    ]:
        with pytest.raises(FieldError) as error:
            inbound.check_counts(planned, counts)
        assert error.value.field == field


def test_an_inbound_plan_moves_only_forward() -> None:
    assert inbound.move(InboundStatus.DRAFT, InboundStatus.READY_TO_SHIP)
    with pytest.raises(InvalidTransition):
        inbound.move(InboundStatus.IN_TRANSIT, InboundStatus.CANCELLED)
    with pytest.raises(InvalidTransition):
        inbound.move(InboundStatus.ARRIVED, InboundStatus.RECEIVED)


def test_billable_weight_is_the_larger_of_actual_and_dimensional() -> None:
    assert packaging.billable_grams(900, (300, 200, 100)) == 1200  # 6,000 cm3 / 5000 = 1.2 kg
    assert packaging.billable_grams(5000, (300, 200, 100)) == 5000
    assert packaging.size_tier(300, (200, 150, 20)) == "small"
    assert packaging.size_tier(900, (300, 200, 100)) == "standard"
    assert packaging.size_tier(40_000, (300, 200, 100)) == "oversize"
    assert packaging.fee_per_unit("standard", "GBP") == 265
    assert packaging.fee_per_unit("standard", "USD") > 265
    with pytest.raises(FieldError) as error:
        packaging.check_package(0, (1, 1, 1))
    assert error.value.field == "weight_grams"


def test_tracking_numbers_are_checked_against_their_carrier() -> None:
    assert carriers.check_tracking_number("Royal Mail", "rm 123456785 gb") == "RM123456785GB"
    for name, carrier in carriers.CARRIERS.items():
        made = carrier.make_number()
        assert carriers.check_tracking_number(name, made) == made
    with pytest.raises(FieldError) as error:
        carriers.check_tracking_number("UPS", "RM123456785GB")
    assert error.value.field == "tracking_number"
    with pytest.raises(FieldError) as unknown:
        carriers.check_tracking_number("Pigeon Post", "1")
    assert unknown.value.field == "carrier"


def test_parcels_follow_their_states_and_late_carrier_reports_are_not_news() -> None:
    assert shipments.move(ParcelStatus.ALLOCATED, ParcelStatus.PICKED)
    with pytest.raises(InvalidTransition):
        shipments.move(ParcelStatus.PICKED, ParcelStatus.LABELLED)  # not packed yet
    with pytest.raises(InvalidTransition):
        shipments.move(ParcelStatus.SHIPPED, ParcelStatus.CANCELLED)
    assert shipments.is_news(ParcelStatus.SHIPPED, ParcelStatus.DELIVERED)
    assert not shipments.is_news(ParcelStatus.DELIVERED, ParcelStatus.IN_TRANSIT)
    assert not shipments.is_news(ParcelStatus.OUT_FOR_DELIVERY, ParcelStatus.OUT_FOR_DELIVERY)


def test_an_inspection_accounts_for_each_returned_unit_once() -> None:
    authorized: dict[UUID, int] = {A: 3, B: 1}
    returns.check_inspection(authorized, [returns.Inspection(A, 1, 1, 1),
                                          returns.Inspection(B, 0, 0, 1)])
    for lines, field in [
        ([returns.Inspection(A, 3, 1, 0), returns.Inspection(B, 1, 0, 0)], "lines.0"),
        ([returns.Inspection(A, 3, 0, 0)], "lines"),
        ([returns.Inspection(C, 1, 0, 0)], "lines.0.sku_id"),
    ]:
        with pytest.raises(FieldError) as error:
            returns.check_inspection(authorized, lines)
        assert error.value.field == field


def test_postcodes_fall_in_zones_and_distances_order_warehouses() -> None:
    assert zones.zone_of("GB", "SW1Y 4JH").code == "GB-LON"
    assert zones.zone_of("GB", "M1 1AE").code == "GB-NOR"
    assert zones.zone_of("GB", "EH1 1YZ").code == "GB-SCO"
    assert zones.zone_of("US", "94103").code == "US-PAC"
    assert zones.zone_of("FR", "75001").code == "FR-ALL"
    london, manchester, edinburgh = (zones.zone_of("GB", p) for p in ("E1 6AN", "M1 1AE",
                                                                      "EH1 1YZ"))
    def at(z: zones.Zone) -> tuple[float, float]:
        return (z.latitude, z.longitude)

    assert zones.distance_km(at(london), at(manchester)) < zones.distance_km(at(london),
                                                                             at(edinburgh))
    assert 250 < zones.distance_km(at(london), at(manchester)) < 300
