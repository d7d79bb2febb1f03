"""Self-contained HTML pages of a profile or a comparison: small inline-SVG charts, no external
resources, no script; jinja2 with autoescape (a column name or a code value is never markup)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment
from markupsafe import escape

from kikan_std.migration.model import CompareReport, ProfileReport

__all__ = ["compare_html", "profile_html"]

_STYLE = """
body{font-family:system-ui,"Hiragino Sans","Noto Sans CJK JP",sans-serif;margin:1.2rem;color:#1b1f24;background:#fff}
h1{font-size:1.3rem;margin:.2rem 0}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
.meta{color:#555;font-size:.85rem}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:.5rem}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.35rem .5rem;font-size:.78rem;break-inside:avoid}
.card h3{font-size:.82rem;margin:0 0 .2rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tag{display:inline-block;font-size:.68rem;border-radius:3px;padding:0 .25rem;margin-left:.2rem;background:#eef}
.tag.p{background:#fde2e1}.tag.x{background:#eee}.warn{color:#b35900}.bad{color:#b42318}.ok{color:#1a7f37}
.banner{padding:.5rem .8rem;border-radius:6px;font-weight:bold;margin:.5rem 0}
.banner.ok{background:#dafbe1}.banner.bad{background:#ffebe9}.banner.warn{background:#fff8c5}
table{border-collapse:collapse;font-size:.8rem}td,th{border:1px solid #d0d7de;padding:.15rem .4rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.hash{font-family:ui-monospace,monospace;font-size:.7rem;word-break:break-all}.legend span{margin-right:.8rem}
svg{display:block}
"""

_PROFILE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>プロファイル {{ r.file }}</title>
<style>{{ style|safe }}</style></head><body>
<h1>移行データのプロファイル / profile — {{ r.file }}</h1>
<div class="meta">仕様 {{ r.spec }} / {{ r.group }}・レコード {{ "{:,}".format(r.records) }} 件
{% if r.excluded %}・対応表で除外 {{ "{:,}".format(r.excluded) }} 件{% endif %}
{% if r.mapping %}・対応表 {{ r.mapping }}{% endif %}・kikan-std {{ r.version }}</div>
{% if r.sha256 %}<div class="meta">{{ "{:,}".format(r.bytes) }} バイト・SHA-256 <span class="hash">{{ r.sha256 }}</span></div>{% endif %}
<div class="meta">個人情報の項目は件数と率のみ（値は表示しません）/ personal items: counts and rates only.</div>
{% if r.missing_items %}<p class="warn">ファイルにない項目 / items not in the file: {{ r.missing_items|length }}
（{{ r.missing_items[:8]|join("、") }}{% if r.missing_items|length > 8 %} …{% endif %}）</p>{% endif %}
<h2>充足率の一覧 / fill rate of every item</h2>
<div class="legend"><span style="color:#2da44e">■ 入力あり filled</span><span style="color:#d4a72c">■ 不詳日 unknown date</span>
<span style="color:#d0d7de">■ 空欄 blank</span></div>
{{ overview|safe }}
{% if r.categories or r.households %}<h2>区分ごとの件数 / counts by category</h2><div class="grid">
{% for it in r.items if it.name in r.categories %}<div class="card"><h3>{{ it.name }}</h3>{{ bars(it.values)|safe }}</div>{% endfor %}
{% if r.households %}<div class="card"><h3>世帯 / households: {{ "{:,}".format(r.households.households) }}</h3>
<div>世帯員（最新の記録）{{ "{:,}".format(r.households.persons or 0) }} 人</div>
{{ sizes(r.households.sizes)|safe }}</div>{% endif %}
</div>{% endif %}
<h2>項目ごと / item by item</h2><div class="grid">
{% for it in r.items %}<div class="card"><h3 title="{{ it.name }}">{{ it.name }}{% if it.personal %}<span class="tag p">個人</span>{% endif %}{% if not it.in_spec %}<span class="tag x">仕様外</span>{% endif %}</h3>
{{ fill(it)|safe }}
<div>入力 {{ pct(it.filled_rate) }}・空欄 {{ pct(it.blank_rate) }}{% if it.unknown_date %}・<span class="warn">不詳 {{ pct(it.unknown_rate) }}</span>{% endif %}・異なり {{ "{:,}".format(it.distinct) }}</div>
{% if it.min is not none %}<div>範囲 {{ it.min }} 〜 {{ it.max }}</div>{% endif %}
{% if it.at_max_length and it.at_max_length < it.filled %}<div class="warn">最大桁（{{ it.max_length }}）ちょうど {{ "{:,}".format(it.at_max_length) }} 件</div>{% endif %}
{% if it.sum is not none %}<div>合計 {{ it.sum }}</div>{% endif %}
{% if it.values and it.name not in r.categories %}{{ bars(it.values[:6])|safe }}{% endif %}
{% if it.lengths|length > 1 %}{{ hist(it.lengths)|safe }}{% endif %}
</div>{% endfor %}</div>
</body></html>
"""

_COMPARE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>比較 {{ r.before.file }} → {{ r.after.file }}</title>
<style>{{ style|safe }}</style></head><body>
<h1>移行データの比較 / compare — {{ r.before.file }} → {{ r.after.file }}</h1>
<div class="meta">仕様 {{ r.spec }} / {{ r.group }}・キー {{ r.key|join("+") }}・kikan-std {{ r.version }}</div>
{% if r.verdict == "no_difference" %}<div class="banner ok">差異なし / no difference</div>
{% elif r.verdict == "explained" %}<div class="banner warn">差異はすべて想定どおり・許容範囲内 / every difference explained</div>
{% else %}<div class="banner bad">説明のない差異 {{ unexplained }} 件 / unexplained differences</div>{% endif %}
<table><tr><th></th><th>移行前 before</th><th>移行後 after</th></tr>
<tr><td>ファイル</td><td>{{ r.before.file }}</td><td>{{ r.after.file }}</td></tr>
{% if r.before.sha256 %}<tr><td>バイト数</td><td class="n">{{ "{:,}".format(r.before.bytes) }}</td><td class="n">{{ "{:,}".format(r.after.bytes) }}</td></tr>
<tr><td>SHA-256</td><td class="hash">{{ r.before.sha256 }}</td><td class="hash">{{ r.after.sha256 }}</td></tr>{% endif %}
<tr><td>レコード</td><td class="n">{{ "{:,}".format(r.before.records) }}</td><td class="n">{{ "{:,}".format(r.after.records) }}</td></tr>
<tr><td>対応表で除外</td><td class="n">{{ "{:,}".format(r.before.excluded) }}</td><td></td></tr>
<tr><td>キー重複</td><td class="n">{{ r.before.duplicate_keys }}</td><td class="n">{{ r.after.duplicate_keys }}</td></tr>
<tr><td>突き合わせた件数</td><td class="n" colspan="2">{{ "{:,}".format(r.matched) }}（項目 {{ r.items_compared }}）</td></tr></table>
{% if r.differences %}<h2>差異 / differences</h2>
<table><tr><th>状態</th><th>種類 kind</th><th>項目 item</th><th>件数</th><th>率</th><th></th><th>例（キー）/ 詳細</th></tr>
{% for d in r.differences %}<tr><td class="{{ 'bad' if d.status == 'unexplained' else 'ok' }}">{{ status[d.status] }}</td>
<td>{{ kinds.get(d.kind, d.kind) }}<br><small>{{ d.kind }}</small></td><td>{{ d.item or "（レコード）" }}</td>
<td class="n">{{ "{:,}".format(d.count) }}</td><td class="n">{{ pct(d.rate) }}</td><td>{{ rate_bar(d.rate)|safe }}</td>
<td>{% if d.reason %}<div>理由: {{ d.reason }}</div>{% endif %}{% for k, v in d.detail.items() %}{{ k }}={{ v }} {% endfor %}
{% for e in d.examples %}<div><code>{{ e.key.values()|join("/") }}</code>{% if e.before is not none or e.after is not none %}: {{ e.before }} → {{ e.after }}{% endif %}</div>{% endfor %}</td></tr>{% endfor %}
</table>{% endif %}
{% if r.expired_expectations %}<p class="warn">期限切れの想定差異 / expired: {{ r.expired_expectations|join("、") }}</p>{% endif %}
</body></html>
"""

KIND_JA = {
    "records_missing": "レコード欠落", "records_added": "レコード追加", "column_missing": "列がない",
    "column_added": "列が増えた", "filled_to_blank": "値が空欄に", "blank_to_filled": "空欄に値",
    "became_unknown": "不詳日に", "truncated": "切り詰め", "width_changed": "全角・半角の違い",
    "leading_zeros_lost": "先頭ゼロ落ち", "code_remapped": "コードの変化", "date_shifted_day": "日付が1日ずれ",
    "date_shifted_year": "日付が1年ずれ", "degraded_geta": "〓（げた）に置換", "degraded_shrink": "縮退文字に置換",
    "changed": "値の変化", "fill_rate_dropped": "充足率の低下", "unknown_rate_rose": "不詳率の上昇",
    "code_share_changed": "コード構成比の変化", "households_changed": "世帯の分割・統合", "sum_changed": "金額合計の変化",
}
_STATUS = {"unexplained": "説明なし", "expected": "想定どおり", "within_tolerance": "許容範囲"}


def _pct(r: float | None) -> str:
    return "—" if r is None else f"{r * 100:.1f}%"


def _fill_svg(it: Any) -> str:
    total = it.filled + it.blank
    if not total:
        return ""
    unknown = it.unknown_date or 0
    w_known = 200 * (it.filled - unknown) / total
    w_unknown = 200 * unknown / total
    return (f'<svg width="200" height="8" role="img" aria-label="fill {it.filled_rate:.3f}">'
            f'<rect width="200" height="8" fill="#d0d7de"/><rect width="{w_known:.1f}" height="8" fill="#2da44e"/>'
            f'<rect x="{w_known:.1f}" width="{w_unknown:.1f}" height="8" fill="#d4a72c"/></svg>')


def _bars_svg(values: Any) -> str:
    if not values:
        return ""
    rows = values[:8]
    h = 13 * len(rows)
    parts = [f'<svg width="220" height="{h}" role="img" aria-label="code distribution">']
    for i, v in enumerate(rows):
        label = escape(f"{v.value} {v.meaning or ''}"[:12])
        parts.append(f'<text x="0" y="{i * 13 + 10}" font-size="9">{label}</text>'
                     f'<rect x="80" y="{i * 13 + 2}" width="{max(1.0, 110 * v.rate):.1f}" height="9" fill="#54aeff"/>'
                     f'<text x="{84 + 110 * v.rate:.1f}" y="{i * 13 + 10}" font-size="9">{v.rate * 100:.1f}%</text>')
    parts.append("</svg>")
    return "".join(parts)


def _hist_svg(lengths: list[tuple[int, int]]) -> str:
    top = max(c for _, c in lengths)
    lo, hi = lengths[0][0], lengths[-1][0]
    span = max(1, hi - lo)
    parts = [f'<svg width="200" height="26" role="img" aria-label="length distribution {lo}-{hi}">']
    for ln, c in lengths:
        x = 4 + 188 * (ln - lo) / span
        h = max(1.0, 18 * c / top)
        parts.append(f'<rect x="{x:.1f}" y="{18 - h:.1f}" width="3" height="{h:.1f}" fill="#8250df"/>')
    parts.append(f'<text x="0" y="26" font-size="8">{lo}字</text><text x="170" y="26" font-size="8">{hi}字</text></svg>')
    return "".join(parts)


def _sizes_svg(sizes: list[tuple[int, int]]) -> str:
    if not sizes:
        return ""
    top = max(c for _, c in sizes)
    parts = ['<svg width="220" height="50" role="img" aria-label="household sizes">']
    for i, (n, c) in enumerate(sizes):
        h = max(1.0, 36 * c / top)
        parts.append(f'<rect x="{i * 21}" y="{38 - h:.1f}" width="16" height="{h:.1f}" fill="#54aeff"/>'
                     f'<text x="{i * 21 + 3}" y="48" font-size="9">{n}{"+" if n == 10 else ""}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _overview_svg(r: ProfileReport) -> str:
    """One bar per item, all items in one picture: a column that became blank or 不詳 stands out."""
    n = len(r.items)
    if not n:
        return ""
    w = max(4, min(12, 1100 // n))
    parts = [f'<svg width="{w * n + 30}" height="70" role="img" aria-label="fill rate per item">',
             '<text x="0" y="9" font-size="8">100%</text><text x="0" y="60" font-size="8">0%</text>']
    for i, it in enumerate(r.items):
        x = 30 + i * w
        filled = 55 * (it.filled_rate - (it.unknown_rate or 0))
        unknown = 55 * (it.unknown_rate or 0)
        parts.append(f'<g><title>{escape(it.name)}: {it.filled_rate * 100:.1f}%</title>'
                     f'<rect x="{x}" y="5" width="{w - 1}" height="55" fill="#eaeef2"/>'
                     f'<rect x="{x}" y="{60 - filled - unknown:.1f}" width="{w - 1}" height="{unknown:.1f}" fill="#d4a72c"/>'
                     f'<rect x="{x}" y="{60 - filled:.1f}" width="{w - 1}" height="{filled:.1f}" fill="#2da44e"/></g>')
    parts.append("</svg>")
    return "".join(parts)


def _rate_bar(rate: float) -> str:
    return (f'<svg width="80" height="8"><rect width="80" height="8" fill="#eaeef2"/>'
            f'<rect width="{max(0.5, 80 * min(1.0, rate)):.1f}" height="8" fill="#cf222e"/></svg>')


@cache
def _env() -> Environment:
    env = Environment(autoescape=True)
    env.globals.update(pct=_pct, fill=_fill_svg, bars=_bars_svg, hist=_hist_svg, sizes=_sizes_svg, rate_bar=_rate_bar,
                       style=_STYLE, kinds=KIND_JA, status=_STATUS)
    return env


def profile_html(r: ProfileReport) -> str:
    """The profile as one self-contained HTML page."""
    return _env().from_string(_PROFILE).render(r=r, overview=_overview_svg(r))


def compare_html(r: CompareReport) -> str:
    """The comparison as one self-contained HTML page."""
    unexplained = sum(d.status == "unexplained" for d in r.differences)
    return _env().from_string(_COMPARE).render(r=r, unexplained=unexplained)
