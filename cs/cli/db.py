"""cs db ...: the database file itself."""

from __future__ import annotations

import os

import click

from cs.cli.common import emit_object, output_options
from cs.core.i18n import _
from cs.store import upkeep as dbtools


@click.group()
def db():
    """The database file: info, backup, check."""


def _app():
    return click.get_current_context().obj


@db.command("init")
@click.option("--timezone", "zone", help="The centre's time zone, an IANA name (e.g. Asia/Shanghai).")
def init(zone):
    """Create a new, empty desk at --db / CS_DB (refuses one that exists)."""
    from cs.cli import ZoneParam
    from cs.core import config as config_mod
    from cs.core.errors import CSError
    from cs.store import db as db_mod

    app = _app()
    path = app.db_path or str(db_mod.default_path(os.environ))
    if os.path.exists(path):
        raise CSError(_("a desk exists at {path} already; cs db info shows it").format(path=path))
    if zone:
        app.tz_name = ZoneParam().convert(zone, None, click.get_current_context())
    ctx = app.ctx
    if zone:
        with ctx.db.transaction():
            stored = config_mod.load_stored(ctx.db)
            document = config_mod.set_key(stored, ctx.config, "timezone", zone)
            config_mod.validate(document)
            config_mod.save(ctx.db, document, at=ctx.now_db, actor=ctx.actor, source="init")
    click.echo(app.db_path)


@db.command("info")
@output_options
def info(fmt):
    """Path, size, schema version, row counts."""
    from cs.store import db as db_mod

    app = _app()
    record = dbtools.info(app.db)
    app.ctx  # resolves who is acting
    identity = app.identity
    record["access"] = {"mode": identity.mode, "os_user": identity.os_user, "actor": identity.actor,
                        "may_write": identity.refusal is None and not os.path.exists(db_mod.damage_marker(app.db.path))}
    for message in record["warnings"]:
        click.echo(_("Warning: {message}").format(message=message), err=True)
    if fmt == "table":
        shown = {k: v for k, v in record.items() if k not in ("tables", "warnings", "access")}
        shown.update({f"access_{k}": v for k, v in record["access"].items()})
        emit_object(shown, fmt,
                    sections=[(_("Tables"), [{"table": k, "rows": v} for k, v in record["tables"].items()],
                               ["table", "rows"])])
    else:
        emit_object(record, fmt)


@db.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup(path, force):
    """Write a consistent copy of the database to PATH while others keep working (owner-only file)."""
    app = _app()
    pages = dbtools.backup(app.db, path, force=force)
    click.echo(path)
    click.echo(_("backed up {pages} pages to {path}").format(pages=pages, path=path), err=True)


@db.command("check")
@output_options
def check(fmt):
    """Integrity and foreign keys; exits 1 when a problem is found."""
    app = _app()
    app.migrate = False  # checked as it is: a restored older backup is migrated by the next command
    record = dbtools.check(app.db)
    emit_object(record, fmt)
    if not record["ok"]:
        raise click.ClickException(_("the database has problems (listed above); copy a backup over it (writes are"
                                     " refused while the file is damaged) and run cs db check again"))
