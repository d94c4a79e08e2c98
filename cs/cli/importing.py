"""What `ticket import` and `callback import` say about an import: result, column mapping, preview, errors."""

from __future__ import annotations

import functools
import sys

import click

from cs import output
from cs.core.i18n import N_, _
from cs.core.text import cut_echoed_values

# What an import says, by the kind of record (`noun`): whole sentences, so each reads right in Chinese.
PREVIEW = {"ticket": N_("First tickets as they would be stored:"),
           "callback": N_("First callbacks as they would be stored:")}
IMPORTED = {("ticket", False): N_("imported {count} ticket(s)"),
            ("ticket", True): N_("would import {count} ticket(s)"),
            ("callback", False): N_("imported {count} callback(s)"),
            ("callback", True): N_("would import {count} callback(s)")}


def import_options(func):
    """SOURCE and the options every import takes; the command receives the parsed SheetOptions as `options`."""

    @click.argument("source", type=click.Path(allow_dash=True, dir_okay=False))
    @click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "csv", "xlsx"]),
                  help="Input format [default: from the file name or its first bytes].")
    @click.option("--sheet", metavar="NAME", help="The workbook's sheet to read [default: the first].")
    @click.option("--map", "maps", multiple=True, metavar="列名=FIELD",
                  help="Read a column into a field ('列名=' skips the column). Repeatable.")
    @click.option("--value", "values", multiple=True, metavar="FIELD:原值=CODE",
                  help="Read a value as another, e.g. category:维修=repair or agent:小王=wang. Repeatable.")
    @click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE",
                  help="A value for rows that leave the field empty, e.g. channel=phone. Repeatable.")
    @click.option("--encoding", type=click.Choice(["utf-8", "utf-8-sig", "gb18030"]),
                  help="A CSV file's encoding [default: detected: UTF-8 when the whole file is, else GB18030].")
    @click.option("--date-order", type=click.Choice(["ymd", "mdy", "dmy"]), default="ymd", show_default=True,
                  help="How a sheet's dates such as 11/18/2026 read when the year comes last: mdy (month first, as"
                       " LibreOffice and Excel in the US write them) or dmy; ymd refuses them.")
    @click.option("--dry-run", is_flag=True, help="Check every row and show the column mapping and the first rows"
                                                  " as they would be stored; write nothing.")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @functools.wraps(func)
    def wrapper(*args, sheet, maps, values, defaults, encoding, date_order, **kwargs):
        return func(*args, sheet_args={"sheet": sheet, "maps": maps, "values": values, "defaults": defaults,
                                       "encoding": encoding, "date_order": date_order}, **kwargs)

    return wrapper


def run_import(importer, fields, source, fmt, sheet_args, dry_run, **extra):
    """`importer` is cs.tickets_io or cs.callbacks_io; SOURCE '-' is stdin."""
    from cs.cli.common import app_and_ctx
    from cs.exchange.importing import SheetOptions

    _app, ctx = app_and_ctx()
    options = SheetOptions.parse(fields, **sheet_args)
    if source == "-":
        return importer.import_stream(ctx, sys.stdin.buffer, source="-", fmt=fmt, dry_run=dry_run, options=options,
                                      **extra)
    return importer.import_file(ctx, source, fmt=fmt, dry_run=dry_run, options=options, **extra)


SKIPS_SHOWN = 10  # a file imported again skips every row: the count says the rest


def report_import(result: dict, as_json: bool, noun: str, show_rows) -> None:
    """An import's outcome: JSON on stdout if asked; the mapping and preview of a dry run; errors on stderr."""
    if as_json:
        output.render_object(result, "json", sys.stdout)
    else:
        if "table" in result and (result["dry_run"] or result["errors"]):
            show_mapping(result["table"])
        if result.get("preview"):
            click.echo(_(PREVIEW[noun]))
            show_rows(result["preview"])
    in_sheet = bool(result.get("table", {}).get("sheet"))
    for error in result["errors"]:
        column = _(" (column {column})").format(column=error["column"]) if error.get("column") else ""
        template = (_("Error: row {line}: {field}{column}: {message}") if in_sheet
                    else _("Error: line {line}: {field}{column}: {message}"))
        click.echo(cut_echoed_values(template.format(line=error["line"], field=error["field"], column=column,
                                                     message=error["message"])), err=True)
    if result["errors"]:
        shown = len(result["errors"])
        more = result["error_count"] - shown
        raise click.ClickException(
            _("{count} bad row(s){not_shown}; nothing was imported. Fix them and run the import again").format(
                count=result["error_count"],
                not_shown=_(" ({more} more not shown)").format(more=more) if more > 0 else "")
        )
    for skipped in result["skipped_rows"][:SKIPS_SHOWN]:
        template = _("skipped row {line}: {message}") if in_sheet else _("skipped line {line}: {message}")
        click.echo(template.format(line=skipped["line"], message=skipped["message"]), err=True)
    click.echo(_(IMPORTED[noun, bool(result["dry_run"])]).format(count=result["imported"]), err=True)
    if result["skipped"]:
        click.echo(_("{count} row(s) skipped: tickets the desk has already, or repeats of an earlier row;"
                     " --allow-duplicates imports them").format(count=result["skipped"]), err=True)


def show_mapping(table: dict) -> None:
    if table["sheet"]:
        title = _("Columns (sheet {sheet!r}, header in row {row}):").format(sheet=table["sheet"],
                                                                             row=table["header_row"])
    else:
        title = _("Columns (CSV in {encoding}, header in row {row}):").format(encoding=table["encoding"],
                                                                               row=table["header_row"])
    click.echo(title)
    rows = [{"letter": column["letter"], "column": column["column"],
             "field": column["field"] or (_("(skipped)") if column["known"] else _("? (unknown: use --map)"))}
            for column in table["columns"]]
    output.render_list(rows, "table", sys.stdout, columns=["letter", "column", "field"],
                       headers={"letter": "", "column": _("Column"), "field": _("Field")})
    click.echo()
