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
from dataclasses import dataclass, field
from functools import lru_cache

from kikan_std.reconcile.normalize import (
    ADDRESS_STEPS,
    NAME_STEPS,
    STEP_LABELS,
    name_stages,
    normalize_date,
    normalize_name,
    run_steps,
    stages,
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
    "address_tokens",
    "assess",
    "compare_members",
    "explain",
    "levenshtein",
    "make_household",
    "make_household_staged",
    "score",
    "score_of",
    "similarity",
    "verdict",
    "verdict_of",
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
    """Normalise one household's values (a normalised value equal to the raw one is the same string)."""
    return make_household_staged(record, head, address, dob, members)[0]


def make_household_staged(
    record: int, head: str, address: str, dob: str, members: list[str]
) -> tuple[Household, tuple[str, ...]]:
    """:func:`make_household`, and the :func:`~kikan_std.reconcile.normalize.stages` of the address
    (kept by the caller so that explaining a match does not normalise the address again)."""
    h = normalize_name(head).text
    if h == head:
        h = head
    address_stages = stages(address, ADDRESS_STEPS)
    a = address_stages[-1]
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
        dob_raw=dob,
        members_raw=tuple(raw_members),
        head=h,
        address=a,
        dob=normalize_date(dob).text,
        members=tuple(mem),
        block=address_block(a),
    ), address_stages


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
    longer = len(a)
    # A common prefix and suffix do not change the distance; addresses of one town share most of
    # their text, so only the differing middle parts are compared.
    p = 0
    n = len(b)
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[-1 - s] == b[-1 - s]:
        s += 1
    return 1.0 - levenshtein(a[p : len(a) - s], b[p : len(b) - s]) / longer


def levenshtein(a: str, b: str) -> int:
    """The Levenshtein distance of ``a`` and ``b`` (insertions, deletions, substitutions; cost 1).

    Bit-parallel (Myers 1999, Hyyrö 2001): one column of the dynamic-programming table is a pair of
    bit vectors over ``b``, updated by a few integer operations per character of ``a``, so the
    cost is linear rather than quadratic in pure Python. Same value as the table.
    """
    if not b:
        return len(a)
    if not a:
        return len(b)
    peq: dict[str, int] = {}
    bit = 1
    for ch in b:
        peq[ch] = peq.get(ch, 0) | bit
        bit <<= 1
    last = 1 << (len(b) - 1)
    vp = (1 << len(b)) - 1
    vn = 0
    dist = len(b)
    for ch in a:
        x = peq.get(ch, 0)
        d0 = (((x & vp) + vp) ^ vp) | x | vn
        hp = vn | ~(d0 | vp)
        hn = d0 & vp
        if hp & last:
            dist += 1
        elif hn & last:
            dist -= 1
        hp = (hp << 1) | 1
        hn <<= 1
        vp = hn | ~(d0 | hp)
        vn = hp & d0
    return dist


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


AddressTokens = tuple[str, tuple[int, ...], tuple[str, ...]]


def address_tokens(a: str) -> AddressTokens:
    """(text before the first number, the numbers, the text after each number without separators)."""
    ms = list(_DIGITS_RE.finditer(a))
    if not ms:
        return a, (), ()
    nums = tuple(int(m.group()) for m in ms)
    texts = tuple(_SEGMENT_NOISE_RE.sub("", a[m.end() : (ms[i + 1].start() if i + 1 < len(ms) else len(a))])
                  for i, m in enumerate(ms))
    return a[: ms[0].start()], nums, texts


_address_tokens = lru_cache(maxsize=1 << 10)(address_tokens)


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
    return _relation(_address_tokens(a), _address_tokens(b))


def _relation(tokens_a: AddressTokens, tokens_b: AddressTokens) -> str:
    """:func:`address_relation` of two different, non-empty addresses, from their :func:`address_tokens`."""
    pa, na, ta = tokens_a
    pb, nb, tb = tokens_b
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
    return assess(app, ben)[1]


def score(app: Household, ben: Household) -> float:
    """Confidence in [0, 1] that ``app`` and ``ben`` are the same household."""
    return assess(app, ben)[0]


def assess(app: Household, ben: Household) -> tuple[float, Verdict]:
    """:func:`score` and :func:`verdict` of a pair at once (the address relation is worked out once)."""
    v = verdict_of(app, ben)
    return score_of(app, ben, v.address), v


def verdict_of(
    app: Household, ben: Household, tokens: tuple[AddressTokens, AddressTokens] | None = None
) -> Verdict:
    """:func:`verdict`; the :func:`address_relation` it works out is kept in ``Verdict.address``.

    ``tokens``: the :func:`address_tokens` of the two addresses, when already known.
    """
    if tokens is None or app.address == ben.address or not app.address or not ben.address:
        rel = address_relation(app.address, ben.address)
    else:
        rel = _relation(*tokens)
    reasons: list[str] = []
    if rel not in _SAFE_ADDRESS:
        reasons.append(rel)
    if not app.dob or not ben.dob:
        reasons.append("dob_missing")
    elif app.dob != ben.dob:
        reasons.append("dob_differs")
    level = 2 if app.head == ben.head and app.head else 1 if _one_substitution(app.head, ben.head) else 0
    if level == 1 and app.members and ben.members and _members_similarity(app.members, ben.members) < 0.5:
        level = 0  # a one-character difference and other members: maybe another person (a twin)
    if level == 0:
        reasons.append("name_differs")
    return Verdict(0 if reasons else level, tuple(reasons), rel)


def score_of(app: Household, ben: Household, rel: str) -> float:
    """:func:`score`, given the :func:`address_relation` ``rel`` of the pair."""
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
    field_name: str,
    a: str,
    b: str,
    steps: tuple[tuple[str, object], ...],
    a_norm: str,
    b_norm: str,
    a_stages: tuple[str, ...] | None = None,
    b_stages: tuple[str, ...] | None = None,
    relation: str | None = None,
) -> list[Reason]:
    """Reasons why raw ``a`` and ``b`` differ, following the pipeline step by step.

    ``a_stages`` / ``b_stages`` are the values after each step (:func:`~kikan_std.reconcile.normalize.stages`),
    ``relation`` the :func:`address_relation` of the normalised addresses; worked out here when not given.
    """
    if a == b:
        return []
    if a_stages is None:
        a_stages = name_stages(a) if steps is NAME_STEPS else stages(a, steps)  # type: ignore[arg-type]
    if b_stages is None:
        b_stages = name_stages(b) if steps is NAME_STEPS else stages(b, steps)  # type: ignore[arg-type]
    out: list[Reason] = []
    x, y = a, b
    core: tuple[str, str] | None = None  # _diff_core(x, y), carried from step to step
    for i, (name, _fn) in enumerate(steps):
        if x == y:
            break
        nx, ny = a_stages[i], b_stages[i]
        if nx == x and ny == y:
            continue
        if core is None:
            core = _diff_core(x, y)
        new_core = _diff_core(nx, ny)
        if new_core != core:
            detail = ""
            if name == "kanji_variant":
                pairs = variant_pairs(x, y)
                detail = " ".join(f"{p}→{q}" for p, q in pairs)
            elif name in ("address_notation", "address_numerals", "wareki", "date_format"):
                detail = f"{a} / {b}"
            out.append(Reason(field_name, name, detail))
        core = new_core
        x, y = nx, ny
    if a_norm != b_norm:
        if field_name == "住所":
            rel = relation if relation is not None else address_relation(a_norm, b_norm)
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
    # Eight characters at a time first: values compared here share long prefixes (the town name).
    while p + 8 <= n and a[p : p + 8] == b[p : p + 8]:
        p += 8
    while p < n and a[p] == b[p]:
        p += 1
    la, lb = len(a), len(b)
    s = 0
    m = n - p
    while s + 8 <= m and a[la - s - 8 : la - s] == b[lb - s - 8 : lb - s]:
        s += 8
    while s < m and a[la - 1 - s] == b[lb - 1 - s]:
        s += 1
    return a[p : la - s], b[p : lb - s]


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


def explain(
    app: Household,
    ben: Household,
    app_address_stages: tuple[str, ...] | None = None,
    ben_address_stages: tuple[str, ...] | None = None,
    address: str | None = None,
) -> tuple[list[Reason], MemberDiff]:
    """All reasons why ``app`` and ``ben`` differ, field by field, and the member comparison.

    The address :func:`~kikan_std.reconcile.normalize.stages` and the :func:`address_relation`
    (``address``) may be given when already known.
    """
    reasons = _explain_text("世帯主氏名", app.head_raw, ben.head_raw, NAME_STEPS, app.head, ben.head)
    reasons += _explain_text(
        "住所", app.address_raw, ben.address_raw, ADDRESS_STEPS, app.address, ben.address,
        app_address_stages, ben_address_stages, address,
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
