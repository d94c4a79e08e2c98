"""What `ticket import` and `callback import` say about an import: result, column mapping, preview, errors."""

from __future__ import annotations

import functools
import sys

import click

from cs import output
from cs.core.text import cut_echoed_values


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
    @click.option("--dry-run", is_flag=True, help="Check every row and show the column mapping and the first rows"
                                                  " as they would be stored; write nothing.")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @functools.wraps(func)
    def wrapper(*args, sheet, maps, values, defaults, encoding, **kwargs):
        return func(*args, sheet_args={"sheet": sheet, "maps": maps, "values": values, "defaults": defaults,
                                       "encoding": encoding}, **kwargs)

    return wrapper


def run_import(importer, fields, source, fmt, sheet_args, dry_run, **extra):
    """`importer` is cs.tickets_io or cs.callbacks_io; SOURCE '-' is stdin."""
    from cs.cli.common import app_and_ctx
    from cs.exchange.importing import SheetOptions

    _, ctx = app_and_ctx()
    options = SheetOptions.parse(fields, **sheet_args)
    if source == "-":
        return importer.import_stream(ctx, sys.stdin.buffer, source="-", fmt=fmt, dry_run=dry_run, options=options,
                                      **extra)
    return importer.import_file(ctx, source, fmt=fmt, dry_run=dry_run, options=options, **extra)


def report_import(result: dict, as_json: bool, noun: str, show_rows) -> None:
    """An import's outcome: JSON on stdout if asked; the mapping and preview of a dry run; errors on stderr."""
    if as_json:
        output.render_object(result, "json", sys.stdout)
    else:
        if "table" in result and (result["dry_run"] or result["errors"]):
            show_mapping(result["table"])
        if result.get("preview"):
            click.echo(f"First {noun}s as they would be stored:")
            show_rows(result["preview"])
    where = "row" if result.get("table", {}).get("sheet") else "line"
    for error in result["errors"]:
        column = f" (column {error['column']})" if error.get("column") else ""
        click.echo(cut_echoed_values(f"Error: {where} {error['line']}: {error['field']}{column}: {error['message']}"),
                   err=True)
    if result["errors"]:
        shown = len(result["errors"])
        more = result["error_count"] - shown
        raise click.ClickException(
            f"{result['error_count']} bad row(s){f' ({more} more not shown)' if more > 0 else ''};"
            " nothing was imported. Fix them and run the import again"
        )
    verb = "would import" if result["dry_run"] else "imported"
    click.echo(f"{verb} {result['imported']} {noun}(s)", err=True)


def show_mapping(table: dict) -> None:
    where = f"sheet {table['sheet']!r}" if table["sheet"] else f"CSV in {table['encoding']}"
    click.echo(f"Columns ({where}, header in row {table['header_row']}):")
    rows = [{"letter": column["letter"], "column": column["column"],
             "field": column["field"] or ("(skipped)" if column["known"] else "? (unknown: use --map)")}
            for column in table["columns"]]
    output.render_list(rows, "table", sys.stdout, columns=["letter", "column", "field"],
                       headers={"letter": "", "column": "Column", "field": "Field"})
    click.echo()
