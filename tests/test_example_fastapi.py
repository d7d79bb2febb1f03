"""examples/fastapi_fuban: the 付番API request body validated by a record model, through FastAPI's TestClient."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fastapi_fuban" / "app.py"


@pytest.fixture(scope="module")
def app_module() -> Any:
    spec = importlib.util.spec_from_file_location("fastapi_fuban_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def client(app_module: Any) -> TestClient:
    return TestClient(app_module.app)


VALID: dict[str, str] = {
    "shorikubun": "0",
    "shikuchosonkodo": "131016",
    "shimei": "山田　太郎",
    "uji_nihonjin": "山田",
    "na_nihonjin": "太郎",
    "seibetsu": "1",
    "seinengappi": "1980-04-01",
    "jusho_shikuchosonkodo": "131016",
    "nayosemotofuragu": "0",
    "tagyomusanshofukafuragu": "0",
    "sosashaid": "USER000001",
    "sosanengappi": "2024-04-01",
    "sosajikoku": "09:30:00",
}


def _post(client: TestClient, app_module: Any, body: dict[str, Any]) -> Any:
    return client.post(app_module.PATH, json=body)


def test_the_request_items_are_the_official_ones(app_module: Any) -> None:
    items = app_module.SPEC.groups[0].items
    assert len(items) == 40 and items[0].romaji == "shorikubun"  # the sheet's rows, 処理区分 first
    assert {it.romaji for it in items if it.required} == {
        "shorikubun", "shikuchosonkodo", "nayosemotofuragu", "tagyomusanshofukafuragu", "sosashaid",
        "sosanengappi", "sosajikoku"}


def test_a_valid_request_is_answered(client: TestClient, app_module: Any) -> None:
    r = _post(client, app_module, VALID)
    assert r.status_code == 200, r.text
    assert r.json()["result"][0]["shikuchosonkodo"] == "131016"


@pytest.mark.parametrize(("change", "api_code", "message"), [
    ({"sosashaid": ""}, "E0001", "操作者IDが設定されていません。"),
    ({"seibetsu": "9"}, "E0002", "性別は「0、1、2」のいずれかで設定してください。"),
    ({"shimei": "ﾔﾏﾀﾞ\u3000ﾀﾛｳ"}, "E0002", "氏名は全角文字で設定してください。"),
    ({"sosajikoku": "25:00:00"}, "E0002", "操作時刻はHH:MM:SS 形式の時刻で設定してください。"),
    ({"jusho_shikuchosonkodo": "271005"}, "E0002", "住所_市区町村コードは半角数字6桁で設定してください。"),
    ({"kojinbango": "123456789019"}, "E0002", "個人番号は半角数字12桁で設定してください。"),
    ({"shorikubun": "1"}, "E0004", "処理区分が設定されている場合、宛名番号は設定必須です。"),
])
def test_errors_use_the_official_taxonomy(client: TestClient, app_module: Any, change: dict[str, str],
                                          api_code: str, message: str) -> None:
    r = _post(client, app_module, {**VALID, **change})
    assert r.status_code == 400
    body = r.json()
    assert body["detail"] == "エラーが発生しました。"
    assert body["errors"] == [{"code": api_code, "message": message}]
    for value in change.values():
        assert value not in r.text or value in ("", "1", "9")  # personal values are not echoed


def test_several_errors_come_back_together(client: TestClient, app_module: Any) -> None:
    r = _post(client, app_module, {**VALID, "seibetsu": "9", "sosanengappi": "2023-02-30", "shikuchosonkodo": ""})
    assert r.status_code == 400
    assert [e["code"] for e in r.json()["errors"]] == ["E0001", "E0002", "E0002"]
