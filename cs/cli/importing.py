"""What `ticket import` and `callback import` say about an import: result, column mapping, preview, errors."""

from __future__ import annotations

import sys

import click

from cs import output


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
        click.echo(f"Error: {where} {error['line']}: {error['field']}{column}: {error['message']}", err=True)
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
