"""Bulk import through the API and the background worker, against real servers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from libs.testing import RunningService, bearer, eventually

from .conftest import Seller

MakeSeller = Callable[..., Awaitable[Seller]]
MakeCategory = Callable[..., Awaitable[str]]
JSONL = {"content-type": "application/x-ndjson"}


def rows(category: str, count: int, *, prefix: str = "item") -> list[dict[str, Any]]:
    return [{"handle": f"{prefix}-{i}", "title": f"Stoneware mug no. {i}",
             "category_id": category, "images": [],
             "skus": [{"code": f"{prefix.upper()}-{i}", "price_minor": 1200 + i,
                       "currency": "GBP", "stock": i % 4}]} for i in range(count)]


async def finished(catalog: RunningService, job_id: str, headers: dict[str, str]) -> Any:
    async def done() -> Any:
        job = (await catalog.client.get(f"/v1/product-imports/{job_id}", headers=headers)).json()
        return job if job["status"] == "finished" else None

    return await eventually(done, timeout=120, interval=0.2)


async def test_an_import_creates_products_reports_bad_rows_and_never_duplicates(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
) -> None:
    seller = await make_seller()
    category = await make_category()
    good = rows(category, 250)
    bad = [{"handle": "free", "title": "Free mug", "category_id": category,
            "skus": [{"code": "FREE", "price_minor": 0, "currency": "GBP"}]},
           {"handle": "dollars", "title": "Dollar mug", "category_id": category,
            "skus": [{"code": "USD-1", "price_minor": 100, "currency": "USD"}]},
           {"handle": "typo", "title": "Mug", "category_id": "not-a-uuid",
            "skus": [{"code": "T", "price_minor": 100, "currency": "GBP"}]}]
    content = "\n".join(json.dumps(r) for r in [*good[:100], *bad, *good[100:]]).encode()
    headers = {**seller.headers, **JSONL}
    upload = await catalog.client.post("/v1/product-imports", content=content, headers=headers)
    assert upload.status_code == 202, upload.text
    job = await finished(catalog, upload.json()["id"], seller.headers)
    assert job and (job["total_rows"], job["created"], job["failed"]) == (253, 250, 3)
    assert {(e["handle"], e["field"]) for e in job["errors"]} == {
        ("free", "skus.0.price_minor"), ("dollars", "skus.0.currency"),
        ("typo", "category_id")}

    again = await catalog.client.post("/v1/product-imports", content=content, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    overlapping = "\n".join(json.dumps(r) for r in [*good[200:], *rows(category, 5, prefix="new")])
    second = await catalog.client.post("/v1/product-imports", content=overlapping.encode(),
                                       headers=headers)
    job2 = await finished(catalog, second.json()["id"], seller.headers)
    assert (job2["created"], job2["skipped"]) == (5, 50)
    count = await catalog.runtime.db.fetchval(
        "SELECT count(*) FROM products WHERE seller_id = $1::uuid", seller.id)
    assert count == 255
    other = await make_seller()
    assert (await catalog.client.get(f"/v1/product-imports/{job['id']}",
                                     headers=other.headers)).status_code == 404


async def test_csv_import_with_submission_makes_live_listings(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
) -> None:
    seller = await make_seller()
    category = await make_category()
    csv = "\n".join([
        "handle,title,description,category_id,images,sku_code,price_minor,currency,stock,"
        "option:size",
        f"tee,Organic cotton tee,Soft.,{category},https://cdn.example/t.jpg,TEE-S-{seller.id[:8]},"
        "1500,GBP,4,S",
        f"tee,Organic cotton tee,Soft.,{category},,TEE-M-{seller.id[:8]},1500,GBP,2,M"])
    upload = await catalog.client.post("/v1/product-imports?submit=true", content=csv.encode(),
                                       headers={**seller.headers, "content-type": "text/csv"})
    job = await finished(catalog, upload.json()["id"], seller.headers)
    assert job["created"] == 1
    listed = (await catalog.client.get("/v1/seller/products", headers=seller.headers)).json()
    [product] = listed["items"]
    assert product["status"] == "live" and len(product["skus"]) == 2


async def test_bad_uploads_are_refused_at_once(
    catalog: RunningService, make_seller: MakeSeller,
) -> None:
    seller = await make_seller()
    cases = [
        ({"content-type": "application/pdf"}, b"%PDF", 415),
        ({"content-type": "text/csv"}, b"handle,title\nx,y", 422),
        ({"content-type": "application/x-ndjson"}, b"{broken", 422),
        ({"content-type": "application/x-ndjson"}, b"", 422),
    ]
    for extra, content, status in cases:
        response = await catalog.client.post("/v1/product-imports", content=content,
                                             headers={**seller.headers, **extra})
        assert response.status_code == status, (extra, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    broken = await catalog.client.post("/v1/product-imports", content=b'{"handle":"a"}\n{oops',
                                       headers={**seller.headers, **JSONL})
    assert broken.json()["errors"][0]["field"] == "row 2"
    big = b"x" * (25 * 1024 * 1024 + 1)
    too_big = await catalog.client.post("/v1/product-imports", content=big,
                                        headers={**seller.headers, **JSONL})
    assert too_big.status_code == 413

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: the server must count
        for _ in range(40):
            yield b"x" * (1024 * 1024)

    unbounded = await catalog.client.post("/v1/product-imports", content=chunked(),
                                          headers={**seller.headers, **JSONL})
    assert unbounded.status_code == 413, unbounded.text
    assert (await catalog.client.post("/v1/product-imports", content=b"{}",
                                      headers={**bearer("buyer"), **JSONL})).status_code == 403


async def test_a_seller_that_may_not_sell_imports_drafts_but_cannot_publish(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
) -> None:
    """Issue 12, item 1: a pending seller published through the import's `submit`."""
    pending = await make_seller(verified=False)
    content = "\n".join(json.dumps(r) for r in rows(await make_category(), 3)).encode()
    headers = {**pending.headers, **JSONL}
    refused = await catalog.client.post("/v1/product-imports?submit=true", content=content,
                                        headers=headers)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "seller_not_selling"
    drafts = await catalog.client.post("/v1/product-imports", content=content, headers=headers)
    assert drafts.status_code == 202
    job = await finished(catalog, drafts.json()["id"], pending.headers)
    assert job["created"] == 3
    mine = (await catalog.client.get("/v1/seller/products", headers=pending.headers)).json()
    assert {p["status"] for p in mine["items"]} == {"draft"}
