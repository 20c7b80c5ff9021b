"""How the consumer lays several partitions' records out as one batch (no servers)."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord

from libs.consumer_batches import merge_partitions


async def _many(conn: Any, events: list[Any]) -> None:
    """A batch handler shared by two types; never called here."""


async def _other(conn: Any, events: list[Any]) -> None:
    """A second batch handler; never called here."""


BATCH_HANDLERS = {"order.placed": _many, "order.confirmed": _many, "order.cancelled": _other}


def record(partition: int, offset: int, kind: str) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(topic="orders", partition=partition, offset=offset, timestamp=0,
                          timestamp_type=0, key=None, value=None, checksum=None,
                          serialized_key_size=0, serialized_value_size=0,
                          headers=[("ce_type", kind.encode())])


def partitions_of(*kinds_per_partition: list[str]) -> list[list[ConsumerRecord[Any, Any]]]:
    return [[record(p, o, kind) for o, kind in enumerate(kinds)]
            for p, kinds in enumerate(kinds_per_partition)]


def kinds(records: list[ConsumerRecord[Any, Any]]) -> list[str]:
    return [dict(r.headers)["ce_type"].decode() for r in records]


def test_every_record_once_and_each_partition_in_its_order() -> None:
    partitions = partitions_of(
        ["order.placed", "order.cancelled", "order.placed", "shipment.shipped"],
        ["order.cancelled", "order.confirmed"],
        [],
        ["shipment.shipped", "order.placed", "order.placed"],
    )
    merged = merge_partitions(partitions, BATCH_HANDLERS)
    assert sorted((r.partition, r.offset) for r in merged) == sorted(
        (r.partition, r.offset) for records in partitions for r in records)
    for partition in range(4):
        offsets = [r.offset for r in merged if r.partition == partition]
        assert offsets == sorted(offsets)
    # Every prefix is a prefix of each partition, so offsets can be committed from any cut.
    for cut in range(len(merged) + 1):
        for partition, records in enumerate(partitions):
            taken = [r for r in merged[:cut] if r.partition == partition]
            assert taken == records[:len(taken)]


def test_records_sharing_a_batch_handler_are_brought_together_where_order_allows() -> None:
    partitions = partitions_of(
        ["order.placed", "order.confirmed", "order.cancelled"],
        ["order.confirmed", "order.cancelled", "order.placed"],
        ["order.placed", "order.placed"],
    )
    merged = merge_partitions(partitions, BATCH_HANDLERS)
    # Placed and confirmed share a batch handler: the heads of all three partitions form one
    # run of five, then the two cancellations, then the last placement.
    assert kinds(merged) == ["order.placed", "order.confirmed", "order.confirmed",
                             "order.placed", "order.placed", "order.cancelled",
                             "order.cancelled", "order.placed"]
    assert [r.partition for r in merged] == [0, 0, 1, 2, 2, 0, 1, 1]


def test_records_without_a_batch_handler_or_type_header_are_kept() -> None:
    bare = record(1, 0, "x")
    bare = ConsumerRecord(**{**bare.__dict__, "headers": []})
    partitions = [[record(0, 0, "shipment.shipped")], [bare, record(1, 1, "order.placed")]]
    merged = merge_partitions(partitions, BATCH_HANDLERS)
    assert merged == [partitions[0][0], bare, partitions[1][1]]


def test_events_the_consumer_ignores_are_taken_along_and_do_not_cut_a_run() -> None:
    # Fulfillment's topic: each order's `created` (which this consumer ignores) just before
    # its `allocated`. Without passing over the ignored ones, each run would be one record.
    handled = {"order.placed", "order.confirmed", "order.cancelled", "shipment.shipped"}
    partitions = partitions_of(
        ["payment.authorized", "order.placed", "payment.authorized", "order.placed"],
        ["order.confirmed", "payment.authorized", "order.cancelled"],
    )
    merged = merge_partitions(partitions, BATCH_HANDLERS, handled)
    assert kinds(merged) == ["payment.authorized", "order.placed", "payment.authorized",
                             "order.placed", "order.confirmed", "payment.authorized",
                             "order.cancelled"]
    assert [r.partition for r in merged] == [0, 0, 0, 0, 1, 1, 1]
