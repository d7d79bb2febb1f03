"""The one builder of a run's options and rule set.

Every way into a run — :func:`kikan_std.check`, :func:`kikan_std.check_deliverable`, the CLI's ``check``
command (which passes its parsed arguments as keyword arguments) and :mod:`kikan_std.dask` — turns its
keyword arguments into :class:`~kikan_std.options.Options` here, so they are validated and defaulted
once and mean the same everywhere:

* the masking key comes from the argument, else ``$KIKAN_STD_MASK_KEY``, else the public built-in key,
  and the report records which (``custom`` / ``default``); a text key is UTF-8 encoded; an empty key
  is refused (it would silently fall back to a key anyone can use);
* a baseline, waiver file, fixed-width layout or 追加文字 (GJ) table may be given as a path or as a
  loaded object; the baseline's fingerprints are read with the run's key;
* rule options are validated against the spec's rules and their defaults filled in; for a whole
  deliverable ``NAME=VALUE`` applies to every spec that has the option and ``SPEC:NAME=VALUE`` to one.

It sits in the engine layer (not at :mod:`kikan_std.api`) because :mod:`kikan_std.deliverable` and
:mod:`kikan_std.dask`, which are below the API, build their runs with it too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from kikan_std.catalogue import Lang
from kikan_std.errors import GjTableError, RuleOptionSpecError, UnknownRuleOptionError, UsageError
from kikan_std.jp.chars import parse_gj_table
from kikan_std.model.spec import FixedWidthLayout, Spec
from kikan_std.options import DEFAULT_MASK_KEY, MASK_KEY_ENV, FailOn, Options, resolve_jobs
from kikan_std.readers import load_layout
from kikan_std.readers.csv_reader import normalise_encoding
from kikan_std.report.baseline import Baseline
from kikan_std.report.waivers import Waivers
from kikan_std.specs import BUILTIN, RuleSet, load_spec, rules_for

RuleOptions = Mapping[str, str] | Mapping[str, Mapping[str, str]]
"""Rule options as given: ``{name: value}`` (``{"SPEC:name": value}`` targets one spec of a deliverable),
or per spec ``{spec_id: {name: value}}``."""


def mask_key_of(mask_key: str | bytes | None) -> tuple[bytes, bool]:
    """(key, custom?): the argument, else ``$KIKAN_STD_MASK_KEY``, else the built-in key.

    Raises:
        UsageError: the key given (or the environment variable) is empty.
    """
    if mask_key is None:
        mask_key = os.environ.get(MASK_KEY_ENV)
    if mask_key is None:
        return DEFAULT_MASK_KEY, False
    if mask_key in ("", b""):
        raise UsageError(ja=f"マスク鍵（--mask-key / {MASK_KEY_ENV}）が空です", en=f"the mask key (--mask-key / {MASK_KEY_ENV}) is empty")
    return (mask_key.encode("utf-8") if isinstance(mask_key, str) else bytes(mask_key)), True


def _gj_table(value: frozenset[str] | str | Path | None) -> frozenset[str] | None:
    if value is None or isinstance(value, frozenset):
        return value
    try:
        text = Path(value).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise GjTableError(path=value, detail=getattr(e, "strerror", None) or str(e)) from None
    try:
        return parse_gj_table(text)
    except ValueError as e:
        raise GjTableError(path=value, detail=str(e)) from None


def _cap(name: str, value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise UsageError(ja=f"{name} は 0 以上の整数で指定してください: {value!r}", en=f"{name} must be a whole number >= 0 (or None): {value!r}")
    return value


def build_options(
    *,
    encoding: str = "utf-8",
    bom: Literal["allow", "require", "forbid"] = "allow",
    gj_table: frozenset[str] | str | Path | None = None,
    lang: Lang = "ja",
    show_values: bool = False,
    max_findings: int | None = 1000,
    group: str | None = None,
    max_findings_total: int | None = None,
    baseline: str | Path | Baseline | None = None,
    waivers: str | Path | Waivers | None = None,
    fail_on: FailOn = "error",
    mask_key: str | bytes | None = None,
    input_format: str | None = None,
    layout: str | Path | FixedWidthLayout | None = None,
    jobs: int | Literal["auto"] = 1,
) -> Options:
    """:class:`Options` from keyword arguments (the spec-independent part of a run; see :func:`prepare`).

    ``max_findings_total`` defaults to None (no overall cap) in the library; the CLI passes its own
    default of 20000 so that a terminal or CI log is not flooded (``--max-findings-total 0`` = None).

    Raises:
        UsageError: an empty mask key, a negative cap, ``fail_on="new"`` without a baseline, an unknown
            ``fail_on`` or ``bom``.
        ValueError: ``jobs`` neither a whole number from 1 nor ``"auto"``.
        InputError: the GJ table or layout file cannot be read; ``encoding`` is not a codec or not
            one inputs are read with (:data:`~kikan_std.jp.encodings.SUPPORTED_ENCODINGS`).
        BaselineError / WaiverError: the baseline or waiver file is unreadable or malformed.
    """
    if fail_on not in ("error", "new"):
        raise UsageError(ja=f"fail_on は error か new です: {fail_on!r}", en=f"fail_on must be 'error' or 'new': {fail_on!r}")
    if fail_on == "new" and baseline is None:
        raise UsageError(ja="--fail-on new には --baseline が必要です", en="fail_on='new' (--fail-on new) needs a baseline")
    if bom not in ("allow", "require", "forbid"):
        raise UsageError(ja=f"bom は allow・require・forbid のいずれかです: {bom!r}", en=f"bom must be allow, require or forbid: {bom!r}")
    normalise_encoding(encoding)  # refused before any file is read (UTF-16, base64 … are not text we read)
    key, custom = mask_key_of(mask_key)
    if baseline is not None and not isinstance(baseline, Baseline):
        baseline = Baseline.load(baseline, key)
    if waivers is not None and not isinstance(waivers, Waivers):
        waivers = Waivers.load(waivers)
    if waivers is not None:
        waivers.mask_key = key  # fingerprint waivers match fingerprints made with the run's key
    return Options(
        encoding=encoding,
        bom=bom,
        gj_table=_gj_table(gj_table),
        lang="en" if lang == "en" else "ja",
        show_values=show_values,
        max_findings=_cap("max_findings", max_findings),
        group=group,
        max_findings_total=_cap("max_findings_total", max_findings_total),
        mask_key=key,
        mask_key_custom=custom,
        baseline=baseline,
        waivers=waivers,
        fail_on=fail_on,
        input_format=input_format,
        layout=load_layout(layout) if isinstance(layout, str | Path) else layout,
        jobs=resolve_jobs(jobs),
    )


@dataclass(frozen=True, slots=True)
class PreparedRun:
    """A run over files of one spec, ready to go: the spec, its rules and the options."""

    spec: Spec
    rules: RuleSet
    options: Options


def prepare(spec: str | Spec, *, rule_options: RuleOptions | None = None, **kwargs: object) -> PreparedRun:
    """The spec, rule set and options of a run over files of one spec (``kwargs`` as :func:`build_options`).

    ``rule_options`` are the spec's per-run switches (``{name: value}``; ``{"SPEC:name": value}`` and
    ``{spec_id: {...}}`` for this spec are accepted too), validated and completed with defaults.

    Raises:
        UnknownSpecError: ``spec`` is not a built-in spec id.
        RuleOptionError: an unknown rule option or a value outside its choices.
        and what :func:`build_options` raises.
    """
    sp = load_spec(spec) if isinstance(spec, str) else spec
    rules = rules_for(sp)
    opts = build_options(**kwargs)  # type: ignore[arg-type]
    given = _flat_for(sp.id, rule_options)
    return PreparedRun(sp, rules, _with_rule_options(opts, rules.resolve_options(given)))


def _with_rule_options(opts: Options, resolved: Mapping[str, str]) -> Options:
    return replace(opts, rule_options=resolved)


def _flat_for(spec_id: str, given: RuleOptions | None) -> dict[str, str] | None:
    """The options of one spec out of any accepted shape (names of other specs are an error)."""
    if not given:
        return None
    out: dict[str, str] = {}
    for name, value in given.items():
        if isinstance(value, Mapping):
            if name != spec_id:
                raise RuleOptionSpecError(spec_id=name)
            out.update({str(k): str(v) for k, v in value.items()})
            continue
        sid, sep, opt = name.rpartition(":")
        if sep and sid != spec_id:
            raise RuleOptionSpecError(spec_id=sid)
        out[opt] = str(value)
    return out


def deliverable_rule_options(given: RuleOptions | None) -> dict[str, dict[str, str]]:
    """Rule options of a whole deliverable per spec id, validated and completed with defaults.

    ``{name: value}`` applies to every built-in spec that has the option; ``{"SPEC:name": value}``
    or ``{spec_id: {name: value}}`` to one spec. Every built-in spec gets its defaults.

    Raises:
        RuleOptionError: an unknown spec, an option no spec has, or a value outside its choices.
    """
    per_spec: dict[str, dict[str, str]] = {}
    for name, value in (given or {}).items():
        if isinstance(value, Mapping):
            if name not in BUILTIN:
                raise RuleOptionSpecError(spec_id=name)
            per_spec.setdefault(name, {}).update({str(k): str(v) for k, v in value.items()})
            continue
        sid, sep, opt = name.rpartition(":")
        if sep and sid not in BUILTIN:
            raise RuleOptionSpecError(spec_id=sid)
        targets = [sid] if sep else [s for s in BUILTIN if any(o.name == opt for o in rules_for(load_spec(s)).options)]
        if not targets:
            raise UnknownRuleOptionError(options=[name], known=", ".join(sorted({o.name for s in BUILTIN for o in rules_for(load_spec(s)).options})) or "-")
        for t in targets:
            per_spec.setdefault(t, {})[opt] = str(value)
    return {sid: dict(rules_for(load_spec(sid)).resolve_options(per_spec.get(sid))) for sid in BUILTIN}


__all__ = ["PreparedRun", "RuleOptions", "build_options", "deliverable_rule_options", "mask_key_of", "prepare"]
