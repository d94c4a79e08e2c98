"""Appeals (申诉, SPEC section 13): the agent a deduction entry charges contests it within
`[scoring] appeal_days` days of the entry's date; a supervisor decides (a team leader may, for the
agents of their own team). Accepting voids the entry with the reason `appeal N accepted: NOTE`; a
rejected appeal leaves it. One open appeal per entry; a closed month's appeals wait for a reopen."""

from __future__ import annotations

from datetime import date, timedelta

from cs.core.errors import CSError
from cs.core.i18n import _
from cs.core.text import clean_text
from cs.desk import agents as agents_mod
from cs.scoring import closing, deductions
from cs.scoring.units import month_days
from cs.store.query import Filters, listing, one_or_refuse

FIELDS = ("id", "entry_id", "agent", "reason", "status", "filed_at", "decided_by", "decided_at", "note")
SORTABLE = {"id", "entry_id", "agent", "status", "filed_at", "decided_at"}
STATUSES = ("open", "accepted", "rejected")


def to_json(ctx, row) -> dict:
    return {"id": row["id"], "entry_id": row["entry_id"], "agent": row["agent"], "reason": row["reason"],
            "status": row["status"], "filed_at": ctx.display(row["filed_at"]), "decided_by": row["decided_by"],
            "decided_at": ctx.display(row["decided_at"]), "note": row["note"]}


def get(ctx, appeal_id: int) -> dict:
    return to_json(ctx, _row(ctx, appeal_id))


def _row(ctx, appeal_id: int):
    return one_or_refuse(ctx.db, "SELECT * FROM appeals WHERE id = ?", (appeal_id,),
                         _("appeal {id} not found; see 'cs deductions appeals'").format(id=appeal_id))


def file(ctx, entry_id: int, reason: str) -> dict:
    entry = deductions.get(ctx, entry_id)
    if entry["agent"] != ctx.actor:
        raise CSError(_("deduction {id} charges {agent}; only they may appeal it").format(id=entry_id,
                                                                                        agent=entry["agent"]))
    if entry["voided"]:
        raise CSError(_("deduction {id} is void already ({reason})").format(id=entry_id, reason=entry["void_reason"]))
    closing.refuse_if_closed(ctx, entry["date"], _("an appeal"))
    last_day = date.fromisoformat(entry["date"]) + timedelta(days=ctx.config["scoring"]["appeal_days"])
    if ctx.business_day() > last_day:
        raise CSError(_("deduction {id} of {date} could be appealed until {last} ({days} days); ask your team leader"
                        " or supervisor").format(id=entry_id, date=entry["date"], last=last_day.isoformat(),
                                                 days=ctx.config["scoring"]["appeal_days"]))
    if ctx.db.one("SELECT 1 FROM appeals WHERE entry_id = ? AND status = 'open'", (entry_id,)):
        raise CSError(_("deduction {id} has an open appeal already; see 'cs deductions appeals'").format(id=entry_id))
    reason = clean_text(reason, "reason", 2000, required=True)
    cur = ctx.db.execute("INSERT INTO appeals (entry_id, agent, reason, status, filed_at) VALUES (?, ?, ?, 'open', ?)",
                         (entry_id, entry["agent"], reason, ctx.now_db))
    record = get(ctx, cur.lastrowid)
    ctx.db.audit(ctx.now_db, ctx.actor, "appeal.file", "appeal", cur.lastrowid, None, record)
    return record


def decide(ctx, appeal_id: int, decision: str, note: str) -> dict:
    row = _row(ctx, appeal_id)
    _refuse_unless_may_decide(ctx, row["agent"])
    if row["status"] != "open":
        decided = (_("appeal {id} was accepted already, by {by}") if row["status"] == "accepted"
                   else _("appeal {id} was rejected already, by {by}"))
        raise CSError(decided.format(id=appeal_id, by=row["decided_by"]))
    note = clean_text(note, "note", 2000, required=True)
    entry = ctx.db.one("SELECT date, voided FROM deductions WHERE id = ?", (row["entry_id"],))
    if entry is None:
        raise CSError(_("deduction {entry} no longer exists (its facts changed and the day was computed again);"
                        " reject appeal {id} with a note saying so").format(entry=row["entry_id"], id=appeal_id))
    closing.refuse_if_closed(ctx, entry["date"], _("deciding an appeal"))
    status = {"accept": "accepted", "reject": "rejected"}[decision]
    if status == "accepted" and not entry["voided"]:
        deductions.set_void(ctx, row["entry_id"], f"appeal {appeal_id} accepted: {note}")
    ctx.db.execute("UPDATE appeals SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ?",
                   (status, ctx.actor, ctx.now_db, note, appeal_id))
    record = get(ctx, appeal_id)
    ctx.db.audit(ctx.now_db, ctx.actor, f"appeal.{decision}", "appeal", appeal_id, to_json(ctx, row), record)
    return record


def _refuse_unless_may_decide(ctx, agent: str) -> None:
    """A supervisor decides; a team leader may, for the agents of their own team."""
    role = agents_mod.role_of(ctx.db, ctx.actor)
    if role == "supervisor" or not agents_mod.supervisor_exists(ctx.db):
        return
    if role == "leader" and agent != ctx.actor:
        mine = ctx.db.one("SELECT a.team FROM agents a JOIN agents b ON a.team = b.team WHERE a.handle = ?"
                          " AND b.handle = ? AND a.team IS NOT NULL", (ctx.actor, agent))
        if mine:
            return
    raise CSError(_("deciding {agent}'s appeal needs the supervisor, or the team leader of {agent}'s team;"
                    " '{actor}' is neither").format(agent=agent, actor=ctx.actor))


def query(ctx, *, status=None, month: str | None = None, agent: str | None = None, limit=None,
          sort="id") -> list[dict]:
    filters = Filters()
    if status:
        if status not in STATUSES:
            raise CSError(_("unknown appeal status '{status}'; use one of: {choices}").format(
                status=status, choices=", ".join(STATUSES)))
        filters.add("a.status = :status", status=status)
    if month:  # appeals of the month's entries
        first, after = month_days(month)
        filters.add("a.entry_id IN (SELECT id FROM deductions WHERE date >= :first AND date < :after)",
                    first=first.isoformat(), after=after.isoformat())
    if agent:
        filters.add("a.agent = :agent", agent=agent)
    sql, params = listing("SELECT a.* FROM appeals a", filters, sort, SORTABLE,
                          {field: f"a.{field}" for field in SORTABLE}, limit)
    return [to_json(ctx, row) for row in ctx.db.all(sql, params)]
