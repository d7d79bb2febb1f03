"""``kikan-std serve``: a local web app for auditors and a REST check service for CI (docs/web.md).

Needs the ``web`` extra (``pip install kikan-std[web]``): Starlette, uvicorn and python-multipart.
"""

from __future__ import annotations

from kikan_std.web.app import WebConfig, create_app, is_loopback

__all__ = ["WebConfig", "create_app", "is_loopback"]
