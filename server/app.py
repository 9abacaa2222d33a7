"""The FastAPI application: routers, error mapping, the core's parts."""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp

from server import openapi
from server.agents.router import router as agents_router
from server.appointments.platform import BookingPlatformSettings, get_platform_settings
from server.appointments.poller import BookingPoller
from server.appointments.reminders import ReminderWorker
from server.appointments.router import router as appointments_router
from server.audit.router import router as audit_router
from server.auth.router import router as auth_router
from server.clock import Clock, ScaledClock, SystemClock
from server.core import Core
from server.counter.router import router as counter_router
from server.db import Database
from server.desk.router import router as desk_router
from server.devices.router import router as devices_router
from server.errors import HallqError
from server.evaluations.platform.worker import Uploader
from server.evaluations.router import router as evaluations_router
from server.events.bus import EventBus
from server.events.hub import Hub
from server.events.pages import ASSETS_PATH, assets
from server.events.pages import router as display_router
from server.events.redis_bus import make_bus
from server.events.router import router as events_router
from server.events.wire import WireCapture
from server.halls.router import router as halls_router
from server.headers import SecurityHeaders
from server.hotpaths import HotPaths
from server.idcards.reads import card_log
from server.idcards.router import router as idcards_router
from server.integrations import IntegrationSettings, get_integration_settings
from server.integrations.router import router as integrations_router
from server.kiosk.router import router as kiosk_router
from server.migrations import upgrade
from server.monitoring.router import router as monitoring_router
from server.monitoring.watcher import AlertWatcher
from server.notices.router import router as notices_router
from server.notices.worker import NoticeWorker
from server.pages.router import router as pages_router
from server.responses import busy_response, error_response
from server.settings import Settings, get_settings
from server.staffing.router import router as staffing_router
from server.tickets.router import router as tickets_router
from server.windows.router import router as windows_router

log = logging.getLogger("hallq")


def _no_telemetry() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry off, where this FastAPI has it (0.16x on).

    Left on, every request asks OpenTelemetry for its tracer and meter providers before
    anything else (about a tenth of the event loop's time per kiosk ticket, profiled with
    py-spy), for a hall that exports no traces: no per-request work the hall did not ask
    for (issue 11).
    """
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False,
                          "operation_spans": False}}


class HallQueueApp(FastAPI):
    """The FastAPI application, with the hot routes' plain case answered before all of
    its middleware stack (`server.hotpaths`)."""

    def __init__(self, core: Core, **kwargs: Any) -> None:
        self.hot_core = core
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return HotPaths(super().build_middleware_stack(), core=self.hot_core)


def build_core(settings: Settings | None = None, *, clock: Clock | None = None,
               bus: EventBus | None = None, migrate: bool = True) -> Core:
    """Assemble the core's parts; applies migrations unless told not to."""
    settings = settings or get_settings()
    database = Database(settings.database_url, pool_size=settings.db_pool_size)
    if migrate:
        upgrade(database)
    return Core(db=database, clock=clock or settings_clock(settings),
                bus=bus or make_bus(settings.redis_url), settings=settings)


def settings_clock(settings: Settings) -> Clock:
    """The system clock, or a scaled one when HALLQ_CLOCK_SPEED or HALLQ_CLOCK_START is set."""
    if settings.clock_speed == 1 and settings.clock_start is None:
        return SystemClock()
    if settings.clock_start is None:
        return ScaledClock(SystemClock().now(), settings.clock_speed)
    # A simulated day starts at HALLQ_CLOCK_START when the core first needs the time
    # (the first request), however long the process took to start.
    return ScaledClock(settings.clock_start, settings.clock_speed, on_first_read=True)


def page_routers(names: list[str]) -> list[APIRouter]:
    """The routers of the page packages named `module:attribute` (HALLQ_PAGES).

    The core does not import the terminals' package: it is plugged in by name, so the core
    runs (and is tested) without it, and a deployment may serve its own pages.
    """
    routers = []
    for name in names:
        module, _, attribute = name.partition(":")
        router = getattr(importlib.import_module(module), attribute or "router")
        if not isinstance(router, APIRouter):
            raise TypeError(f"HALLQ_PAGES: {name} is not a FastAPI router")
        routers.append(router)
    return routers


def create_app(core: Core | None = None, *,
               integrations: IntegrationSettings | None = None,
               booking_platform: BookingPlatformSettings | None = None) -> FastAPI:
    """The core's web application."""
    the_core = core or build_core()
    links = integrations or get_integration_settings()
    bookings = booking_platform or get_platform_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        await watcher.start()
        await notices.start()
        await uploader.start()
        await poller.start()
        await reminder_worker.start()
        yield
        await reminder_worker.stop()
        await poller.stop()
        await uploader.stop()
        await notices.stop()
        await watcher.stop()
        await hub.stop()
        the_core.bus.close()
        the_core.db.dispose()

    app = HallQueueApp(the_core, title="Hall Queue", version="0.1.0", lifespan=lifespan,
                       docs_url=None, redoc_url=None,  # served offline by server/pages
                       **_no_telemetry())
    openapi.install(app)
    app.state.core = the_core
    app.state.hub = hub = Hub(the_core)
    app.add_middleware(WireCapture)  # lets the hub write calls straight to screens' sockets
    card_log(the_core.bus)  # ID-card reads are kept from the first one on
    app.state.alert_watcher = watcher = AlertWatcher(the_core)
    app.state.integrations = links
    app.state.notices = notices = NoticeWorker(the_core, links)
    app.state.uploader = uploader = Uploader(the_core, links)
    app.state.booking_platform = bookings
    app.state.booking_poller = poller = BookingPoller(the_core, bookings)
    app.state.booking_reminders = reminder_worker = ReminderWorker(the_core, links)

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(HallqError)
    async def _hallq_error(_: Request, err: HallqError) -> JSONResponse:
        return error_response(err)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, err: RequestValidationError) -> JSONResponse:
        # loc, msg and type, as the schema's ValidationError says; never the input (an ID
        # number or a password may be in it).
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                   "type": e.get("type", "value_error")} for e in err.errors()]
        return JSONResponse({"detail": errors, "code": "invalid"}, status_code=422)

    @app.exception_handler(OperationalError)
    async def _busy(_: Request, err: OperationalError) -> JSONResponse:
        return busy_response(err)

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    app.mount(ASSETS_PATH, assets(), name="display-assets")
    for router in (auth_router, halls_router, tickets_router, windows_router, events_router,
                   display_router):
        app.include_router(router)
    for router in (kiosk_router, counter_router, devices_router, evaluations_router,
                   agents_router, monitoring_router, idcards_router, notices_router,
                   integrations_router, appointments_router,
                   staffing_router, audit_router, desk_router,
                   *page_routers(the_core.settings.pages)):
        app.include_router(router)
    app.include_router(pages_router)  # the shared front-end module, /, /halls/{hall}, /docs
    return app
