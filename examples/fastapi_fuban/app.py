"""A FastAPI service validating the request body of the 住登外者宛名番号付番API with kikan-std's record models.

The request items are the official ones (``request_items.tsv``: sheet リクエスト_API仕様 of デジタル庁
「住登外者宛名番号付番API仕様」第2.0版). They become a kikan-std :class:`~kikan_std.Spec`, whose record
model applies every field check of ``kikan-std check`` (type, 桁数, 文字要件, code lists, check digits,
dates and times) plus the API's 相関チェック (宛名番号 is required when 処理区分 is 1 or 2). A request that
fails gets HTTP 400 in the API's error shape, each error with its API code E0001–E0004 (the catalogue
maps every finding code to one, see ``kikan_std/data/catalogue/api_errors.toml``).

Run: ``pip install 'kikan-std[examples]'`` then ``uvicorn app:app`` in this folder. No authentication,
no real 付番: the answer echoes or invents a synthetic 宛名番号 — this shows validation only.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kikan_std import catalogue
from kikan_std.model.rules import RecordRule, required_when
from kikan_std.model.spec import CodeList, CodeValue, DataType, Format, Group, Item, Obligation, Spec

HERE = Path(__file__).resolve().parent
PATH = "/app_submit/v10/jutogaishaatenabangofuban"
TITLE = "住登外者宛名番号付番"

# Facts the item sheet states in words (備考 / 項目説明), written down once here.
FORMATS = {
    "shikuchosonkodo": Format.LOCAL_GOVERNMENT_CODE,
    "jusho_shikuchosonkodo": Format.LOCAL_GOVERNMENT_CODE,
    "kojinbango": Format.INDIVIDUAL_NUMBER,
    "jusho_choazakodo": Format.TOWN_CODE,
    "jusho_yubinbango": Format.POSTAL_CODE,
    "gyomuid": Format.DIGITS,
}
CODES = {
    "shorikubun": ("処理区分", ("0", "1", "2")),
    "seibetsu": ("性別", ("0", "1", "2")),
    "tsusho_furiganakakuninjokyo": ("通称_フリガナ確認状況", ("0", "1")),
    "seinengappi_fushofuragu": ("生年月日_不詳フラグ", ("0", "1")),
    "nayosemotofuragu": ("名寄せ元フラグ", ("0", "1")),
    "tagyomusanshofukafuragu": ("他業務参照不可フラグ", ("0", "1")),
}
NOT_PERSONAL = {"shorikubun", "shikuchosonkodo", "atenabango", "seibetsu", "jusho_shikuchosonkodo", "jusho_choazakodo",
                "gyomuid", "dokujishisakushisutemutoid", "nayosemotofuragu", "tagyomusanshofukafuragu", "sosashaid",
                "sosanengappi", "sosajikoku", "tsusho_furiganakakuninjokyo", "seinengappi_fushofuragu",
                "shiteitoshi_gyoseikutokodo", "jusho_kokumeikodo", "nayosesakiatenabango"}


def load_request_spec(path: Path = HERE / "request_items.tsv") -> Spec:
    """The 付番API request body as a kikan-std spec (one group, one item per request parameter)."""
    items = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            romaji = row["パラメータ名"]
            note = row["備考"]
            items.append(Item(
                name=row["項目名"],
                romaji=romaji,
                type=DataType(row["データ型"]),
                length=row["桁数"],
                obligation=Obligation.REQUIRED if row["必須"] == "◎" else (
                    Obligation.CONDITIONAL if "※※" in note else Obligation.OPTIONAL),
                condition=m[1] if (m := re.search(r"※※(.+?)(?:は必須|$)", note)) else "",
                code_list=romaji if romaji in CODES else None,
                format=FORMATS.get(romaji),
                allows_unknown_date="不詳日を許容する" in note,
                personal=romaji not in NOT_PERSONAL,
                description=row["項目説明"],
                provenance="official",
            ))
    return Spec(
        id="jutogai_atena_fuban_request", business_code="031", title="住登外者宛名番号付番API リクエスト",
        edition="第2.0版", published="2023-03", provenance="official",
        groups=(Group(name="付番依頼", romaji="jutogaisha_atena_bango_fuban", items=tuple(items)),),
        code_lists=tuple(
            CodeList(id=romaji, name=name, values=tuple(CodeValue(value=v, meaning=v) for v in values),
                     provenance="official")
            for romaji, (name, values) in CODES.items()),
    )


SPEC = load_request_spec()
RULES: tuple[RecordRule, ...] = (
    required_when("fuban_atena_bango", "宛名番号", ("処理区分",), lambda v: v in ("1", "2"),
                  clause="住登外者宛名番号付番API仕様 第2.0版 リクエスト 宛名番号（備考）",
                  condition="処理区分が1または2"),
)
FubanRequest = SPEC.record_model(rules=RULES)
"""The request body: a pydantic model that checks what ``kikan-std check`` checks."""

_ITEMS = {it.romaji: it for it in SPEC.groups[0].items}
_TRIGGER = {"宛名番号": "処理区分"}  # for E0004's 「【項目名】が設定されている場合、【項目名】は設定必須です。」


def _allowed_text(item: Item) -> str:
    """【指定文字】 of E0002 for ``item``."""
    if item.code_list is not None:
        return "「" + "、".join(CODES[item.code_list][1]) + "」のいずれか"
    if item.format is not None or item.type is DataType.NUM:
        return f"半角数字{item.max_length}桁" if item.format in (
            Format.LOCAL_GOVERNMENT_CODE, Format.INDIVIDUAL_NUMBER, Format.TOWN_CODE, Format.POSTAL_CODE) else "半角数字"
    return {DataType.X: "半角文字", DataType.N: "全角文字", DataType.DATE: "YYYY-MM-DD 形式の日付",
            DataType.TIME: "HH:MM:SS 形式の時刻"}.get(item.type, "正しい値")


def api_error(err: dict[str, Any]) -> dict[str, str]:
    """One pydantic error of the request body as an API error ``{code, message}``."""
    loc = [str(x) for x in err.get("loc", ()) if x != "body"]
    item = _ITEMS.get(loc[0]) if loc else None
    name = item.name if item is not None else (loc[0] if loc else "リクエスト")
    code = str(err.get("type", ""))
    api = catalogue.entry(code).api_error if code in catalogue.catalogue() else None
    if api == "E0001":
        return {"code": "E0001", "message": f"{name}が設定されていません。"}
    if api == "E0004":
        return {"code": "E0004", "message": f"{_TRIGGER.get(name, '関連項目')}が設定されている場合、{name}は設定必須です。"}
    if api == "E0003" and item is not None:
        return {"code": "E0003", "message": f"{name}は{item.max_length}桁で設定してください。"}
    if api == "E0002" and item is not None:
        return {"code": "E0002", "message": f"{name}は{_allowed_text(item)}で設定してください。"}
    # Findings the API taxonomy has no code for (too long for a variable-length item, unknown keys,
    # not a JSON string …): E0002 with kikan-std's own message, which never echoes a personal value.
    return {"code": "E0002", "message": f"{name}: {err.get('msg', '')}"}


app = FastAPI(title=TITLE)


@app.exception_handler(RequestValidationError)
async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [api_error(e) for e in exc.errors()]
    return JSONResponse(status_code=400, content={
        "title": TITLE, "detail": "エラーが発生しました。", "_links": {"self": {"href": str(request.url)}},
        "errors": errors,
    })


@app.post(PATH)
async def fuban(request: Request, body: FubanRequest) -> dict[str, Any]:  # type: ignore[valid-type]
    data = body.model_dump()  # type: ignore[attr-defined]
    # No real 付番: a synthetic number (an existing one is echoed for 処理区分 1 / 2).
    atena = data["atenabango"] or "9" * 15
    return {
        "metadata": {"title": TITLE, "detail": "正常に処理が完了しました。"},
        "_links": {"self": {"href": str(request.url)}},
        "result": [{"shikuchosonkodo": data["shikuchosonkodo"], "atenabango": atena, "rirekibango": "001",
                    "sosashaid": data["sosashaid"], "sosanengappi": data["sosanengappi"],
                    "sosajikoku": data["sosajikoku"]}],
    }
