"""Renders the event catalogue as Markdown: `make events-doc` writes docs/events.md."""

from __future__ import annotations

import json
import sys

from libs.events.catalogue import TOPICS, all_event_types, dead_letter_topic


def render() -> str:
    events = all_event_types()
    lines = [
        "# Events and topics",
        "",
        "Generated from `libs/events/catalogue.py` and `libs/events/schemas/` by "
        "`make events-doc`; do not edit by hand (a test compares).",
        "",
        "Every record is a CloudEvent 1.0 in Kafka binary mode: headers `ce_id` (UUIDv7), "
        "`ce_type`, `ce_source` (producing service), `ce_time`, `ce_specversion`, "
        "`ce_dataschema` (`urn:socialcommerce:event:<type>:v<version>`), `ce_sequence` (the "
        "event's position among its aggregate's events on the topic: 1, 2, 3..., zero-padded "
        "to 20 digits so that text order is number order; a consumer that needs order can spot "
        "a gap or a stale event with it), `content-type: application/json`, and the W3C "
        "`traceparent`; the key is the aggregate id; the value is the JSON payload below. A "
        "breaking change to a payload is a new version (and topic `*.v2`); adding an optional "
        "field is not. The same contracts, for tools: `docs/asyncapi.json` (AsyncAPI 3) and "
        "`docs/events/schemas/<type>.v<version>.json` (JSON Schema), checked for backward "
        "compatibility in CI.",
        "",
        "Consumer groups are named after the consuming service; each has a dead-letter topic "
        f"`{dead_letter_topic('<group>')}` whose records keep the original key, value and "
        "headers and add `dlq_reason`, `dlq_consumer_group`, `dlq_original_topic`, "
        "`dlq_original_partition`, `dlq_original_offset`, `dlq_failed_at`.",
        "",
        "## Topics",
        "",
        "| topic | producer | key | what |",
        "|---|---|---|---|",
    ]
    for topic in TOPICS.values():
        lines.append(f"| `{topic.name}` | {topic.producer} | `{topic.key}` ({topic.aggregate}) | "
                     f"{topic.description} |")
    lines += ["", "## Event types", ""]
    for type_name in sorted(events):
        cls = events[type_name]
        lines += [
            f"### `{type_name}` (v{cls.version})",
            "",
            f"{(cls.__doc__ or '').strip()}",
            "",
            f"Topic `{cls.topic}`, key `{cls.key_field}`"
            + (", public (delivered to sellers' webhooks)." if cls.public else "."),
            "",
            "```json",
            json.dumps(cls.model_json_schema(), indent=2, sort_keys=True),
            "```",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
