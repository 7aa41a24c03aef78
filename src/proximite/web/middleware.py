"""ASGI middleware of the géoportail: security headers on every response, HEAD answered.

Why plain ASGI classes and not Starlette's ``BaseHTTPMiddleware``: they only touch the
``http.response.start`` message, with no extra task per request, on a server whose
answers cost tens of microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Only our own origin: no inline script, no third-party script, font or connection.
#: Inline *styles* stay allowed: MapLibre, Swagger UI and Redoc set element styles.
#: Workers from blob: URLs are how Redoc runs its search index.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'",
    "worker-src 'self' blob:", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
])
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_SECURITY_NAMES = {name for name, _ in SECURITY_HEADERS}


def with_security_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` plus :data:`SECURITY_HEADERS` (ours replace any of the same name)."""
    kept = [(k, v) for k, v in headers if k.lower() not in _SECURITY_NAMES]
    return kept + list(SECURITY_HEADERS)


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message,
                           "headers": with_security_headers(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, send_secured)


class HeadAsGetMiddleware:
    """Answers ``HEAD`` like ``GET`` without the body (RFC 9110 §9.3.2).

    Why: FastAPI routes declared with ``@get`` answer HEAD with 405, and ``curl -I`` or a
    link checker then reports the page as broken.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        get_scope: dict[str, Any] = {**scope, "method": "GET"}
        await self.app(get_scope, receive, send_headers_only)


class TrustedHostMiddleware:
    """Answers 400 (in French) to a request whose Host header is not in ``allowed_hosts``.

    Why: the Host header is attacker-chosen and Starlette builds absolute URLs (the
    redirect of a trailing slash, for one) from it. Same matching as Starlette's
    middleware of that name ('*' for any host, '*.example.org' for sub-domains), which
    this one replaces only to say it in French.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed = [h.lower() for h in allowed_hosts]
        self.any_host = "*" in self.allowed

    def is_allowed(self, host_header: str) -> bool:
        text = host_header.lower()
        # an IPv6 literal is bracketed ("[::1]:8000"); a name or IPv4 ends at the port
        host = text[1:].split("]", 1)[0] if text.startswith("[") else text.split(":", 1)[0]
        return any(host == name or (name.startswith("*.") and host.endswith(name[1:]))
                   for name in self.allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.any_host or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if self.is_allowed(host):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"detail": "En-tête Host non autorisé : ce serveur ne répond qu'aux noms "
                       "configurés (réglage web.allowed_hosts, variable "
                       "PROXIMITE_WEB__ALLOWED_HOSTS)."}, status_code=400)
        await response(scope, receive, send)
