"""Security of the web app: response headers (a strict Content-Security-Policy), the Host check
against DNS rebinding, the token when bound beyond loopback, and CSRF tokens for the page forms."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SESSION_COOKIE = "kikan_session"
TOKEN_COOKIE = "kikan_token"


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def report_csp(page: str) -> str:
    """A CSP for the HTML report that allows exactly its own inline script, styles and handlers (by hash)."""
    scripts = {_sha(s) for s in re.findall(r"<script>(.*?)</script>", page, re.S)}
    styles = {_sha(s) for s in re.findall(r"<style>(.*?)</style>", page, re.S)}
    attr_styles = {_sha(html.unescape(s)) for s in re.findall(r'\sstyle="([^"]*)"', page)}
    handlers = {_sha(html.unescape(s)) for s in re.findall(r'\son[a-z]+="([^"]*)"', page)}
    script_src = " ".join(sorted(scripts | handlers)) + (" 'unsafe-hashes'" if handlers else "")
    style_src = " ".join(sorted(styles | attr_styles)) + (" 'unsafe-hashes'" if attr_styles else "")
    return (
        f"default-src 'none'; script-src {script_src or chr(39) + 'none' + chr(39)}; "
        f"style-src {style_src or chr(39) + 'none' + chr(39)}; img-src data:; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
    )


def csrf_token(secret: bytes, session: str) -> str:
    """The CSRF token of a session: an HMAC, so nothing per session needs storing."""
    return hmac.new(secret, b"csrf:" + session.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, session: str | None, token: str | None) -> bool:
    """Whether ``token`` is the CSRF token of ``session``."""
    return bool(session and token) and hmac.compare_digest(csrf_token(secret, session or ""), token or "")


class Guard:
    """ASGI middleware: refuses foreign Host headers and (beyond loopback) requests without the token;
    adds the security headers to every response (a CSP the endpoint set itself is kept). ``hosts`` None
    accepts any Host (beyond loopback, where the token guards instead)."""

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str] | None, token: str | None) -> None:
        self.app = app
        self.hosts = hosts
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if self.hosts is not None and host not in self.hosts:
            await _plain(send, 400, "不正な Host ヘッダーです / bad Host header")
            return
        if self.token is not None and not self._authorised(scope, headers):
            await _plain(send, 401, "トークンが必要です / a valid token is required (Authorization: Bearer …)")
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                hs = list(message.get("headers", []))
                names = {k.lower() for k, _ in hs}
                defaults = (
                    (b"content-security-policy", PAGE_CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    # same-origin, not no-referrer: with no-referrer, POST forms send "Origin: null".
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                    (b"cache-control", b"no-store"),
                )
                hs += [(k, v) for k, v in defaults if k not in names]
                message["headers"] = hs
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _authorised(self, scope: Scope, headers: dict[str, str]) -> bool:
        assert self.token is not None
        auth = headers.get("authorization", "")
        if auth.startswith("Bearer ") and hmac.compare_digest(auth[7:].strip(), self.token):
            return True
        cookies = dict(
            part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part
        )
        if hmac.compare_digest(cookies.get(TOKEN_COOKIE, ""), self.token):
            return True
        # The page's first visit: /?token=… sets the cookie (see app.index).
        query = scope.get("query_string", b"").decode("latin-1")
        return scope.get("path") == "/" and any(
            hmac.compare_digest(q[6:], self.token) for q in query.split("&") if q.startswith("token=")
        )


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"content-security-policy", PAGE_CSP.encode()), (b"x-content-type-options", b"nosniff")]})
    await send({"type": "http.response.body", "body": body})
