"""Bulk import file parsing (domain, no servers)."""

from __future__ import annotations

import json

import pytest

from services.catalog.domain.imports import MAX_PRODUCTS, ImportFileError, parse

HEADER = "handle,title,category_id,sku_code,price_minor,currency,stock,option:size,attribute:colour"


def test_csv_rows_sharing_a_handle_are_one_product() -> None:
    text = "\n".join([HEADER, "tee,Cotton tee,c1,TEE-S,1500,GBP,4,S,navy",
                      "tee,Cotton tee,c1,TEE-M,1500,GBP,0,M,navy",
                      "mug,Enamel mug,c2,MUG-1,900,GBP,,,"])
    [tee, mug] = parse(text.encode(), "text/csv")
    assert [s["code"] for s in tee["skus"]] == ["TEE-S", "TEE-M"]
    assert tee["skus"][0]["options"] == {"size": "S"} and tee["attributes"] == {"colour": "navy"}
    assert tee["skus"][0]["stock"] == 4 and "stock" not in mug["skus"][0]


def test_a_malformed_csv_row_is_named() -> None:
    text = "\n".join([HEADER, "tee,Cotton tee,c1,TEE-S,15.00,GBP,4,S,navy",
                      "mug,Enamel mug,c2,MUG-1,900,GBP"])
    with pytest.raises(ImportFileError) as err:
        parse(text.encode(), "text/csv")
    assert [(e.row, e.field) for e in err.value.errors] == [(2, "price_minor"), (3, None)]


def test_missing_columns_and_bad_json_lines_are_refused() -> None:
    with pytest.raises(ImportFileError, match="missing column"):
        parse(b"handle,title\nx,y", "text/csv")
    lines = [json.dumps({"handle": "a", "title": "A"}), "{oops", json.dumps([1, 2])]
    with pytest.raises(ImportFileError) as err:
        parse("\n".join(lines).encode(), "application/x-ndjson")
    assert [e.row for e in err.value.errors] == [2, 3]


def test_more_than_ten_thousand_products_is_too_many() -> None:
    lines = "\n".join(json.dumps({"handle": f"h{i}"}) for i in range(MAX_PRODUCTS + 1))
    with pytest.raises(ImportFileError, match="at most"):
        parse(lines.encode(), "application/x-ndjson")
