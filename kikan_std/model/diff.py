"""What changed between two editions of a spec (``kikan-std spec diff OLD NEW``).

The standard specifications are revised every year; a vendor has to know what changed between the
edition it built for and the next one. :func:`diff_specs` compares two :class:`Spec` objects (built-in,
spec JSON or an official workbook, in any mix) and lists every change as a :class:`Change`:

* groups matched by name (then romaji): added / removed, primary key and foreign keys changed;
* items matched by データ項目ID, then (items without an ID, or whose ID is new) by name: added, removed,
  renamed (same ID, other name), and the type, 桁数, code list, 繰り返し, データ出力条件, ※※ condition
  text, ローマ字, primary / foreign key flags changed;
* code lists matched by コードID: added / removed, and values added / removed / renamed (コード値の内容).

The header (edition, publication and application dates) is shown but is not a change: a spec compared
with itself, or with the same edition read from another source, has no changes. Descriptions, samples and
provenance labels are not compared (they are prose, rewritten every year).

The writers (:func:`render_diff`) give text, Markdown (for a vendor's change log), JSON and HTML.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from typing import Literal

from kikan_std.model.spec import CodeList, Group, Item, Spec

ChangeKind = Literal[
    "group_added",
    "group_removed",
    "group_key_changed",
    "item_added",
    "item_removed",
    "item_renamed",
    "item_changed",
    "code_list_added",
    "code_list_removed",
    "code_value_added",
    "code_value_removed",
    "code_value_renamed",
]

DiffFormat = Literal["text", "markdown", "json", "html"]
DIFF_FORMATS: tuple[str, ...] = ("text", "markdown", "json", "html")

# Item attributes compared, with their Japanese column names (基本データリスト 凡例).
_ITEM_FIELDS: tuple[tuple[str, str], ...] = (
    ("romaji", "データ項目（ローマ字）"),
    ("type", "データ型"),
    ("length", "桁数"),
    ("code_list", "コード"),
    ("repetition", "繰り返し"),
    ("obligation", "データ出力条件"),
    ("condition", "条件（※※）"),
    ("primary_key", "グループ_主キー"),
    ("foreign_key", "グループ_外部キー"),
)
_FIELD_LABELS = dict(_ITEM_FIELDS) | {"primary_key_items": "主キー", "foreign_keys": "外部キー"}

_KIND_LABELS: dict[str, tuple[str, str]] = {
    "group_added": ("グループ追加", "group added"),
    "group_removed": ("グループ削除", "group removed"),
    "group_key_changed": ("グループのキー変更", "group key changed"),
    "item_added": ("項目追加", "item added"),
    "item_removed": ("項目削除", "item removed"),
    "item_renamed": ("項目名変更", "item renamed"),
    "item_changed": ("項目定義変更", "item changed"),
    "code_list_added": ("コード一覧追加", "code list added"),
    "code_list_removed": ("コード一覧削除", "code list removed"),
    "code_value_added": ("コード値追加", "code value added"),
    "code_value_removed": ("コード値削除", "code value removed"),
    "code_value_renamed": ("コード値の内容変更", "code value renamed"),
}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two editions.

    Attributes:
        kind: what kind of change (see :data:`ChangeKind`).
        group: the group (グループ_名称) it is in, or "" for code lists.
        item: the item's name in the new edition (the old name for a removed item), or "".
        item_id: the item's データ項目ID where it has one.
        code_list: the code list's コードID for code-list changes, else "".
        field: for ``item_changed`` / ``group_key_changed``: which attribute (``length``, ``obligation`` …);
            for code values: the コード値.
        old: the old value as text ("" when added).
        new: the new value as text ("" when removed).
    """

    kind: ChangeKind
    group: str = ""
    item: str = ""
    item_id: str = ""
    code_list: str = ""
    field: str = ""
    old: str = ""
    new: str = ""


@dataclass(frozen=True, slots=True)
class SpecHeader:
    """The identifying data of one side of a diff (not compared)."""

    id: str
    title: str
    business_code: str
    edition: str
    published: str
    applies_from: str | None
    source: str

    @classmethod
    def of(cls, spec: Spec) -> SpecHeader:
        return cls(spec.id, spec.title, spec.business_code, spec.edition, spec.published, spec.applies_from,
                   spec.source)


@dataclass(frozen=True, slots=True)
class SpecDiff:
    """The changes from ``old`` to ``new``; empty ``changes`` means the two define the same data."""

    old: SpecHeader
    new: SpecHeader
    changes: tuple[Change, ...] = field(default=())

    @property
    def identical(self) -> bool:
        """True when nothing compared differs."""
        return not self.changes

    def counts(self) -> dict[str, int]:
        """Number of changes per kind (kinds without changes left out)."""
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.kind] = out.get(c.kind, 0) + 1
        return out


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "○" if v else ""
    return str(getattr(v, "value", v))


def _match_groups(old: Spec, new: Spec) -> list[tuple[Group | None, Group | None]]:
    pairs: list[tuple[Group | None, Group | None]] = []
    unmatched = list(new.groups)
    for g in old.groups:
        hit = next((n for n in unmatched if n.name == g.name), None)
        if hit is None and g.romaji:
            hit = next((n for n in unmatched if n.romaji == g.romaji), None)
        if hit is not None:
            unmatched.remove(hit)
        pairs.append((g, hit))
    pairs += [(None, n) for n in unmatched]
    return pairs


def _match_items(old: Group, new: Group) -> list[tuple[Item | None, Item | None]]:
    """Pairs of (old, new) items: by データ項目ID first, then by name among the rest."""
    by_id = {i.id: i for i in new.items if i.id is not None}
    taken: set[int] = set()
    pairs: list[tuple[Item | None, Item | None]] = []
    pending: list[Item] = []
    for it in old.items:
        hit = by_id.get(it.id) if it.id is not None else None
        if hit is not None and id(hit) not in taken:
            taken.add(id(hit))
            pairs.append((it, hit))
        else:
            pending.append(it)
    rest = {i.name: i for i in new.items if id(i) not in taken}
    for it in pending:
        hit = rest.pop(it.name, None)
        if hit is not None:
            taken.add(id(hit))
        pairs.append((it, hit))
    pairs += [(None, i) for i in new.items if id(i) not in taken]
    # Keep the new edition's order, removed items where they were.
    order = {id(i): n for n, i in enumerate(new.items)}
    old_order = {id(i): n for n, i in enumerate(old.items)}
    return sorted(pairs, key=lambda p: (order.get(id(p[1]), -1) if p[1] is not None else old_order[id(p[0])] - 0.5))


def _diff_items(group: str, a: Item, b: Item) -> list[Change]:
    out: list[Change] = []
    iid = b.id or a.id or ""
    if a.name != b.name:
        out.append(Change("item_renamed", group, b.name, iid, field="name", old=a.name, new=b.name))
    for attr, _label in _ITEM_FIELDS:
        x, y = _text(getattr(a, attr)), _text(getattr(b, attr))
        if x != y:
            out.append(Change("item_changed", group, b.name, iid, field=attr, old=x, new=y))
    return out


def _diff_group(a: Group, b: Group) -> list[Change]:
    out: list[Change] = []
    for x, y in _match_items(a, b):
        if x is None and y is not None:
            out.append(Change("item_added", b.name, y.name, y.id or "", new=f"{_text(y.type)}({y.length}) "
                              f"{_text(y.obligation)}"))
        elif y is None and x is not None:
            out.append(Change("item_removed", b.name, x.name, x.id or "", old=f"{_text(x.type)}({x.length}) "
                              f"{_text(x.obligation)}"))
        elif x is not None and y is not None:
            out += _diff_items(b.name, x, y)
    if a.primary_key != b.primary_key:
        out.append(Change("group_key_changed", b.name, field="primary_key_items", old=", ".join(a.primary_key),
                          new=", ".join(b.primary_key)))
    fk = sorted(f"{','.join(k.items)}→{k.group}({','.join(k.target_items)})" for k in a.foreign_keys)
    fk2 = sorted(f"{','.join(k.items)}→{k.group}({','.join(k.target_items)})" for k in b.foreign_keys)
    if fk != fk2:
        out.append(Change("group_key_changed", b.name, field="foreign_keys", old="; ".join(fk), new="; ".join(fk2)))
    return out


def _diff_code_list(a: CodeList, b: CodeList) -> list[Change]:
    out: list[Change] = []
    old = {v.value: v.meaning for v in a.values}
    new = {v.value: v.meaning for v in b.values}
    for value, meaning in new.items():
        if value not in old:
            out.append(Change("code_value_added", code_list=b.id, field=value, new=meaning))
        elif old[value] != meaning:
            out.append(Change("code_value_renamed", code_list=b.id, field=value, old=old[value], new=meaning))
    for value, meaning in old.items():
        if value not in new:
            out.append(Change("code_value_removed", code_list=b.id, field=value, old=meaning))
    if a.open != b.open:
        out.append(Change("code_value_added" if b.open else "code_value_removed", code_list=b.id, field="（任意）",
                          old="任意" if a.open else "", new="任意" if b.open else ""))
    return out


def _code_list_key(list_id: str) -> str:
    # "2" and "002" name the same list (the official sheet writes both, see the spec's notes).
    return list_id.lstrip("0") or "0"


def diff_specs(old: Spec, new: Spec) -> SpecDiff:
    """The changes from edition ``old`` to edition ``new`` (see the module docstring for what is compared)."""
    changes: list[Change] = []
    for a, b in _match_groups(old, new):
        if a is None and b is not None:
            changes.append(Change("group_added", b.name, new=f"{len(b.items)} 項目"))
        elif b is None and a is not None:
            changes.append(Change("group_removed", a.name, old=f"{len(a.items)} 項目"))
        elif a is not None and b is not None:
            changes += _diff_group(a, b)
    old_lists = {_code_list_key(c.id): c for c in old.code_lists}
    new_lists = {_code_list_key(c.id): c for c in new.code_lists}
    for key, cl in new_lists.items():
        if key not in old_lists:
            changes.append(Change("code_list_added", code_list=cl.id, new=cl.name))
        else:
            changes += _diff_code_list(old_lists[key], cl)
    for key, cl in old_lists.items():
        if key not in new_lists:
            changes.append(Change("code_list_removed", code_list=cl.id, old=cl.name))
    return SpecDiff(SpecHeader.of(old), SpecHeader.of(new), tuple(changes))


# -- writers ------------------------------------------------------------------------------------


def _where(c: Change) -> str:
    if c.code_list:
        return f"コード {c.code_list}" + (f" 値 {c.field}" if c.kind.startswith("code_value") else "")
    if c.item:
        return f"{c.group} / {c.item}" + (f" [{c.item_id}]" if c.item_id else "")
    return c.group


def _what(c: Change) -> str:
    label = _FIELD_LABELS.get(c.field, c.field)
    if c.kind == "item_changed" or c.kind == "group_key_changed":
        return f"{label}: {c.old or '（なし）'} → {c.new or '（なし）'}"
    if c.kind in ("item_renamed", "code_value_renamed"):
        return f"{c.old} → {c.new}"
    return c.new or c.old


def _header_lines(d: SpecDiff) -> list[tuple[str, str, str]]:
    rows = [("仕様 / spec", d.old.id, d.new.id), ("版 / edition", d.old.edition, d.new.edition),
            ("公表日 / published", d.old.published, d.new.published),
            ("施行日 / applies from", d.old.applies_from or "（不明）", d.new.applies_from or "（不明）")]
    return rows


def _summary(d: SpecDiff) -> str:
    if d.identical:
        return "差分なし / no differences"
    parts = ", ".join(f"{_KIND_LABELS[k][0]} {n}" for k, n in d.counts().items())
    return f"{len(d.changes)} 件の差分 / {len(d.changes)} changes: {parts}"


def diff_to_text(d: SpecDiff) -> str:
    """Plain text, one change per line."""
    lines = [f"{k}: {a} → {b}" for k, a, b in _header_lines(d)]
    lines.append(_summary(d))
    for c in d.changes:
        lines.append(f"  {_KIND_LABELS[c.kind][0]}\t{_where(c)}\t{_what(c)}")
    return "\n".join(lines) + "\n"


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def diff_to_markdown(d: SpecDiff) -> str:
    """Markdown for a change log: a header table, then one table row per change."""
    out = [f"# 仕様の差分 / Spec diff: {d.old.title}", "", "| | 旧 / old | 新 / new |", "|---|---|---|"]
    out += [f"| {k} | {_md_cell(a)} | {_md_cell(b)} |" for k, a, b in _header_lines(d)]
    out += ["", _summary(d), ""]
    if d.changes:
        out += ["| 種類 / kind | 対象 / where | 内容 / what |", "|---|---|---|"]
        out += [f"| {_KIND_LABELS[c.kind][0]} | {_md_cell(_where(c))} | {_md_cell(_what(c))} |" for c in d.changes]
    return "\n".join(out) + "\n"


def diff_to_json(d: SpecDiff) -> str:
    """JSON: ``{"old": header, "new": header, "identical": bool, "counts": {...}, "changes": [...]}``."""
    doc = {"old": asdict(d.old), "new": asdict(d.new), "identical": d.identical, "counts": d.counts(),
           "changes": [asdict(c) for c in d.changes]}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def diff_to_html(d: SpecDiff) -> str:
    """A self-contained HTML page (no scripts, no external resources)."""
    e = html.escape
    head = "".join(f"<tr><th>{e(k)}</th><td>{e(a)}</td><td>{e(b)}</td></tr>" for k, a, b in _header_lines(d))
    rows = "".join(
        f'<tr class="{e(c.kind)}"><td>{e(_KIND_LABELS[c.kind][0])}</td><td>{e(_where(c))}</td><td>{e(_what(c))}</td></tr>'
        for c in d.changes
    )
    body = f"<table><thead><tr><th>種類</th><th>対象</th><th>内容</th></tr></thead><tbody>{rows}</tbody></table>" if rows else ""
    return (
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>仕様の差分 / Spec diff</title>'
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;"
        "padding:2px 6px;text-align:left}</style></head><body>"
        f"<h1>仕様の差分 / Spec diff: {e(d.old.title)}</h1><table>{head}</table><p>{e(_summary(d))}</p>{body}"
        "</body></html>\n"
    )


def render_diff(d: SpecDiff, fmt: DiffFormat = "text") -> str:
    """The diff in ``fmt`` (``text``, ``markdown``, ``json`` or ``html``)."""
    writers = {"text": diff_to_text, "markdown": diff_to_markdown, "json": diff_to_json, "html": diff_to_html}
    return writers[fmt](d)


__all__ = [
    "DIFF_FORMATS",
    "Change",
    "ChangeKind",
    "DiffFormat",
    "SpecDiff",
    "SpecHeader",
    "diff_specs",
    "render_diff",
]
