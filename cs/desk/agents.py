"""Agents, teams and roles (客服, 组长, 主管), and the role checks other modules rely on."""

from __future__ import annotations

import re

from cs.core.errors import CSError
from cs.core.i18n import N_, _
from cs.core.text import clean_text
from cs.core.vocabulary import ROLES, normalise
from cs.desk.customers import normalise_phone
from cs.store.query import Filters, listing, one_or_refuse

FIELDS = ("handle", "name", "team", "role", "email", "mobile", "os_user", "extension", "active")
SORTABLE = {"handle", "name", "team", "role", "active"}
# Pattern texts: re compiles each on first use and keeps it (compiled at import, they cost every command).
_HANDLE = r"[^\s,;]{1,64}"
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_LOGIN = r"[a-z_][a-z0-9_.-]{0,31}"  # a POSIX login name as useradd accepts it
_EXTENSION = r"[A-Za-z0-9_.-]{1,20}"
# The roles a refusal names when either will do, as it says them (translated where shown).
_EITHER_ROLE = (N_("leader or supervisor"),)


def to_json(row) -> dict:
    return {
        "handle": row["handle"],
        "name": row["name"],
        "team": row["team"],
        "role": row["role"],
        "email": row["email"],
        "mobile": row["mobile"],
        "os_user": row["os_user"],
        "extension": row["extension"],
        "active": bool(row["active"]),
    }


def get(db, handle: str) -> dict:
    return to_json(one_or_refuse(db, "SELECT * FROM agents WHERE handle = ?", (handle,),
                                 _("no agent '{handle}'; see 'cs agent list' or add one with 'cs agent add'").format(
                                     handle=handle)))


def handle_of(db, text: str) -> str:
    """The handle of the agent `text` names: a handle as it is, else a full name that one agent has (SPEC section 17:
    `--agent 陈小丽`). A name several agents share is refused, naming their handles; an unknown text is returned as
    it is, for the caller's own check to refuse with its own words."""
    text = text.strip()
    if db.one("SELECT 1 FROM agents WHERE handle = ?", (text,)):
        return text
    rows = db.all("SELECT handle, active FROM agents WHERE name = ? ORDER BY handle", (text,))
    active = [row["handle"] for row in rows if row["active"]]
    if len(rows) > 1 and len(active) != 1:
        raise CSError(_("{name} is the name of {count} agents ({handles}); give the handle").format(
            name=text, count=len(rows), handles=", ".join(
                row["handle"] if row["active"] else _("{handle}, deactivated").format(handle=row["handle"])
                for row in rows)))
    if len(rows) > 1:
        return active[0]  # the one still at work; one who has left is named by handle
    return rows[0]["handle"] if rows else text


def _refuse_names_that_cross(db, handle: str, name: str | None) -> None:
    """A handle that is another agent's name, or a name that is another agent's handle, would make `--agent X`
    mean two people: refused when the agent is added or renamed."""
    if db.one("SELECT 1 FROM agents WHERE name = ? AND handle <> ?", (handle, handle)):
        raise CSError(_("{handle!r} is the name of another agent; choose a handle no agent is called").format(
            handle=handle))
    if name and db.one("SELECT 1 FROM agents WHERE handle = ? AND handle <> ?", (name, handle)):
        raise CSError(_("{name!r} is another agent's handle; an agent's name cannot be one").format(name=name))


def require_active(db, handle: str, what: str = N_("agent")) -> str:
    """The handle of a registered, active agent named in an option, or a refusal saying what to do. `what` is
    marked with N_ by the caller and translated here."""
    row = db.one("SELECT active FROM agents WHERE handle = ?", (handle,))
    if row is None:
        raise CSError(_("unknown {what} {handle!r}; register it with 'cs agent add HANDLE --name NAME'").format(
            what=_(what), handle=handle))
    if not row["active"]:
        raise CSError(_("{what} '{handle}' is deactivated; reactivate with 'cs agent update {handle} --active'").format(
            what=_(what), handle=handle))
    return handle


def is_active_agent(db, handle: str) -> bool:
    return db.one("SELECT 1 FROM agents WHERE handle = ? AND active = 1", (handle,)) is not None


def require_role(db, actor: str, roles: set[str], doing: str) -> None:
    """Refuse unless the actor holds one of `roles`; while no supervisor exists anyone may act (bootstrap).
    `doing` is marked with N_ (or already translated) by the caller and translated here."""
    if db.one("SELECT 1 FROM agents WHERE role = 'supervisor' AND active = 1") is None:
        return
    row = db.one("SELECT role FROM agents WHERE handle = ? AND active = 1", (actor,))
    if row is None or row["role"] not in roles:
        from cs.core.i18n import is_chinese
        from cs.core.vocabulary import ROLES

        ordered = sorted(roles)
        needed = "或".join(ROLES[r][0] for r in ordered) if is_chinese() else " or ".join(ordered)
        raise CSError(_("{doing} needs the role {needed}; '{actor}' does not have it").format(
            doing=_(doing), needed=needed, actor=actor))


def supervisor_exists(db) -> bool:
    """Rights apply once a supervisor exists; before that a new desk is being set up (bootstrap)."""
    return db.one("SELECT 1 FROM agents WHERE role = 'supervisor' AND active = 1") is not None


def role_of(db, handle: str) -> str | None:
    row = db.one("SELECT role FROM agents WHERE handle = ? AND active = 1", (handle,))
    return row["role"] if row else None


def _clean(fields: dict) -> dict:
    clean = {}
    for key, value in fields.items():
        if value is None:
            continue
        if key == "name":
            value = clean_text(value, N_("agent's name"), 200, required=True)
        elif key == "role":
            value = normalise(value, ROLES, N_("role"))
        elif key == "email":
            value = value.strip()
            if value and not re.fullmatch(_EMAIL, value):
                raise CSError(_("'{value}' is not an e-mail address").format(value=value))
        elif key == "mobile":
            value = normalise_phone(value) if value.strip() else ""
        elif key == "team":
            value = clean_text(value, N_("team"), 200) or ""
        elif key == "os_user":
            value = value.strip()
            if value and not re.fullmatch(_LOGIN, value):
                raise CSError(_("{value!r} is not a login name: lower-case letters, digits, '_', '.' and '-'").format(
                    value=value))
        elif key == "extension":  # the phone extension call records name the agent by (SPEC section 19)
            value = value.strip()
            if value and not re.fullmatch(_EXTENSION, value):
                raise CSError(_("{value!r} is not an extension: up to 20 letters, digits, '_', '.' and '-'").format(
                    value=value))
        clean[key] = value or None if key in ("team", "email", "mobile", "os_user", "extension") else value
    return clean


def add(db, handle: str, *, at: str, actor: str, name: str, team=None, role="agent", email=None, mobile=None,
        os_user=None, extension=None) -> dict:
    require_role(db, actor, {"supervisor"}, N_("adding an agent"))
    if not re.fullmatch(_HANDLE, handle):
        raise CSError(_("{handle!r} is not a usable handle: up to 64 characters, no spaces, commas or semicolons")
                      .format(handle=handle))
    if db.one("SELECT 1 FROM agents WHERE handle = ?", (handle,)):
        raise CSError(_("agent '{handle}' exists already; change it with 'cs agent update {handle}'").format(
            handle=handle))
    fields = _clean({"name": name, "team": team, "role": role, "email": email, "mobile": mobile, "os_user": os_user,
                     "extension": extension})
    if fields.get("extension") and db.one("SELECT 1 FROM agents WHERE extension = ?", (fields["extension"],)):
        raise CSError(_("extension {extension} is another agent's already; one extension, one agent").format(
            extension=fields["extension"]))
    _refuse_taken_login(db, fields.get("os_user"), handle)
    _refuse_names_that_cross(db, handle, fields.get("name"))
    row = {"handle": handle, "team": None, "email": None, "mobile": None, "os_user": None, "extension": None, **fields,
           "active": 1,
           "created_at": at}
    db.execute(
        "INSERT INTO agents (handle, name, team, role, email, mobile, os_user, extension, active, created_at)"
        " VALUES (:handle, :name, :team, :role, :email, :mobile, :os_user, :extension, :active, :created_at)",
        row,
    )
    after = get(db, handle)
    db.audit(at, actor, "agent.add", "agent", handle, None, after)
    return after


def update(db, handle: str, *, at: str, actor: str, **changes) -> dict:
    before = get(db, handle)
    fields = _clean({k: v for k, v in changes.items() if k != "active"})
    if changes.get("active") is not None:
        fields["active"] = 1 if changes["active"] else 0
    if not fields:
        raise CSError(_("nothing to change; give at least one option (see 'cs agent update --help')"))
    require_role(db, actor, {"supervisor"}, _("changing agent '{handle}'").format(handle=handle))
    _refuse_taken_login(db, fields.get("os_user"), handle)
    _refuse_names_that_cross(db, handle, fields.get("name"))
    taken = fields.get("extension") and db.one("SELECT handle FROM agents WHERE extension = ? AND handle <> ?",
                                               (fields["extension"], handle))
    if taken:
        raise CSError(_("extension {extension} is agent '{other}'s already; one extension, one agent").format(
            extension=fields["extension"], other=taken["handle"]))
    assignments = ", ".join(f"{key} = :{key}" for key in fields)
    db.execute(f"UPDATE agents SET {assignments} WHERE handle = :handle", {**fields, "handle": handle})
    after = get(db, handle)
    db.audit(at, actor, "agent.update", "agent", handle, before, after)
    return after


def _refuse_taken_login(db, login: str | None, handle: str) -> None:
    row = login and db.one("SELECT handle FROM agents WHERE os_user = ? AND handle <> ?", (login, handle))
    if row:
        raise CSError(_("the login {login} already identifies agent '{handle}'; one login, one agent").format(
            login=login, handle=row["handle"]))


def deactivate(db, handle: str, *, at: str, actor: str) -> dict:
    if not get(db, handle)["active"]:
        raise CSError(_("agent '{handle}' is already deactivated").format(handle=handle))
    return update(db, handle, at=at, actor=actor, active=False)


def list_agents(db, *, team=None, role=None, include_inactive=False, limit=None, sort="team,handle") -> list[dict]:
    filters = Filters()
    if not include_inactive:
        filters.add("active = 1")
    if team:
        filters.add("team = :team", team=team)
    if role:
        filters.add("role = :role", role=normalise(role, ROLES, N_("role")))
    sql, params = listing("SELECT * FROM agents", filters, sort, SORTABLE, limit=limit)
    return [to_json(row) for row in db.all(sql, params)]
