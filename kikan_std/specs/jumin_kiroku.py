"""Rules of the 住民記録 resident export (spec ``jumin_kiroku``) beyond the field checks.

Clauses cite 住民記録システム標準仕様書【第1.0版】第3章 (機能要件) by requirement number. Each rule says
what it does when a column it needs is missing:

* a column that decides *whether* a rule applies (住民種別, 住民状態, the history and household keys)
  missing → :class:`RuleNotRun` (SYS002, the report is not valid);
* a column the rule checks *values of* missing → judged as blank in every record, because the file is
  what is judged (its absence is also reported as CSV004/CSV005);
* rules that compare optional columns (event order, era of 生年月日, code list membership) are vacuous
  without them: nothing to compare, and the missing column is itself reported (CSV005 warning).

Cross-record rules (history, households) keep per-record facts in SQLite tables that start in memory
and move to a temporary file past ``KIKAN_STD_SPILL_AT`` rows (default as :mod:`kikan_std.model.spill`),
so memory stays bounded for any number of rows. Their findings name every record involved
(``related``) and carry 宛名番号 and 世帯番号.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kikan_std.errors import RuleNotRun
from kikan_std.findings import Finding
from kikan_std.jp.checkdigits import m11_w2_7_suspects, modulus11_w2_7_check_digit
from kikan_std.jp.lgcodes import local_government_codes
from kikan_std.jp.wareki import ERAS, era_by_code, is_valid_era_for_date
from kikan_std.model.fields import _DATE_RE_TEXT, is_calendar_date, non_calendar_values
from kikan_std.model.rules import ChunkView, DatasetRule, DatasetState, RecordRule, RuleOption
from kikan_std.model.spec import Format, Group
from kikan_std.model.spill import SpillTable
from kikan_std.specs.edition import Edition

_STD = "住民記録システム標準仕様書 第1.0版 第3章"

RULE_OPTIONS: tuple[RuleOption, ...] = (
    RuleOption(
        name="atena_check_digit",
        choices=("warning", "off"),
        default="warning",
        description="宛名番号・世帯番号のモジュラス11検査（JUM005）。新規付番にだけ適用されるため既定は警告、"
        "移行した番号を検査しない場合は off / the M11 check digit of 宛名番号・世帯番号 (JUM005): "
        "warning by default, off for migrated numbers",
    ),
    RuleOption(
        name="atena_check_digit_r1",
        choices=("0", "reject"),
        default="0",
        description="余り1（検査数字が10）の扱い。標準仕様書に定めがないため、0 とみなす（0）か、付番しない番号として"
        "指摘する（reject）/ remainder 1 (check digit 10) is not specified: treat as 0, or report (reject)",
    ),
)

_REMOVED_STATES = frozenset({"2", "3", "9"})  # 住民状態: 転出者, 死亡者, その他消除者


def _is_removed(state: str, johyo_flag: str) -> bool:
    """A 除票: the person is no longer a resident (住民状態 ≠ 1) or the row is flagged 除票."""
    return state in _REMOVED_STATES or johyo_flag == "1"


def _with_household(view: ChunkView, f: Finding, i: int) -> Finding:
    """Add 世帯番号 to a finding's business keys (the group key has 宛名番号 and 個人履歴番号)."""
    col = view.col("世帯番号")
    if col is not None:
        f.keys["世帯番号"] = col[i]
    return f


def _blank(view: ChunkView) -> Sequence[str]:
    return ("",) * len(view)


# -- JUM001 空欄を許容しない項目 (1.1.6) --------------------------------------------------------

# 第30条の45 区分 (modeled code list hou30jo45) → items that may not be blank for it.
_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "1": ("在留資格等コード", "在留期間の満了の日", "在留カード等番号"),  # 中長期在留者
    "2": ("在留カード等番号",),  # 特別永住者 (特別永住者証明書の番号)
    "3": ("在留期間の満了の日",),  # 一時庇護許可者 (上陸期間)
    "4": ("在留期間の満了の日",),  # 仮滞在許可者 (仮滞在期間)
}
_BLANK_TARGETS = (
    "本籍",
    "戸籍_筆頭者",
    "住民票コード",
    "外国人住民となった年月日",
    "第30条45規定区分",
    "在留資格等コード",
    "在留期間の満了の日",
    "在留カード等番号",
)


def _required_items(kind: str, state: str, johyo: str, category: str) -> dict[str, str]:
    """Items that may not be blank for a record of this kind, with who the requirement is for."""
    removed = _is_removed(state, johyo)
    out: dict[str, str] = {}
    if not removed:
        out["住民票コード"] = "住民（除票を除く）"
    if kind == "1":
        out["本籍"] = out["戸籍_筆頭者"] = "日本人住民"
    elif kind == "2":
        out["外国人住民となった年月日"] = out["第30条45規定区分"] = "外国人住民"
        labels = {"1": "中長期在留者", "2": "特別永住者", "3": "一時庇護許可者", "4": "仮滞在許可者"}
        for item in _BY_CATEGORY.get(category, ()):
            if item == "在留カード等番号" and category == "1" and removed:
                continue  # 在留カードの番号（除票を除く）
            out[item] = labels[category]
    return out


def _check_blank(view: ChunkView) -> Iterator[Finding]:
    kind, state = view.need("住民種別", "住民状態")
    blank = _blank(view)
    johyo = view.col("除票フラグ") or blank
    category = view.col("第30条45規定区分") or blank
    targets = [(t, view.col(t) or blank) for t in _BLANK_TARGETS]
    targets = [(t, c) for t, c in targets if "" in c]
    if not targets:
        return
    keys = list(zip(kind, state, johyo, category, strict=True))
    req = {k: _required_items(*k) for k in set(keys)}
    found: list[tuple[int, Finding]] = []
    for name, col in targets:
        needing = {k for k, items in req.items() if name in items}
        if not needing:
            continue
        # Only rows whose kind requires this item are looked at (e.g. the 5 % foreign residents).
        for i in itertools.compress(itertools.count(), map(needing.__contains__, keys)):
            if col[i] == "":
                who = req[keys[i]][name]
                found.append((i, _with_household(view, view.finding("JUM001", i, item=name, who=who), i)))
    found.sort(key=lambda t: t[0])
    yield from (f for _, f in found)


# -- JUM002 住民票コード ------------------------------------------------------------------------

_ELEVEN_DIGITS = re.compile(r"\d{11}", re.ASCII)


def _check_juminhyo_code(view: ChunkView) -> Iterator[Finding]:
    col = view.col("住民票コード")
    if col is None:
        return  # vacuous: no values (the missing column is CSV005; blanks are JUM001)
    bad = {v for v in set(col) if v and len(v) <= 11 and not _ELEVEN_DIGITS.fullmatch(v)}
    if not bad:
        return
    for i, v in enumerate(col):
        if v in bad:
            yield _with_household(view, view.finding("JUM002", i, item="住民票コード", value=v), i)


# -- JUM003 不詳日は不詳フラグが 1 のときだけ (1.1.8, 1.1.9) ---------------------------------------


_CALENDAR = re.compile(_DATE_RE_TEXT, re.ASCII)


def _unknown_date_pairs(group: Group) -> list[tuple[str, str]]:
    names = {it.name for it in group.items}
    return [
        (it.name, f"{it.name}_不詳フラグ")
        for it in group.items
        if it.allows_unknown_date and f"{it.name}_不詳フラグ" in names
    ]


def _check_unknown_date_flag(view: ChunkView) -> Iterator[Finding]:
    found: list[tuple[int, Finding]] = []
    for date_item, flag_item in _unknown_date_pairs(view.group):
        col = view.col(date_item)
        if col is None:
            continue  # vacuous: no dates
        non_calendar = non_calendar_values(set(col))  # dates repeat: each is read once
        if not non_calendar:
            continue
        # A file without the flag column cannot flag anything: its non-calendar dates are unflagged.
        flags = view.col(flag_item) or _blank(view)
        for i, v in enumerate(col):
            if v in non_calendar and flags[i] != "1":
                f = view.finding("JUM003", i, item=date_item, value=v, flag_item=flag_item, flag=flags[i] or "（空）")
                found.append((i, _with_household(view, f, i)))
    found.sort(key=lambda t: t[0])
    yield from (f for _, f in found)


# -- JUM004 生年月日_元号 は生年月日の元号 ------------------------------------------------------

_SHAPE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


def _possible_span(value: str) -> tuple[_dt.date, _dt.date] | None:
    """The first and last calendar day a (possibly 不詳) ``YYYY-MM-DD`` value can stand for.

    ``1989-00-00`` → the whole of 1989; ``1989-01-00`` or ``1989-02-30`` → that month. None when
    the year itself is unknown (0000) or the shape is wrong.
    """
    m = _SHAPE.fullmatch(value)
    if not m:
        return None
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    if y == 0 or mo > 12:
        return None
    if is_calendar_date(value):
        day = _dt.date(y, mo, d)
        return day, day
    if mo == 0:
        return _dt.date(y, 1, 1), _dt.date(y, 12, 31)
    last = (_dt.date(y + 1, 1, 1) if mo == 12 else _dt.date(y, mo + 1, 1)) - _dt.timedelta(days=1)
    return _dt.date(y, mo, 1), last


def era_fits(era_code: str, birth: str) -> bool | None:
    """Whether 年号コード ``era_code`` can be the era of ``birth``; None when it cannot be decided.

    For a calendar date the era must be the one in force that day (1989-01-07 is 昭和, 1989-01-08 is
    平成; 2019-04-30 is 平成, 2019-05-01 is 令和). For a 不詳日 the era must overlap the days it can
    stand for (1989-00-00 fits 昭和 and 平成).
    """
    span = _possible_span(birth)
    if span is None:
        return None
    try:
        era = era_by_code(era_code)
    except ValueError:
        return None  # not a 年号コード: FLD015 reports it
    first, last = span
    if first == last:
        return is_valid_era_for_date(era_code, first)
    return era.start <= last and (era.end is None or first <= era.end)


# 年号コード → (first day, last day) as ISO strings: for a calendar date the era check is two string
# comparisons (ISO dates order as strings). Same table as kikan_std.jp.wareki.ERAS.
_ERA_SPANS = {str(e.code): (e.start.isoformat(), e.end.isoformat() if e.end else "9999-12-31") for e in ERAS}


def _check_era(view: ChunkView) -> Iterator[Finding]:
    era_col, birth_col = view.col("生年月日_元号"), view.col("生年月日")
    if era_col is None or birth_col is None:
        return  # vacuous: no era accompanies the date
    memo: dict[tuple[str, str], bool] = {}
    spans = _ERA_SPANS
    calendar = _CALENDAR.fullmatch
    for i, (e, b) in enumerate(zip(era_col, birth_col, strict=True)):
        if not e or not b:
            continue
        span = spans.get(e)
        if span is not None and calendar(b):
            if span[0] <= b <= span[1]:
                continue
            ok: bool | None = False
        else:
            ok = memo.get((e, b))
        if ok is None:
            fits = era_fits(e, b)
            ok = memo[(e, b)] = fits is not False
            if len(memo) > 100_000:
                memo.clear()
        if not ok:
            days = _possible_span(b)
            expected = "・".join(
                x.name for x in ERAS if days and x.start <= days[1] and (x.end is None or days[0] <= x.end)
            )
            f = view.finding("JUM004", i, item="生年月日_元号", value=e, birth=b, expected=expected or "-")
            yield _with_household(view, f, i)


# -- JUM005 宛名番号・世帯番号の検査数字 (1.1.13) --------------------------------------------------


def _check_digit_problem(value: str, remainder_one: int) -> str | None:
    """Why ``value`` fails the M11 W2–7 check digit, or None if it passes."""
    if len(value) < 2 or not (value.isascii() and value.isdigit()):
        return "shape"
    cd = modulus11_w2_7_check_digit(value[:-1], remainder_one=remainder_one)
    if cd is None:
        return "remainder_one"
    return None if int(value[-1]) == cd else str(cd)


def _check_atena_digits(view: ChunkView) -> Iterator[Finding]:
    if view.options.get("atena_check_digit", "warning") == "off":
        return
    r1 = -1 if view.options.get("atena_check_digit_r1", "0") == "reject" else 0
    found: list[tuple[int, Finding]] = []
    for item in ("宛名番号", "世帯番号"):
        col = view.col(item)
        if col is None:
            continue  # both are 必須: a missing column is CSV004
        bad = {}
        distinct = set(col)
        distinct.discard("")
        # One batch proves the well-formed valid numbers; only the rest are looked at one by one.
        for v in m11_w2_7_suspects(distinct, r1):
            why = _check_digit_problem(v, r1)
            if why is not None:
                bad[v] = why
        if not bad:
            continue
        for i, v in enumerate(col):
            why = bad.get(v)
            if why is not None:
                expected = why if why.isdigit() else "-"
                reason = "check_digit" if why.isdigit() else why
                f = view.finding("JUM005", i, item=item, value=v, reason=reason, expected=expected)
                found.append((i, _with_household(view, f, i)))
    found.sort(key=lambda t: t[0])
    yield from (f for _, f in found)


# -- JUM006 / JUM007 続柄 (1.1.11) --------------------------------------------------------------

_STANDALONE = frozenset({"世帯主", "縁故者", "同居人"})
# ② of 1.1.11, longest first so that 夫（未届） wins over 夫.
_ELEMENTS = ("子（子の夫）", "子（子の妻）", "夫（未届）", "妻（未届）", "夫", "妻", "子", "父", "母", "兄", "姉", "弟", "妹")
_FORBIDDEN = {
    "祖父": "父の父 / 母の父",
    "祖母": "父の母 / 母の母",
    "孫": "子の子",
    "おじ": "父の兄 / 父の弟 / 母の兄 / 母の弟",
    "おば": "父の姉 / 父の妹 / 母の姉 / 母の妹",
    "伯父": "父の兄 / 母の兄",
    "叔父": "父の弟 / 母の弟",
    "伯母": "父の姉 / 母の姉",
    "叔母": "父の妹 / 母の妹",
    "甥": "兄の子 / 弟の子 / 姉の子 / 妹の子",
    "姪": "兄の子 / 弟の子 / 姉の子 / 妹の子",
    "家事使用人": "同居人",
    "準世帯主": "続柄（例: 妻、子）",
}
MAX_GENERATIONS = 4


def parse_zokugara(text: str) -> list[str] | None:
    """The elements of a 続柄 chain (``子の妻`` → ``["子", "妻"]``), or None if it is not one."""
    if text in _STANDALONE:
        return [text]
    out: list[str] = []
    pos = 0
    while True:
        for e in _ELEMENTS:
            if text.startswith(e, pos):
                out.append(e)
                pos += len(e)
                break
        else:
            return None
        if pos == len(text):
            return out
        if text[pos] != "の":
            return None
        pos += 1


def zokugara_problem(text: str) -> tuple[str, str] | None:
    """(reason, suggestion) if ``text`` is not an allowed 続柄 (1.1.11), else None."""
    for word, fix in _FORBIDDEN.items():
        if word in text:
            return f"「{word}」は使用できない続柄", fix
    chain = parse_zokugara(text)
    if chain is None:
        return "1.1.11 の続柄（世帯主、夫、妻、子、父、母、兄、姉、弟、妹等を「の」でつないだもの、縁故者、同居人）でない", "-"
    if len(chain) > 1 and any(e in _STANDALONE for e in chain):
        return "世帯主・縁故者・同居人は「の」でつなげない", "-"
    if len(chain) > MAX_GENERATIONS:
        return f"{len(chain)}世代（「の」でつなげるのは4世代まで）", "縁故者"
    return None


def _check_zokugara(view: ChunkView) -> Iterator[Finding]:
    col = view.col("続柄表記")
    if col is None:
        return  # vacuous: no 続柄表記 (CSV005)
    problems = {}
    for v in set(col):
        if v:
            p = zokugara_problem(v)
            if p is not None:
                problems[v] = p
    if not problems:
        return
    for i, v in enumerate(col):
        p = problems.get(v)
        if p is not None:
            f = view.finding("JUM006", i, item="続柄表記", value=v, reason=p[0], suggestion=p[1])
            yield _with_household(view, f, i)


_ZOKUGARA_CODES = {
    "02": "世帯主", "11": "夫", "12": "妻", "13": "夫（未届）", "14": "妻（未届）", "20": "子", "51": "父", "52": "母",
    "71": "兄", "74": "弟", "81": "姉", "84": "妹", "96": "縁故者", "99": "同居人",
}


def _code_agrees(code: str, text: str) -> bool | None:
    meaning = _ZOKUGARA_CODES.get(code)
    chain = parse_zokugara(text)
    if meaning is None or chain is None:
        return None  # an unknown code (FLD015) or a bad 表記 (JUM006) is reported elsewhere
    first = chain[0]
    return first == meaning or (first.startswith("子（") and meaning == "子")


def _check_zokugara_code(view: ChunkView) -> Iterator[Finding]:
    codes, texts = view.col("続柄コード1"), view.col("続柄表記")
    if codes is None or texts is None:
        return  # vacuous: nothing to compare
    memo: dict[tuple[str, str], bool] = {}
    for i, (c, t) in enumerate(zip(codes, texts, strict=True)):
        if not c or not t:
            continue
        ok = memo.get((c, t))
        if ok is None:
            ok = memo[(c, t)] = _code_agrees(c, t) is not False
        if not ok:
            f = view.finding("JUM007", i, item="続柄コード1", value=c, text=t, meaning=_ZOKUGARA_CODES.get(c, "-"))
            yield _with_household(view, f, i)


# -- JUM013 出来事の順序 / JUM014 消除項目 -------------------------------------------------------


def _check_event_order(view: ChunkView) -> Iterator[Finding]:
    blank = _blank(view)
    birth = view.col("生年月日") or blank
    became = view.col("住民となった年月日") or blank
    processed = view.col("処理年月日") or blank
    pairs = (("生年月日", birth, "住民となった年月日", became), ("住民となった年月日", became, "処理年月日", processed))
    found: list[tuple[int, Finding]] = []
    for a_name, a, b_name, b in pairs:
        if a is blank or b is blank:
            continue  # vacuous without one of the columns
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            # ISO dates compare as strings; only pairs of real calendar dates are judged.
            if x and y and x > y and is_calendar_date(x) and is_calendar_date(y):
                f = view.finding("JUM013", i, item=b_name, value=y, earlier_item=a_name, earlier=x)
                found.append((i, _with_household(view, f, i)))
    found.sort(key=lambda t: t[0])
    yield from (f for _, f in found)


_REMOVAL_ITEMS = ("消除の事由", "消除の異動年月日", "消除の届出年月日")
_REMOVAL_REQUIRED = ("消除の事由", "消除の異動年月日")  # 職権消除 has no 届出: its date may be blank


def _check_removal_items(view: ChunkView) -> Iterator[Finding]:
    (state,) = view.need("住民状態")
    blank = _blank(view)
    cols = {n: view.col(n) or blank for n in _REMOVAL_ITEMS}
    for i, s in enumerate(state):
        if s == "1":
            present = [n for n in _REMOVAL_ITEMS if cols[n][i]]
            if present:
                f = view.finding("JUM014", i, item=present[0], state=s, present="、".join(present), missing="-")
                yield _with_household(view, f, i)
        elif s in _REMOVED_STATES:
            missing = [n for n in _REMOVAL_REQUIRED if not cols[n][i]]
            if missing:
                f = view.finding("JUM014", i, item=missing[0], state=s, present="-", missing="、".join(missing))
                yield _with_household(view, f, i)


# -- JUM015 全国地方公共団体コードの一覧にあるか --------------------------------------------------


def _check_lg_membership(view: ChunkView) -> Iterator[Finding]:
    from kikan_std.jp.checkdigits import local_government_code_valid

    codes = local_government_codes()
    found: list[tuple[int, Finding]] = []
    for it in view.group.items:
        if it.format is not Format.LOCAL_GOVERNMENT_CODE:
            continue
        col = view.col(it.name)
        if col is None:
            continue  # vacuous: no codes
        # Codes with a wrong check digit are FLD018; only well-formed codes are looked up.
        unknown = {v for v in set(col) if v and v not in codes and local_government_code_valid(v)}
        if not unknown:
            continue
        for i, v in enumerate(col):
            if v in unknown:
                f = view.finding("JUM015", i, item=it.name, value=v, snapshot=codes.snapshot, note=codes.note)
                found.append((i, _with_household(view, f, i)))
    found.sort(key=lambda t: t[0])
    yield from (f for _, f in found)


# -- JUM010 / JUM011 / JUM012 履歴 (1.2.1) ------------------------------------------------------


class _HistoryState:
    """Per 宛名番号: 履歴番号 1..n without gaps, exactly one 最新フラグ row, on the highest number."""

    def __init__(self, group: Group) -> None:
        self.file = ""
        self.store = SpillTable(
            "CREATE TABLE h (atena TEXT, no INTEGER, latest INTEGER, rec INTEGER, line INTEGER, setai TEXT);"
        )

    def feed(self, view: ChunkView) -> Iterable[Finding]:
        self.file = view.file
        atena, no, latest = view.need("宛名番号", "個人履歴番号", "最新フラグ")
        setai = view.col("世帯番号") or _blank(view)
        rows = [
            (a, int(n) if n.isascii() and n.isdigit() else None, 1 if lf == "1" else 0, r, ln, s)
            for a, n, lf, r, ln, s in zip(atena, no, latest, view.records, view.lines, setai, strict=True)
            if a  # a blank 宛名番号 is FLD001; it cannot be grouped
        ]
        self.store.insert("INSERT INTO h VALUES (?, ?, ?, ?, ?, ?)", rows)
        return ()

    def finish(self) -> Iterator[Finding]:
        db = self.store.db
        try:
            db.execute("CREATE INDEX h_atena ON h (atena, no, rec)")
            bad = db.execute(
                "SELECT atena, count(*), count(DISTINCT no), min(no), max(no), sum(latest), count(no) "
                "FROM h GROUP BY atena HAVING sum(latest) != 1 OR count(no) != count(*) OR min(no) != 1 "
                "OR max(no) != count(DISTINCT no) OR max(no) != max(CASE WHEN latest = 1 THEN no END)"
            ).fetchall()
            for atena, _n, _distinct, lo, hi, flagged, numeric in bad:
                rows = db.execute(
                    "SELECT no, latest, rec, line, setai FROM h WHERE atena = ? ORDER BY no, rec", (atena,)
                ).fetchall()
                yield from self._findings(atena, rows, lo, hi, flagged, numeric == len(rows))
        finally:
            self.store.close()

    def _finding(self, code: str, row: tuple[Any, ...], atena: str, related: list[tuple[Any, ...]],
                 **params: Any) -> Finding:
        return Finding(
            code,
            file=self.file,
            record=row[2],
            line=row[3],
            item="個人履歴番号" if code == "JUM010" else "最新フラグ",
            value=None if row[0] is None else str(row[0]),
            params=params,
            keys={"宛名番号": atena, "個人履歴番号": "" if row[0] is None else str(row[0]), "世帯番号": row[4]},
            related=[(r[2], r[3]) for r in related if r is not row],
        )

    def _findings(self, atena: str, rows: list[tuple[Any, ...]], lo: int | None, hi: int | None,
                  flagged: int, all_numeric: bool) -> Iterator[Finding]:
        numbers = [r[0] for r in rows]
        distinct = sorted({n for n in numbers if n is not None})
        if all_numeric and distinct != list(range(1, len(distinct) + 1)):
            missing = sorted(set(range(1, max(distinct) + 1)) - set(distinct))
            yield self._finding(
                "JUM010", rows[0], atena, rows,
                numbers=", ".join(str(n) for n in distinct),
                missing=", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "") or "-",
                first=distinct[0],
            )
        latest = [r for r in rows if r[1] == 1]
        if len(latest) != 1:
            involved = latest or rows
            yield self._finding("JUM011", involved[0], atena, involved, count=len(latest))
        elif all_numeric and latest[0][0] != hi:
            top = [r for r in rows if r[0] == hi]
            yield self._finding("JUM012", latest[0], atena, top, flagged_no=latest[0][0], highest=hi)


# -- JUM008 / JUM009 世帯 ----------------------------------------------------------------------


def _is_head(code: str, text: str) -> bool:
    return code == "02" or text == "世帯主"


class _HouseholdState:
    """Among current residents (最新フラグ 1, 住民状態 1): one 世帯主 per 世帯番号, names agree."""

    def __init__(self, group: Group) -> None:
        self.file = ""
        self.store = SpillTable(
            "CREATE TABLE m (setai TEXT, atena TEXT, rec INTEGER, line INTEGER, head INTEGER, "
            "name TEXT, alt_name TEXT, head_name TEXT);"
        )

    def feed(self, view: ChunkView) -> Iterable[Finding]:
        self.file = view.file
        setai, atena, state, latest = view.need("世帯番号", "宛名番号", "住民状態", "最新フラグ")
        name, head_name = view.need("氏名", "世帯主氏名")
        code, text = view.col("続柄コード1"), view.col("続柄表記")
        if code is None and text is None:
            raise RuleNotRun("missing columns: 続柄コード1 and 続柄表記 (one is needed to find the 世帯主)")
        blank = _blank(view)
        code = code or blank
        text = text or blank
        alt = view.col("氏名_外国人ローマ字") or blank
        rows = [
            (setai[i], atena[i], view.records[i], view.lines[i], int(_is_head(code[i], text[i])), name[i], alt[i],
             head_name[i])
            for i in range(len(view))
            if latest[i] == "1" and state[i] == "1" and setai[i]
        ]
        self.store.insert("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return ()

    def finish(self) -> Iterator[Finding]:
        db = self.store.db
        try:
            db.execute("CREATE INDEX m_setai ON m (setai, head)")
            for (setai,) in db.execute(
                # Distinct people: one person's two latest rows are JUM011, not two heads.
                "SELECT setai FROM m WHERE head = 1 GROUP BY setai HAVING count(DISTINCT atena) > 1"
            ).fetchall():
                heads = db.execute(
                    "SELECT atena, min(rec), min(line) FROM m WHERE setai = ? AND head = 1 GROUP BY atena "
                    "ORDER BY min(rec)", (setai,)
                ).fetchall()
                yield Finding(
                    "JUM008", file=self.file, record=heads[1][1], line=heads[1][2], item="続柄コード1",
                    params={"count": len(heads), "heads": ", ".join(h[0] for h in heads), "setai": setai},
                    keys={"宛名番号": heads[1][0], "世帯番号": setai},
                    related=[(h[1], h[2]) for h in heads if h is not heads[1]],
                )
            for setai, rec, line, atena, n in db.execute(
                # JUM017 (municipal): a household of current residents without a head.
                "SELECT setai, min(rec), min(line), min(atena), count(DISTINCT atena) FROM m GROUP BY setai "
                "HAVING sum(head) = 0 ORDER BY min(rec)"
            ).fetchall():
                yield Finding(
                    "JUM017", file=self.file, record=rec, line=line, item="続柄コード1",
                    params={"setai": setai, "members": n}, keys={"宛名番号": atena, "世帯番号": setai},
                )
            mismatches = db.execute(
                "SELECT m.atena, m.rec, m.line, m.setai, m.head_name, h.atena, h.rec, h.line, h.name "
                "FROM m JOIN (SELECT setai, atena, rec, line, name, alt_name FROM m WHERE head = 1 "
                "             GROUP BY setai HAVING count(DISTINCT atena) = 1) h ON m.setai = h.setai "
                "WHERE m.head_name != h.name AND (h.alt_name = '' OR m.head_name != h.alt_name) "
                "AND NOT (m.rec = h.rec AND m.head_name = '') ORDER BY m.rec"
            )
            for atena, rec, line, setai, head_name, h_atena, h_rec, h_line, h_name in mismatches:
                yield Finding(
                    "JUM009", file=self.file, record=rec, line=line, item="世帯主氏名", value=head_name,
                    params={"head_atena": h_atena, "head_record": h_rec, "head_name": h_name},
                    keys={"宛名番号": atena, "世帯番号": setai},
                    related=[(h_rec, h_line)],
                    personal=True,
                )
        finally:
            self.store.close()


class _OrderState:
    """JUM016 (municipal): among current residents, 記載順位 of a household is 1..n without gaps or repeats."""

    def __init__(self, group: Group) -> None:
        self.file = ""
        self.store = SpillTable("CREATE TABLE o (setai TEXT, atena TEXT, pos TEXT, rec INTEGER, line INTEGER);")

    def feed(self, view: ChunkView) -> Iterable[Finding]:
        self.file = view.file
        pos = view.col("記載順位")
        if pos is None:
            return ()  # vacuous: the file does not export 記載順位 (任意; CSV005)
        setai, atena, state, latest = view.need("世帯番号", "宛名番号", "住民状態", "最新フラグ")
        rows = [
            (setai[i], atena[i], pos[i], view.records[i], view.lines[i])
            for i in range(len(view))
            if latest[i] == "1" and state[i] == "1" and setai[i]
        ]
        self.store.insert("INSERT INTO o VALUES (?, ?, ?, ?, ?)", rows)
        return ()

    def finish(self) -> Iterator[Finding]:
        db = self.store.db
        try:
            db.execute("CREATE INDEX o_setai ON o (setai, rec)")
            # Households where some member has a 記載順位 (a household exported without any is not judged).
            for (setai,) in db.execute(
                "SELECT setai FROM o GROUP BY setai HAVING max(pos != '') = 1 ORDER BY min(rec)"
            ).fetchall():
                rows = db.execute("SELECT atena, pos, rec, line FROM o WHERE setai = ? ORDER BY rec",
                                  (setai,)).fetchall()
                n = len(rows)
                numbers = [int(p) if p.isascii() and p.isdigit() else None for _, p, _, _ in rows]
                if sorted(x for x in numbers if x is not None) == list(range(1, n + 1)):
                    continue
                seen: set[int] = set()
                bad = rows[0]
                for row, x in zip(rows, numbers, strict=True):
                    if x is None or x < 1 or x > n or x in seen:
                        bad = row
                        break
                    seen.add(x)
                given = ", ".join(p or "（空）" for _, p, _, _ in rows)
                yield Finding(
                    "JUM016", file=self.file, record=bad[2], line=bad[3], item="記載順位", value=bad[1],
                    params={"setai": setai, "members": n, "given": given},
                    keys={"宛名番号": bad[0], "世帯番号": setai},
                    related=[(r[2], r[3]) for r in rows if r is not bad],
                )
        finally:
            self.store.close()


def _order(group: Group) -> DatasetState:
    return _OrderState(group)


def _history(group: Group) -> DatasetState:
    return _HistoryState(group)


def _household(group: Group) -> DatasetState:
    return _HouseholdState(group)


RECORD_RULES: tuple[RecordRule, ...] = (
    RecordRule("blank_not_allowed", ("JUM001",), f"{_STD} 1.1.6 空欄を許容しない項目", _check_blank),
    RecordRule("juminhyo_code_11_digits", ("JUM002",), "住民基本台帳法施行規則第1条（住民票コード 11桁）",
               _check_juminhyo_code),
    RecordRule("unknown_date_needs_flag", ("JUM003",), f"{_STD} 1.1.8, 1.1.9 不詳日", _check_unknown_date_flag),
    RecordRule("birth_era_matches_date", ("JUM004",), f"{_STD} 1.1.1 生年月日（和暦で管理）", _check_era),
    RecordRule("atena_check_digit", ("JUM005",), f"{_STD} 1.1.13 宛名番号・世帯番号（M11W2〜7）", _check_atena_digits),
    RecordRule("zokugara_grammar", ("JUM006",), f"{_STD} 1.1.11 続柄", _check_zokugara),
    RecordRule("zokugara_code_matches_text", ("JUM007",), f"{_STD} 1.1.11 続柄 / 芽室町 続柄コード",
               _check_zokugara_code),
    RecordRule("event_order", ("JUM013",), f"{_STD} 1.1.1 / 1.2.1（生年月日・住民となった年月日・処理日）",
               _check_event_order),
    RecordRule("removal_items_iff_removed", ("JUM014",), f"{_STD} 1.1.1 除票固有（消除事由・事由の生じた年月日）",
               _check_removal_items),
    RecordRule("local_government_code_listed", ("JUM015",), "総務省 全国地方公共団体コード（同梱一覧 2026-07-09 時点）",
               _check_lg_membership),
)

DATASET_RULES: tuple[DatasetRule, ...] = (
    DatasetRule("history_numbers_and_latest", ("JUM010", "JUM011", "JUM012"), f"{_STD} 1.2.1 異動履歴", _history),
    DatasetRule("household_head", ("JUM008", "JUM009", "JUM017"),
                f"{_STD} 1.1.1 世帯主の氏名及び世帯主との続柄 / 1.1.11 / [municipal] 世帯主は世帯に1人", _household),
    DatasetRule("household_order", ("JUM016",), "[municipal] 記載順位は世帯ごとに 1 から連続", _order),
)

EDITION = Edition(
    "jumin_kiroku",
    record_rules=RECORD_RULES,
    dataset_rules=DATASET_RULES,
    rule_options=RULE_OPTIONS,
    generator="kikan_std.testing.generators.jumin_kiroku:iter_jumin_kiroku",
)
