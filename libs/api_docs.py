"""Swagger UI and ReDoc served from files shipped with a pinned package (fastapi-offline's
copies of swagger-ui-dist and redoc), never from a CDN: the docs work on a machine without
internet access, and no page of ours asks a third party for code to run.

Pages and assets are addressed under the service's root path, so they work directly
(`:8000/docs`) and behind the gateway (`/catalog/docs`).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from libs.errors import Problem

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
"""Every file the pages load; nothing else under the assets path is served."""


def install(app: FastAPI) -> None:
    """Adds `/docs`, `/redoc` and `/docs-assets/{name}` (create the app with `docs_url=None`
    and `redoc_url=None` so FastAPI's CDN-backed pages are not registered)."""

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return _confined(get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title}: API",
            swagger_js_url=f"{root}/docs-assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs-assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs-assets/favicon.png",
            # Swagger UI would send the document to validator.swagger.io for a badge.
            swagger_ui_parameters={"validatorUrl": None}))

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return _confined(get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title}: API reference",
            redoc_js_url=f"{root}/docs-assets/redoc.standalone.js",
            redoc_favicon_url=f"{root}/docs-assets/favicon.png", with_google_fonts=False))

    @app.get("/docs-assets/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise Problem(404, "Not found", "No such documentation asset.")
        return FileResponse(ASSETS_DIR / name, media_type=ASSETS[name],
                            headers={"Cache-Control": "public, max-age=86400"})


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; "
    "font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
"""The pages may load only from the service itself: ReDoc's footer would otherwise fetch its
logo from cdn.redoc.ly (the portal test caught it), and a compromised asset could not send
a token elsewhere. The inline script that starts each page needs 'unsafe-inline'."""


def _confined(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")
