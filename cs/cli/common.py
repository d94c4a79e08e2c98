"""Options and rendering shared by every command group (the sqlite-utils `output_options` idea)."""

from __future__ import annotations

import functools
import sys

import click

from cs import output
from cs.cli import ChoiceParam, TimeParam
from cs.core.i18n import _


def headers(lang: str) -> dict:
    from cs.core.labels import LABELS  # only listings need column headers; write commands print an id

    index = 0 if lang == "zh" else 1
    return {key: pair[index] for key, pair in LABELS.items()}


def output_options(func=None, *, workbook: bool = False, formats=output.FORMATS, default: str | None = None):
    """--format and --json for a read command; the chosen format arrives as `fmt`.

    `workbook=True` adds --format xlsx and -o FILE (any format may go to a file; a workbook must). The file
    is kept on the App for `emit_list`, so commands need no parameter for it. `default` replaces CS_FORMAT
    for a command whose output is data for another program (export).
    """
    formats = tuple(formats) + (("xlsx",) if workbook else ())
    shown_default = f"default {default}" if default else "env CS_FORMAT; default table"

    def decorate(func):
        @click.option("--format", "fmt", type=click.Choice(formats), default=None,
                      help=f"Output format [{shown_default}].")
        @click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
        @functools.wraps(func)
        def wrapper(*args, fmt=None, as_json=False, out_path=None, encoding=None, **kwargs):
            app = click.get_current_context().obj
            chosen = "json" if as_json else (fmt or default or app.format)
            if chosen not in formats:
                raise click.BadParameter(_("CS_FORMAT={chosen!r} is not one of {formats}").format(
                    chosen=chosen, formats=", ".join(formats)))
            if chosen == "xlsx" and not out_path:
                raise click.UsageError(_("--format xlsx writes a workbook: give -o FILE.xlsx"))
            if encoding and chosen not in ("csv", "tsv"):
                raise click.UsageError(_("--encoding is for --format csv or tsv"))
            app.output_path = out_path
            app.output_encoding = encoding
            return func(*args, fmt=chosen, **kwargs)

        if "csv" in formats:
            wrapper = click.option(
                "--encoding", type=click.Choice(CSV_ENCODINGS),
                help="CSV and TSV in this encoding [default: utf-8-sig (with the BOM Excel needs) to a file, utf-8 to"
                     " stdout]; gb18030 for older Excel in China.")(wrapper)
        if workbook:
            wrapper = click.option("-o", "--output", "out_path", metavar="FILE", type=click.Path(dir_okay=False),
                                   help="Write to FILE (owner-only) instead of stdout; needed for xlsx.")(wrapper)
        return wrapper

    return decorate(func) if func is not None else decorate


def json_option(func):
    """--json for a write command: print the whole object instead of its id."""
    return click.option("--json", "as_json", is_flag=True, help="Print the changed record as JSON.")(func)


def at_option(func):
    return click.option("--at", "at", type=TimeParam(), default=None, help="When it happened [default now].")(func)


# Ids are SQLite integers: anything larger is a usage error, not a crash.
RECORD_ID = click.IntRange(1, 2**63 - 1)


def list_options(default_sort: str, sortable):
    """--limit and --sort; sort fields are checked here so a bad one is a usage error (exit 2)."""

    def check_sort(ctx, param, value):
        for item in value.split(","):
            field = item.strip().lstrip("-+")
            if field not in sortable:
                raise click.BadParameter(
                    _("cannot sort by '{field}'; use one of: {fields} (prefix - for descending)").format(
                        field=field, fields=", ".join(sorted(sortable)))
                )
        return value

    def decorate(func):
        func = click.option("--sort", default=default_sort, show_default=True, callback=check_sort,
                            help="Field(s) to sort by, comma separated; prefix - for descending.")(func)
        func = click.option("--limit", type=click.IntRange(min=1, max=2**63 - 1), default=None,
                            help="At most N rows [default 50 on a terminal, else all].")(func)
        return func

    return decorate


def sort_rows(rows: list[dict], sort: str) -> list[dict]:
    """Sort computed rows by '-field,field' (fields already checked by list_options); None sorts first."""
    for item in reversed([part.strip() for part in sort.split(",")]):
        field = item.lstrip("-+")
        rows = sorted(rows, key=lambda row: (row[field] is not None, row[field] if row[field] is not None else 0),
                      reverse=item.startswith("-"))
    return rows


def terminal_limit(limit):
    """People at a terminal see a page; scripts and pipes get everything unless they ask."""
    if limit is None and sys.stdout.isatty():
        return 50
    return limit


def emit_list(rows, fmt, columns, *, max_widths=None, lang=None, labels=None, enums=None, title="cs"):
    """`labels` overrides column labels for this listing: key -> (zh, en). A workbook (xlsx) holds every field
    of the rows, enumerations as their labels (`enums`: key -> table), under the sheet `title`; -o FILE of
    `output_options(workbook=True)` sends any format to that file."""
    app = click.get_current_context().obj
    lang = lang or app.lang
    shown = {**headers(lang), **{key: pair[0 if lang == "zh" else 1] for key, pair in (labels or {}).items()}}
    path = getattr(app, "output_path", None)
    if fmt == "xlsx":
        write_workbook(path, [sheet_of(rows, title, shown, enums, lang)])
        return
    if fmt == "table" and enums:  # a table is read by people: codes as their labels (JSON and CSV keep codes)
        rows = (_labelled(row, enums, lang) for row in rows)
    encoding = getattr(app, "output_encoding", None)
    if fmt in ("csv", "tsv") and (path or encoding not in (None, "utf-8")):
        # Excel in China reads UTF-8 only after a BOM (else it guesses GB18030): a file gets one unless told.
        _write_encoded(path, encoding or ("utf-8-sig" if path else "utf-8"),
                       lambda out: output.render_list(rows, fmt, out, columns=columns, headers=shown,
                                                      max_widths=max_widths))
        if path:
            click.echo(path)
        return
    if path:
        with private_text_file(path) as out:
            output.render_list(rows, fmt, out, columns=columns, headers=shown, max_widths=max_widths)
        click.echo(path)
        return
    output.render_list(rows, fmt, sys.stdout, columns=columns, headers=shown, max_widths=max_widths)


CSV_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")


def _write_encoded(path, encoding: str, render) -> None:
    """Text in `encoding`, streamed to the file at `path` (owner-only, whole or not at all) or to stdout."""
    import io

    from cs.core import files

    if path:
        with files.replacing(path, binary=True) as binary:
            text = io.TextIOWrapper(binary, encoding=encoding, newline="")
            render(text)
            text.flush()
            text.detach()
        return
    sys.stdout.flush()
    text = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline="", write_through=True)
    try:
        render(text)
        text.flush()
    finally:
        text.detach()


def sheet_of(rows, title, shown, enums, lang, columns=None):
    """A workbook sheet of JSON rows: every field (or `columns`), enumerations shown as labels."""
    from itertools import chain

    from cs.exchange.workbook import Sheet

    rows = iter(rows)
    first = next(rows, None)
    keys = columns or (list(first) if first is not None else [])

    every = chain([first], rows) if first is not None else iter(())
    return Sheet(title, keys, shown, (_labelled(row, enums, lang) for row in every))


def _labelled(row: dict, enums: dict | None, lang: str) -> dict:
    return {**row, **{key: _shown(row[key], table, lang) for key, table in (enums or {}).items()
                      if row.get(key) is not None}}


def _shown(value, table: dict, lang: str):
    from cs.core.vocabulary import label

    return [label(table, item, lang) for item in value] if isinstance(value, list) else label(table, value, lang)


def write_workbook(path, sheets) -> None:
    from cs.exchange import workbook

    count = workbook.write(path, sheets)
    click.echo(path)
    click.echo(_("wrote {count} row(s) to {path}").format(count=count, path=path), err=True)


def private_text_file(path):
    """A text file only its owner may read (listings hold customers' names and phones), appearing whole."""
    from cs.core import files

    return files.replacing(path)


def emit_object(obj, fmt, *, fields=None, sections=None, enums=None):
    app = click.get_current_context().obj
    if fmt == "table" and enums:
        obj = _labelled(obj, enums, app.lang)
    encoding = getattr(app, "output_encoding", None)
    if fmt in ("csv", "tsv") and encoding not in (None, "utf-8"):
        _write_encoded(None, encoding, lambda out: output.render_object(obj, fmt, out, fields=fields,
                                                                        headers=headers(app.lang), sections=sections))
        return
    output.render_object(obj, fmt, sys.stdout, fields=fields, headers=headers(app.lang), sections=sections)


def emit_written(obj, as_json: bool, key: str = "id"):
    """Write commands print the new or changed record's id, or the whole object with --json."""
    if as_json:
        output.render_object(obj, "json", sys.stdout)
    else:
        output.emit_id(obj[key], sys.stdout)


def resolve(app, spec):
    """A TimeSpec option value as an aware datetime (None stays None)."""
    return None if spec is None else app.ctx.resolve_time(spec)


def resolve_until(app, spec):
    """An exclusive upper bound: a date alone (`--until 2026-11-30`) means through that whole day."""
    from datetime import timedelta

    moment = resolve(app, spec)
    return moment + timedelta(days=1) if spec is not None and spec.date_only else moment


def choice(table, what):
    return ChoiceParam(table, what)


def app_and_ctx():
    app = click.get_current_context().obj
    return app, app.ctx


def short_time(text):
    """'2026-11-20T09:30:00+08:00' -> '11-20 09:30' for narrow table columns."""
    return text[5:16].replace("T", " ") if text else text


def change_options(id_name: str):
    """The record's id, --json and --at: the options every state change of one record takes (the command's
    own options go below it)."""
    def decorate(func):
        return click.argument(id_name, type=RECORD_ID)(json_option(at_option(func)))
    return decorate


def change_record(func, record_id: int, at, as_json: bool, **values) -> None:
    """A state change of one record: `func(ctx, id, at=..., **values)` in one transaction, TIME values read
    against the clock first, then the record's id (or the record with --json) printed."""
    from cs.core.clock import TimeSpec

    app, ctx = app_and_ctx()
    values = {key: resolve(app, value) if isinstance(value, TimeSpec) else value for key, value in values.items()}
    with ctx.db.transaction():
        record = func(ctx, record_id, at=app.business_time(at), **values)
    emit_written(record, as_json)


class MonthParam(click.ParamType):
    """YYYY-MM, checked when the command line is read (a malformed month is a usage error)."""

    name = "YYYY-MM"

    def convert(self, value, param, ctx):
        from cs.core.errors import CSError
        from cs.scoring.units import month_days

        try:
            month_days(value)
        except CSError as exc:
            self.fail(str(exc), param, ctx)
        return value


MONTH = MonthParam()
