"""cs demo: build a ready demo centre and show what it holds."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click

from cs.cli.common import emit_list

# A database with rows in any of these is somebody's: the demo never writes into it.
DATA_TABLES = ("tickets", "agents", "customers", "config_versions")


@click.command("demo")
@click.option("--db", "db_path", metavar="PATH",
              help="Where to build it [default: --db/CS_DB if given, else $XDG_DATA_HOME/cs/demo.db].")
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True, help="Days of history.")
def demo(db_path, days):
    """Build a demo centre (agents, customers, a week of tickets) and show a tour.

    The default demo file is rebuilt on every run; a database you name must be new or empty.
    """
    from cs import config, db as db_mod, demo as demo_mod, tickets

    app = click.get_current_context().obj
    target = db_path or app.db_path
    if target is None:
        target = str(db_mod.default_path(os.environ).with_name("demo.db"))
        for suffix in ("", "-wal", "-shm"):
            Path(target + suffix).unlink(missing_ok=True)
    app.db_path = target
    held = {table: app.db.value(f"SELECT COUNT(*) FROM {table}") for table in DATA_TABLES}
    held = {table: count for table, count in held.items() if count}
    if held:
        what = ", ".join(f"{count} {table}" for table, count in held.items())
        raise click.ClickException(
            f"{target} already holds {what}; cs demo builds into a new or empty database (use --db NEW_FILE)"
        )
    ctx = app.ctx
    with ctx.db.transaction():
        config.save(ctx.db, demo_mod.DEMO_CONFIG, at=ctx.now_db, actor=ctx.actor, source="demo")
        ctx = replace(ctx, config=config.load(ctx.db), tz_name=app.tz_name or demo_mod.DEMO_CONFIG["timezone"],
                      inform=lambda message: None)  # a hundred "callback scheduled" lines would bury the tour
        counts = demo_mod.build(ctx, days=days)
    app._ctx = ctx

    click.echo(f"Demo centre built in {target}: {counts['agents']} agents, {counts['customers']} customers, "
               f"{counts['tickets']} tickets and {counts['callbacks']} callbacks over {days} days.\n")
    click.echo("Open tickets (cs ticket list --open --limit 10):")
    from cs.cli.ticket import LIST_COLUMNS, for_table

    rows = (for_table(row, app.lang) for row in tickets.query(ctx, open_only=True, limit=10))
    emit_list(rows, "table", LIST_COLUMNS, max_widths={"summary": 30})
    breached = sum(1 for _ in tickets.query(ctx, breached=True))
    click.echo(f"\n{breached} tickets missed an SLA deadline (cs ticket list --breached).")
    from cs import callbacks
    from cs.cli.callback import COLUMNS, for_table as callback_row

    click.echo("\nOverdue callbacks (cs callback list --overdue):")
    overdue = (callback_row(row, app.lang) for row in callbacks.query(ctx, overdue=True, limit=10))
    emit_list(overdue, "table", COLUMNS, max_widths={"customer_name": 10})
    env_hint = "" if os.environ.get("CS_DB") == target else f"export CS_DB={target}\n  "
    click.echo(
        "\nTry it yourself:\n"
        f"  {env_hint}cs ticket list --search 漏水\n"
        "  cs ticket show 1\n"
        "  cs agent list\n"
        "  cs ticket list --category 投诉 --json\n"
        "  cs callback list --overdue\n"
        "  cs shift now\n"
        "  cs score\n"
        "  cs config show"
    )
