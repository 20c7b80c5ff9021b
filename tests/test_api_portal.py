"""The API portal and every service's docs, opened in a real headless Chromium through the real
nginx gateway config, on a machine with no way out: every page renders (the Swagger UI lists
exactly the operations of the service's OpenAPI document), and every request the browser made
went to the gateway (issue 16, item 1).

Chromium and nginx come from Debian's packages (`.ci/run` installs them)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import uvicorn

from libs.devstack.servers import REPO_ROOT, free_port
from tests.test_architecture import APPS
from tests.test_edge_proxy import NGINX

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PORTAL = REPO_ROOT / "deploy/nginx/portal/index.html"


class _Page(HTMLParser):
    """The rendered DOM's links and Swagger UI's operations (`data-path` of each summary)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.operations: set[tuple[str, str]] = set()
        self._awaiting_method = False
        self._method: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "a" and attributes.get("href"):
            self.links.append(str(attributes["href"]))
        if "opblock-summary-method" in classes:
            self._awaiting_method = True
        if "opblock-summary-path" in classes and self._method is not None:
            self.operations.add((self._method, str(attributes.get("data-path"))))
            self._method = None

    def handle_data(self, data: str) -> None:
        if self._awaiting_method:
            self._awaiting_method = False
            self._method = data.strip().lower()


def render(url: str, workdir: Path) -> tuple[_Page, str, set[str]]:
    """The DOM Chromium rendered at `url` after its scripts ran, and every URL it requested.
    Host names other than the loopback address resolve to nothing, so a CDN reference could
    only show up as a failed request, never as a page that works by luck."""
    netlog = workdir / f"net-{free_port()}.json"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-default-apps", "--metrics-recording-only",
         f"--user-data-dir={workdir / 'profile'}",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         f"--log-net-log={netlog}", "--net-log-capture-mode=Default",
         "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    page = _Page()
    page.feed(result.stdout)
    return page, result.stdout, page_requests(netlog)


def page_requests(netlog: Path) -> set[str]:
    """URLs the page itself asked for: requests whose initiator is a web origin (the
    browser's own update and account checks have none, and cannot reach out either)."""
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return {event["params"]["url"] for event in log["events"]
            if event["type"] == start and "params" in event
            and event["params"].get("initiator", "not an origin") != "not an origin"}


@asynccontextmanager
async def docs_only(name: str) -> AsyncIterator[int]:
    """The service's app as deployed behind the gateway (root path `/<name>`), without its
    servers: the docs need none."""
    create, settings_class = APPS[name]
    app = create(settings_class(dev_mode=True, root_path=f"/{name}"))  # type: ignore[operator]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off",
                                           log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task


def gateway_config(workdir: Path, portal: Path, listen: int, ports: dict[str, int]) -> Path:
    """The deployed nginx config with each service name pointed at its local port and the
    portal's files in `portal` (where compose mounts them, in production)."""
    shutil.copy(PORTAL, portal / "index.html")
    shutil.copy(REPO_ROOT / "docs/asyncapi.json", portal / "asyncapi.json")
    text = (REPO_ROOT / "deploy/nginx/nginx.conf").read_text()
    upstreams = "".join(f"    {name} 127.0.0.1:{port};\n" for name, port in ports.items())
    text = re.sub(r"resolver [^;]+;", "map $service $upstream {\n" + upstreams + "  }", text)
    text = text.replace("http://$service:8000", "http://$upstream")
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    text = text.replace("/usr/share/nginx/portal", str(portal))
    text = text.replace("/var/log/nginx/access.log", str(workdir / "access.log"))
    config = workdir / "nginx.conf"
    config.write_text(f"pid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\n" + text)
    return config


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[str]:
    assert Path(CHROMIUM).exists(), "chromium is not installed (.ci/run installs it)"
    async with AsyncExitStack() as stack:
        ports = {name: await stack.enter_async_context(docs_only(name)) for name in APPS}
        listen = free_port()
        # nginx's workers run as an unprivileged user: the portal's files must be readable
        # by it, along the whole path (pytest's own temporary folders are private).
        portal = Path(tempfile.mkdtemp(prefix="portal-"))
        portal.chmod(0o755)
        stack.callback(shutil.rmtree, portal)
        config = gateway_config(tmp_path, portal, listen, ports)
        edge = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(config),
                                 "-g", "daemon off;"], stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{listen}"
        try:
            async with httpx.AsyncClient(base_url=base) as client:
                for _ in range(100):
                    try:
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.05)
            yield base
        finally:
            edge.terminate()
            edge.wait(10)


async def test_the_portal_and_every_services_docs_render_offline(
        gateway: str, tmp_path: Path) -> None:
    portal, _, requested = await asyncio.to_thread(render, f"{gateway}/", tmp_path)
    for name in APPS:
        assert {f"/{name}/docs", f"/{name}/redoc", f"/{name}/openapi.json"} <= set(portal.links)
    assert "/asyncapi.json" in portal.links
    async with httpx.AsyncClient(base_url=gateway) as client:
        asyncapi = (await client.get("/asyncapi.json")).json()
        assert asyncapi["asyncapi"].startswith("3.") and asyncapi["channels"]
        documents = {name: (await client.get(f"/{name}/openapi.json")).json() for name in APPS}
        assert (await client.get("/orders/metrics")).status_code == 404, "not for the public"

    for name, document in documents.items():
        page, _, seen = await asyncio.to_thread(render, f"{gateway}/{name}/docs", tmp_path)
        expected = {(method, path) for path, item in document["paths"].items()
                    for method in item if method in {"get", "post", "put", "patch", "delete"}}
        assert page.operations == expected, f"{name}: {expected ^ page.operations}"
        requested |= seen

    _, reference, seen = await asyncio.to_thread(render, f"{gateway}/live/redoc", tmp_path)
    assert "Claim units of a flash deal" in reference, "ReDoc rendered the operations"
    requested |= seen
    elsewhere = {url for url in requested if not url.startswith(gateway)}
    assert not elsewhere, f"the browser reached beyond the gateway: {sorted(elsewhere)[:5]}"
    assert any(url.endswith("/docs-assets/swagger-ui-bundle.js") for url in requested)


def test_the_docs_pages_name_no_host_but_their_own() -> None:
    """Whatever the browser does, the HTML itself points only at the service's own paths."""
    from fastapi.testclient import TestClient

    create, settings_class = APPS["catalog"]
    app = create(settings_class(dev_mode=True, root_path="/catalog"))  # type: ignore[operator]
    client = TestClient(app)  # no lifespan: the pages need no servers
    if True:
        for page in ("/docs", "/redoc"):
            answer = client.get(page)
            html = answer.text
            assert "default-src 'self'" in answer.headers["content-security-policy"]
            assert not re.search(r"https?://", html), f"{page} names a remote host"
            assert "/catalog/docs-assets/" in html
        assert client.get("/docs-assets/../settings.py").status_code == 404
        assert client.get("/docs-assets/swagger-ui.css").headers["content-type"].startswith(
            "text/css")
