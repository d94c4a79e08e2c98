"""cs jobs run NAME / cs jobs status: the cron batch jobs."""

from __future__ import annotations

import json
import os
import sys

import click

from cs.cli.common import app_and_ctx, emit_list, output_options
from cs.core.i18n import _
from jobs.runner import JOB_NAMES


@click.group()
def jobs():
    """Cron jobs: overdue-alerts, daily-deductions, shift-reports."""


@jobs.command("run")
@click.argument("name", type=click.Choice(list(JOB_NAMES)))
@click.option("--dry-run", is_flag=True, help="Show what would happen; send and write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (and nothing else on stdout).")
@click.option("--channel", "channel_names", multiple=True, help="overdue-alerts: use these channels this run.")
@click.option("--out", help="shift-reports: the directory to write reports into.")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "text", "json"]), default="html",
              show_default=True, help="shift-reports: the report format.")
@click.option("--verbose", is_flag=True, help="Summarise the run even when it did nothing.")
def run(name, dry_run, as_json, channel_names, out, fmt, verbose):
    """Run a job now (cron runs these). A second run while one is going exits 0 at once."""
    from jobs import runner

    app, ctx = app_and_ctx()
    options = {}
    if name == "overdue-alerts":
        options["channels"] = _channels(ctx, channel_names, sys.stderr if as_json else sys.stdout)
    elif name == "shift-reports":
        if not out:
            raise click.UsageError(_("shift-reports needs --out DIR: where to write the reports"))
        options.update(out=out, fmt=fmt, lang=app.lang)
        if ctx.config["reports"].get("deliver"):  # to the supervisors, through the alert channels
            options["channels"] = _channels(ctx, channel_names, sys.stderr if as_json else sys.stdout)
    result, ok = runner.run(ctx, app.db_path, name, dry_run=dry_run, options=options)
    if result is None:
        click.echo(_("{name} is already running; this run did nothing").format(name=name), err=True)
        return
    from cs.core.text import cut_echoed_values

    for error in result.get("errors", []):
        click.echo(cut_echoed_values(_("Error: {error}").format(error=error)), err=True)
    if as_json:
        shown = ({key: result[key] for key in ("alerts", "held", "suppressed")} if name == "overdue-alerts"
                 else {key: value for key, value in result.items() if key not in ("failed", "errors", "stopped")})
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    # Quiet when nothing happened, so cron mails only real events (SPEC section 16).
    if verbose or not ok or _did_something(result):
        line = _("{name} (dry run): {summary}") if dry_run else "{name}: {summary}"
        click.echo(line.format(name=name, summary=result["summary"]), err=True)
    if result.get("stopped"):
        import signal

        click.echo(_("Error: stopped by {signal}; what was done is recorded, the rest is left for the next run")
                   .format(signal=result["stopped"]), err=True)
        sys.exit(128 + signal.Signals[result["stopped"]].value)
    if not ok:
        sys.exit(1)


def _did_something(result: dict) -> bool:
    """Alerts sent, failed or held, days judged or changed, reports written."""
    return any(result.get(key) for key in ("alerts", "held", "days", "rechecked", "files", "errors", "delivered"))


def _channels(ctx, names, out) -> dict:
    from cs.core.errors import CSError
    from jobs.notify import Channel

    chosen = list(names) or ctx.config["alerts"]["channels"]
    configured = ctx.config["channels"]
    channels = {}
    for name in chosen:
        if name != "stdout" and name not in configured:
            raise CSError(_("channel '{name}' has no [channels.{name}] table in the configuration").format(name=name))
        channels[name] = Channel(name, configured.get(name, {}), os.environ, out=out)
    return channels


@jobs.command("status")
@output_options
def status(fmt):
    """Each job's last run: start, end, outcome, summary."""
    from jobs import runner

    app, ctx = app_and_ctx()
    from cs.core.vocabulary import JOB_OUTCOMES

    emit_list(runner.status(ctx, app.db_path), fmt, ["job", "last_start", "last_end", "outcome", "summary"],
              enums={"outcome": JOB_OUTCOMES})
