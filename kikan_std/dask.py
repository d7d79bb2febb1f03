"""Checking files beyond one machine with Dask (extra ``dask``: ``pip install 'kikan-std[dask]'``).

Each CSV file is cut into parts exactly as for ``--jobs`` (:mod:`kikan_std.engine.parallel`); every part
is checked on a Dask worker (field checks and record rules), and the primary-key uniqueness across
parts is computed with Dask's own shuffle: a Dask DataFrame of (key, record, line) is grouped by
key to find each key's first occurrence and merged back to find the repeats. The merged report is
identical to a one-process run.

    from dask.distributed import Client, Future, wait
    import kikan_std.dask

    with Client("tcp://scheduler:8786") as client:
        report = kikan_std.dask.check(["a.csv", "b.csv"], spec="jutogai_atena", client=client)

Files that cannot be cut (other formats, small files, groups with dataset rules) are checked as a
single Dask task each. Input paths must be readable by the workers under the same names (a shared
file system or object storage mounted alike).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import operator
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

try:
    import dask.dataframe as dd
    import pandas as pd
    from dask import delayed
    from dask.distributed import Client, Future, wait
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("kikan_std.dask needs the dask extra: pip install 'kikan-std[dask]' / dask が必要です") from e

from kikan_std.deliverable import PEOPLE_COLUMNS, FileOutcome, Task, check_file_rows
from kikan_std.deliverable import check_deliverable as _check_deliverable
from kikan_std.deliverable.people import registry_conflicts
from kikan_std.engine.file import add_not_run, report_duplicates
from kikan_std.engine.parallel import (
    FilePlan,
    Offsets,
    PartResult,
    check_part,
    dataset_pass,
    merge_parts,
    parts_agree,
    plan_file,
)
from kikan_std.engine.prepare import prepare
from kikan_std.engine.run import collect
from kikan_std.errors import InputNotFoundError, KikanStdError
from kikan_std.findings import Finding
from kikan_std.migration.compare import ExpectedDifferences
from kikan_std.migration.mapping import Mapping
from kikan_std.migration.model import CompareReport
from kikan_std.model.spec import Spec
from kikan_std.options import DEFAULT_MASK_KEY, Options
from kikan_std.report.build import build_report
from kikan_std.report.collect import NotRun, Sink
from kikan_std.report.model import InputInfo, Report
from kikan_std.specs import rules_for


def whole_file_task(spec: Spec, path: Path, display: str, opts: Options) -> tuple[PartResult, InputInfo]:
    """A file checked in one task (it could not be cut): its sink already holds its key findings.

    It goes through the engine's own per-file path (:func:`kikan_std.engine.run.collect`), so a file
    of a spec with whole-file rules (全銀 総合振込: record order, trailer totals) gets them too.
    """
    rules = rules_for(spec)
    sink = Sink(cap=opts.max_findings, file_order={display: 0})
    inputs, not_run = collect([path], spec, rules.record_rules, rules.dataset_rules, opts, sink, None, [display])
    info = inputs[0]
    return PartResult(sink, [], [], info.records, 0, not_run), info


def _keys_frame(result: PartResult, record_offset: int, line_offset: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": pd.Series(result.keys, dtype="string"),
            "record": pd.Series([r + record_offset for r, _ in result.refs], dtype="int64"),
            "line": pd.Series([ln + line_offset for _, ln in result.refs], dtype="int64"),
        }
    )


_DASK_OPTIONS = frozenset({"encoding", "bom", "gj_table", "lang", "show_values", "max_findings", "max_findings_total",
                           "group", "mask_key", "input_format", "layout", "rule_options"})
"""The options of :func:`kikan_std.check` the Dask path takes (no baselines, waivers or local processes)."""


def check(
    paths: str | Path | Sequence[str | Path],
    spec: str | Spec,
    *,
    client: Client,
    **options: Any,
) -> Report:
    """Check ``paths`` against ``spec`` on the Dask cluster of ``client``.

    Options are those of :func:`kikan_std.check` that apply to a run without baselines or
    waivers (encoding, bom, gj_table, lang, show_values, max_findings, max_findings_total, group,
    mask_key, input_format, layout, rule_options), built by the same builder
    (:func:`kikan_std.engine.prepare.prepare`): the mask key falls back to ``$KIKAN_STD_MASK_KEY``,
    rule options are validated and defaulted.

    Raises:
        TypeError: an option this path does not take (baseline, waivers, fail_on, jobs, progress).
        and what :func:`kikan_std.check` raises for bad options.
    """
    unknown = set(options) - _DASK_OPTIONS
    if unknown:
        raise TypeError(f"unsupported options for the Dask path: {sorted(unknown)}")
    run = prepare(spec, **options)
    sp, rules, opts = run.spec, run.rules, run.options
    if isinstance(paths, str | Path):
        paths = [paths]
    resolved = [(Path(p), str(p)) for p in paths]
    for p, display in resolved:
        if not p.exists():
            raise InputNotFoundError(path=display)
    sink = Sink(cap=opts.max_findings, total_cap=opts.max_findings_total,
                 file_order={d: i for i, (_, d) in enumerate(resolved)})
    not_run: list[NotRun] = []
    inputs: list[InputInfo] = []

    for p, display in resolved:
        plan = plan_file(sp, p, display, opts, sink, rules.dataset_rules, not_run, max(2, cluster_threads(client)),
                         dataset_pass=True)
        results: list[PartResult] = []
        whole = None
        if plan is not None:
            n = len(plan.parts)
            # Dataset rules (households, histories) see the whole file in order: one more task reads it for them.
            pending = client.submit(dataset_pass, sp, p, display, opts, pure=False) if plan.dataset_rules else None
            futures = client.map(check_part, [sp] * n, [p] * n, [display] * n, [opts] * n, plan.parts, pure=False)
            results = client.gather(futures)
            whole = pending.result() if pending is not None else None
        if plan is None or not parts_agree(results):  # not split, or the cuts were not record starts
            future = client.submit(whole_file_task, sp, p, display, opts, pure=False)
            result, info = future.result()
            sink.merge(result.sink, 0, 0)
            add_not_run(not_run, result.not_run)
            inputs.append(info)
            continue

        def duplicates(parts: Sequence[PartResult], offsets: Offsets, plan: FilePlan = plan, display: str = display) -> None:
            frames = [delayed(_keys_frame)(r, rec, ln) for r, (rec, ln) in zip(parts, offsets, strict=True)]
            duplicates_with_dask(sink, display, frames, plan.key_items)

        inputs.append(merge_parts(plan, results, p, display, opts, sink, not_run, duplicates, whole))

    return build_report(sp, opts, sink, inputs, not_run)


def duplicates_with_dask(sink: Sink, display: str, frames: list[Any], key_items: tuple[str, ...]) -> None:
    """KEY001 for every repeat of a key, found by Dask's groupby/merge (shuffle) across parts.

    Internal to this module (not in ``__all__``), used by :func:`check`.
    """
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


def cluster_threads(client: Client) -> int:
    """The threads of every worker of ``client``'s cluster: how many parts a big file is cut into.

    Internal to this module (not in ``__all__``); public so that tests can set the number of parts.
    """
    info = client.scheduler_info()
    return sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()) or 1


__all__ = ["DaskBackend", "check", "check_deliverable", "compare", "cross_file_with_dask"]


# -- whole deliverables ---------------------------------------------------------------------------


class DaskBackend:
    """Deliverable files checked on Dask workers; cross-file rules by Dask merges (not SQLite)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.rows: list[list[tuple[Any, ...]]] = []

    def run_files(self, tasks: list[Task], people: Any, tmp: Path, progress: Any) -> list[FileOutcome]:
        futures = [
            self.client.submit(check_file_rows, spec_id, e.local, e.display, opts, pure=False)
            for e, spec_id, opts in tasks
        ]
        out: list[tuple[FileOutcome, list[tuple[Any, ...]]]] = self.client.gather(futures)
        self.rows = [rows for _, rows in out]
        return [result for result, _ in out]

    def cross_file(self, people: Any, registry_files: list[str]) -> list[Finding]:
        return cross_file_with_dask(self.rows, registry_files, npartitions=max(1, cluster_threads(self.client)))


def cross_file_with_dask(rows: list[list[tuple[Any, ...]]], registry_files: list[str], npartitions: int = 2) -> list[Finding]:
    """DLV001–DLV003 as the SQLite path finds them, with Dask DataFrame merges (shuffles) instead; DLV011 /
    DLV012 with the same SQL over the registry rows."""
    pdf = pd.DataFrame([r for part in rows for r in part], columns=list(PEOPLE_COLUMNS))
    if pdf.empty:
        return []
    ddf = dd.from_pandas(pdf, npartitions=npartitions)
    users = ddf[ddf["registry"] == 0]
    reg = ddf[ddf["registry"] == 1]
    registry = ", ".join(registry_files)
    # DLV011/DLV012 compare registry rows only (far fewer than the references): the same SQL as one process.
    reg_rows = pdf[pdf["registry"] == 1]
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.execute(f"CREATE TABLE refs ({', '.join(PEOPLE_COLUMNS)})")
        db.executemany(f"INSERT INTO refs VALUES ({', '.join('?' for _ in PEOPLE_COLUMNS)})",
                       [tuple(v.item() if hasattr(v, "item") else v for v in r)  # numpy scalars → Python
                        for r in reg_rows.itertuples(index=False, name=None)])
        db.execute("CREATE INDEX refs_atena ON refs (atena, registry)")
        out: list[Finding] = list(registry_conflicts(db))

    known = reg[["atena"]].drop_duplicates().assign(_known=1)
    orphans = users.merge(known, on="atena", how="left")
    orphans = orphans[orphans["_known"].isna()].compute().sort_values(["file", "record", "atena_item"], kind="stable")
    for r in orphans.itertuples(index=False):
        out.append(Finding("DLV001", file=r.file, record=int(r.record), line=int(r.line), item=r.atena_item,
                           value=r.atena, keys={r.atena_item: r.atena}, params={"registry": registry}))

    for code, col, item_col, skip in (("DLV002", "birth", "birth_item", ("",)), ("DLV003", "sex", "sex_item", ("", "0"))):
        u = users[~users[col].isin(list(skip))]
        theirs = reg[~reg[col].isin(list(skip))][["atena", col, "file", "record", "line"]].rename(
            columns={col: "value_r", "file": "file_r", "record": "record_r", "line": "line_r"}
        )
        joined = u.merge(theirs, on="atena", how="inner").compute()
        if joined.empty:
            continue
        key = ["file", "record", "atena_item"]
        agreeing = joined[joined[col] == joined["value_r"]][key].drop_duplicates()
        joined = joined.merge(agreeing.assign(_agree=1), on=key, how="left")
        differing = joined[joined["_agree"].isna()].sort_values([*key, "record_r", "file_r"], kind="stable")
        for r in differing.groupby(key, sort=True).head(1).itertuples(index=False):
            out.append(Finding(code, file=r.file, record=int(r.record), line=int(r.line), item=getattr(r, item_col),
                               value=getattr(r, col), personal=True, keys={r.atena_item: r.atena},
                               related=[(int(r.record_r), int(r.line_r))],
                               params={"atena": r.atena, "other_file": r.file_r, "other_record": int(r.record_r),
                                       "other_line": int(r.line_r)}))
    return out


def check_deliverable(path: str | Path, *, client: Client, **options: Any) -> Report:
    """:func:`kikan_std.check_deliverable` with the files checked on the Dask cluster of ``client`` and
    the cross-file rules computed with Dask merges; the options and the report are the same (the
    options go through the same builder: mask key, baseline, waivers, rule options)."""
    return _check_deliverable(path, backend=DaskBackend(client), **options)


# -- 移行検証: compare -------------------------------------------------------------------------------

PARTITION_BYTES = 256 << 20
"""The records are split by key into at least one partition per worker thread, and more when the two
files together are larger than this many bytes per partition (each partition is compared in one task)."""


def compare(
    before: str | Path,
    after: str | Path,
    spec: str | Spec,
    *,
    client: Client,
    partitions: int | None = None,
    group: str | None = None,
    mapping: str | Path | Mapping | None = None,
    before_encoding: str = "utf-8",
    after_encoding: str = "utf-8",
    key_map: str | Path | None = None,
    expected: str | Path | ExpectedDifferences | None = None,
    tolerance: dict[str, float] | None = None,
    show_values: bool = False,
    mask_key: bytes = DEFAULT_MASK_KEY,
    today: _dt.date | None = None,
) -> CompareReport:
    """:func:`kikan_std.compare` on the Dask cluster of ``client``: the same arguments, the same report.

    Each file is read in byte ranges on the workers with the same DuckDB load as one process (the
    mapping's transforms and key table included) and its records are split by a hash of their key;
    each partition of keys is compared on a worker with the one-process SQL, giving additive counts
    and its smallest example keys; households are counted in partitions of their own (by household
    number). The client adds the parts up into the report one process gives — same differences,
    counts, rates, examples and verdict (see :mod:`kikan_std.migration.partition`).

    Needs the ``dask`` and ``migration`` extras; the files must be readable under the same names by
    the client (headers, cut points) and by the workers.

    Args:
        partitions: how many partitions of record keys (default: one per worker thread, more for big files).
        others: as :func:`kikan_std.compare`.

    Raises:
        kikan_std.InputError, kikan_std.errors.UsageError: what :func:`kikan_std.compare` raises.
    """
    from kikan_std.migration._db import Loaded, read_encoding
    from kikan_std.migration.compare import HouseholdCounts, setup_compare
    from kikan_std.migration.mapping import KeyMap
    from kikan_std.migration.partition import compare_partition, household_bucket, load_chunk, plan_chunks
    from kikan_std.migration.profile import HOUSEHOLD_ITEM

    s = setup_compare(spec, group=group, mapping=mapping, before_encoding=before_encoding,
                      after_encoding=after_encoding, key_map=key_map, expected=expected, tolerance=tolerance)
    b_cols, a_cols = s.columns(before, after)
    mp = s.mapping
    if mp is not None and mp.keys is not None and mp.keys.file:  # the workers get the key table, not its path
        mp = mp.model_copy(update={"keys": KeyMap(item=mp.keys.item, map=mp.key_map())})
    threads = cluster_threads(client)
    n = partitions or max(threads, math.ceil((Path(before).stat().st_size + Path(after).stat().st_size)
                                             / PARTITION_BYTES))

    def side(path: str | Path, encoding: str, mapping_: Mapping | None,
             extras: dict[str, Any] | None) -> tuple[list[Future], int, int]:
        args = (str(path), s.group, encoding, mapping_, extras, s.key, n)
        lenient = mapping_ is not None or read_encoding(encoding) != "utf-8-sig"
        chunks = [client.submit(load_chunk, args[0], rng, *args[1:], pure=False)
                  for rng in plan_chunks(path, encoding, lenient, threads)]
        wait(chunks)
        failed = next((f for f in chunks if f.status == "error"), None)
        if failed is not None:
            if len(chunks) == 1 or not isinstance(failed.exception(), KikanStdError):
                failed.result()  # raises the task's error
            # A range did not read (bad bytes, a malformed row, or a cut in a quoted field): the whole
            # file is read in one task, which reads it, or says what one process says about it.
            client.cancel(chunks)
            chunks = [client.submit(load_chunk, args[0], None, *args[1:], pure=False)]
            wait(chunks)
            chunks[0].result()
        heads = client.gather([client.submit(operator.getitem, f, slice(0, 2)) for f in chunks])
        return chunks, sum(h[0] for h in heads), sum(h[1] for h in heads)

    b_chunks, b_records, b_excluded = side(before, s.before_encoding, mp, None)
    a_chunks, a_records, _ = side(after, s.after_encoding, None, s.extras)
    outs = [
        client.submit(compare_partition, [client.submit(operator.getitem, f, 2 + p) for f in b_chunks],
                      [client.submit(operator.getitem, f, 2 + p) for f in a_chunks],
                      b_cols, a_cols, s.key, show_values, n, pure=False)
        for p in range(n)
    ]
    del b_chunks, a_chunks  # the workers drop each range once its pieces are compared
    parts = client.gather([client.submit(operator.getitem, f, 0) for f in outs])
    households = None
    common = [c.name for c in b_cols if c.name in {x.name for x in a_cols}]
    if HOUSEHOLD_ITEM in common and sum(p.changed[common.index(HOUSEHOLD_ITEM)] for p in parts):
        counts = client.gather([
            client.submit(household_bucket, [client.submit(operator.getitem, f, 1 + side_ * n + m) for f in outs],
                          pure=False)
            for side_ in (0, 1) for m in range(n)
        ])
        households = HouseholdCounts(split=sum(c[0] for c in counts[:n]), merged=sum(c[0] for c in counts[n:]),
                                     before=sum(c[1] for c in counts[:n]), after=sum(c[1] for c in counts[n:]))
    del outs
    b = Loaded("b", str(before), b_cols, records=b_records, excluded=b_excluded)
    a = Loaded("a", str(after), a_cols, records=a_records)
    return s.report(b, a, parts, households, show_values, mask_key, today)
