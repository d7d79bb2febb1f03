"""Blocking and scoring: which beneficiary household an application belongs to, and why.

Blocking: every beneficiary household is indexed under three keys built from normalised values,

* K1 = birth date + address block (the last two characters of the address before its first digit,
  i.e. the end of the town name, so an omitted 都道府県/市区町村 prefix still blocks together);
* K2 = birth date + head's name;
* K3 = head's name + address block.

An application is scored only against the households sharing at least one key, so any single field
may be wrong (a typo, a move, a wrong date) and the pair is still found, while the work per
application stays constant. Blocks larger than :data:`MAX_BLOCK` (e.g. a placeholder birth date) are
not used for scoring, to keep the cost bounded.

Safety: a score alone never pays. :func:`verdict` decides whether a pair is *safe to pay*: the
normalised birth dates are equal, the names are equal (or differ by one character in a name of at
least three characters, when the 世帯員 given on both sides mostly agree) and the addresses agree
up to notation — the same 丁目・番・号 number sequence, with only a 都道府県・市区町村 prefix or a
方書 (building name) omitted. A different number is
evidence of a different household (a namesake down the street), never explained away as a typo.
An application is matched automatically only when exactly one candidate is safe at the best name
level (an exact name beats a one-character typo); everything else goes to the review queue with
the reasons.

Scoring: a weighted sum of field similarities (name 0.40, birth date 0.30, address 0.25, members
0.05), each 1.0 when the normalised values are equal. When the addresses are unrelated (similarity
below 0.75) and no member is shared, the score is multiplied by 0.85: a person with the same name and
birth date elsewhere in the municipality is more likely someone else than a typo. An explainable
address difference (:func:`address_relation`) scores 0.95 (0.9 for prefix and 方書 both omitted).
The score ranks candidates and is shown as the confidence; a safe candidate must also reach the
threshold (default 0.75) to be matched, and review candidates are those reaching it (or differing
only in the address). :data:`AMBIGUITY_MARGIN` is kept for compatibility and no longer used.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from kikan_std.reconcile.normalize import (
    ADDRESS_STEPS,
    NAME_STEPS,
    STEP_LABELS,
    normalize_address,
    normalize_date,
    normalize_name,
    run_steps,
)
from kikan_std.reconcile.variants import variant_pairs

__all__ = [
    "AMBIGUITY_MARGIN",
    "DEFAULT_THRESHOLD",
    "MAX_BLOCK",
    "REVIEW_LABELS",
    "BlockIndex",
    "Household",
    "Reason",
    "Verdict",
    "address_relation",
    "compare_members",
    "explain",
    "make_household",
    "score",
    "similarity",
    "verdict",
]

MAX_BLOCK = 200
DEFAULT_THRESHOLD = 0.75
AMBIGUITY_MARGIN = 0.05

W_NAME, W_DOB, W_ADDR, W_MEMBERS = 0.40, 0.30, 0.25, 0.05
ADDRESS_AGREES = 0.75
UNRELATED_ADDRESS_FACTOR = 0.85


@dataclass(slots=True)
class Household:
    """One household as read from either file, raw and normalised.

    Attributes:
        record: 1-based data record number in its file.
        head_raw / address_raw / dob_raw / members_raw: The values as written.
        head / address / dob / members: Normalised values (dob ``YYYY-MM-DD`` or "" if unparseable;
            members without the head).
        block: Address block (see the module docstring).
    """

    record: int
    head_raw: str
    address_raw: str
    dob_raw: str
    members_raw: tuple[str, ...]
    head: str
    address: str
    dob: str
    members: tuple[str, ...]
    block: str


_BLOCK_RE = re.compile(r"^[^0-9]*")


def address_block(address: str) -> str:
    """The last two characters of the normalised address before its first digit."""
    m = _BLOCK_RE.match(address)
    return m.group()[-2:] if m else ""


def make_household(record: int, head: str, address: str, dob: str, members: list[str]) -> Household:
    """Normalise one household's values.

    Equal values share one string object (a normalised value equal to the raw one, interned birth
    dates and address blocks): a million listed households are held in memory at once.
    """
    h = normalize_name(head).text
    if h == head:
        h = head
    a = normalize_address(address).text
    if a == address:
        a = address
    mem: list[str] = []
    raw_members: list[str] = []
    for m in members:
        n = normalize_name(m).text
        if n != h:
            raw_members.append(m)
            if n and n not in mem:
                mem.append(n)
    return Household(
        record=record,
        head_raw=head,
        address_raw=address,
        dob_raw=sys.intern(dob),
        members_raw=tuple(raw_members),
        head=h,
        address=a,
        dob=sys.intern(normalize_date(dob).text),
        members=tuple(mem),
        block=sys.intern(address_block(a)),
    )


class BlockIndex:
    """The three blocking indexes over beneficiary households (see the module docstring).

    A block of one household (most name keys) is stored as its position, not a one-element list,
    which keeps a city's list of a million households noticeably smaller.
    """

    __slots__ = ("_index", "households")

    def __init__(self) -> None:
        self._index: dict[str, int | list[int]] = {}
        self.households: list[Household] = []

    @staticmethod
    def keys(h: Household) -> list[str]:
        """The blocking keys of ``h``."""
        out: list[str] = []
        if h.dob and h.block:
            out.append(f"1\x1f{h.dob}\x1f{h.block}")
        if h.dob and h.head:
            out.append(f"2\x1f{h.dob}\x1f{h.head}")
        if h.head and h.block:
            out.append(f"3\x1f{h.head}\x1f{h.block}")
        return out

    def add(self, h: Household) -> None:
        """Index ``h``."""
        pos = len(self.households)
        self.households.append(h)
        index = self._index
        for k in self.keys(h):
            lst = index.get(k)
            if lst is None:
                index[k] = pos
            elif isinstance(lst, int):
                index[k] = [lst, pos]
            elif len(lst) <= MAX_BLOCK:
                lst.append(pos)

    def candidates(self, h: Household) -> list[Household]:
        """Beneficiary households sharing a usable block with ``h``."""
        seen: set[int] = set()
        out: list[Household] = []
        for k in self.keys(h):
            lst = self._index.get(k)
            if lst is None:
                continue
            if isinstance(lst, int):
                lst = [lst]
            elif len(lst) > MAX_BLOCK:
                continue
            for pos in lst:
                if pos not in seen:
                    seen.add(pos)
                    out.append(self.households[pos])
        return out


def similarity(a: str, b: str) -> float:
    """1 − Levenshtein distance / longer length (1.0 for equal strings, 0.0 if one is empty)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1.0 - prev[-1] / len(a)


def _address_similarity(a: str, b: str) -> tuple[float, str | None]:
    if a == b:
        return 1.0, None
    if not a or not b:
        return 0.0, None
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 4 and long_.endswith(short):
        return 0.95, "address_prefix"
    if (
        len(short) >= 4
        and long_.startswith(short)
        and short[-1].isdigit()
        and not long_[len(short)].isdigit()
    ):
        return 0.95, "address_building"
    # Both differences at once: a prefix omitted and a building name added.
    i = long_.find(short[: max(4, len(short) // 2)]) if len(short) >= 4 else -1
    if i > 0 and long_[i:].startswith(short) and short[-1].isdigit():
        return 0.9, "address_prefix"
    return similarity(a, b), None


def _dob_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0 if a else 0.3
    if not a or not b:
        return 0.3
    same = sum(x == y for x, y in zip(a.split("-"), b.split("-"), strict=False))
    if same == 2:
        return 0.5
    if sorted(a) == sorted(b):
        return 0.5  # transposed digits
    return 0.0


def _members_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    if not a and not b:
        return 1.0
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb)


REVIEW_LABELS: dict[str, str] = {
    "ambiguous": "支払可能な候補が複数",
    "number_differs": "丁目・番・号が異なる（別世帯の可能性）",
    "number_missing": "丁目・番・号の一部がない",
    "place_differs": "町名等が異なる",
    "building_differs": "方書（建物名・部屋番号）が異なる",
    "address_missing": "住所がない",
    "dob_differs": "生年月日が異なる",
    "dob_missing": "生年月日を読めない",
    "name_differs": "氏名が異なる",
    "low_confidence": "信頼度が閾値未満",
}
"""Japanese label of every review reason (why an application was not matched automatically)."""

_DIGITS_RE = re.compile(r"\d+")
_SEGMENT_NOISE_RE = re.compile(r"[-室号]")


def _address_tokens(a: str) -> tuple[str, list[int], list[str]]:
    """(text before the first number, the numbers, the text after each number without separators)."""
    ms = list(_DIGITS_RE.finditer(a))
    if not ms:
        return a, [], []
    nums = [int(m.group()) for m in ms]
    texts = [_SEGMENT_NOISE_RE.sub("", a[m.end() : (ms[i + 1].start() if i + 1 < len(ms) else len(a))])
             for i, m in enumerate(ms)]
    return a[: ms[0].start()], nums, texts


def address_relation(a: str, b: str) -> str:
    """How two normalised addresses relate, for the safety decision.

    Returns one of ``same``, ``address_prefix`` (a 都道府県・市区町村 prefix omitted),
    ``address_building`` (a 方書 omitted), ``address_prefix_building`` (both) — the explainable
    ones — or ``number_differs``, ``number_missing``, ``place_differs``, ``building_differs``,
    ``address_missing``, which make the pair unsafe to pay.
    """
    if a == b:
        return "same"
    if not a or not b:
        return "address_missing"
    pa, na, ta = _address_tokens(a)
    pb, nb, tb = _address_tokens(b)
    if not na or not nb:
        return "number_missing" if na or nb else "place_differs"
    building = False
    if na != nb:
        if len(na) > len(nb):
            na, nb, ta, tb = nb, na, tb, ta
        if nb[: len(na)] != na:
            return "number_differs"
        # 方書 omitted: the short address ends with its last number, and in the long one a building
        # name follows the shared numbers (not another 号 after a hyphen: that is a missing number).
        if ta[-1] or not tb[len(na) - 1]:
            return "number_missing"
        ta, tb, building = ta[:-1], tb[: len(na) - 1], True
    for x, y in zip(ta, tb, strict=True):
        if x != y:
            if x and y:
                return "building_differs"
            building = True
    if pa != pb:
        short_p, long_p = sorted((pa, pb), key=len)
        if len(short_p) < 2 or not long_p.endswith(short_p):
            return "place_differs"
        return "address_prefix_building" if building else "address_prefix"
    return "address_building" if building else "same"


_EXPLAINED_ADDRESS = {"same": 1.0, "address_prefix": 0.95, "address_building": 0.95, "address_prefix_building": 0.9}
_SAFE_ADDRESS = frozenset({"same", "address_prefix", "address_building", "address_prefix_building"})


def _one_substitution(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` have the same length (≥ 3) and differ in exactly one character."""
    return len(a) == len(b) >= 3 and sum(x != y for x, y in zip(a, b, strict=True)) == 1


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a pair is safe to pay, and why not.

    Attributes:
        level: 2 names equal, 1 a one-character typo in the name, 0 unsafe.
        reasons: Review reason ids (:data:`REVIEW_LABELS`); empty when safe.
        address: The :func:`address_relation` of the pair.
    """

    level: int
    reasons: tuple[str, ...]
    address: str


def verdict(app: Household, ben: Household) -> Verdict:
    """Decide whether ``app`` may be paid to ``ben`` without a person looking (see the module docstring)."""
    reasons: list[str] = []
    addr = address_relation(app.address, ben.address)
    if addr not in _SAFE_ADDRESS:
        reasons.append(addr)
    if not app.dob or not ben.dob:
        reasons.append("dob_missing")
    elif app.dob != ben.dob:
        reasons.append("dob_differs")
    level = 2 if app.head == ben.head and app.head else 1 if _one_substitution(app.head, ben.head) else 0
    if level == 1 and app.members and ben.members and _members_similarity(app.members, ben.members) < 0.5:
        level = 0  # a one-character difference and other members: maybe another person (a twin)
    if level == 0:
        reasons.append("name_differs")
    return Verdict(0 if reasons else level, tuple(reasons), addr)


def score(app: Household, ben: Household) -> float:
    """Confidence in [0, 1] that ``app`` and ``ben`` are the same household."""
    rel = address_relation(app.address, ben.address)
    addr = _EXPLAINED_ADDRESS.get(rel)
    if addr is None:
        addr = _address_similarity(app.address, ben.address)[0]
    members = _members_similarity(app.members, ben.members)
    s = W_NAME * similarity(app.head, ben.head)
    s += W_DOB * _dob_similarity(app.dob, ben.dob)
    s += W_ADDR * addr + W_MEMBERS * members
    if addr < ADDRESS_AGREES and members < 0.5:
        # Same name and birth date at an unrelated address, with no member in common: most likely a
        # different person (同姓同名同生年月日), so keep it below the threshold.
        s *= UNRELATED_ADDRESS_FACTOR
    return round(s, 3)


@dataclass(frozen=True, slots=True)
class Reason:
    """One difference between matched values, explained.

    Attributes:
        field: Column name (世帯主氏名, 住所, 生年月日, 世帯員).
        step: Stable step/reason id (see :data:`~kikan_std.reconcile.normalize.STEP_LABELS`).
        detail: Specifics, e.g. ``"邊→辺"``.
    """

    field: str
    step: str
    detail: str = ""

    def text(self) -> str:
        """Human-readable form: ``世帯主氏名: 異体字 邊→辺``."""
        label = STEP_LABELS.get(self.step, self.step)
        return f"{self.field}: {label}" + (f" {self.detail}" if self.detail else "")


def _explain_text(
    field_name: str, a: str, b: str, steps: tuple[tuple[str, object], ...], a_norm: str, b_norm: str
) -> list[Reason]:
    """Reasons why raw ``a`` and ``b`` differ, following the pipeline step by step."""
    if a == b:
        return []
    out: list[Reason] = []
    x, y = a, b
    for name, fn in steps:
        if x == y:
            break
        nx, ny = fn(x), fn(y)  # type: ignore[operator]
        if (nx != x or ny != y) and _diff_core(nx, ny) != _diff_core(x, y):
            detail = ""
            if name == "kanji_variant":
                pairs = variant_pairs(x, y)
                detail = " ".join(f"{p}→{q}" for p, q in pairs)
            elif name in ("address_notation", "address_numerals", "wareki", "date_format"):
                detail = f"{a} / {b}"
            out.append(Reason(field_name, name, detail))
        x, y = nx, ny
    if a_norm != b_norm:
        if field_name == "住所":
            rel = address_relation(a_norm, b_norm)
            if rel in _SAFE_ADDRESS:
                for why in ("address_prefix", "address_building"):
                    if why in rel or rel == "address_prefix_building":
                        out.append(Reason(field_name, why, f"{a} / {b}"))
                return out
        out.append(Reason(field_name, "typo", f"{a} / {b}"))
    return out


def _diff_core(a: str, b: str) -> tuple[str, str]:
    """The differing middle parts of ``a`` and ``b`` (common prefix and suffix removed).

    A step that changes both sides but leaves this unchanged only touched text common to both (大字
    in both addresses), so it is not a reason for the difference.
    """
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
        s += 1
    return a[p : len(a) - s], b[p : len(b) - s]


@dataclass(slots=True)
class MemberDiff:
    """世帯員 comparison of a matched pair."""

    found: int = 0
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)


def compare_members(app: Household, ben: Household) -> MemberDiff:
    """Pair 世帯員 by normalised name, then by similarity ≥ 0.75 (typos); report the rest."""
    out = MemberDiff()
    ben_left = {n: raw for n, raw in zip(ben.members, _raw_members(ben), strict=False)}
    app_left: dict[str, str] = dict(zip(app.members, _raw_members(app), strict=False))
    for n in list(app_left):
        if n in ben_left:
            raw_a, raw_b = app_left.pop(n), ben_left.pop(n)
            out.found += 1
            out.reasons += _explain_text("世帯員", raw_a, raw_b, NAME_STEPS, n, n)
    for n in list(app_left):
        best = max(ben_left, key=lambda m: similarity(n, m), default=None)
        if best is not None and similarity(n, best) >= 0.75:
            out.found += 1
            out.reasons.append(Reason("世帯員", "typo", f"{app_left.pop(n)} / {ben_left.pop(best)}"))
    out.missing = list(ben_left.values())
    out.added = list(app_left.values())
    out.reasons += [Reason("世帯員", "member_missing", m) for m in out.missing]
    out.reasons += [Reason("世帯員", "member_added", m) for m in out.added]
    return out


def _raw_members(h: Household) -> list[str]:
    """Raw member names aligned with ``h.members`` (first raw spelling of each normalised name)."""
    by_norm: dict[str, str] = {}
    for raw in h.members_raw:
        by_norm.setdefault(normalize_name(raw).text, raw)
    return [by_norm.get(n, n) for n in h.members]


def explain(app: Household, ben: Household) -> tuple[list[Reason], MemberDiff]:
    """All reasons why ``app`` and ``ben`` differ, field by field, and the member comparison."""
    reasons = _explain_text("世帯主氏名", app.head_raw, ben.head_raw, NAME_STEPS, app.head, ben.head)
    reasons += _explain_text(
        "住所", app.address_raw, ben.address_raw, ADDRESS_STEPS, app.address, ben.address
    )
    if app.dob_raw != ben.dob_raw:
        na, nb = normalize_date(app.dob_raw), normalize_date(ben.dob_raw)
        for step in dict.fromkeys(na.steps + nb.steps):
            reasons.append(Reason("生年月日", step, f"{app.dob_raw} / {ben.dob_raw}"))
        if na.text != nb.text:
            reasons.append(Reason("生年月日", "typo", f"{app.dob_raw} / {ben.dob_raw}"))
    members = compare_members(app, ben)
    return list(dict.fromkeys(reasons + members.reasons)), members


def normalized_steps(text: str) -> tuple[str, ...]:
    """Address steps that change ``text`` (for diagnostics)."""
    return run_steps(text, ADDRESS_STEPS).steps
