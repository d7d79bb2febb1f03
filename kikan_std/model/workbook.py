"""Import an official workbook in the 基本データリスト layout as a :class:`~kikan_std.model.spec.Spec`.

The Digital Agency revises the workbooks every year; a user with the current edition validates
against it directly (``kikan-std check … --spec-file WORKBOOK.xlsx``) or converts it to the spec
JSON format (``kikan-std spec import``). The layout (SPEC_FACTS §1.1–1.4):

* item sheets: a heading row with データ項目ID … データ型 … データ出力条件, and a sub-heading row
  below it (グループ → 名称 / 主キー / 外部キー). データ項目ID is split over two cells
  (``031`` | ``1``) = 3-digit business code + 5-digit item code; a single 8-digit cell is accepted
  too. Columns are found by their heading text, never by position.
* code-list sheets 「コード一覧（個別）…」 (and 「コード一覧（連携）…」): コードID | コード名 | コード値 |
  コード値の内容 | 備考; a blank コードID continues the list above; the value 「任意」 marks an open
  list (自治体固有コード).
* 凡例 sheets are documentation and are skipped.

Cells are read with openpyxl (not in read-only mode: that mode does not report merged cells). A
cell merged over several rows (a コード or 項目説明 shared by a run of items) holds its value in every
row it covers; a cell merged over several columns keeps it in its first column, where the heading
is. The 主キー / 外部キー mark is ○ (U+25CB); the look-alikes 〇 (U+3007) and ◯ (U+25EF) are read as
the same mark, a dash or × as no mark, and any other text is an error naming the cell — never a
silently unmarked key. openpyxl returns a cell's text without its
phonetic (furigana) runs, so ``漢字`` never comes back as ``漢字カンジ``; a test pins this.
Annotations the workbook does not carry come from :mod:`kikan_std.model.annotate` (the same rules the
built-in specs are built with).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kikan_std.errors import WorkbookError
from kikan_std.model.annotate import annotate_item, condition_of, resolve_code_id
from kikan_std.model.spec import DataType, Spec

_CODE_SHEET_PREFIX = "コード一覧"
_LEGEND_PREFIX = "凡例"
_HEADING_ROWS = 30  # the heading row is near the top of an item sheet


# Canonical column → heading spellings (compared after removing spaces and line breaks).
_MAIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("データ項目ID",),
    "name": ("データ項目",),
    "romaji": ("データ項目（ローマ字）", "データ項目(ローマ字)"),
    "type": ("データ型",),
    "length": ("桁数",),
    "code": ("コード",),
    "repetition": ("繰り返し",),
    "obligation": ("データ出力条件",),
    "definition": ("項目定義",),
    "explanation": ("項目説明",),
    "sample": ("サンプル値",),
}
_SUB_COLUMNS: dict[str, tuple[str, ...]] = {
    "group": ("名称", "グループ_名称", "グループ名称"),
    "primary_key": ("主キー", "グループ_主キー"),
    "foreign_key": ("外部キー", "グループ_外部キー"),
}
_REQUIRED = ("id", "name", "romaji", "group", "type", "length", "obligation")
_LABELS = {
    "id": "データ項目ID", "name": "データ項目", "romaji": "データ項目（ローマ字）", "group": "グループ_名称",
    "type": "データ型", "length": "桁数", "obligation": "データ出力条件",
}
_CODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("コードID",),
    "name": ("コード名",),
    "value": ("コード値",),
    "meaning": ("コード値の内容",),
    "note": ("備考",),
    "business": ("業務名",),
}
_TYPES = {t.value for t in DataType}

OFFICIAL_WORKBOOKS: dict[str, str] = {
    "2ffb05bf38bce6ba6faf4ba867c97f02e57d2888f9fbf25c1183d661b91f7c33": (
        "デジタル庁 共通機能 住登外者宛名番号管理 項目定義書（digital-agency_jutogai-atena_item-definition.xlsx）"
    ),
}
"""SHA-256 of the official workbooks known byte for byte → what they are. A workbook read with
:func:`load_workbook` is ``official`` only when its bytes are one of these; any other workbook (an
edited copy, a vendor's own, a newer edition not listed yet) is ``user-supplied``. Add a new official
edition's hash here when it is published."""
_OBLIGATIONS = ("必須", "条件付き必須", "任意")
_EDITION_RE = re.compile(r"第\s*\d+(?:\.\d+)*\s*版")
_TITLE_DOC_RE = re.compile(r"（(.+?)）")


def _norm(v: object) -> str:
    return re.sub(r"\s+", "", _text(v))


def _text(v: object) -> str:
    """A cell as text: numbers without a trailing .0, None as ""."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, _dt.datetime | _dt.date):
        return v.isoformat()[:10]
    return str(v)


def _find(row: Sequence[object], names: tuple[str, ...]) -> int | None:
    wanted = {re.sub(r"\s+", "", n) for n in names}
    for i, v in enumerate(row):
        if _norm(v) in wanted:
            return i
    return None


def _rows(ws: Any) -> Iterator[tuple[object, ...]]:
    """The sheet's rows from A1, a cell merged over several rows repeated in each row it covers."""
    if not ws.max_row or not ws.max_column:
        return
    rows = [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, min_col=1, max_col=ws.max_column,
                                            values_only=True)]
    for rng in ws.merged_cells.ranges:
        min_col, min_row, _max_col, max_row = rng.bounds
        value = rows[min_row - 1][min_col - 1]
        for r in range(min_row, min(max_row, len(rows))):
            rows[r][min_col - 1] = value
    for row in rows:
        yield tuple(row)


_MARKS = frozenset("○〇◯")  # ○ U+25CB as in the workbooks; 〇 U+3007 and ◯ U+25EF look the same
_NO_MARKS = frozenset(("", "-", "－", "―", "‐", "ー", "×", "✕"))


def _mark(text: str, where: str, column: str) -> bool:
    """Whether a 主キー / 外部キー cell holds the mark; anything unreadable is a WorkbookError."""
    if text in _MARKS:
        return True
    if text in _NO_MARKS:
        return False
    codepoints = " ".join(f"U+{ord(c):04X}" for c in text)
    raise WorkbookError(
        f"{where}: 列「{column}」の値 {text!r}（{codepoints}）は印として読めません（○ または空欄）"
        f" / column '{column}': {text!r} ({codepoints}) is not a mark (expected ○ or blank)"
    )


class _ItemSheet:
    """Column positions of one item sheet."""

    def __init__(self, title: str, rows: list[tuple[object, ...]]) -> None:
        self.title = title
        self.heading = -1
        for i, row in enumerate(rows[:_HEADING_ROWS]):
            if _find(row, _MAIN_COLUMNS["id"]) is not None and _find(row, _MAIN_COLUMNS["type"]) is not None:
                self.heading = i
                break
        if self.heading < 0:
            raise WorkbookError(
                f"シート「{title}」: 見出し行（「データ項目ID」と「データ型」を含む行）が見つかりません"
                f" / sheet '{title}': no heading row with 'データ項目ID' and 'データ型'"
            )
        main = rows[self.heading]
        sub = rows[self.heading + 1] if self.heading + 1 < len(rows) else ()
        self.cols: dict[str, int] = {}
        for key, names in _MAIN_COLUMNS.items():
            pos = _find(main, names)
            if pos is not None:
                self.cols[key] = pos
        for key, names in _SUB_COLUMNS.items():
            pos = _find(sub, names)
            if pos is None:
                pos = _find(main, names)  # a flat one-row heading
            if pos is not None:
                self.cols[key] = pos
        for key in _REQUIRED:
            if key not in self.cols:
                raise WorkbookError(
                    f"シート「{title}」{self.heading + 1}行目: 列「{_LABELS[key]}」が見つかりません"
                    f" / sheet '{title}' row {self.heading + 1}: expected column '{_LABELS[key]}'"
                )
        self.first_data = self.heading + (2 if any(_norm(v) for v in sub) else 1)

    def cell(self, row: tuple[object, ...], key: str) -> str:
        pos = self.cols.get(key)
        if pos is None or pos >= len(row):
            return ""
        return _text(row[pos]).strip()

    def item_id(self, row: tuple[object, ...], rownum: int) -> str | None:
        """The 8-digit データ項目ID of a row, or None when the row is not an item row."""
        pos = self.cols["id"]
        first = _text(row[pos]).strip() if pos < len(row) else ""
        second = _text(row[pos + 1]).strip() if pos + 1 < len(row) else ""
        if re.fullmatch(r"\d{8}", first):
            return first
        if re.fullmatch(r"\d{1,3}", first) and re.fullmatch(r"\d{1,5}", second):
            return first.zfill(3) + second.zfill(5)
        if self.cell(row, "type") in _TYPES:
            raise WorkbookError(
                f"シート「{self.title}」{rownum}行目: データ項目IDが読めません（{first!r} {second!r}）"
                f" / sheet '{self.title}' row {rownum}: cannot read データ項目ID ({first!r} {second!r});"
                " expected 3-digit business code + item code in two cells, or 8 digits"
            )
        return None


def _read_code_sheet(title: str, rows: list[tuple[object, ...]], lists: dict[str, dict[str, Any]]) -> None:
    heading = next((i for i, r in enumerate(rows[:_HEADING_ROWS]) if _find(r, _CODE_COLUMNS["id"]) is not None), -1)
    if heading < 0:
        raise WorkbookError(
            f"シート「{title}」: 見出し「コードID」が見つかりません / sheet '{title}': expected column 'コードID'"
        )
    cols = {k: _find(rows[heading], names) for k, names in _CODE_COLUMNS.items()}
    for key in ("id", "name", "value", "meaning"):
        if cols[key] is None:
            raise WorkbookError(
                f"シート「{title}」{heading + 1}行目: 列「{_CODE_COLUMNS[key][0]}」が見つかりません"
                f" / sheet '{title}' row {heading + 1}: expected column '{_CODE_COLUMNS[key][0]}'"
            )
    linked = "（連携）" in title or "(連携)" in title
    sheet_business = title.split("_", 1)[1] if "_" in title else ""

    def get(row: tuple[object, ...], key: str) -> str:
        pos = cols[key]
        return _text(row[pos]).strip() if pos is not None and pos < len(row) else ""

    current: dict[str, Any] | None = None
    for row in rows[heading + 1 :]:
        cid, value = get(row, "id"), get(row, "value")
        if _norm(cid) == "コードID":
            continue  # the heading merged over two rows repeats in the second
        if cid:
            business = get(row, "business") or sheet_business
            key = f"{business}_{cid}" if linked else cid
            current = lists.setdefault(
                key, {"id": key, "name": get(row, "name"), "values": [], "provenance": "official"}
            )
        if current is None or not value:
            continue
        if value == "任意":
            current["open"] = True
            current["note"] = get(row, "note")
        else:
            current["values"].append({"value": value, "meaning": get(row, "meaning")})


def _edition(path: Path, titles: Sequence[str], props: Any) -> tuple[str, str]:
    """(edition, published): 「第n版」 from the title or file name, dated by the workbook's last save."""
    modified = getattr(props, "modified", None)
    published = modified.date().isoformat() if isinstance(modified, _dt.datetime) else ""
    for t in (*titles, path.name):
        m = _EDITION_RE.search(t)
        if m:
            return re.sub(r"\s", "", m.group(0)), published
    return published or "不明", published


def load_workbook(path: str | Path) -> Spec:
    """Read an official workbook in the 基本データリスト layout into a :class:`Spec`.

    The spec id is ``wb_<business code>_<document>`` (e.g. ``wb_031_住登外者宛名番号管理``);
    :func:`kikan_std.specs.rules_for` attaches the built-in record rules of a known business code.

    Raises:
        WorkbookError: the file is not an xlsx workbook or does not fit the layout; the message
            names the sheet and the column expected.
    """
    import openpyxl  # imported here: only the importer needs it (CLI start-up stays quick)

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise WorkbookError(f"ワークブックを開けません / cannot open workbook {p}: {e.strerror}") from None
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(p, read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, InvalidFileException) as e:
        raise WorkbookError(
            f"xlsx ワークブックとして読めません / not an xlsx workbook: {p.name} ({type(e).__name__})"
        ) from None
    try:
        return _build(p, data, wb)
    finally:
        wb.close()


def _build(p: Path, data: bytes, wb: Any) -> Spec:
    item_sheets: list[tuple[_ItemSheet, list[tuple[object, ...]]]] = []
    lists: dict[str, dict[str, Any]] = {}
    titles: list[str] = []
    for ws in wb.worksheets:
        title = ws.title
        if title.startswith(_LEGEND_PREFIX):
            continue
        rows = list(_rows(ws))
        if title.startswith(_CODE_SHEET_PREFIX):
            _read_code_sheet(title, rows, lists)
            continue
        has_heading = any(
            _find(r, _MAIN_COLUMNS["id"]) is not None and _find(r, _MAIN_COLUMNS["type"]) is not None
            for r in rows[:_HEADING_ROWS]
        )
        if not has_heading:
            continue  # 表紙, 改訂履歴 and other sheets
        sheet = _ItemSheet(title, rows)
        item_sheets.append((sheet, rows))
        titles += [_text(v) for r in rows[: sheet.heading] for v in r if v]
    if not item_sheets:
        raise WorkbookError(
            f"{p.name}: 項目定義のシートがありません（見出し「データ項目ID」「データ型」を含むシートが必要）"
            f" / no item sheet: expected a sheet with headings 'データ項目ID' and 'データ型'"
        )

    groups: dict[str, list[dict[str, Any]]] = {}
    business_codes: set[str] = set()
    for sheet, rows in item_sheets:
        for n, row in enumerate(rows[sheet.first_data :], start=sheet.first_data + 1):
            item_id = sheet.item_id(row, n)
            if item_id is None:
                continue
            groups.setdefault(sheet.cell(row, "group") or sheet.title, []).append(
                _item(sheet, row, n, item_id, lists)
            )
            business_codes.add(item_id[:3])
    if not groups:
        s = item_sheets[0][0]
        raise WorkbookError(f"シート「{s.title}」: 項目の行がありません / sheet '{s.title}': no item rows")
    if len(business_codes) != 1:
        raise WorkbookError(
            f"{p.name}: 業務コードが1つではありません / more than one business code: {sorted(business_codes)}"
        )
    business = business_codes.pop()
    title = next((t.strip().lstrip("■").strip() for t in titles if "■" in t), "") or p.stem
    m = _TITLE_DOC_RE.search(title)
    document = m.group(1) if m else next(iter(groups))
    edition, published = _edition(p, titles, wb.properties)
    sha = hashlib.sha256(data).hexdigest()
    provenance = "official" if sha in OFFICIAL_WORKBOOKS else "user-supplied"
    for items in groups.values():
        for it in items:
            it["provenance"] = provenance
    for cl in lists.values():
        cl["provenance"] = provenance
    spec: dict[str, Any] = {
        "id": f"wb_{business}_{document}",
        "business_code": business,
        "title": title,
        "edition": edition,
        "published": published,
        "source": f"{p.name} (sha256 {sha[:16]}…)",
        "provenance": provenance,
        "groups": [
            {"name": g, "items": items, "primary_key": [i["name"] for i in items if i["primary_key"]]}
            for g, items in groups.items()
        ],
        "code_lists": sorted(lists.values(), key=lambda c: (not str(c["id"]).isdigit(), _num(str(c["id"])))),
        "notes": [
            f"ワークブック {p.name} から読み込み（個人情報・形式・不詳日・別表記は kikan_std.model.annotate の規則で推定）。"
        ],
    }
    try:
        return Spec.model_validate(spec)
    except ValueError as e:
        raise WorkbookError(f"{p.name}: 仕様として不正です / the workbook does not make a valid spec: {e}") from None


def _num(s: str) -> tuple[int, str]:
    return (int(s), "") if s.isdigit() else (0, s)


def _item(
    sheet: _ItemSheet, row: tuple[object, ...], n: int, item_id: str, lists: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    where = f"シート「{sheet.title}」{n}行目 / sheet '{sheet.title}' row {n}"
    name = sheet.cell(row, "name")
    if not name:
        raise WorkbookError(f"{where}: 列「データ項目」が空です / expected a value in column 'データ項目'")
    item_type = sheet.cell(row, "type")
    if item_type not in _TYPES:
        raise WorkbookError(
            f"{where}: 列「データ型」の値 {item_type!r} は凡例にありません / column 'データ型': {item_type!r} is not"
            f" one of {', '.join(sorted(_TYPES))}"
        )
    obligation = sheet.cell(row, "obligation")
    if obligation not in _OBLIGATIONS:
        raise WorkbookError(
            f"{where}: 列「データ出力条件」の値 {obligation!r} が不正です（必須／条件付き必須／任意）"
            f" / column 'データ出力条件' must be 必須, 条件付き必須 or 任意: {obligation!r}"
        )
    length = sheet.cell(row, "length").replace("，", ",").replace(" ", "")
    code = sheet.cell(row, "code") or None
    if code is not None:
        code = _code_ref(code, lists, where)
    rep = sheet.cell(row, "repetition")
    definition = sheet.cell(row, "definition")
    explanation = sheet.cell(row, "explanation")
    item: dict[str, Any] = {
        "id": item_id,
        "name": name,
        "romaji": sheet.cell(row, "romaji"),
        "type": item_type,
        "length": length,
        "code_list": code,
        "repetition": int(rep) if rep.isdigit() else None,
        "obligation": obligation,
        "condition": condition_of(explanation),
        "primary_key": _mark(sheet.cell(row, "primary_key"), where, "グループ_主キー"),
        "foreign_key": _mark(sheet.cell(row, "foreign_key"), where, "グループ_外部キー"),
        "description": (definition + ("\n" + explanation if explanation else "")).strip(),
        "sample": sheet.cell(row, "sample"),
        "provenance": "official",
    }
    if not re.fullmatch(r"\d+(?:,\d+)?", length):
        raise WorkbookError(f"{where}: 列「桁数」の値 {length!r} が不正です / column '桁数' must be n or n,m: {length!r}")
    return annotate_item(item, definition, explanation)


def _code_ref(code: str, lists: dict[str, dict[str, Any]], where: str) -> str:
    """Resolve a コード cell: an id → コード一覧（個別）; 業務名 + id → コード一覧（連携）."""
    if code.isdigit():
        ref = resolve_code_id(code, [k for k in lists if k.isdigit()])
        sheet = "コード一覧（個別）"
    else:
        m = re.fullmatch(r"(.+?)[_＿:：\s]*(\d+)", code)
        business, cid = (m.group(1), m.group(2)) if m else (code, "")
        linked = [k for k in lists if k.startswith(business + "_")]
        ref = business + "_" + resolve_code_id(cid, [k.split("_", 1)[1] for k in linked])
        sheet = "コード一覧（連携）"
    if ref not in lists:
        raise WorkbookError(
            f"{where}: コードID {code!r} がシート「{sheet}」にありません / code list {code!r} is not in sheet '{sheet}'"
        )
    return ref
