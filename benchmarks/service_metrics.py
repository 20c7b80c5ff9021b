"""What a service says of itself on `/metrics`, read before and after a benchmark's load.

The load generator sees a request's whole time; these histograms tell where inside the service
it went (the event loop's lag, the app's own time, the consumer's turns by phase). Figures are
bucket bounds, so they are ceilings, not exact values.
"""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

PHASES = ("poll", "apply", "commit")
"""Of a consumer's turn: `kafka_consumer_cycle_seconds`."""


async def histograms(client: httpx.AsyncClient, service_url: str) -> dict[str, dict[float, float]]:
    """From the service's metrics: its event loop's lag, its own time to answer a checkout
    (from the app's first sight of the request to its answer), and its consumer's turns by
    phase, each as cumulative counts by upper bound."""
    text = (await client.get(f"{service_url}/metrics")).text
    found: dict[str, dict[float, float]] = {
        "loop_lag": {}, "checkout_in_app": {}, **{f"consumer_{phase}": {} for phase in PHASES}}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.name.endswith("_bucket"):
                continue
            bound = float(sample.labels["le"])
            if family.name == "event_loop_lag_seconds":
                found["loop_lag"][bound] = sample.value
            elif family.name == "http_request_duration_seconds" and \
                    sample.labels.get("route") == "/v1/checkout":
                found["checkout_in_app"][bound] = sample.value
            elif family.name == "kafka_consumer_cycle_seconds":
                found[f"consumer_{sample.labels['phase']}"][bound] = sample.value
    return found


def window_figures(name: str, before: dict[float, float],
                   after: dict[float, float]) -> dict[str, Any]:
    """A histogram over the load window: its p50 and p99 as bucket bounds (`inf` past the
    last), and the share of observations over 100 ms."""
    counts = {le: after[le] - before.get(le, 0.0) for le in sorted(after)}
    total = counts.get(float("inf"), 0.0)

    def bound(share: float) -> float:
        return next((le for le, n in counts.items() if total and n >= share * total), 0.0)

    slow = total - counts.get(0.1, total) if total else 0.0
    return {f"{name}_p50_s": bound(0.5), f"{name}_p99_s": bound(0.99),
            f"{name}_over_100ms_share": round(slow / total, 3) if total else 0.0}
