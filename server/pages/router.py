"""The hall chooser (/), a hall's page list, offline API docs and the shared front-end module.

Nothing here loads anything from the internet: Swagger UI and ReDoc come from npm
(swagger-ui-dist, redoc) installed by scripts/setup.sh into node_modules, never committed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse

from server.auth.access import PublicHall
from server.auth.dependencies import CoreDep
from server.errors import NotFound
from server.pages import service

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
WEB = HERE / "web"
NODE_MODULES = HERE.parent.parent / "node_modules"
# The docs' assets, by the name they are served under, from their npm packages.
VENDOR = {
    "swagger-ui-bundle.js": NODE_MODULES / "swagger-ui-dist" / "swagger-ui-bundle.js",
    "swagger-ui.css": NODE_MODULES / "swagger-ui-dist" / "swagger-ui.css",
    "swagger-favicon.png": NODE_MODULES / "swagger-ui-dist" / "favicon-32x32.png",
    "redoc.standalone.js": NODE_MODULES / "redoc" / "bundles" / "redoc.standalone.js",
}
_NAME = re.compile(r"^[a-z0-9_-]+\.(js|css|svg)$")
# Pages change with the code; never let a kiosk keep a stale script for a day.
_NO_CACHE = {"Cache-Control": "no-cache"}
_OAUTH_REDIRECT = "/docs/oauth2-redirect"
# The docs pages may load nothing from outside the core: ReDoc's footer asks for its logo
# on cdn.redoc.ly, which the browser now refuses (the image hides itself on error).
_DOCS_CSP = {"Content-Security-Policy": (
    "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; worker-src 'self' blob:"), **_NO_CACHE}

router = APIRouter(tags=["pages"])


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((WEB / f"{name}.html").read_text(encoding="utf-8"), headers=_NO_CACHE)


@router.get("/", include_in_schema=False)
def chooser() -> HTMLResponse:
    """The hall chooser: every hall of this deployment, each leading to its page list."""
    return _page("halls")


@router.get("/halls/{hall}", include_in_schema=False)
def hall_pages(hall: str) -> HTMLResponse:
    """Every page of one hall with its link, for the IT person setting the hall up."""
    return _page("hall")


@router.get("/api/v1/halls", tags=["pages"])
def list_halls(core: CoreDep) -> list[dict[str, Any]]:
    """Every hall on this deployment (code, name, level, the centre above): public names."""
    return service.list_halls(core)


@router.get("/api/v1/halls/{hall}/directory", tags=["pages"])
def directory(hall: str, scope: PublicHall, core: CoreDep) -> dict[str, Any]:
    """A hall's name, windows and page addresses (what the hall's page list shows)."""
    return service.directory(core, hall=hall)


@router.get("/static/vendor/{name}", include_in_schema=False)
def vendor(name: str) -> FileResponse:
    """Swagger UI and ReDoc files from node_modules (installed by the setup)."""
    path = VENDOR.get(name)
    if path is None or not path.is_file():
        raise NotFound(f"{name} is not installed: run scripts/setup.sh (npm install)")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """The shared front-end module (hallq.js), its strings and the chooser's script."""
    path = STATIC / name
    if not _NAME.match(name) or not path.is_file():
        raise NotFound("no such file")
    return FileResponse(path, headers=_NO_CACHE)


def _missing_assets(what: str, names: tuple[str, ...]) -> HTMLResponse | None:
    """A plain page naming the setup step when the docs' npm package is not installed."""
    if all(VENDOR[n].is_file() for n in names):
        return None
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><title>{what}</title>"
        f"<h1>{what}</h1><p>接口文档的页面文件尚未安装：请运行 <code>scripts/setup.sh</code>"
        f"（npm install）。</p><p>The {what} files are not installed: run "
        f"<code>scripts/setup.sh</code> (npm install). The API description is at "
        f"<a href=/openapi.json>/openapi.json</a>.</p>", status_code=503)


@router.get("/docs", include_in_schema=False)
def swagger(request: Request) -> HTMLResponse:
    """Swagger UI from local files (a hall's network has no internet)."""
    missing = _missing_assets("Swagger UI", ("swagger-ui-bundle.js", "swagger-ui.css"))
    if missing is not None:
        return missing
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url, title=f"{request.app.title} · API",
        swagger_js_url="/static/vendor/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui.css",
        swagger_favicon_url="/static/vendor/swagger-favicon.png",
        oauth2_redirect_url=_OAUTH_REDIRECT,
        # No badge from validator.swagger.io: nothing may leave the hall's network.
        swagger_ui_parameters={"validatorUrl": None})
    page.headers.update(_DOCS_CSP)
    return page


@router.get(_OAUTH_REDIRECT, include_in_schema=False)
def swagger_redirect() -> HTMLResponse:
    """The OAuth2 redirect page Swagger UI's "Authorize" uses."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", include_in_schema=False)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc from local files, without Google Fonts."""
    missing = _missing_assets("ReDoc", ("redoc.standalone.js",))
    if missing is not None:
        return missing
    page = get_redoc_html(openapi_url=request.app.openapi_url,
                          title=f"{request.app.title} · API",
                          redoc_js_url="/static/vendor/redoc.standalone.js",
                          redoc_favicon_url="/static/vendor/swagger-favicon.png",
                          with_google_fonts=False)
    page.headers.update(_DOCS_CSP)
    return page
