"""`/metrics` of a real service (support) on real Postgres and Kafka: what an operator's
dashboards read (issue 16, item 4). Requests are counted by route template, a poison record
shows as a dead letter, the consumer reports its lag per partition, and the outbox and deadline
backlogs show what waits; the Grafana dashboard only asks for series a service exports."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from prometheus_client.parser import text_string_to_metric_families

from libs import deadlines
from libs.devstack.servers import REPO_ROOT
from libs.events.schemas.catalog import SellerRegistered
from libs.ids import new_id
from libs.kafka import create_producer
from libs.outbox import enqueue
from libs.testing import bearer, eventually, serve
from services.support.app import create_app as create_support
from services.support.settings import SupportSettings

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: Any) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """The one sample of `name` whose labels include `labels` (None when absent)."""
    found = [v for (n, ls), v in samples.items()
             if n == name and set(labels.items()) <= set(ls)]
    assert len(found) <= 1, f"{name} {labels}: {len(found)} samples"
    return found[0] if found else None


async def test_a_service_reports_requests_dead_letters_lag_and_backlogs(
        settings_for: Callable[..., Any], kafka_bootstrap: str) -> None:
    settings = settings_for(SupportSettings, run_relay=False, metrics_sample_seconds=0.5)
    app = create_support(settings)
    async with serve(app) as support:
        client = support.client
        before = await scrape(client)  # counters are per process; other tests count too
        buyer = bearer("buyer")
        for _ in range(3):
            assert (await client.get(f"/v1/tickets/{uuid4()}", headers=buyer)).status_code == 404
        assert (await client.get(f"/wp-admin/{secrets.token_hex(4)}")).status_code == 404

        producer = create_producer(kafka_bootstrap, "metrics-test", idempotent=False)
        await producer.start()
        try:
            await producer.send_and_wait(SellerRegistered.topic, value=b"\x00not an event",
                                         key=b"poison")
        finally:
            await producer.stop()
        runtime = support.app.state.runtime
        key = f"metrics-probe-{secrets.token_hex(4)}"
        async with runtime.db.acquire() as conn, conn.transaction():
            await enqueue(conn, "support", SellerRegistered(
                seller_id=new_id(), shop_id=new_id(), market="GB", currency="GBP",
                tier="local", business_type="company", registered_at=datetime.now(UTC)))
            await deadlines.schedule(conn, key, "metrics-probe",
                                     datetime.now(UTC) - timedelta(minutes=3))
        try:
            async def reported() -> Samples | None:
                samples = await scrape(client)
                dead = value(samples, "dead_letters_total", service="support",
                             group=runtime.consumer_group, topic=SellerRegistered.topic)
                backlog = value(samples, "outbox_backlog", service="support")
                due = value(samples, "deadlines_due_backlog", service="support",
                            kind="metrics-probe")
                # The lag is set once a batch is handled; the dead letter may be counted
                # mid-batch (older poison on the topic comes first for a new group).
                lag = any(n == "kafka_consumer_lag" and dict(ls)["topic"] == SellerRegistered.topic
                          and dict(ls)["group"] == runtime.consumer_group for n, ls in samples)
                ready = dead and backlog and due and lag
                return samples if ready else None

            samples = await eventually(reported, timeout=60, interval=0.3)
        finally:
            async with runtime.db.acquire() as conn:
                await deadlines.cancel(conn, key)
    route = "/v1/tickets/{ticket_id}"

    def grew(name: str, **labels: str) -> float:
        return (value(samples, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert grew("http_requests_total", service="support", method="GET", route=route,
                status="404") == 3
    assert grew("http_request_duration_seconds_count", service="support", method="GET",
                route=route) == 3
    assert grew("http_requests_total", service="support", route="unmatched", status="404") == 1
    assert not any("wp-admin" in dict(labels).get("route", "") for _, labels in samples), \
        "a scanned path never becomes a label"
    assert (value(samples, "outbox_oldest_unpublished_age_seconds", service="support")
            or -1) >= 0
    assert (value(samples, "deadlines_oldest_overdue_seconds", service="support") or 0) >= 170
    lags = {dict(labels)["partition"] for (name, labels) in samples
            if name == "kafka_consumer_lag" and dict(labels)["topic"] == SellerRegistered.topic
            and dict(labels)["group"] == runtime.consumer_group}
    assert lags, "the consumer reports its lag on the partition it read"
    assert (value(samples, "kafka_consumed_events_total", service="support",
                  group=runtime.consumer_group, outcome="dead_lettered") or 0) >= 1
    assert grew("event_loop_lag_seconds_count", service="support") > 0, \
        "the event loop's lag is probed while the service runs"
    for phase in ("poll", "apply", "commit"):
        assert grew("kafka_consumer_cycle_seconds_count", service="support",
                    group=runtime.consumer_group, phase=phase) >= 1, \
            f"the consumer's turn with the poison record is timed ({phase})"


def test_every_dashboard_query_names_a_series_the_services_export() -> None:
    """The dashboard is data: a renamed metric would leave a panel silently empty."""
    from prometheus_client.metrics import MetricWrapperBase

    from libs import metrics

    families = [m for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)]
    exported = {"up"}  # Prometheus's own, per scraped target
    for family in families:
        name, kind = family._name, family._type
        exported |= ({f"{name}_total"} if kind == "counter" else
                     {f"{name}_bucket", f"{name}_count", f"{name}_sum"} if kind == "histogram"
                     else {name})
    dashboard = json.loads((REPO_ROOT / "deploy/grafana/dashboards/marketplace.json").read_text())
    queries = [target["expr"] for panel in dashboard["panels"]
               for target in panel.get("targets", [])]
    assert len(queries) >= 10
    shown: set[str] = set()
    for query in queries:
        names = set(re.findall(r"\b([a-z_]+)\{", query))
        assert names, f"{query}: every query selects a series with labels"
        assert names <= exported, f"{query}: {names - exported} is exported by no service"
        shown |= names
    unshown = {f._name for f in families} - {re.sub(r"_(total|bucket|count|sum)$", "", n)
                                               for n in shown}
    assert not unshown, f"exported but on no panel: {unshown}"
