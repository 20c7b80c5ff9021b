"""Event contracts that tools can check: one JSON Schema per event type and version
(`docs/events/schemas/`), an AsyncAPI 3 document of every topic and message (`docs/asyncapi.json`,
validated in CI by the AsyncAPI project's parser), and a compatibility check that fails on a
change a consumer of the released version could not read.

A schema file, once committed, is the released contract of that version. `make events-doc`
rewrites it only when the new schema is backward compatible with it (an optional field added,
an enum widened); a removed or retyped field, a new required field or a narrowed enum needs the
event's `version` bumped, which writes a new file and keeps the old one.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from libs.events.base import Event
from libs.events.catalogue import TOPICS, all_event_types

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = ROOT / "docs" / "events" / "schemas"
ASYNCAPI_PATH = ROOT / "docs" / "asyncapi.json"

CLOUDEVENT_HEADERS: dict[str, tuple[str, bool]] = {
    "ce_id": ("The event's id (UUIDv7); consumers dedupe by it.", True),
    "ce_type": ("The event type, e.g. `order.placed`.", True),
    "ce_source": ("The producing service.", True),
    "ce_specversion": ("CloudEvents version: `1.0`.", True),
    "ce_time": ("When the event happened (RFC 3339).", True),
    "ce_dataschema": ("`urn:socialcommerce:event:<type>:v<version>`.", True),
    "ce_partitionkey": ("The aggregate's id, as the Kafka key.", True),
    "ce_sequence": ("The event's position among its aggregate's events on this topic, "
                    "counting 1, 2, 3...: zero-padded to 20 digits so text order is number "
                    "order (CloudEvents `sequence` extension).", True),
    "content-type": ("`application/json`.", True),
    "traceparent": ("W3C trace context: one trace across HTTP, outbox, Kafka and consumers.",
                    False),
}


def schema_path(type_name: str, version: int) -> Path:
    return SCHEMAS_DIR / f"{type_name}.v{version}.json"


def event_schema(cls: type[Event]) -> dict[str, Any]:
    """The event's payload as a standalone JSON Schema, with its place in the catalogue."""
    schema = cls.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": cls.dataschema(),
        **schema,
        "x-event-type": cls.type,
        "x-version": cls.version,
        "x-topic": cls.topic,
        "x-key": cls.key_field,
        "x-public": cls.public,
    }


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its local `#/$defs/...` references replaced by their definitions (the
    event schemas are small trees, never recursive)."""
    definitions = schema.get("$defs", {})

    def resolve(node: Any, depth: int = 0) -> Any:
        if depth > 50:
            raise ValueError("recursive schema")
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                target = copy.deepcopy(definitions[ref.removeprefix("#/$defs/")])
                merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
                return resolve(merged, depth + 1)
            return {k: resolve(v, depth + 1) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(item, depth + 1) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


# Compatibility -------------------------------------------------------------------------------

def _variants(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives a schema accepts (`anyOf`/`oneOf` spread out, one per JSON type; a
    `const` read as a one-value enum)."""
    for combinator in ("anyOf", "oneOf"):
        if combinator in node:
            return [v for option in node[combinator] for v in _variants(option)]
    if "const" in node:
        node = {**{k: v for k, v in node.items() if k != "const"}, "enum": [node["const"]]}
    types = node.get("type")
    if isinstance(types, list):
        return [{**node, "type": t} for t in types]
    return [node]


def _kind(variant: dict[str, Any]) -> str:
    kind = str(variant.get("type", "any"))
    return f"{kind}:{variant['format']}" if "format" in variant else kind


def compatibility_problems(released: dict[str, Any], current: dict[str, Any],
                           path: str = "") -> list[str]:
    """What in `current` a consumer of `released` data could not read; empty when compatible.
    Both are inlined schemas (`inline_refs`)."""
    problems: list[str] = []
    where = path or "(payload)"
    old_variants, new_variants = _variants(released), _variants(current)
    new_by_kind: dict[str, list[dict[str, Any]]] = {}
    for variant in new_variants:
        new_by_kind.setdefault(_kind(variant), []).append(variant)
    for old in old_variants:
        kind = _kind(old)
        if "any" in new_by_kind or kind == "any":
            continue
        matches = new_by_kind.get(kind)
        if not matches:
            problems.append(f"{where}: retyped ({kind} is no longer accepted)")
            continue
        new = matches[0]
        if "enum" in old:
            accepted = [v for m in matches for v in m.get("enum", old["enum"])]
            missing = [v for v in old["enum"] if v not in accepted]
            if missing:
                problems.append(f"{where}: enum values removed: {missing}")
        if kind == "object":
            old_props, new_props = old.get("properties", {}), new.get("properties", {})
            for name in old_props:
                if name not in new_props:
                    problems.append(f"{path}.{name}".lstrip(".") + ": field removed")
                else:
                    problems += compatibility_problems(old_props[name], new_props[name],
                                                       f"{path}.{name}".lstrip("."))
            added_required = sorted(set(new.get("required", [])) - set(old.get("required", [])))
            for name in added_required:
                problems.append(f"{path}.{name}".lstrip(".") + ": new required field")
        if kind == "array" and "items" in old and "items" in new:
            problems += compatibility_problems(old["items"], new["items"], f"{path}[]")
    return problems


# AsyncAPI -------------------------------------------------------------------------------------

def asyncapi() -> dict[str, Any]:
    """An AsyncAPI 3.0 document: a channel per topic, a message per event type, a send
    operation per topic for its producing service."""
    events = all_event_types()
    headers = {
        "type": "object",
        "description": "CloudEvents 1.0 attributes in Kafka binary mode, plus trace context.",
        "properties": {name: {"type": "string", "description": text}
                       for name, (text, _) in CLOUDEVENT_HEADERS.items()},
        "required": [name for name, (_, required) in CLOUDEVENT_HEADERS.items() if required],
    }
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {"CloudEventHeaders": headers}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS.values():
        channel_messages = {}
        for type_name in sorted(t for t, cls in events.items() if cls.topic == topic.name):
            cls = events[type_name]
            payload = inline_refs(cls.model_json_schema())
            schema_name = f"{type_name}.v{cls.version}"
            schemas[schema_name] = payload
            messages[type_name] = {
                "name": type_name,
                "title": type_name,
                "summary": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
                "contentType": "application/json",
                "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
                "payload": {"$ref": f"#/components/schemas/{schema_name}"},
                "bindings": {"kafka": {"key": {"type": "string",
                                               "description": f"the {topic.key}"},
                                       "bindingVersion": "0.5.0"}},
                "x-version": cls.version,
                "x-public": cls.public,
            }
            channel_messages[type_name] = {"$ref": f"#/components/messages/{type_name}"}
        channels[topic.name] = {
            "address": topic.name,
            "title": topic.name,
            "description": f"{topic.description} Key: `{topic.key}` ({topic.aggregate}).",
            "messages": channel_messages,
        }
        operations[f"{topic.producer}.publishes.{topic.name}"] = {
            "action": "send",
            "summary": f"{topic.producer} publishes through its transactional outbox.",
            "channel": {"$ref": f"#/channels/{topic.name}"},
            "messages": [{"$ref": f"#/channels/{topic.name}/messages/{name}"}
                         for name in channel_messages],
        }
    return {
        "asyncapi": "3.1.0",
        "info": {
            "title": "socialcommerce events",
            "version": "1.0.0",
            "description": "Every topic and event type the services publish. Generated from "
                           "`libs/events/catalogue.py` by `make events-doc`; do not edit.",
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "localhost:9092", "protocol": "kafka",
                              "description": "The development stack's broker."}},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


# Writing and checking --------------------------------------------------------------------------

def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def released_problems(schemas_dir: Path = SCHEMAS_DIR) -> list[str]:
    """Each event type against the committed schema of its version."""
    problems = []
    for type_name, cls in sorted(all_event_types().items()):
        released_file = schemas_dir / schema_path(type_name, cls.version).name
        if not released_file.exists():
            continue  # a new type or a new version: nothing released to break
        released = inline_refs(json.loads(released_file.read_text()))
        current = inline_refs(event_schema(cls))
        problems += [f"{type_name} v{cls.version}: {p}"
                     for p in compatibility_problems(released, current)]
    return problems


def expected_files() -> dict[Path, str]:
    """What the generated contract files must contain."""
    files = {ASYNCAPI_PATH: _dump(asyncapi())}
    for type_name, cls in all_event_types().items():
        files[schema_path(type_name, cls.version)] = _dump(event_schema(cls))
    return files


def write() -> list[str]:
    """Writes the contract files; refuses (and writes nothing) on an incompatible change."""
    problems = released_problems()
    if problems:
        return problems
    SCHEMAS_DIR.mkdir(parents=True, exist_ok=True)
    for path, text in expected_files().items():
        path.write_text(text)
    return []


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    problems = write() if command == "write" else released_problems()
    if command == "check":
        stale = [str(p.relative_to(ROOT)) for p, text in expected_files().items()
                 if not p.exists() or p.read_text() != text]
        problems += [f"{name} is not current: run `make events-doc`" for name in stale]
    for problem in problems:
        print(f"incompatible: {problem}" if "not current" not in problem else problem,
              file=sys.stderr)
    if problems:
        print("A breaking change needs the event's version bumped (a new schema file and, "
              "for consumers, a new topic `*.v2`).", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
