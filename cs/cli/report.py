"""cs report shift|day|month: 值班日志, the day report and the monthly 考核 report."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from cs.cli import AGENT, TimeParam, completion
from cs.cli.common import MONTH, app_and_ctx
from cs.cli.shifts import local_day
from cs.core import files
from cs.core.i18n import _
from cs.reports import figures as reports


def report_options(func):
    """--format/--json, --lang, --template and -o, shared by the three reports."""

    @click.option("--format", "fmt", type=click.Choice(["text", "md", "html", "json", "xlsx"]), default="text",
                  show_default=True, help="xlsx: the month report only, with -o FILE.")
    @click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
    @click.option("--lang", type=click.Choice(["zh", "en"]), help="Report language [default: the global --lang].")
    @click.option("--template", type=click.File("r", encoding="utf-8"), help="Your own Jinja2 template.")
    @click.option("-o", "--output", type=click.Path(), help="Write to FILE, or into DIR under the standard name.")
    @functools.wraps(func)
    def wrapper(*args, fmt, as_json, lang, template, output, **kwargs):
        if lang:
            from cs.core import i18n

            i18n.choose(lang)  # the report's words and the messages it quotes (deduction details) alike
        app, ctx = app_and_ctx()
        fmt = "json" if as_json else fmt
        if fmt == "xlsx" and (func.__name__ not in ("month_report", "week_report") or not output):
            raise click.UsageError(_("--format xlsx is for the month and week reports, written with -o FILE.xlsx"
                                     " (or -o DIR)"))
        report, agent_name = func(*args, app=app, ctx=ctx, **kwargs)
        if fmt == "xlsx":
            _deliver_workbook(ctx, report, lang or app.lang, output)
            return
        from cs.reports import render as report_render

        try:
            user_template = template.read() if template else None
        except UnicodeDecodeError:
            raise click.BadParameter(_("{name} is not UTF-8 text").format(name=template.name),
                                     param_hint="--template") from None
        text = report_render.render(report, fmt, lang or app.lang, user_template)
        _deliver(text, output, reports.file_name(report, report_render.EXTENSIONS[fmt], agent_name))

    return wrapper


def _deliver(text: str, output: str | None, standard_name: str) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    target = Path(output)
    if target.is_dir():
        target = target / standard_name
    files.write_private(target, text)
    click.echo(str(target))


def _deliver_workbook(ctx, report: dict, lang: str, output: str) -> None:
    from cs.cli.common import write_workbook

    target = Path(output)
    if target.is_dir():
        target = target / reports.file_name(report, "xlsx")
    sheets = (reports.week_sheets(report, lang) if report["kind"] == "week"
              else reports.month_sheets(ctx, report, lang))
    write_workbook(target, sheets)


@click.group()
def report():
    """Reports: the shift report (值班日志), the day report, the week report, the monthly 考核 report."""


@report.command("shift")
@click.option("--date", "day", type=TimeParam(), help="The shift's date [default: the latest ended shift].")
@click.option("--shift", "shift_code", help="The shift (code or label).", shell_complete=completion.shifts)
@click.option("--agent", help="One agent's report.", type=AGENT, shell_complete=completion.agents)
@report_options
def shift_report(day, shift_code, agent, app, ctx):
    """The 值班日志 of a shift, by default the latest one that has ended."""
    chosen = local_day(app, day) if day is not None else None
    data = reports.shift_report(ctx, day=chosen, shift_code=shift_code, agent=agent)
    name = None
    if agent:
        from cs.desk import agents

        name = agents.get(ctx.db, agent)["name"]
    return data, name


@report.command("day")
@click.option("--date", "day", type=TimeParam(), help="The day [default yesterday].")
@report_options
def day_report(day, app, ctx):
    """The whole day: every shift's tickets, callbacks, buckets, deductions and handover."""
    return reports.day_report(ctx, day=local_day(app, day) if day is not None else None), None


@report.command("week")
@click.option("--week", "week_of", type=TimeParam(), help="A day of the week (Monday to Sunday) [default: last week].")
@click.option("--team", help="One team's agents [default: every agent and leader].")
@report_options
def week_report(week_of, team, app, ctx):
    """The 组长's weekly check: per agent, reply rate, first-response mean and median, FCR, satisfaction, points."""
    return reports.week_report(ctx, week_of=local_day(app, week_of) if week_of is not None else None, team=team), None


@report.command("month")
@click.option("--month", type=MONTH, help="YYYY-MM [default this month].")
@report_options
def month_report(month, app, ctx):
    """Scores and ranks, KPIs, and callback effectiveness per reason (回访工作效果评估)."""
    return reports.month_report(ctx, month=month), None
