"""The shape every service keeps (unit: no servers): thin routes, an Idempotency-Key on every
creating POST, and problems documented on every operation."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from services.catalog.app import create_app as catalog_app
from services.catalog.settings import CatalogSettings
from services.discovery.app import create_app as discovery_app
from services.discovery.settings import DiscoverySettings
from services.fulfillment.app import create_app as fulfillment_app
from services.fulfillment.settings import FulfillmentSettings
from services.live.app import create_app as live_app
from services.live.settings import LiveSettings
from services.orders.app import create_app as orders_app
from services.orders.settings import OrdersSettings
from services.support.app import create_app as support_app
from services.support.settings import SupportSettings
from services.webhooks.app import create_app as webhooks_app
from services.webhooks.settings import WebhooksSettings

ROOT = Path(__file__).resolve().parents[1]
MAX_ROUTE_LINES = 25
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "websocket"}
APPS = {"catalog": (catalog_app, CatalogSettings), "orders": (orders_app, OrdersSettings),
        "live": (live_app, LiveSettings), "fulfillment": (fulfillment_app, FulfillmentSettings),
        "support": (support_app, SupportSettings), "webhooks": (webhooks_app, WebhooksSettings),
        "discovery": (discovery_app, DiscoverySettings)}


def openapi(service: str) -> dict[str, Any]:
    create, settings = APPS[service]
    schema: dict[str, Any] = create(settings(dev_mode=True)).openapi()  # type: ignore[operator]
    return schema


def test_routes_parse_authorise_call_one_use_case_and_present() -> None:
    long_routes = []
    for path in sorted(ROOT.glob("services/*/api/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                    and d.func.attr in ROUTE_DECORATORS for d in node.decorator_list):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_ROUTE_LINES:
                    long_routes.append(f"{path.relative_to(ROOT)}:{node.name} ({lines} lines)")
    assert long_routes == [], "move the work into the service's use_cases/"


def test_every_service_has_the_same_shape() -> None:
    for service in APPS:
        folder = ROOT / "services" / service
        for part in ("api", "use_cases", "domain", "handlers", "adapters", "migrations"):
            assert (folder / part).is_dir(), f"services/{service}/{part}"


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_creating_post_accepts_an_idempotency_key(service: str) -> None:
    missing = []
    for path, item in openapi(service)["paths"].items():
        post = item.get("post")
        if post is None or not {"201", "202"} & set(post["responses"]):
            continue
        headers = {p["name"].lower() for p in post.get("parameters", []) if p["in"] == "header"}
        if "idempotency-key" not in headers:
            missing.append(path)
    assert missing == []


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_operation_documents_its_problems(service: str) -> None:
    undocumented = []
    for path, item in openapi(service)["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            wanted = {"503"} | ({"401", "403"} if operation.get("security") else set()) \
                | ({"404"} if "{" in path else set())
            for status in wanted:
                content = responses.get(status, {}).get("content", {})
                if "application/problem+json" not in content:
                    undocumented.append(f"{method.upper()} {path} {status}")
            if "422" in responses and "application/json" in responses["422"].get("content", {}):
                undocumented.append(f"{method.upper()} {path} 422 is not a problem")
    assert undocumented == []
