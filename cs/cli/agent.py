"""cs agent ...: agents, teams and roles."""

from __future__ import annotations

import click

from cs.cli import AGENT, completion
from cs.cli.common import (
    app_and_ctx,
    choice,
    emit_list,
    emit_object,
    emit_written,
    json_option,
    list_options,
    output_options,
    terminal_limit,
)
from cs.core.vocabulary import ROLES
from cs.desk import agents

COLUMNS = ["handle", "name", "team", "role", "email", "mobile", "active"]


@click.group()
def agent():
    """Agents, teams and roles (客服, 组长 leader, 主管 supervisor)."""


def _profile_options(func):
    func = click.option("--os-user", "os_user",
                        help="The OS login that identifies this agent ('' clears it); once any agent has one,"
                             " the desk takes the actor from the login.")(func)
    func = click.option("--extension", help="The phone extension call records name this agent by ('' clears it).")(func)
    func = click.option("--mobile", help="Mobile number (for alerts).")(func)
    func = click.option("--email", help="E-mail address (for alerts).")(func)
    func = click.option("--team", help="Team (班组).")(func)
    return func


@agent.command("add")
@click.argument("handle")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", type=choice(ROLES, "role"), default="agent", show_default=True)
@_profile_options
@json_option
def add(handle, name, role, team, email, mobile, os_user, extension, as_json):
    """Register an agent by a short handle (工号)."""
    _, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = agents.add(ctx.db, handle, at=ctx.now_db, actor=ctx.actor, name=name, team=team, role=role,
                            email=email, mobile=mobile, os_user=os_user, extension=extension)
    emit_written(record, as_json, key="handle")


@agent.command("update")
@click.argument("handle", type=AGENT, shell_complete=completion.agents)
@click.option("--name")
@click.option("--role", type=choice(ROLES, "role"))
@click.option("--active/--inactive", default=None, help="Reactivate or deactivate.")
@_profile_options
@json_option
def update(handle, as_json, **changes):
    """Change an agent's name, team, role or contact details ('' clears a detail)."""
    _, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = agents.update(ctx.db, handle, at=ctx.now_db, actor=ctx.actor, **changes)
    emit_written(record, as_json, key="handle")


@agent.command("deactivate")
@click.argument("handle", type=AGENT, shell_complete=completion.agents)
@json_option
def deactivate(handle, as_json):
    """Mark an agent as gone; history keeps their name."""
    _, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = agents.deactivate(ctx.db, handle, at=ctx.now_db, actor=ctx.actor)
    emit_written(record, as_json, key="handle")


@agent.command("show")
@click.argument("handle", type=AGENT, shell_complete=completion.agents)
@output_options
def show(handle, fmt):
    """One agent."""
    _, ctx = app_and_ctx()
    emit_object(agents.get(ctx.db, handle), fmt, enums={"role": ROLES})


@agent.command("list")
@click.option("--team")
@click.option("--role", type=choice(ROLES, "role"))
@click.option("--all", "include_inactive", is_flag=True, help="Include deactivated agents.")
@list_options("team,handle", agents.SORTABLE)
@output_options
def list_(team, role, include_inactive, limit, sort, fmt):
    """List active agents by team."""
    _, ctx = app_and_ctx()
    rows = agents.list_agents(ctx.db, team=team, role=role, include_inactive=include_inactive,
                              limit=terminal_limit(limit), sort=sort)
    emit_list(rows, fmt, COLUMNS, enums={"role": ROLES})
