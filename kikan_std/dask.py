"""Checking files beyond one machine with Dask (extra ``dask``: ``pip install 'kikan-std[dask]'``).

Each CSV file is cut into parts exactly as for ``--jobs`` (:mod:`kikan_std.parallel`); every part
is checked on a Dask worker (field checks and record rules), and the primary-key uniqueness across
parts is computed with Dask's own shuffle: a Dask DataFrame of (key, record, line) is grouped by
key to find each key's first occurrence and merged back to find the repeats. The merged report is
identical to a one-process run.

    from dask.distributed import Client
    import kikan_std.dask

    with Client("tcp://scheduler:8786") as client:
        report = kikan_std.dask.check(["a.csv", "b.csv"], spec="jutogai_atena", client=client)

Files that cannot be cut (other formats, small files, groups with dataset rules) are checked as a
single Dask task each. Input paths must be readable by the workers under the same names (a shared
file system or object storage mounted alike).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

try:
    import dask.dataframe as dd
    import pandas as pd
    from dask import delayed
    from dask.distributed import Client
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("kikan_std.dask needs the dask extra: pip install 'kikan-std[dask]' / dask が必要です") from e

from kikan_std.engine import Options, Part, _FileRun, _NotRun, _Sink, build_report, choose_group, report_duplicates
from kikan_std.model import Spec
from kikan_std.parallel import _check_part, _header, _PartResult, plan_parts
from kikan_std.readers import input_format_for
from kikan_std.readers.csv_reader import InputError, normalise_encoding
from kikan_std.report import InputInfo, Report
from kikan_std.specs import load_spec, rules_for


def _whole_file(spec: Spec, path: Path, display: str, opts: Options) -> tuple[_PartResult, InputInfo]:
    """A file checked in one task (it could not be cut): its sink already holds its key findings."""
    rules = rules_for(spec)
    sink = _Sink(cap=opts.max_findings, file_order={display: 0})
    not_run: list[_NotRun] = []
    fr = _FileRun(spec, path, display, opts, sink, rules.record_rules, rules.dataset_rules, not_run, None)
    info = fr.run()
    return _PartResult(sink, [], [], info.records, 0, not_run), info


def _keys_frame(result: _PartResult, record_offset: int, line_offset: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": pd.Series(result.keys, dtype="string"),
            "record": pd.Series([r + record_offset for r, _ in result.refs], dtype="int64"),
            "line": pd.Series([ln + line_offset for _, ln in result.refs], dtype="int64"),
        }
    )


def check(
    paths: str | Path | Sequence[str | Path],
    spec: str | Spec,
    *,
    client: Client,
    **options: Any,
) -> Report:
    """Check ``paths`` against ``spec`` on the Dask cluster of ``client``.

    Options are those of :func:`kikan_std.check` that apply to a run without baselines or
    waivers (encoding, bom, lang, show_values, max_findings, max_findings_total, group, …).
    """
    sp = load_spec(spec) if isinstance(spec, str) else spec
    if isinstance(paths, str | Path):
        paths = [paths]
    allowed = {f.name for f in dataclasses.fields(Options)} - {"baseline", "waivers", "fail_on", "jobs"}
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"unsupported options for the Dask path: {sorted(unknown)}")
    opts = Options(**options)
    rules = rules_for(sp)
    resolved = [(Path(p), str(p)) for p in paths]
    for p, display in resolved:
        if not p.exists():
            raise InputError(f"file not found: {display}")
    sink = _Sink(cap=opts.max_findings, total_cap=opts.max_findings_total,
                 file_order={d: i for i, (_, d) in enumerate(resolved)})
    not_run: list[_NotRun] = []
    inputs: list[InputInfo] = []

    for p, display in resolved:
        plan = None
        header: list[str] = []
        if input_format_for(p, opts.input_format) == "csv" and opts.encoding != "auto":
            plan = plan_parts(p, opts.encoding, max(2, _cores(client)))
        group = None
        if plan is not None:
            header, bom, header_lines = _header(p, plan[0], opts.encoding)
            group = choose_group(sp, p, header, opts.group) if header else None
            if group is None or any(dr.groups is None or group.name in dr.groups for dr in rules.dataset_rules):
                plan = None
        if plan is None:
            future = client.submit(_whole_file, sp, p, display, opts, pure=False)
            result, info = future.result()
            sink.merge(result.sink, 0, 0)
            _add_not_run(not_run, result.not_run)
            inputs.append(info)
            continue

        assert group is not None
        parts = [Part(a, b, header) for a, b in itertools.pairwise(plan[1])]
        head = _FileRun(sp, p, display, opts, sink, rules.record_rules, rules.dataset_rules, not_run, None)
        _, col_of = head._map_header(header, 1)
        key_items = tuple(k for k in group.primary_key if k in col_of)
        futures = client.map(_check_part, [sp] * len(parts), [p] * len(parts), [display] * len(parts),
                             [opts] * len(parts), parts, pure=False)
        results: list[_PartResult] = client.gather(futures)

        records, lines = 0, header_lines
        frames = []
        for r in results:
            sink.merge(r.sink, records, lines)
            _add_not_run(not_run, r.not_run)
            frames.append(delayed(_keys_frame)(r, records, lines))
            records += r.records
            lines += r.lines
        if key_items and len(key_items) == len(group.primary_key):
            _duplicates_with_dask(sink, display, frames, key_items)
        with p.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        inputs.append(InputInfo(file=display, format="csv", group=group.name, encoding=normalise_encoding(opts.encoding),
                                bom=bom, records=records, bytes=p.stat().st_size, sha256=digest))

    return build_report(sp, opts, sink, inputs, not_run)


def _duplicates_with_dask(sink: _Sink, display: str, frames: list[Any], key_items: tuple[str, ...]) -> None:
    """KEY001 for every repeat of a key, found by Dask's groupby/merge (shuffle) across parts."""
    ddf = dd.from_delayed(frames, meta={"key": "string", "record": "int64", "line": "int64"})
    firsts = ddf.groupby("key").agg({"record": "min"}).reset_index().rename(columns={"record": "first_record"})
    joined = ddf.merge(firsts, on="key", how="inner")
    repeats = joined[joined["record"] != joined["first_record"]]
    firsts_lines = joined[joined["record"] == joined["first_record"]][["key", "line"]].rename(
        columns={"line": "first_line"}
    )
    dupes = repeats.merge(firsts_lines, on="key", how="left").compute()
    dupes = dupes.sort_values("record")
    keys = [str(k) for k in dupes["key"]]
    refs = [(int(r), int(ln)) for r, ln in zip(dupes["record"], dupes["line"], strict=True)]
    firsts_ = [(int(r), int(ln)) for r, ln in zip(dupes["first_record"], dupes["first_line"], strict=True)]
    report_duplicates(sink, display, list(zip(range(len(keys)), firsts_, strict=True)), keys, refs, key_items)


def _add_not_run(not_run: list[_NotRun], more: list[_NotRun]) -> None:
    for n in more:
        if not any(m.rule == n.rule and m.file == n.file for m in not_run):
            not_run.append(n)


def _cores(client: Client) -> int:
    info = client.scheduler_info()
    return sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()) or 1


__all__ = ["check"]
