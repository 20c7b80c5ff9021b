"""Bulk import files: JSON lines (one product per line) or CSV (one SKU per row, rows sharing a
`handle` are one product). Parsing is pure; structural faults name the row."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

MAX_PRODUCTS = 10_000
MAX_BYTES = 25 * 1024 * 1024
CSV_REQUIRED = ("handle", "title", "category_id", "sku_code", "price_minor", "currency")


@dataclass(frozen=True)
class RowError:
    row: int
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


class ImportFileError(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(e.message for e in errors[:3]))
        self.errors = errors


def parse(content: bytes, media_type: str) -> list[dict[str, Any]]:
    """Products as dicts shaped like the create-product request, each with its `handle`."""
    if len(content) > MAX_BYTES:
        raise ImportFileError([RowError(0, f"the file is over {MAX_BYTES // 1024 // 1024} MiB")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError([RowError(0, f"not UTF-8 text: {exc}")]) from exc
    products = _parse_csv(text) if media_type == "text/csv" else _parse_jsonl(text)
    if not products:
        raise ImportFileError([RowError(0, "the file has no products")])
    if len(products) > MAX_PRODUCTS:
        raise ImportFileError([RowError(0, f"{len(products)} products; at most {MAX_PRODUCTS}")])
    return products


def _parse_jsonl(text: str) -> list[dict[str, Any]]:
    products, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(RowError(number, f"not JSON: {exc.msg}"))
            continue
        if not isinstance(row, dict):
            errors.append(RowError(number, "each line is one JSON object"))
        elif not isinstance(row.get("handle"), str) or not row["handle"].strip():
            errors.append(RowError(number, "a product needs a handle", "handle"))
        else:
            products.append({**row, "_row": number})
    if errors:
        raise ImportFileError(errors)
    return products


def _int(value: str, row: int, field: str, errors: list[RowError]) -> int | None:
    if value.strip() == "":
        return None
    try:
        return int(value)
    except ValueError:
        errors.append(RowError(row, f"{field} is a whole number", field))
        return None


def _parse_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text), strict=True)
    missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFileError([RowError(1, f"missing column(s): {', '.join(missing)}")])
    products: dict[str, dict[str, Any]] = {}
    errors: list[RowError] = []
    try:
        for row in reader:
            number = reader.line_num
            if None in row or any(v is None for v in row.values()):
                errors.append(RowError(number, "wrong number of columns"))
                continue
            handle = row["handle"].strip()
            if not handle:
                errors.append(RowError(number, "a row needs a handle", "handle"))
                continue
            sku: dict[str, Any] = {
                "code": row["sku_code"], "currency": row["currency"],
                "price_minor": _int(row["price_minor"], number, "price_minor", errors),
                "options": {k.split(":", 1)[1]: v for k, v in row.items()
                            if k.startswith("option:") and v},
            }
            for column in ("compare_at_minor", "weight_grams", "stock"):
                if row.get(column):
                    sku[column] = _int(row[column], number, column, errors)
            product = products.setdefault(handle, {
                "handle": handle, "_row": number, "title": row["title"],
                "description": row.get("description", ""), "category_id": row["category_id"],
                "images": [u for u in (row.get("images") or "").split("|") if u],
                "attributes": {k.split(":", 1)[1]: v for k, v in row.items()
                               if k.startswith("attribute:") and v},
                "skus": []})
            product["skus"].append(sku)
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, f"malformed CSV: {exc}"))
    if errors:
        raise ImportFileError(errors)
    return list(products.values())
