"""docs/api.md: every ```python block runs, top to bottom, in one namespace, in a temporary folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

BLOCK_RE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_api_docs_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = BLOCK_RE.findall(text)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIKAN_STD_MASK_KEY", raising=False)
    namespace: dict[str, object] = {"__name__": "docs_api"}
    for n, block in enumerate(blocks, start=1):
        try:
            exec(compile(block, f"docs/api.md block {n}", "exec"), namespace)
        except Exception as e:  # name the block that failed
            raise AssertionError(f"docs/api.md python block {n} failed: {type(e).__name__}: {e}") from e
    assert os.listdir(tmp_path)
