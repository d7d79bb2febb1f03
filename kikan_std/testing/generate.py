"""Synthetic, valid data for demos, tests and benchmarks. Never real personal data.

Names, addresses and numbers are drawn from small invented lists with a seeded RNG, so the same
seed always gives the same file. Individual numbers get a correct check digit but are random.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kikan_std.errors import OutputError, OutputExistsError, UnknownGeneratorError, UsageError
from kikan_std.jp.checkdigits import my_number_check_digit
from kikan_std.readers.csv_reader import normalise_encoding
from kikan_std.specs import load_spec
from kikan_std.testing.generators.jumin_kiroku import iter_jumin_kiroku
from kikan_std.testing.mutate import TRIGGERS, with_defects

_SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田")
_SURNAME_KANA = ("サトウ", "スズキ", "タカハシ", "タナカ", "イトウ", "ワタナベ", "ヤマモト", "ナカムラ", "コバヤシ",
                 "カトウ", "ヨシダ", "ヤマダ")
_GIVEN = ("一郎", "花子", "太郎", "美咲", "健太", "陽菜", "翔", "結衣", "大輔", "さくら")
_GIVEN_KANA = ("イチロウ", "ハナコ", "タロウ", "ミサキ", "ケンタ", "ヒナ", "ショウ", "ユイ", "ダイスケ", "サクラ")
_FOREIGN = (("ＺＨＡＮＧ　ＹＵＬＩ", "張　玉蓮"), ("ＫＩＭ　ＭＩＮＪＵ", "金　敏珠"), ("ＳＭＩＴＨ　ＪＯＨＮ", ""))
_PLACES = (
    ("131016", "東京都", "千代田区", "霞が関二丁目", "0011002", "1000013"),
    ("011002", "北海道", "札幌市", "北一条西二丁目", "0000000", "0600001"),
    ("271004", "大阪府", "大阪市", "中之島一丁目", "0001001", "5300005"),
    ("401005", "福岡県", "北九州市", "小倉北区城内", "0000000", "8038501"),
)
_KANJI_DIGITS = "０１２３４５６７８９"


def _fw(n: int) -> str:
    return "".join(_KANJI_DIGITS[int(c)] for c in str(n))


def _my_number(rng: random.Random) -> str:
    base = f"{rng.randrange(10**11):011d}"
    return base + str(my_number_check_digit(base))


def iter_jutogai_atena(rows: int, seed: int = 0) -> Iterator[list[str]]:
    """Valid 住登外者宛名基本情報 records in item order (first the header)."""
    spec = load_spec("jutogai_atena")
    yield [it.name for it in spec.groups[0].items]
    rng = random.Random(seed)
    for n in range(1, rows + 1):
        foreign = rng.random() < 0.05
        code, pref, city, town, town_code, postal = _PLACES[rng.randrange(len(_PLACES))]
        si = rng.randrange(len(_SURNAMES))
        gi = rng.randrange(len(_GIVEN))
        if foreign:
            alpha, kanji = _FOREIGN[rng.randrange(len(_FOREIGN))]
            name, uji, na = (kanji or alpha), "", ""
            yomi, uji_yomi, na_yomi = "", "", ""
        else:
            alpha = kanji = ""
            uji, na = _SURNAMES[si], _GIVEN[gi]
            name = f"{uji}\u3000{na}"
            uji_yomi, na_yomi = _SURNAME_KANA[si], _GIVEN_KANA[gi]
            yomi = f"{uji_yomi}\u3000{na_yomi}"
        unknown_birth = rng.random() < 0.01
        if unknown_birth:
            birth, birth_note = f"{rng.randrange(1930, 1960)}-00-00", "昭和○年頃"
        else:
            birth, birth_note = f"{rng.randrange(1930, 2020)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}", ""
        katagaki = f"ハイツ{_fw(rng.randrange(1, 30))}０{_fw(rng.randrange(1, 10))}号" if rng.random() < 0.4 else ""
        merged = rng.random() < 0.02
        yield [
            f"{n:015d}",
            _my_number(rng) if rng.random() < 0.9 else "",
            name,
            uji,
            na,
            alpha,
            kanji,
            yomi,
            uji_yomi,
            na_yomi,
            str(rng.randrange(0, 3)),
            birth,
            birth_note,
            code,
            town_code,
            pref,
            city,
            town if town_code != "0000000" or rng.random() < 0.5 else "",
            f"{_fw(rng.randrange(1, 30))}番{_fw(rng.randrange(1, 20))}号",
            katagaki,
            "ハイツ" if katagaki else "",
            postal,
            "001",
            "000",
            "1" if merged else "0",
            f"{rng.randrange(1, n + 1):015d}" if merged else "",
            f"OP{rng.randrange(1000):04d}",
            f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            f"{rng.randrange(8, 19):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
        ]


GENERATORS: dict[str, Callable[[int, int], Iterator[list[str]]]] = {
    "jutogai_atena": iter_jutogai_atena,
    "jumin_kiroku": iter_jumin_kiroku,
}
"""Synthetic data generators by spec id: (rows, seed) → header, then records."""


def write_csv(
    path: str | Path, rows: Iterator[list[str]], *, encoding: str = "utf-8", newline: str = "\r\n"
) -> Path:
    """Write rows as CSV (RFC 4180, CRLF by default) in ``encoding``; return the path."""
    p = Path(path)
    with p.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator=newline)
        buf: list[list[str]] = []
        for r in rows:
            buf.append(r)
            if len(buf) >= 10_000:
                w.writerows(buf)
                buf.clear()
        w.writerows(buf)
    return p


def csv_text(rows: Iterator[list[str]], newline: str = "\r\n") -> str:
    """Rows as CSV text (for tests)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(rows)
    return buf.getvalue()


@dataclass(frozen=True, slots=True)
class Sample:
    """What :func:`write_sample` wrote."""

    path: Path
    spec_id: str
    rows: int
    encoding: str
    expected_path: Path | None = None
    """``<path>.expected.json`` listing the planted defects (only with a defect rate)."""
    planted: int = 0
    """Number of defects planted (each one finding in :attr:`expected_path`)."""


def write_sample(
    path: str | Path,
    spec_id: str,
    rows: int = 100,
    seed: int = 0,
    *,
    encoding: str = "utf-8",
    defect_rate: float = 0.0,
) -> Sample:
    """Write a synthetic CSV of ``spec_id`` and, with ``defect_rate``, plant defects and list them.

    Each record gets, with probability ``defect_rate``, one defect
    (:func:`kikan_std.testing.mutate.with_defects`); the expected findings ``[code, record, item]`` go to
    ``<path>.expected.json`` with ``"match": "exact"`` when the spec declares which items trigger its
    cross-field rules (those are left alone), else ``"includes"`` (a defect may also fire such a rule).
    This is ``kikan-std generate --spec ID`` in one call.

    Raises:
        UnknownGeneratorError: no generator for ``spec_id`` (see :data:`GENERATORS`).
        UsageError: ``rows`` below 0 or ``defect_rate`` outside 0–1.
        UnknownEncodingError: ``encoding`` is not a codec.
        OutputExistsError: ``path`` exists (nothing is overwritten).
        OutputError: the file cannot be written.
    """
    gen = GENERATORS.get(spec_id)
    if gen is None:
        raise UnknownGeneratorError(spec_id=spec_id, choices=tuple(GENERATORS))
    if rows < 0:
        raise UsageError(ja=f"行数は 0 以上で指定してください: {rows}", en=f"rows must be >= 0: {rows}")
    if not 0.0 <= defect_rate <= 1.0:
        raise UsageError(ja=f"不備の割合は 0〜1 で指定してください: {defect_rate}",
                         en=f"the defect rate must be between 0 and 1: {defect_rate}")
    enc = normalise_encoding(encoding)
    out = Path(path)
    if out.exists():
        raise OutputExistsError(path=out)
    data = gen(rows, seed)
    try:
        if defect_rate <= 0:
            write_csv(out, data, encoding=enc)
            return Sample(out, spec_id, rows, enc)
        data, expected = with_defects(data, load_spec(spec_id), defect_rate, seed)
        write_csv(out, data, encoding=enc)
        exp_path = Path(f"{out}.expected.json")
        match = "exact" if spec_id in TRIGGERS else "includes"
        doc = {"spec": spec_id, "file": out.name, "match": match, "expected": [list(e) for e in expected]}
        exp_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    except OSError as e:
        raise OutputError(path=out, reason=e.strerror or type(e).__name__) from None
    return Sample(out, spec_id, rows, enc, exp_path, len(expected))
