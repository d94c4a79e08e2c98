"""Who is acting (SPEC section 13): in open mode the name given (`--as`, `CS_AGENT`, else the login), as
on a single-user desk; in enforced mode, once any agent carries an OS login, the agent mapped to the
process's login. The CLI reads the login from the OS and passes it in; nothing here reads the environment.

Enforced mode, exactly:
- the login is the effective user; when that is the `[security] service_user` and the command came
  through sudo, it is the sudo caller (the team member), so `sudo -u csdesk cs ...` is still that person;
- naming someone else (`--as`, `CS_AGENT`) is accepted only from a supervisor, from the service account
  run without sudo (cron) and from root; anyone else may read with it (it is ignored) but not write;
- a login mapped to no agent may read but not write;
- a write dated more than `[security] backdate_limit` before the real clock needs a leader or supervisor
  (or cron, or root) and is flagged in the audit trail in every mode.
"""

from __future__ import annotations

from collections import namedtuple

from cs.core.i18n import _

ADMIN_LOGINS = ("root",)


# mode: "open" | "enforced"; os_user: the login the audit trail records; actor: the agent (or name) acting;
# refusal: why this session may not write (None: it may); may_backdate: a bool. A plain namedtuple: typing's
# NamedTuple compiles each field's annotation when cs starts (1.5 ms, issue 22).
Identity = namedtuple("Identity", "mode os_user actor refusal may_backdate")


def enforced(db) -> bool:
    return db.one("SELECT 1 FROM agents WHERE os_user IS NOT NULL") is not None


def resolve(db, *, login: str, sudo_user: str | None, claimed: str | None, service_user: str | None) -> Identity:
    if not enforced(db):
        return Identity("open", login, claimed or login, None, True)
    via_service = bool(service_user) and login == service_user
    caller = sudo_user if via_service and sudo_user else login
    trusted = (via_service and not sudo_user) or caller in ADMIN_LOGINS  # cron, or the machine's administrator
    row = db.one("SELECT handle, role FROM agents WHERE os_user = ? AND active = 1", (caller,))
    handle, role = (row["handle"], row["role"]) if row else (None, None)
    if claimed and claimed != handle:
        if trusted or role == "supervisor":
            return Identity("enforced", caller, claimed, None, True)
        who = _("{login} (agent {handle})").format(login=caller, handle=handle) if handle else caller
        return Identity("enforced", caller, handle or caller,
                        _("you are logged in as {who}; only a supervisor may act for another agent, so this"
                          " change was not made as {claimed}").format(who=who, claimed=claimed),
                        role in ("leader", "supervisor"))
    if handle:
        return Identity("enforced", caller, handle, None, role in ("leader", "supervisor"))
    if trusted:
        return Identity("enforced", caller, claimed or caller, None, True)
    return Identity("enforced", caller, caller, _("the login {login} is not an agent of this desk, so it may read but"
                    " not write; a supervisor can map it: cs agent update HANDLE --os-user {login}").format(login=caller),
                    False)
