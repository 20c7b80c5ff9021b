"""Every benchmark prints the conditions it ran under, read from the servers (issue 14, item
1): a durable Postgres says so, and a fast development one is flagged, because its figures
flatter every path that writes."""

from __future__ import annotations

from pathlib import Path

from benchmarks import conditions
from libs.devstack.servers import AUTOVACUUM_NAPTIME, PostgresServer


async def test_conditions_name_durability_processes_and_broker(tmp_path: Path) -> None:
    durable = PostgresServer(tmp_path / "durable", durable=True).start()
    try:
        stack = {"database_url": durable.admin_url, "kafka_flavour": "apache",
                 "http_workers": {"orders": 2, "live": 1}}
        said = await conditions.describe(stack, "one support process")
    finally:
        durable.stop()
    assert "fsync=on, synchronous_commit=on, full_page_writes=on" in said
    assert f"autovacuum_naptime={AUTOVACUUM_NAPTIME}" in said  # queue tables analysed early
    assert "NOT DURABLE" not in said
    assert "processes per service: orders 2, live 1" in said and "kafka: apache" in said
    assert said.endswith("one support process") and "cores" in said

    quick = PostgresServer(tmp_path / "fast").start()  # what `make run` and the tests use
    try:
        fast = await conditions.describe({"database_url": quick.admin_url})
    finally:
        quick.stop()
    assert "fsync=off" in fast and "NOT DURABLE" in fast
    assert f"autovacuum_naptime={AUTOVACUUM_NAPTIME}" in fast
