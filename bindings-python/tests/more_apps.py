"""The same receiver in Starlette, Litestar, aiohttp and Django REST
Framework, each served for real on 127.0.0.1 (uvicorn for Starlette and
Litestar, aiohttp's own runner, a WSGI server for DRF), with the same routes:

- /webhooks/bullseye: two secrets (rotation), a 64 KiB limit; answers the
  event type and the visitor's email (after reading the body again);
- LENIENT_PATH, STRICT_PATH: the drift routes (`summary`);
- /webhooks/other: a verifier that is not ours (`HeaderVerifier`);
- /webhooks/visit: `kind="visit"`, fingerprinting-api visits.

Litestar apps are made with `logging_config=None`: its default configures
the root logger, which would drop pytest's log capture.
No `from __future__ import annotations` here: Litestar reads the handlers'
annotations at start-up."""

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from frameworks import (
    LENIENT_PATH,
    MAX_BODY_BYTES,
    OLD_SECRET,
    SECRET,
    STRICT_PATH,
    HeaderVerifier,
    aiohttp_server,
    asgi_server,
    configure_django,
    summary,
    wsgi_server,
)

configure_django()

from aiohttp import web  # noqa: E402
from litestar import Litestar, Request, post  # noqa: E402
from litestar import Response as LitestarResponse  # noqa: E402
from litestar.di import NamedDependency  # noqa: E402
from rest_framework.decorators import api_view  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

FRAMEWORKS = ["starlette", "litestar", "aiohttp", "drf"]


def identified(event: Any) -> dict:
    return {"event_type": event.event_type, "email": event.visitor.email}


def visit(event: Any) -> dict:
    return {"event_type": event.event_type, "id": event.id}


def receivers(module: Any) -> dict:
    """Each route's receiver, made with `module.BullseyeWebhook`."""
    return {
        "bullseye": module.BullseyeWebhook([SECRET, OLD_SECRET], max_body_bytes=MAX_BODY_BYTES),
        "lenient": module.BullseyeWebhook(SECRET),
        "strict": module.BullseyeWebhook(SECRET, strict=True),
        "other": module.BullseyeWebhook(HeaderVerifier(SECRET)),
        "visit": module.BullseyeWebhook(SECRET, kind="visit"),
    }


def starlette_app() -> Any:
    import bullseye_webhooks.starlette as integration

    r = receivers(integration)

    @r["bullseye"].verified
    async def receive(request, event):  # type: ignore[no-untyped-def]
        assert len(await request.body()) > 0  # the body again, as verified
        return JSONResponse(identified(event))

    @r["lenient"].verified
    def drift(request, event):  # type: ignore[no-untyped-def]  # a sync endpoint (thread pool)
        return JSONResponse(summary(event))

    @r["strict"].verified
    async def strict(request, event):  # type: ignore[no-untyped-def]
        return JSONResponse(summary(event))

    @r["other"].verified
    async def other(request, event):  # type: ignore[no-untyped-def]
        return JSONResponse({"event_type": event.event_type})

    @r["visit"].verified
    async def visits(request, event):  # type: ignore[no-untyped-def]
        return JSONResponse(visit(event))

    routes = [("/webhooks/bullseye", receive), (LENIENT_PATH, drift), (STRICT_PATH, strict),
              ("/webhooks/other", other), ("/webhooks/visit", visits)]
    return Starlette(routes=[Route(path, endpoint, methods=["POST"]) for path, endpoint in routes])


def litestar_app() -> Any:
    import bullseye_webhooks.litestar as integration

    r = receivers(integration)

    @post("/webhooks/bullseye", dependencies={"event": r["bullseye"].dependency}, status_code=200)
    async def receive(request: Request, event: NamedDependency[Any]) -> dict:
        assert len(await request.body()) > 0  # the body again, as verified
        return identified(event)

    @post(LENIENT_PATH, dependencies={"event": r["lenient"].dependency}, status_code=200, sync_to_thread=True)
    def drift(event: NamedDependency[Any]) -> dict:
        return summary(event)

    @post(STRICT_PATH, dependencies={"event": r["strict"].dependency}, status_code=200)
    async def strict(event: NamedDependency[Any]) -> dict:
        return summary(event)

    @post("/webhooks/other", dependencies={"event": r["other"].dependency}, status_code=200)
    async def other(event: NamedDependency[Any]) -> dict:
        return {"event_type": event.event_type}

    @post("/webhooks/visit", dependencies={"event": r["visit"].dependency}, status_code=200)
    async def visits(event: NamedDependency[Any]) -> dict:
        return visit(event)

    # One plugin is enough for every receiver of the app.
    return Litestar([receive, drift, strict, other, visits], plugins=[r["bullseye"]], logging_config=None)


def litestar_hook_app(bullseye: Any, handle: Any) -> Any:
    """One route, /hook, whose answer is `await handle(event)`: (status, body)."""

    @post("/hook", dependencies={"event": bullseye.dependency})
    async def hook(event: NamedDependency[Any]) -> Response:
        status, body = await handle(event)
        return LitestarResponse(body, status_code=status)

    return Litestar([hook], plugins=[bullseye], logging_config=None)


def aiohttp_app() -> Any:
    import bullseye_webhooks.aiohttp as integration

    r = receivers(integration)

    @r["bullseye"].verified
    async def receive(request, event):  # type: ignore[no-untyped-def]
        assert len(await request.read()) > 0  # the body again, as verified
        return web.json_response(identified(event))

    @r["lenient"].verified
    async def drift(request, event):  # type: ignore[no-untyped-def]
        return web.json_response(summary(event))

    @r["strict"].verified
    async def strict(request, event):  # type: ignore[no-untyped-def]
        return web.json_response(summary(event))

    @r["other"].verified
    async def other(request, event):  # type: ignore[no-untyped-def]
        return web.json_response({"event_type": event.event_type})

    @r["visit"].verified
    async def visits(request, event):  # type: ignore[no-untyped-def]
        return web.json_response(visit(event))

    app = web.Application()
    for path, handler in [("/webhooks/bullseye", receive), (LENIENT_PATH, drift), (STRICT_PATH, strict),
                          ("/webhooks/other", other), ("/webhooks/visit", visits)]:
        app.router.add_post(path, handler)
    return app


# DRF: this module's routes (ROOT_URLCONF while a DRF server runs).
urlpatterns: list = []


def drf_urls() -> list:
    from django.urls import path

    import bullseye_webhooks.rest_framework as integration

    r = receivers(integration)

    @api_view(["POST"])
    @r["bullseye"].verified
    def receive(request, event):  # type: ignore[no-untyped-def]
        assert len(request.body) > 0  # the body again, as verified
        return Response(identified(event))

    class Drift(APIView):  # a class-based view: the decorator on its method
        @r["lenient"].verified
        def post(self, request, event):  # type: ignore[no-untyped-def]
            return Response(summary(event))

    @api_view(["POST"])
    @r["strict"].verified
    def strict(request, event):  # type: ignore[no-untyped-def]
        return Response(summary(event))

    @api_view(["POST"])
    @r["other"].verified
    def other(request, event):  # type: ignore[no-untyped-def]
        return Response({"event_type": event.event_type})

    @api_view(["POST"])
    @r["visit"].verified
    def visits(request, event):  # type: ignore[no-untyped-def]
        return Response(visit(event))

    @r["bullseye"].verified
    def after_data(request, event):  # type: ignore[no-untyped-def]
        return Response(identified(event))

    @api_view(["POST"])
    def read_data_first(request):  # type: ignore[no-untyped-def]
        assert request.data["event"] == "visitor.identified"  # DRF parses the body first
        return after_data(request)

    return [
        path("webhooks/bullseye", receive),
        path(LENIENT_PATH.lstrip("/"), Drift.as_view()),
        path(STRICT_PATH.lstrip("/"), strict),
        path("webhooks/other", other),
        path("webhooks/visit", visits),
        path("webhooks/data-first", read_data_first),
    ]


@contextlib.contextmanager
def drf_server() -> Iterator[int]:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    with override_settings(ROOT_URLCONF=__name__):
        urlpatterns[:] = drf_urls()
        with wsgi_server(WSGIHandler(), threaded=True) as port:
            yield port


@contextlib.contextmanager
def serve(framework: str) -> Iterator[int]:
    """The framework's app on 127.0.0.1; yields the port."""
    if framework == "drf":
        with drf_server() as port:
            yield port
    elif framework == "aiohttp":
        with aiohttp_server(aiohttp_app()) as port:
            yield port
    else:
        with asgi_server(starlette_app() if framework == "starlette" else litestar_app()) as port:
            yield port


sys.modules.setdefault(__name__, sys.modules[__name__])
