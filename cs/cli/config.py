"""cs config ...: the centre configuration, stored in the database, exchanged as TOML."""

from __future__ import annotations

import click

from cs.cli.common import app_and_ctx, emit_list, output_options
from cs.core import config as config_mod
from cs.core.i18n import _
from cs.desk import agents


@click.group("config")
def config():
    """Centre configuration: time zone, calendar, hours, SLAs, shifts, policies, rules, alerts."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of TOML.")
@click.option("--stored", is_flag=True, help="Only what was set, without the defaults.")
def show(as_json, stored):
    """Print the configuration in force (TOML; load it back with 'cs config load'), the time zone in force first."""
    _app, ctx = app_and_ctx()
    # The zone is never left to be guessed: shown as in force, whether set here, by --tz/CS_TZ or by the system.
    document = config_mod.load_stored(ctx.db) if stored else {"timezone": ctx.tz_name, **ctx.config}
    if as_json:
        import json

        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        click.echo(config_mod.dump_toml(document), nl=False)


@config.command("load")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--dry-run", is_flag=True, help="Validate only.")
@click.option("--merge", is_flag=True,
              help="Merge FILE into the configuration in force: lists by code (enabled = false drops one).")
def load(file, dry_run, merge):
    """Replace the configuration with FILE (TOML), all or nothing; the old version is kept. Says on stderr which
    entries in force (defaults included) and which tables set before the file leaves out."""
    _app, ctx = app_and_ctx()
    try:
        text = file.read()
    except UnicodeDecodeError:
        raise click.ClickException(_("{name} is not UTF-8 text").format(name=file.name)) from None
    document = config_mod.parse_toml(text, file.name)
    config_mod.validate(config_mod.without_disabled(document) if merge else document)
    stored = config_mod.load_stored(ctx.db)
    if merge:
        document, notes = config_mod.merged(ctx.config, stored, document)
        config_mod.validate(document)
        for note in notes:
            click.echo(_("Warning: {message}").format(message=note), err=True)
    else:
        for note in config_mod.dropped(ctx.config, stored, document):
            click.echo(_("Warning: {message}").format(message=note), err=True)
    if dry_run:
        click.echo(_("{name}: valid").format(name=file.name), err=True)
        return
    with ctx.db.transaction():
        agents.require_role(ctx.db, ctx.actor, {"supervisor"}, _("changing the configuration"))
        version = config_mod.save(ctx.db, document, at=ctx.now_db, actor=ctx.actor, source=f"load {file.name}")
    click.echo(version)


@config.command("get")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True)
def get(key, as_json):
    """Print one key, e.g. sla.urgent.resolve or contact_hours."""
    import json

    _app, ctx = app_and_ctx()
    value = config_mod.get_key(ctx.config, key)
    if as_json or isinstance(value, (dict, list)):
        click.echo(json.dumps(value, ensure_ascii=False, indent=None if not as_json else 2))
    else:
        click.echo(config_mod.dump_toml({"v": value})[4:].strip() if not isinstance(value, str) else value)


@config.command("set")
@click.argument("key")
@click.argument("value")
def set_(key, value):
    """Set one key; VALUE is TOML (3, true, ["09:00-12:00"]) or plain text.

    A VALUE that starts with - goes after --: cs config set -- KEY -1.
    """
    _app, ctx = app_and_ctx()
    with ctx.db.transaction():  # read, change and write under one lock: concurrent sets are not lost
        agents.require_role(ctx.db, ctx.actor, {"supervisor"}, _("changing the configuration"))
        stored = config_mod.load_stored(ctx.db)
        document = config_mod.set_key(stored, config_mod.effective(stored), key, config_mod.parse_value(value))
        config_mod.validate(document)
        version = config_mod.save(ctx.db, document, at=ctx.now_db, actor=ctx.actor, source=f"set {key}")
    click.echo(version)


@config.command("versions")
@output_options
def versions(fmt):
    """Earlier versions of the configuration (kept for the record)."""
    _app, ctx = app_and_ctx()
    rows = [{**row, "created_at": ctx.display(row["created_at"])} for row in config_mod.versions(ctx.db)]
    emit_list(rows, fmt, None)

