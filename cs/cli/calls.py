"""cs calls ...: call records from the switch, and the hotline's figures (接通率, three rings, ASA, AHT)."""

from __future__ import annotations

import sys

import click

from cs.cli import AGENT, TimeParam, completion
from cs.cli.common import MONTH, app_and_ctx, emit_object, headers, output_options
from cs.core.i18n import _


@click.group()
def calls():
    """Call records (话单) and the hotline's figures: 接通率, answered within three rings, ASA, AHT."""


@calls.command("import")
@click.argument("source", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["asterisk", "freeswitch", "sheet"]),
              help="asterisk: Master.csv (no header); freeswitch: cdr_csv's default template; sheet: CSV or .xlsx with"
                   " headers (主叫, 开始时间, 应答时间, 结束时间, 坐席/分机, 结果, 编号) [default: from the first line].")
@click.option("--utc", is_flag=True,
              help="Times without an offset are UTC (Asterisk's cdr.conf usegmtime=yes) [default: the centre's].")
@click.option("--dry-run", is_flag=True, help="Check every record; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def import_(source, fmt, utc, dry_run, as_json):
    """Import call records; a record already imported is skipped, so a file imported again adds nothing."""
    from cs import output
    from cs.exchange import calls as calls_io
    from cs.exchange.importing import open_source

    _app, ctx = app_and_ctx()
    if source == "-":
        result = calls_io.import_stream(ctx, sys.stdin.buffer, fmt=fmt, dry_run=dry_run, utc=utc)
    else:
        with open_source(source) as binary:
            result = calls_io.import_stream(ctx, binary, fmt=fmt, dry_run=dry_run, utc=utc)
    if as_json:
        output.render_object(result, "json", sys.stdout)
    for error in result["errors"]:
        click.echo(_("Error: line {line}: {message}").format(line=error["line"], message=error["message"]), err=True)
    if result["error_count"]:
        raise click.ClickException(_("{count} bad record(s); nothing was imported. Fix them and run the import"
                                     " again").format(count=result["error_count"]))
    if result["unknown_extensions"]:
        click.echo(_("Warning: no agent has extension(s) {extensions}; their calls count for the centre, not an agent"
                     " (cs agent update HANDLE --extension EXT, then import the file again)").format(
            extensions=", ".join(result["unknown_extensions"][:20])), err=True)
    template = (_("would import {imported} call(s), complete {updated}; {skipped} already imported") if dry_run
                else _("imported {imported} call(s), completed {updated}; {skipped} already imported"))
    click.echo(template.format(imported=result["imported"], updated=result["updated"], skipped=result["skipped"]),
               err=True)


@calls.command("stats")
@click.option("--date", "day", type=TimeParam(), help="One business day [default today].")
@click.option("--month", type=MONTH, help="A month, YYYY-MM.")
@click.option("--agent", type=AGENT, shell_complete=completion.agents, help="One agent's calls.")
@output_options
def stats(day, month, agent, fmt):
    """Offered, answered, 接通率, abandoned, answered within [calls] answer_within, ASA and AHT."""
    from cs.calls.figures import call_figures
    from cs.cli.shifts import local_day
    from cs.scoring import units

    app, ctx = app_and_ctx()
    if day is not None and month:
        raise click.UsageError(_("give --date or --month, not both"))
    if month:
        first, after = units.month_days(month)
        start, end = units.bounds(ctx, first)[0], units.bounds(ctx, after)[0]
        period = {"month": month}
    else:
        chosen = local_day(app, day)
        start, end = units.bounds(ctx, chosen)
        period = {"date": chosen.isoformat()}
    figures = call_figures(ctx, start, end, [agent] if agent else None)
    show_stats({**period, "agent": agent, "start": ctx.display(start), "end": ctx.display(end), **figures}, fmt)


def show_stats(result: dict, fmt: str) -> None:
    """The figures as data, or for people: rates in percent, then a table per shift and per agent."""
    if fmt != "table":
        emit_object(result, fmt)
        return
    app = click.get_current_context().obj
    shown = {**headers(app.lang), "agent": _("Agent")}
    shift_rows = [{**_as_percent(row), "shift": row["label"] or _("outside every shift")} for row in result["by_shift"]]
    agent_rows = [{**_as_percent(row), "agent": row["agent"] or _("(no agent)"), "name": row["name"] or ""}
                  for row in result["by_agent"]]
    top = {key: value for key, value in _as_percent(result).items()
           if key not in ("by_shift", "by_agent") and (key != "agent" or value is not None)}
    emit_object(top, fmt, sections=[(_("By shift"), shift_rows, ["shift", *ROW_COLUMNS], shown),
                                                    (_("By agent"), agent_rows, ["agent", "name", *ROW_COLUMNS],
                                                     shown)])


ROW_COLUMNS = ("offered", "answered", "answer_rate", "abandoned", "answered_within", "answered_within_rate", "asa_s",
               "aht_s")


def _as_percent(figures: dict) -> dict:
    """A table shows 接通率 as 75.0% (JSON keeps the fraction 0.75)."""
    from cs.core.ratio import percent

    return {**figures, **{key: percent(figures[key]) for key in ("answer_rate", "answered_within_rate")}}


@click.command("staffing")
@click.option("--date", "day", type=TimeParam(), help="The day to plan [default today].")
@click.option("--weeks", type=click.IntRange(1, 52), default=4, show_default=True,
              help="Weeks back whose same weekday forecasts the calls.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (html).")
def staffing(day, weeks, fmt, as_json, output):
    """Agents each hour needs (Erlang C on the calls of the same weekday over past weeks), beside those
    rostered: under-staffed hours stand out."""
    from cs import output as out
    from cs.calls.staffing import plan
    from cs.cli.common import emit_list
    from cs.cli.shifts import local_day

    app, ctx = app_and_ctx()
    result = plan(ctx, local_day(app, day), weeks)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        out.render_object(result, "json", sys.stdout)
        return
    if fmt == "html":
        from cs.core import files
        from cs.reports import render as report_render

        text = report_render.render({**result, "kind": "staffing"}, "html", app.lang)
        if output:
            files.write_private(output, text)
            click.echo(output)
        else:
            click.echo(text, nl=False)
        return
    shown = [{**hour, "short": "⚠" if hour["rostered"] < hour["required"] else ""} for hour in result["hours"]
             if hour["calls"] or hour["rostered"]]
    emit_list(shown, "table", ["hour", "calls", "aht_s", "required", "rostered", "short"])
