"""Canary test: no personal value leaves the tool without ``--show-values``, in any output.

Known values (canaries) are planted in every personal item of every built-in spec that has a data
generator (住民記録 and the tax/welfare businesses through a whole deliverable, 住登外者宛名 as a
file), each one breaking a rule so findings quote it: a character the type forbids, a control
character, a zero-width character, a value too long, an invalid or era-mismatched date, a CP932 name
in a UTF-8 file (CSV001). The cross-file and household rules then compare the changed values (DLV002,
JUM004, JUM009, JUM013). Every output format is rendered through the CLI; stdout, stderr and every
file written are searched for each canary, its distinctive core, and the hex of its UTF-8 and CP932
bytes (spaced or not, either case). With ``--show-values`` the same search must find them: the test
can see a leak.

The 全銀 spec (fixed width, no generator) is not covered here. A longer run of the same test (more
records, more seeds) is ``KIKAN_CANARY_ROWS=2000 KIKAN_CANARY_SEEDS=5 pytest tests/test_canary.py``.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from kikan_std.cli import main
from kikan_std.specs import load_spec
from kikan_std.testing.generate import GENERATORS, csv_text
from kikan_std.testing.generators.deliverable import write_deliverable

FORMATS = "text,json,html,csv,junit,sarif"
ROWS = int(os.environ.get("KIKAN_CANARY_ROWS", "150"))
SEEDS = range(int(os.environ.get("KIKAN_CANARY_SEEDS", "1")))
PLANTED_PER_FILE = 12  # records of each file that get canaries (all their personal items)

N_CORE = "鳴禽亜"  # full-width core of every canary in a Ｎ item
X_CORE = "QZXJVKW"  # half-width core of every canary in other items
DATE_CANARY = "1899-02-30"  # not a calendar date; a 不詳日 where allowed (then JUM004/JUM013 quote it)
NUM_CANARY = "864209753186420"  # 15 digits: longer than any amount item
# Written as CP932 bytes into a UTF-8 file: CSV001. Every byte of it is undecodable as UTF-8 (leads
# 0x82, trails 0xA9–0xB1), so a finding that printed them all would spell the name in hex.
CP932_NAME = "かきくけこ"


def _canary(item_type: str, variant: int) -> str:
    """A canary for one cell; four variants, each breaking a different rule."""
    if item_type == "DATE":
        return DATE_CANARY
    if item_type in ("9", "S9", "9V"):
        return NUM_CANARY
    if item_type == "Ｎ":
        return [N_CORE + "A", N_CORE + "\x01", N_CORE * 40, N_CORE + "\u200b"][variant % 4]
    return [X_CORE + "ｶﾅﾘｱ", X_CORE + "\x01", X_CORE * 40, "ＱＺＸＪＶＫＷ"][variant % 4]


def _forms(text: str) -> set[str]:
    """``text`` and the hex of its UTF-8 and CP932 bytes, spaced or not, upper and lower case."""
    out = {text}
    for enc in ("utf-8", "cp932"):
        try:
            raw = text.encode(enc)
        except UnicodeEncodeError:
            continue
        for sep in ("", " ", ":", "\\x"):
            h = "".join(f"\\x{b:02X}" for b in raw) if sep == "\\x" else raw.hex(sep) if sep else raw.hex()
            out |= {h.upper(), h.lower()}
    return out


def _char_bytes(text: str) -> set[str]:
    """Each character's CP932 bytes as the findings would print them (``82 A9``, ``\\x82\\xA9``)."""
    out = set()
    for ch in text:
        raw = ch.encode("cp932")
        out |= {raw.hex(" ").upper(), "".join(f"\\x{b:02X}" for b in raw)}
    return out


NEEDLES = sorted(
    set().union(*(_forms(t) for t in (N_CORE, X_CORE, "ＱＺＸＪＶＫＷ", DATE_CANARY, NUM_CANARY, CP932_NAME)))
    | _char_bytes(CP932_NAME),
    key=len,
)


def _plant(path: Path, spec_id: str) -> int:
    """Overwrite the personal items of the first records of a CSV with canaries; return cells planted."""
    spec = load_spec(spec_id)
    types = {it.name: it.type.value for g in spec.groups for it in g.items if it.personal}
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    planted = 0
    cp932_cell: tuple[int, int] | None = None
    for r, row in enumerate(body[:PLANTED_PER_FILE]):
        for c, name in enumerate(header):
            if name in types:
                row[c] = _canary(types[name], r + c)
                planted += 1
                if cp932_cell is None and types[name] == "Ｎ" and r == PLANTED_PER_FILE // 2:
                    cp932_cell = (r, c)
    text = csv_text(iter([header, *body]))
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    if cp932_cell is not None:  # one name in CP932 inside the UTF-8 file (undecodable: CSV001)
        r, c = cp932_cell
        marker = f"\x00CP932-{r}-{c}\x00"
        body[r][c] = marker
        data = (b"\xef\xbb\xbf" if bom else b"") + csv_text(iter([header, *body])).encode("utf-8")
        data = data.replace(marker.encode(), CP932_NAME.encode("cp932"))
    path.write_bytes(data)
    return planted


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def _outputs(target: Path, spec: list[str], tmp: Path, show: bool) -> dict[str, str]:
    """Every text the tool produced for ``target``: stdout and stderr of two runs, and each report file."""
    extra = ["--show-values"] if show else []
    prefix = tmp / ("shown" if show else "masked") / "report"
    code, out, err = _run("check", str(target), *spec, "--output-format", FORMATS, "-o", str(prefix),
                          "--no-progress", *extra)
    assert code == 1, err  # the canaries break rules: not conformant
    texts = {"stdout": out, "stderr": err}
    code, out2, err2 = _run("check", str(target), *spec, "--lang", "en", "--no-progress", *extra)
    assert code == 1, err2
    texts |= {"stdout (text, en)": out2, "stderr (en)": err2}
    for p in prefix.parent.iterdir():
        texts[p.name] = p.read_text(encoding="utf-8")
    assert len(texts) == 4 + len(FORMATS.split(",")), sorted(texts)
    return texts


def _leaks(texts: dict[str, str]) -> list[tuple[str, str]]:
    return [(name, n) for name, t in texts.items() for n in NEEDLES if n in t]


@pytest.fixture(params=list(SEEDS))
def planted(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path, int]:
    seed = request.param
    folder = tmp_path / "deliverable"
    write_deliverable(folder, ROWS, seed)
    cells = 0
    for p in sorted(folder.glob("*.csv")):
        cells += _plant(p, p.name.split("__")[0])
    single = tmp_path / "jutogai.csv"
    single.write_text(csv_text(GENERATORS["jutogai_atena"](ROWS, seed)), encoding="utf-8")
    cells += _plant(single, "jutogai_atena")
    return folder, single, cells


def test_no_canary_leaks_without_show_values(planted: tuple[Path, Path, int], tmp_path: Path) -> None:
    folder, single, cells = planted
    assert cells > 500  # every personal item of every file, on PLANTED_PER_FILE records
    for target, spec, name in ((folder, [], "deliverable"), (single, ["--spec", "jutogai_atena"], "jutogai")):
        masked = _outputs(target, spec, tmp_path / name, show=False)
        assert _leaks(masked) == []
        # The same search finds the canaries when values are shown: the test can see a leak.
        shown = _outputs(target, spec, tmp_path / name, show=True)
        found = {n for _, n in _leaks(shown)}
        assert {N_CORE, X_CORE, DATE_CANARY, NUM_CANARY} <= found if name == "deliverable" else {N_CORE} <= found


def test_canaries_reach_many_finding_codes(planted: tuple[Path, Path, int], tmp_path: Path) -> None:
    """The planted values are quoted by field, character, decoding, household and cross-file findings."""
    import json

    folder, _single, _cells = planted
    out = tmp_path / "r.json"
    code, _, err = _run("check", str(folder), "--output-format", "json", "-o", str(out), "--no-progress")
    assert code == 1, err
    codes = {f["code"] for f in json.loads(out.read_text(encoding="utf-8"))["findings"]}
    for expected in ("CHR001", "CHR002", "FLD002", "CSV001", "DLV002", "JUM004", "JUM009"):
        assert expected in codes, (expected, sorted(codes))
