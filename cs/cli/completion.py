"""Shell completion: `cs completion bash|zsh|fish` prints the script; values come from the database.

Completing must be instant and harmless: the database is opened read-only (a missing file completes
nothing and is not created), and any failure completes nothing rather than printing an error into
the user's prompt.
"""

from __future__ import annotations

import os

import click

SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell):
    """Print the completion script for SHELL; completes commands, options, agent handles, shift codes,
    rule codes and job names.

    \b
    bash:  eval "$(cs completion bash)"          (in ~/.bashrc)
    zsh:   eval "$(cs completion zsh)"           (in ~/.zshrc)
    fish:  cs completion fish > ~/.config/fish/completions/cs.fish
    """
    from click.shell_completion import get_completion_class

    from cs.cli import cli

    script = get_completion_class(shell)(cli, {}, "cs", "_CS_COMPLETE").source()
    click.echo(script, nl=False)


def _stored(ctx):
    """(read-only Database, effective config) of the database the command line names, or None."""
    import sqlite3

    from cs.core import config
    from cs.store import db as db_mod

    root = ctx.find_root()
    path = root.params.get("db_path") or str(db_mod.default_path(os.environ))
    if not os.path.isfile(path):
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
        conn.row_factory = sqlite3.Row
        database = db_mod.Database(conn, path)
        return database, config.load(database)
    except (sqlite3.Error, ValueError, KeyError):
        return None


def _items(pairs, incomplete: str):
    from click.shell_completion import CompletionItem

    return [CompletionItem(value, help=help_text) for value, help_text in pairs if value.startswith(incomplete)]


def agents(ctx, param, incomplete):
    """Active agents' handles, with their names as help."""
    stored = _stored(ctx)
    if stored is None:
        return []
    database = stored[0]
    try:
        rows = database.all("SELECT handle, name FROM agents WHERE active = 1 ORDER BY handle")
    except Exception:  # noqa: BLE001 - completion must never break the prompt
        return []
    finally:
        database.close()
    return _items(((row["handle"], row["name"]) for row in rows), incomplete)


def _configured(section: str, keep=lambda entry: True):
    def complete(ctx, param, incomplete):
        stored = _stored(ctx)
        if stored is None:
            return []
        database, settings = stored
        database.close()
        return _items(((entry["code"], entry.get("label", "")) for entry in settings.get(section, ())
                       if keep(entry)), incomplete)

    return complete


shifts = _configured("shift")
rules = _configured("rule")
manual_rules = _configured("rule", lambda rule: rule.get("source") == "manual")
duties = _configured("duty")


def jobs(ctx, param, incomplete):
    from jobs.runner import JOB_NAMES

    return _items(((name, "") for name in JOB_NAMES), incomplete)
