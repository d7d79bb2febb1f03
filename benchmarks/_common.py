"""Shared by the benchmark scripts."""

from __future__ import annotations

import os


def child_env() -> dict[str, str]:
    """The environment for a measured child process, with Python's default bytecode cache on.

    This workplace sets PYTHONDONTWRITEBYTECODE, which makes every run recompile every module
    (~0.1 s); installed packages and ordinary environments have their .pyc files.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
