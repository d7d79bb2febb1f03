"""Every exception kikan-std raises, under one root, each with a stable kind and a message in Japanese and English.

Findings are values, never exceptions: data that does not conform is reported as a :class:`~kikan_std.Finding`.
An exception means the run itself could not be set up or the tool is broken. The CLI maps these types
(never their message text) to exit codes: a :class:`KikanStdError` other than :class:`InternalError` is a
usage or input problem (exit 2); anything else is an internal error (exit 3).

::

    KikanStdError
    ├── UsageError                     bad arguments or options (exit 2)
    │   ├── ArgumentsError             the command line does not parse
    │   ├── RuleOptionError            a rule option value outside its choices (also a ValueError)
    │   │   ├── UnknownRuleOptionError no rule option of that name
    │   │   └── RuleOptionSpecError    rule options for a spec that is not built in (or not this run's)
    │   ├── UnknownGroupError          no group of the spec has that name (also a KeyError)
    │   ├── UnknownCodeError           no finding code of that name (also a KeyError)
    │   ├── UnknownOutputFormatError   no writer of that name (also a ValueError)
    │   ├── UnknownGeneratorError      no synthetic-data generator for that spec (also a KeyError)
    │   └── SpillThresholdError        KIKAN_STD_SPILL_AT is not a whole number >= 0 (also a ValueError)
    ├── InputError                     an input cannot be read at all (exit 2)
    │   ├── InputNotFoundError         no such file or folder
    │   ├── InputIsDirectoryError      a folder where a file is expected
    │   ├── CannotOpenError            the file exists but cannot be opened
    │   ├── UnknownEncodingError       no codec of that name
    │   │   └── UnsupportedEncodingError  a codec we do not read (UTF-16/32, base64, rot13 …)
    │   ├── UnknownInputFormatError    not csv, json, xml or fixed
    │   ├── LayoutError                a fixed-width layout file is unusable
    │   │   ├── LayoutRequiredError    fixed-width input without a layout
    │   │   ├── LayoutGroupError       the layout does not name its group and the spec has several
    │   │   └── LayoutItemError        a layout item is not an item of the group
    │   ├── GjTableError               the table of GJ added characters is unreadable or malformed
    │   ├── ManifestError              a deliverable's manifest is malformed
    │   ├── NotADeliverableError       a deliverable path is neither a folder nor a zip
    │   ├── UnsafeArchiveError         a zip refused before use: traversal, links, zip bomb
    │   └── ReconcileInputError        a 突合 input cannot be read (also a ValueError)
    ├── OutputError                    a report or sample cannot be written (exit 2)
    │   └── OutputExistsError          refuses to overwrite an existing file or a non-empty folder
    ├── SpecError                      the spec cannot be had (exit 2)
    │   ├── UnknownSpecError           no built-in spec has that id (also a KeyError, for older callers)
    │   ├── SpecFileError              a spec JSON file cannot be read or is not a spec (also a ValueError)
    │   │   └── SpecFileNotFoundError  no file at that path
    │   └── WorkbookError              a workbook does not fit the 基本データリスト layout (also a ValueError)
    ├── BaselineError                  the baseline is not a readable kikan-std JSON report (also a ValueError)
    ├── WaiverError                    the waiver file is unreadable or malformed (also a ValueError)
    └── InternalError                  a bug in kikan-std (exit 3)
        └── CatalogueError             the packaged catalogue data is malformed

Each class has a stable ``kind`` (``e.kind``, e.g. ``"file_not_found"``) and is raised with named
parameters (``e.params``); :meth:`KikanStdError.message` renders the message in Japanese or English from
the one table :data:`MESSAGES` below. ``str(e)`` is the English message (what logs and older callers saw).

The messages live here, beside the types, rather than in the finding catalogue
(``kikan_std/data/catalogue``): this module is the bottom layer, which every raise site may import, and
an error is not a finding (no clause, no example, no docs page of its own); docs/cli.md lists the kinds.

:class:`RuleNotRun` is not a failure of the run: a rule raises it to say it could not be evaluated, and the
engine turns it into a SYS002 finding, so the report cannot be valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

Lang = Literal["ja", "en"]

MESSAGES: dict[str, tuple[str, str]] = {
    # kind: (Japanese, English). Parameters in braces. ``{message}`` is free text given at the raise site;
    # ``{ja}`` / ``{en}`` are free texts per language (both default to ``message``).
    "error": ("{ja}", "{en}"),
    "usage": ("{ja}", "{en}"),
    "bad_arguments": ("引数が正しくありません: {detail}", "bad arguments: {detail}"),
    "bad_rule_option": ("規則オプション {option} の値が不正です: {value}（{choices}）",
                        "bad value for rule option {option}: {value} ({choices})"),
    "unknown_rule_option": ("未知の規則オプションです: {options}（使えるもの: {known}）",
                            "unknown rule option: {options} (known: {known})"),
    "rule_option_unknown_spec": ("規則オプションの仕様が組み込みにないか、この検査の仕様ではありません: {spec_id}",
                                 "rule options for a spec that is not built in or not this run's: {spec_id}"),
    "unknown_group": ("グループが見つかりません: {group}", "unknown group: {group}"),
    "unknown_code": ("指摘コードが見つかりません: {code}", "unknown code: {code}"),
    "unknown_output_format": ("未知の出力形式です: {format}（{choices} のいずれか）",
                              "unknown output format: {format} (one of {choices})"),
    "unknown_generator": ("この仕様の生成器はありません: {spec_id}（{choices}）",
                          "no generator for spec: {spec_id} ({choices})"),
    "bad_spill_threshold": ("環境変数 KIKAN_STD_SPILL_AT は 0 以上の整数で指定してください: {value}",
                            "KIKAN_STD_SPILL_AT must be a whole number >= 0: {value}"),
    "input": ("{ja}", "{en}"),
    "file_not_found": ("ファイルが見つかりません: {path}", "file not found: {path}"),
    "is_a_directory": ("ディレクトリです: {path}", "is a directory: {path}"),
    "cannot_open": ("ファイルを開けません: {path}: {reason}", "cannot open {path}: {reason}"),
    "unknown_encoding": ("未知の文字コードです: {encoding}", "unknown encoding: {encoding}"),
    "unsupported_encoding": ("対応していない文字コードです: {encoding}（対応: {supported}。UTF-16/UTF-32 は UTF-8 に変換してください）",
                             "unsupported encoding: {encoding} (supported: {supported}; convert UTF-16/UTF-32 to UTF-8)"),
    "unknown_input_format": ("未知の入力形式です: {format}（{choices}）", "unknown input format: {format} ({choices})"),
    "invalid_layout": ("固定長レイアウトが不正です: {path}: {detail}", "invalid layout file {path}: {detail}"),
    "layout_required": ("固定長の入力にはレイアウトが必要です（--layout FILE。仕様にレイアウトがありません）",
                        "fixed-width input needs a layout: --layout FILE (no layout in the spec)"),
    "layout_group_missing": ("レイアウトにグループ（group）の指定がなく、仕様には複数のグループがあります",
                             'the layout does not name its group ("group") and the spec has several'),
    "layout_item_not_in_group": ("レイアウトの項目がグループ {group} にありません: {item}",
                                 "layout item not in group {group}: {item}"),
    "bad_gj_table": ("追加文字（GJ）の一覧を使えません: {path}: {detail}", "cannot use the GJ table {path}: {detail}"),
    "bad_manifest": ("成果物の目録（manifest）が不正です: {path}: {detail}", "bad manifest {path}: {detail}"),
    "not_a_deliverable": ("成果物一式のフォルダでも zip 書庫でもありません: {path}",
                          "not a folder or zip archive: {path}"),
    "unsafe_archive": ("安全でない ZIP 書庫のため検査を中止しました（何も展開していません）: {detail}",
                       "unsafe archive refused (nothing extracted): {detail}"),
    "reconcile_input": ("{ja}", "{en}"),
    "cannot_write": ("書き出せません: {path}: {reason}", "cannot write {path}: {reason}"),
    "output_exists": ("既にあるファイル・空でないフォルダには書き出しません: {path}",
                      "will not overwrite a file or write into a non-empty folder: {path}"),
    "spec": ("{ja}", "{en}"),
    "unknown_spec": ("仕様が見つかりません: {spec_id}（組み込み: {builtin}）", "unknown spec: {spec_id} (built-in: {builtin})"),
    "spec_file_not_found": ("仕様ファイルが見つかりません: {path}", "spec file not found: {path}"),
    "bad_spec_file": ("仕様ファイルを使えません: {path}: {detail}", "cannot use spec file {path}: {detail}"),
    "bad_workbook": ("{ja}", "{en}"),
    "bad_baseline": ("ベースラインを読めません: {detail}", "{detail}"),
    "bad_waivers": ("承認ファイルを読めません: {detail}", "{detail}"),
    "internal": ("{ja}", "{en}"),
    "bad_catalogue": ("カタログのデータが不正です（kikan-std の不具合）: {message}",
                      "the catalogue data is malformed (a bug in kikan-std): {message}"),
}
"""Every error kind with its message template, Japanese first. A test checks each class's kind is here."""


def _rebuild(cls: type[KikanStdError], message: str, params: dict[str, Any]) -> KikanStdError:
    """Unpickle an error without calling a subclass's own ``__init__`` (errors cross process boundaries)."""
    e = cls.__new__(cls)
    KikanStdError.__init__(e, message, **params)
    return e


class KikanStdError(Exception):
    """The root of every exception kikan-std raises on purpose.

    Args:
        message: Free text, for kinds whose template is ``{message}`` (or extra detail).
        **params: The named parameters of this kind's message template.
    """

    kind: ClassVar[str] = "error"

    def __init__(self, message: str = "", /, **params: Any) -> None:
        self.text = message
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: Lang = "ja") -> str:
        """The message in ``lang`` (Japanese by default), rendered from :data:`MESSAGES`."""
        ja, en = MESSAGES[self.kind]
        template = ja if lang == "ja" else en
        values = {"ja": self.text, "en": self.text} | {k: _text(v) for k, v in self.params.items()}
        return template.format(message=self.text, **values)

    def __str__(self) -> str:
        return self.message("en")

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.text, self.params)


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


class UsageError(KikanStdError):
    """A usage problem: arguments or options that cannot be used (exit 2).

    Raised as ``UsageError(ja="…", en="…")`` (or ``UsageError("…")``, one text for both) where no
    more specific type fits.
    """

    kind = "usage"


class ArgumentsError(UsageError):
    """The command line does not parse (``detail`` is the parser's message)."""

    kind = "bad_arguments"


class RuleOptionError(UsageError, ValueError):
    """A rule option ``option`` given ``value``, outside its ``choices`` (the base of every rule-option error)."""

    kind = "bad_rule_option"


class UnknownRuleOptionError(RuleOptionError):
    """No rule option called ``options`` (``known`` lists the spec's options)."""

    kind = "unknown_rule_option"


class RuleOptionSpecError(RuleOptionError):
    """Rule options were given for a spec id that is not built in (``spec_id``)."""

    kind = "rule_option_unknown_spec"


class UnknownGroupError(UsageError, KeyError):
    """No group of the spec is called ``group`` (a KeyError too: :meth:`Spec.group` raised KeyError before)."""

    kind = "unknown_group"


class UnknownCodeError(UsageError, KeyError):
    """No finding code ``code`` in the catalogue (asked for by the user, e.g. ``kikan-std explain``)."""

    kind = "unknown_code"


class UnknownOutputFormatError(UsageError, ValueError):
    """No writer for output format ``format`` (``choices`` lists them)."""

    kind = "unknown_output_format"


class UnknownGeneratorError(UsageError, KeyError):
    """No synthetic-data generator for spec ``spec_id`` (``choices`` lists those there are)."""

    kind = "unknown_generator"


class SpillThresholdError(UsageError, ValueError):
    """The environment variable KIKAN_STD_SPILL_AT is not a whole number >= 0 (``value``)."""

    kind = "bad_spill_threshold"


class InputError(KikanStdError):
    """The input cannot be read at all (missing file, unknown encoding, unusable layout)."""

    kind = "input"


class InputNotFoundError(InputError):
    """No file or folder at ``path``."""

    kind = "file_not_found"


class InputIsDirectoryError(InputError):
    """``path`` is a folder where a file is expected."""

    kind = "is_a_directory"


class CannotOpenError(InputError):
    """``path`` exists but cannot be opened (``reason`` from the operating system)."""

    kind = "cannot_open"


class UnknownEncodingError(InputError):
    """No codec called ``encoding``."""

    kind = "unknown_encoding"


class UnsupportedEncodingError(UnknownEncodingError):
    """A codec Python knows but inputs are not read with (``supported`` lists those that are)."""

    kind = "unsupported_encoding"


class UnknownInputFormatError(InputError):
    """The input format ``format`` is not one of ``choices``."""

    kind = "unknown_input_format"


class LayoutError(InputError):
    """The fixed-width layout file ``path`` is unusable (``detail``)."""

    kind = "invalid_layout"


class LayoutRequiredError(LayoutError):
    """Fixed-width input, but neither ``--layout`` nor a layout in the spec."""

    kind = "layout_required"


class LayoutGroupError(LayoutError):
    """The layout does not name its group and the spec has several."""

    kind = "layout_group_missing"


class LayoutItemError(LayoutError):
    """A layout field names ``item``, which is not an item of ``group``."""

    kind = "layout_item_not_in_group"


class GjTableError(InputError):
    """The table of GJ added characters at ``path`` cannot be read or is malformed (``detail``)."""

    kind = "bad_gj_table"


class ManifestError(InputError):
    """The deliverable's manifest ``path`` is malformed (``detail``)."""

    kind = "bad_manifest"


class NotADeliverableError(InputError):
    """``path`` (given without ``--spec``) is neither a folder nor a zip archive."""

    kind = "not_a_deliverable"


class UnsafeArchiveError(InputError):
    """A zip archive refused before anything of it is used (traversal, links, zip bomb; ``detail``)."""

    kind = "unsafe_archive"


class ReconcileInputError(InputError, ValueError):
    """A 突合 input cannot be read: missing file, undecodable bytes, missing required columns (free text)."""

    kind = "reconcile_input"


class OutputError(KikanStdError):
    """A report or sample cannot be written to ``path`` (``reason`` from the operating system)."""

    kind = "cannot_write"


class OutputExistsError(OutputError):
    """Refuses to overwrite the file, or write into the non-empty folder, at ``path``."""

    kind = "output_exists"


class SpecError(KikanStdError):
    """The spec cannot be had."""

    kind = "spec"


class UnknownSpecError(SpecError, KeyError):
    """No built-in spec has that id."""

    kind = "unknown_spec"

    def __init__(self, spec_id: str, builtin: Sequence[str] = ()) -> None:
        super().__init__(spec_id=spec_id, builtin=tuple(builtin))

    @property
    def spec_id(self) -> str:
        return str(self.params["spec_id"])

    @property
    def builtin(self) -> tuple[str, ...]:
        return tuple(self.params["builtin"])


class SpecFileError(SpecError, ValueError):
    """The spec file ``path`` cannot be read or is not a spec (``detail``)."""

    kind = "bad_spec_file"


class SpecFileNotFoundError(SpecFileError):
    """No spec file at ``path``."""

    kind = "spec_file_not_found"


class WorkbookError(SpecError, ValueError):
    """The workbook does not fit the 基本データリスト layout (free text, bilingual, naming sheet and column)."""

    kind = "bad_workbook"


class BaselineError(KikanStdError, ValueError):
    """The baseline file cannot be read or is not a kikan-std JSON report (``detail``)."""

    kind = "bad_baseline"


class WaiverError(KikanStdError, ValueError):
    """The waiver file cannot be read or is malformed (``detail``)."""

    kind = "bad_waivers"


class InternalError(KikanStdError):
    """A bug in kikan-std itself (exit 3)."""

    kind = "internal"


class CatalogueError(InternalError, ValueError):
    """The catalogue data is malformed (a bug in the package, caught by the tests)."""

    kind = "bad_catalogue"


class RuleNotRun(Exception):
    """A rule could not be evaluated (e.g. a column it needs is missing): the engine reports SYS002."""


__all__ = [
    "MESSAGES",
    "ArgumentsError",
    "BaselineError",
    "CannotOpenError",
    "CatalogueError",
    "GjTableError",
    "InputError",
    "InputIsDirectoryError",
    "InputNotFoundError",
    "InternalError",
    "KikanStdError",
    "Lang",
    "LayoutError",
    "LayoutGroupError",
    "LayoutItemError",
    "LayoutRequiredError",
    "ManifestError",
    "NotADeliverableError",
    "OutputError",
    "OutputExistsError",
    "ReconcileInputError",
    "RuleNotRun",
    "RuleOptionError",
    "RuleOptionSpecError",
    "SpecError",
    "SpecFileError",
    "SpecFileNotFoundError",
    "SpillThresholdError",
    "UnknownCodeError",
    "UnknownEncodingError",
    "UnknownGeneratorError",
    "UnknownGroupError",
    "UnknownInputFormatError",
    "UnknownOutputFormatError",
    "UnknownRuleOptionError",
    "UnknownSpecError",
    "UnsafeArchiveError",
    "UnsupportedEncodingError",
    "UsageError",
    "WaiverError",
    "WorkbookError",
]
