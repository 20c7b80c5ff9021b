"""What every service does with a privacy request: find the subject in its own schema, export
it, or erase it.

The search is a sweep, not a list of columns someone must remember to keep up to date: every
text, JSON and text-array column of every table in the service's schema is searched for the
subject's id (as a whole word: `wallet:buyer-1` holds `buyer-1`, `buyer-10` does not). A new
table that stores buyer ids is therefore exported and pseudonymised without anyone adding it
here. What the sweep cannot know is which *content* is personal (an address, a chat message,
a ticket's text) and which related rows belong in an export (an order's lines); each service
says that in its `PrivacyMap`.

Erasure pseudonymises rather than deletes where records must be kept (orders, payments,
ledgers): the subject's id is replaced by the request's pseudonym in every column and every
JSON document, so sums still balance and records still join across services, while nothing
names the buyer. Inside a JSON object that named the subject, the personal fields
(`PERSONAL_KEYS`) are blanked too: an order's `ship_to` in an outbox payload, a chat text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

ERASED = "[erased]"
PERSONAL_KEYS = frozenset({"ship_to", "shipping_address", "address", "text", "body", "reason",
                           "note", "attachments"})
"""Keys of a JSON object about the subject whose values are personal content."""
KEPT_IN_ADDRESSES = ("country",)
"""What an erased address keeps: the country decides tax and market rules."""
PLATFORM_TABLES = frozenset({"outbox", "inbox", "idempotency_keys", "deadlines",
                             "event_sequences", "alembic_version"})
"""Not exported (the platform's own bookkeeping), though the erasure sweep rewrites them."""
PART_CHARS = 150_000
"""An export piece's size: one Kafka record each, well under the broker's 1 MB default."""

_SEARCHED_TYPES = ("text", "character varying", "jsonb", "json", "ARRAY")


@dataclass(frozen=True)
class PrivacyMap:
    """What a service knows about its own personal data beyond the sweep.

    `redactions`: statements run before the sweep to blank personal content or delete rows
    that need not be kept (`$1` is the subject, `$2`, when used, the pseudonym).
    `related`: for an export, named queries of rows that belong to the subject without naming
    it (an order's lines); `$1` is the subject. `private_tables`: tables the sweep leaves to
    the service's own rules (support's request registry)."""

    service: str
    redactions: Sequence[str] = ()
    related: Mapping[str, str] = field(default_factory=dict)
    private_tables: frozenset[str] = frozenset()
    max_rows: int = 10_000


@dataclass(frozen=True)
class ErasureCounts:
    redacted: int
    pseudonymised: int


def word_pattern(subject: str) -> re.Pattern[str]:
    """The subject as a whole id inside a longer text."""
    return re.compile(rf"(?<![A-Za-z0-9_\-]){re.escape(subject)}(?![A-Za-z0-9_\-])")


def _erased_value(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: value[k] for k in KEPT_IN_ADDRESSES if k in value}
        return {**kept, "erased": True}
    if isinstance(value, list):
        return []
    return ERASED if value is not None else None


def scrub_json(value: Any, pattern: re.Pattern[str], pseudonym: str) -> tuple[Any, int]:
    """`value` with the subject replaced by the pseudonym everywhere, and the personal fields
    of every object that named the subject blanked; and how many values changed."""
    if isinstance(value, str):
        replaced, count = pattern.subn(pseudonym, value)
        return replaced, count
    if isinstance(value, list):
        items = [scrub_json(item, pattern, pseudonym) for item in value]
        return [item for item, _ in items], sum(n for _, n in items)
    if not isinstance(value, dict):
        return value, 0
    scrubbed: dict[str, Any] = {}
    changes = 0
    names_subject = False
    for key, item in value.items():
        new, count = scrub_json(item, pattern, pseudonym)
        names_subject = names_subject or (count > 0 and isinstance(item, str))
        scrubbed[key] = new
        changes += count
    if names_subject:
        for key in PERSONAL_KEYS.intersection(scrubbed):
            if scrubbed[key] not in (None, ERASED, [], {}):
                scrubbed[key] = _erased_value(scrubbed[key])
                changes += 1
    return scrubbed, changes


@dataclass(frozen=True)
class _Column:
    table: str
    name: str
    kind: str  # text, json or array

    @property
    def as_text(self) -> str:
        quoted = f'"{self.name}"'
        if self.kind == "array":
            return f"array_to_string({quoted}, chr(31))"
        return f"{quoted}::text" if self.kind == "json" else quoted


async def _columns(conn: asyncpg.Connection, skip: frozenset[str]) -> list[_Column]:
    """Every searchable column of the current schema's tables (generated columns excluded:
    they follow their sources)."""
    rows = await conn.fetch(
        """SELECT c.table_name, c.column_name, c.data_type, c.udt_name
             FROM information_schema.columns c
             JOIN information_schema.tables t
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
              AND c.is_generated = 'NEVER' AND c.data_type = ANY($1::text[])
            ORDER BY c.table_name, c.ordinal_position""", list(_SEARCHED_TYPES))
    found = []
    for row in rows:
        if row["table_name"] in skip:
            continue
        if row["data_type"] == "ARRAY":
            if row["udt_name"] not in ("_text", "_varchar"):
                continue
            kind = "array"
        else:
            kind = "json" if row["data_type"] in ("jsonb", "json") else "text"
        found.append(_Column(row["table_name"], row["column_name"], kind))
    return found


async def occurrences(conn: asyncpg.Connection, needles: Sequence[str],
                      skip: frozenset[str] = frozenset()) -> dict[str, int]:
    """`table.column` -> rows whose value contains any of `needles` (plain substrings), over
    the current schema: how a test (or an auditor) proves an erasure left nothing."""
    found: dict[str, int] = {}
    for column in await _columns(conn, skip):
        count = await conn.fetchval(
            f'SELECT count(*) FROM "{column.table}" '  # noqa: S608 - names from the catalog
            f"WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) n "
            f"WHERE strpos({column.as_text}, n) > 0)", list(needles))
        if count:
            found[f"{column.table}.{column.name}"] = int(count)
    return found


def _rewrite(value: Any, column: _Column, pattern: re.Pattern[str],
             pseudonym: str) -> tuple[Any, int]:
    if column.kind == "text":
        return pattern.subn(pseudonym, value)
    if column.kind == "array":
        items = [pattern.subn(pseudonym, item) if item is not None else (None, 0)
                 for item in value]
        return [item for item, _ in items], sum(n for _, n in items)
    if isinstance(value, str):  # a connection without the pools' JSON codec
        scrubbed, count = scrub_json(json.loads(value), pattern, pseudonym)
        return json.dumps(scrubbed), count
    return scrub_json(value, pattern, pseudonym)


async def pseudonymise(conn: asyncpg.Connection, subject: str, pseudonym: str,
                       skip: frozenset[str] = frozenset()) -> int:
    """Replaces the subject by the pseudonym in every column of the schema (and blanks the
    personal fields of JSON objects about the subject); returns how many values changed.

    The rows found are locked as they are read. Each is rewritten by its `ctid`, and a row
    another transaction updates meanwhile gets a new one: the rewrite then matched nothing and
    the subject stayed. The outbox relay does exactly that to the erasure request's own row
    (it marks it published while the services already hear it), and an erasure on Apache Kafka
    left the subject in support's outbox."""
    pattern = word_pattern(subject)
    changed = 0
    for column in await _columns(conn, skip):
        cast = "::jsonb" if column.kind == "json" else ""
        rows = await conn.fetch(
            f'SELECT ctid, "{column.name}" AS value FROM "{column.table}" '  # noqa: S608
            f"WHERE strpos({column.as_text}, $1) > 0 FOR UPDATE", subject)
        for row in rows:
            new, count = _rewrite(row["value"], column, pattern, pseudonym)
            if count:
                await conn.execute(
                    f'UPDATE "{column.table}" SET "{column.name}" = $1{cast} '  # noqa: S608
                    "WHERE ctid = $2",
                    new, row["ctid"])
                changed += count
    return changed


async def erase(conn: asyncpg.Connection, subject: str, pseudonym: str,
                privacy_map: PrivacyMap) -> ErasureCounts:
    """The service's redactions, then the sweep, in the caller's transaction."""
    redacted = 0
    for statement in privacy_map.redactions:
        args = (subject, pseudonym) if "$2" in statement else (subject,)
        status = await conn.execute(statement, *args)
        redacted += int(str(status).split()[-1])
    pseudonymised = await pseudonymise(conn, subject, pseudonym, privacy_map.private_tables)
    return ErasureCounts(redacted, pseudonymised)


def _plain(value: Any) -> Any:
    """A JSON value as Python, whether or not the connection decoded it."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def export_document(conn: asyncpg.Connection, subject: str,
                          privacy_map: PrivacyMap) -> dict[str, Any]:
    """Every row of the schema that names the subject, by table, and the map's related rows."""
    pattern = word_pattern(subject)
    skip = PLATFORM_TABLES | privacy_map.private_tables
    tables: dict[str, list[dict[str, Any]]] = {}
    truncated: list[str] = []
    seen: set[tuple[str, str]] = set()
    for column in await _columns(conn, skip):
        rows = await conn.fetch(
            f'SELECT ctid::text AS row_at, to_jsonb(t) AS row, {column.as_text} AS value '  # noqa: S608
            f'FROM "{column.table}" t WHERE strpos({column.as_text}, $1) > 0 LIMIT $2',
            subject, privacy_map.max_rows + 1)
        if len(rows) > privacy_map.max_rows:
            truncated.append(column.table)
        for row in rows[:privacy_map.max_rows]:
            if (column.table, row["row_at"]) in seen or not pattern.search(row["value"]):
                continue
            seen.add((column.table, row["row_at"]))
            tables.setdefault(column.table, []).append(_plain(row["row"]))
    related = {}
    for name, query in privacy_map.related.items():
        rows = await conn.fetch(query, subject)
        related[name] = [{k: _plain(v) for k, v in dict(r).items()}
                         for r in rows[:privacy_map.max_rows]]
    return {"service": privacy_map.service, "subject": subject,
            "generated_at": datetime.now(UTC).isoformat(), "tables": tables,
            "related": related, "truncated": sorted(set(truncated))}


def split_document(document: dict[str, Any], part_chars: int = PART_CHARS) -> list[str]:
    """The document as JSON text in pieces of at most `part_chars` characters."""
    text = json.dumps(document, default=str, separators=(",", ":"))
    return [text[i:i + part_chars] for i in range(0, len(text), part_chars)] or ["{}"]
