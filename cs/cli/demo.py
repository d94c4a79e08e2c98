"""cs demo: build a ready demo centre and show what it holds."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cs.cli.common import emit_list
from cs.core.i18n import _, ngettext

# A database with rows in any of these is somebody's: the demo never writes into it.
DATA_TABLES = ("tickets", "agents", "customers", "config_versions")


@click.command("demo")
@click.option("--db", "db_path", metavar="PATH",
              help="Where to build it [default: --db/CS_DB if given, else $XDG_DATA_HOME/cs/demo.db].")
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True, help="Days of history.")
@click.option("--agents", type=click.IntRange(2, 100_000), metavar="N",
              help="Build a large centre of N people (a supervisor, teams with leaders) in bulk, without the tour.")
@click.option("--tickets-per-agent", type=click.FloatRange(0.1, 200), default=10.0, show_default=True,
              help="With --agents: tickets per agent on a working day (weekends and holidays are quieter).")
@click.option("--seed", type=int, default=2026, show_default=True, help="The same seed and --now build the same centre.")
def demo(db_path, days, agents, tickets_per_agent, seed):
    """Build a demo centre (agents, customers, a week of tickets) and show a tour.

    With --agents N, build a centre of N people over --days days in bulk instead (e.g.
    `cs demo --agents 500 --days 365` for a year of a 500-seat centre) and print what it holds.
    The default demo file is rebuilt on every run; a database you name must be new or empty.
    """
    from cs.core import config
    from cs.demo import tour as demo_mod
    from cs.desk import tickets
    from cs.store import db as db_mod

    app = click.get_current_context().obj
    target = db_path or app.db_path
    if target is None:
        target = os.path.join(os.path.dirname(db_mod.default_path(os.environ)), "demo.db")
        for suffix in ("", "-wal", "-shm"):
            Path(target + suffix).unlink(missing_ok=True)
    app.db_path = target
    is_new = not Path(target).exists()
    held = {table: app.db.value(f"SELECT COUNT(*) FROM {table}") for table in DATA_TABLES}
    held = {table: count for table, count in held.items() if count}
    if held:
        what = ", ".join(f"{count} {table}" for table, count in held.items())
        raise click.ClickException(
            _("{target} already holds {what}; cs demo builds into a new or empty database (use --db NEW_FILE)")
            .format(target=target, what=what)
        )
    ctx = app.ctx
    if agents is not None:
        _build_large(app, target, is_new, agents=agents, days=days, seed=seed, per_agent=tickets_per_agent)
        return
    with ctx.db.transaction():
        config.save(ctx.db, demo_mod.DEMO_CONFIG, at=ctx.now_db, actor=ctx.actor, source="demo")
        ctx = ctx.replace(config=config.load(ctx.db), tz_name=app.tz_name or demo_mod.DEMO_CONFIG["timezone"],
                      inform=lambda message: None)  # a hundred "callback scheduled" lines would bury the tour
        counts = demo_mod.build(ctx, days=days, seed=seed)
    app._ctx = ctx

    click.echo(_("Demo centre built in {target}: {agents} agents, {customers} customers, {tickets} tickets and"
                 " {callbacks} callbacks over {days} days.")
               .format(target=target, agents=counts["agents"], customers=counts["customers"],
                       tickets=counts["tickets"], callbacks=counts["callbacks"], days=days) + "\n")
    click.echo(_("Open tickets (cs ticket list --open --limit 10):"))
    from cs.cli.ticket import LIST_COLUMNS, for_table

    rows = (for_table(row, app.lang) for row in tickets.query(ctx, open_only=True, limit=10))
    emit_list(rows, "table", LIST_COLUMNS, max_widths={"summary": 30})
    breached = sum(1 for _ in tickets.query(ctx, breached=True))
    click.echo("\n" + _("{breached} tickets missed an SLA deadline (cs ticket list --breached).")
               .format(breached=breached))
    from cs.cli.callback import COLUMNS
    from cs.cli.callback import for_table as callback_row
    from cs.desk import callbacks

    click.echo("\n" + _("Overdue callbacks (cs callback list --overdue):"))
    overdue = (callback_row(row, app.lang) for row in callbacks.query(ctx, overdue=True, limit=10))
    emit_list(overdue, "table", COLUMNS, max_widths={"customer_name": 10})
    from cs.cli.dispatch import COLUMNS as DISPATCH_COLUMNS
    from cs.core.vocabulary import DISPATCH_STATUSES
    from cs.desk import dispatch

    click.echo("\n" + _("Dispatches to the departments not done yet (cs dispatch list --open):"))
    from cs.cli.dispatch import shown

    emit_list(shown(ctx, dispatch.query(ctx, open_only=True, limit=10), "table"), "table", DISPATCH_COLUMNS,
              enums={"status": DISPATCH_STATUSES})
    _show_hotline(ctx)
    _show_example_day(ctx, counts["example_day"])
    _try_it(target)


def _show_hotline(ctx) -> None:
    """Yesterday's calls: 接通率, answered within three rings, per shift and per agent."""
    from datetime import timedelta

    from cs.calls.figures import call_figures
    from cs.cli.calls import show_stats
    from cs.core import clock
    from cs.scoring import units

    day = clock.local_date(ctx.now, ctx.tz) - timedelta(days=1)
    start, end = units.bounds(ctx, day)
    click.echo("\n" + _("Yesterday's hotline: 接通率 and answered within three rings (cs calls stats --date {day}):")
               .format(day=day))
    show_stats({"date": day.isoformat(), "agent": None, "start": ctx.display(start), "end": ctx.display(end),
                **call_figures(ctx, start, end)}, "table")


def _show_example_day(ctx, day) -> None:
    """The 考核 of one agent's day: a rota duty missed, a shift without its memo, a second offence."""
    if day is None:
        return
    from cs.cli.scoring import print_explained
    from cs.demo.tour import EXAMPLE_AGENT as agent
    from cs.scoring import deductions

    click.echo("\n" + _("A day's 考核, with the seed line behind each rule (cs deductions explain {agent} --date"
                        " {day}):").format(agent=agent, day=day))
    print_explained(deductions.explain(ctx, agent, day))
    click.echo(_("Who had which duty that day: cs duty list --date {day}; the month's scores: cs score --month"
                 " {month}").format(day=day, month=day.strftime("%Y-%m")))


def _build_large(app, target: str, is_new: bool, *, agents: int, days: int, seed: int, per_agent: float) -> None:
    """The bulk generator (cs.generate): a year of a 500-seat centre in about a minute."""
    import sys

    from cs.core import config
    from cs.demo import generate
    from cs.demo import tour as demo_mod

    ctx = app.ctx
    with ctx.db.transaction():
        config.save(ctx.db, demo_mod.BULK_CONFIG, at=ctx.now_db, actor=ctx.actor, source="demo")
    ctx = ctx.replace(config=config.load(ctx.db), tz_name=app.tz_name or demo_mod.DEMO_CONFIG["timezone"])
    app._ctx = ctx
    progress = _progress if sys.stderr.isatty() else None
    try:
        counts = generate.build(ctx, agents=agents, days=days, seed=seed, per_agent=per_agent, progress=progress)
    except BaseException as exc:
        if is_new:  # half a bulk build is of no use to anybody
            app.db.close()
            app._db = None
            for suffix in ("", "-wal", "-shm"):
                Path(target + suffix).unlink(missing_ok=True)
        if isinstance(exc, KeyboardInterrupt):
            from cs.core.errors import CSError

            raise CSError((_("interrupted; the half-built demo desk {target} was removed") if is_new else
                           _("interrupted; {target} now holds part of a demo: remove it and build again"))
                          .format(target=target)) from None
        raise
    if progress:
        click.echo("\r\033[K", nl=False, err=True)
    rate = counts["tickets"] / counts["build_s"] if counts["build_s"] else 0
    click.echo(_("Demo centre built in {target}: {agents} in {teams}, {customers}, {tickets} ({events}) and"
                 " {callbacks} over {days}, with {calls}, in {build_s:.1f} s ({rate:,.0f} tickets/s); {deductions} for"
                 " {scored_days} in {score_s:.1f} s.").format(
        target=target,
        agents=_n(ngettext("{count:,} agent", "{count:,} agents", agents), agents),
        teams=_n(ngettext("{count:,} team", "{count:,} teams", counts["teams"]), counts["teams"]),
        customers=_n(ngettext("{count:,} customer", "{count:,} customers", counts["customers"]),
                     counts["customers"]),
        tickets=_n(ngettext("{count:,} ticket", "{count:,} tickets", counts["tickets"]), counts["tickets"]),
        events=_n(ngettext("{count:,} event", "{count:,} events", counts["ticket_events"]), counts["ticket_events"]),
        callbacks=_n(ngettext("{count:,} callback", "{count:,} callbacks", counts["callbacks"]), counts["callbacks"]),
        days=_n(ngettext("{count:,} day", "{count:,} days", days), days),
        calls=_n(ngettext("{count:,} call record", "{count:,} call records", counts["calls"]), counts["calls"]),
        build_s=counts["build_s"], rate=rate,
        deductions=_n(ngettext("{count:,} deduction", "{count:,} deductions", counts["deductions"]),
                      counts["deductions"]),
        scored_days=_n(ngettext("{count:,} day", "{count:,} days", counts["scored_days"]), counts["scored_days"]),
        score_s=counts["score_s"]))
    _try_it(target, ticket=counts["tickets"])


def _n(text: str, count: int) -> str:
    """`text` (an ngettext of "{count:,} thing") with the count in it."""
    return text.format(count=count)


def _progress(done: int, total: int) -> None:
    click.echo("\r" + _("Building day {done} of {total}…").format(done=done, total=total), nl=False, err=True)


def _try_it(target: str, ticket: int = 1) -> None:
    env_hint = "" if os.environ.get("CS_DB") == target else f"export CS_DB={target}\n  "
    click.echo(
        "\n" + _("Try it yourself:") + "\n"
        f"  {env_hint}cs ticket list --search 漏水\n"
        f"  cs ticket show {ticket}\n"
        "  cs agent list\n"
        "  cs ticket list --category 投诉 --json\n"
        "  cs callback list --overdue\n"
        "  cs calls stats\n"
        "  cs staffing\n"
        "  cs shift now\n"
        "  cs score\n"
        "  cs config show"
    )
