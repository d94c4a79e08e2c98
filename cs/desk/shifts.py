"""Shifts (班次), the roster, the handover memo (交接班) and daily duties (每日工作).

A shift on date D runs from D at its start to its end, on D+1 when the end is not after the
start (a night shift 22:00-06:00). The roster names who works which shift on which date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import N_, _
from cs.core.text import clean_text
from cs.core.vocabulary import HANDOVER_STATUSES, code_word
from cs.desk import agents as agents_mod
from cs.store.query import Filters, listing, one_or_refuse

# A refusal naming an unknown entry, by section (translated where shown).
_UNKNOWN_ENTRY = {"shift": N_("unknown shift '{code}'; shifts are: {known}"),
                  "duty": N_("unknown duty '{code}'; dutys are: {known}")}
HANDOVER_FIELDS = ("id", "created_at", "shift", "date", "agent", "text", "ticket_id", "status", "acked_by",
                   "acked_at", "done_at")


@dataclass(frozen=True)
class ShiftWindow:
    date: date
    code: str
    label: str
    start: datetime
    end: datetime

    def to_json(self, ctx, agents: list[str]) -> dict:
        return {"date": self.date.isoformat(), "shift": self.code, "label": self.label,
                "start": ctx.display(self.start), "end": ctx.display(self.end), "agents": agents}


def configured(ctx, section: str, code: str) -> dict:
    """The [[section]] entry named by its code or its label (白班 = day), or a refusal listing them."""
    for entry in ctx.config[section]:
        if code in (entry["code"], entry["label"]):
            return entry
    known = ", ".join(f"{e['code']} ({e['label']})" for e in ctx.config[section]) or _("none configured")
    raise CSError(_(_UNKNOWN_ENTRY[section]).format(code=code, known=known))


def shift_config(ctx, code: str) -> dict:
    return configured(ctx, "shift", code)


def window(ctx, shift: dict, day: date) -> ShiftWindow:
    start = _at(ctx, day, shift["start"])
    end_day = day if shift["end"] > shift["start"] else day + timedelta(days=1)
    return ShiftWindow(day, shift["code"], shift["label"], start, _at(ctx, end_day, shift["end"]))


def _at(ctx, day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), ctx.tz).astimezone(clock.UTC)


def windows_around(ctx, moment: datetime, days_back: int = 1, days_ahead: int = 0) -> list[ShiftWindow]:
    """Every configured shift's window on the days around `moment`, earliest start first."""
    today = clock.local_date(moment, ctx.tz)
    found = [window(ctx, shift, today + timedelta(days=offset))
             for offset in range(-days_back, days_ahead + 1) for shift in ctx.config["shift"]]
    return sorted(found, key=lambda w: (w.start, w.code))


def running(ctx, moment: datetime) -> list[ShiftWindow]:
    return [w for w in windows_around(ctx, moment) if w.start <= moment < w.end]


def latest_ended(ctx, moment: datetime) -> ShiftWindow | None:
    ended = [w for w in windows_around(ctx, moment, days_back=2) if w.end <= moment]
    return max(ended, key=lambda w: (w.end, w.start)) if ended else None


# --- roster -------------------------------------------------------------------------------


def rostered(ctx, day: date, shift_code: str) -> list[str]:
    return [row["agent"] for row in ctx.db.all(
        "SELECT agent FROM roster WHERE date = ? AND shift = ? ORDER BY agent", (day.isoformat(), shift_code))]


def set_roster(ctx, day: date, shift_code: str, handles: list[str]) -> dict:
    """Replace who works `shift_code` on `day` with `handles` (none: clear it). A leader or supervisor sets
    the roster and approves swaps (seed 001: 调班必须先得到客服主管的批准)."""
    agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, N_("setting the roster"))
    shift = shift_config(ctx, shift_code)
    for handle in handles:
        agents_mod.require_active(ctx.db, handle)
    if len(set(handles)) != len(handles):
        raise CSError(_("an agent is named twice"))
    before = rostered(ctx, day, shift["code"])
    ctx.db.execute("DELETE FROM roster WHERE date = ? AND shift = ?", (day.isoformat(), shift["code"]))
    ctx.db.executemany(
        "INSERT INTO roster (date, shift, agent, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
        [(day.isoformat(), shift["code"], handle, ctx.now_db, ctx.actor) for handle in handles],
    )
    ctx.db.audit(ctx.now_db, ctx.actor, "roster.set", "roster", f"{day.isoformat()}/{shift['code']}",
                 {"agents": before}, {"agents": sorted(handles)})
    return window(ctx, shift, day).to_json(ctx, sorted(handles))


def roster(ctx, days: list[date]) -> list[dict]:
    rows = []
    for day in days:
        for shift in ctx.config["shift"]:
            rows.append(window(ctx, shift, day).to_json(ctx, rostered(ctx, day, shift["code"])))
    return rows


def shifts_now(ctx) -> list[dict]:
    return [w.to_json(ctx, rostered(ctx, w.date, w.code)) for w in running(ctx, ctx.now)]


def agents_on(ctx, day: date) -> list[str]:
    """Everybody rostered on any shift of `day`."""
    return [row["agent"] for row in ctx.db.all(
        "SELECT DISTINCT agent FROM roster WHERE date = ? ORDER BY agent", (day.isoformat(),))]


# --- handover memo --------------------------------------------------------------------------


def handover_to_json(ctx, row) -> dict:
    return {
        "id": row["id"],
        "created_at": ctx.display(row["created_at"]),
        "shift": row["shift"],
        "date": row["date"],
        "agent": row["agent"],
        "text": row["text"],
        "ticket_id": row["ticket_id"],
        "status": row["status"],
        "acked_by": row["acked_by"],
        "acked_at": ctx.display(row["acked_at"]),
        "done_at": ctx.display(row["done_at"]),
        "occurred_at": ctx.display(row["occurred_at"]),
        "party": row["party"],
        "nothing_left": row["text"] == NOTHING_LEFT,
    }


def shift_for_handover(ctx, owner: str | None) -> ShiftWindow:
    """The owner's rostered shift running now; else the owner's rostered shift that ended within [scoring]
    grace (the wrap-up after the last call: its memo still counts); else the running shift that started last;
    else the one that ended last. Never refused for want of a roster."""
    now_running = running(ctx, ctx.now)
    if owner:
        mine = [w for w in now_running if owner in rostered(ctx, w.date, w.code)]
        if mine:
            return max(mine, key=lambda w: w.start)
        grace = timedelta(seconds=clock.parse_duration(ctx.config["scoring"]["grace"]).seconds())
        wrapping_up = [w for w in windows_around(ctx, ctx.now, days_back=1)
                       if w.end <= ctx.now <= w.end + grace and owner in rostered(ctx, w.date, w.code)]
        if wrapping_up:
            return max(wrapping_up, key=lambda w: w.end)
    if now_running:
        return max(now_running, key=lambda w: w.start)
    ended = latest_ended(ctx, ctx.now)
    if ended is None:
        raise CSError(_("no shifts are configured; add [[shift]] entries with 'cs config load'"))
    return ended


NOTHING_LEFT = "无"  # seed 001: 若无遗留事情,问题详情处填写"无"


def add_handover(ctx, text: str, *, ticket_id: int | None = None, owner: str | None = None, occurred_at=None,
                 party: str | None = None) -> dict:
    """An item left for the next shift: 日期+事发时间+涉案当事人姓名+问题详细描述 (seed 001). The text 无 alone is
    the shift's "nothing left" memo."""
    text = clean_text(text, N_("handover text"), 2000, required=True)
    owner = _memo_owner(ctx, owner)
    if says_nothing_left(text):
        if ticket_id is not None:
            raise CSError(_("a memo saying 无 (nothing left) names no ticket; leave the item with its text instead"))
        return _file_nothing_left(ctx, shift_for_handover(ctx, owner), owner)
    if ticket_id is not None and ctx.db.one("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)) is None:
        raise CSError(_("ticket {id} not found; see 'cs ticket list'").format(id=ticket_id))
    if occurred_at is not None and occurred_at > ctx.now:
        raise CSError(_("--occurred-at {at} is in the future; a memo records what has happened").format(
            at=ctx.display(clock.to_db(occurred_at))))
    party = clean_text(party, N_("party"), 100)
    shift = shift_for_handover(ctx, owner)
    return _insert_memo(ctx, shift, owner, text, "open", ticket_id=ticket_id,
                        occurred_at=clock.to_db(occurred_at) if occurred_at else None, party=party)


def says_nothing_left(text: str) -> bool:
    """无, whatever the spaces and punctuation around it (无。, 「无」, 无!): the seed's nothing-left memo."""
    import unicodedata

    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith("P"))) == NOTHING_LEFT


def _memo_owner(ctx, owner: str | None) -> str | None:
    if owner:
        agents_mod.require_active(ctx.db, owner)
        return owner
    return ctx.actor if agents_mod.is_active_agent(ctx.db, ctx.actor) else None


def _insert_memo(ctx, shift: ShiftWindow, owner, text: str, status: str, **extra) -> dict:
    cur = ctx.db.execute(
        "INSERT INTO handovers (created_at, date, shift, agent, text, ticket_id, status, created_by, occurred_at,"
        " party, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ctx.now_db, shift.date.isoformat(), shift.code, owner, text, extra.get("ticket_id"), status, ctx.actor,
         extra.get("occurred_at"), extra.get("party"), ctx.now_db if status == "done" else None),
    )
    if status == "done":  # done at once: nothing for the next shift to read (acked by its writer)
        ctx.db.execute("UPDATE handovers SET acked_by = ?, acked_at = ? WHERE id = ?", (ctx.actor, ctx.now_db,
                                                                                        cur.lastrowid))
    record = get_handover(ctx, cur.lastrowid)
    ctx.db.audit(ctx.now_db, ctx.actor, "handover.add", "handover", cur.lastrowid, None, record)
    return record


def add_nothing_left(ctx, *, shift_code: str | None = None, day: date | None = None) -> dict:
    """`cs handover none`: the shift's memo saying nothing is left, done at once and never charged."""
    owner = _memo_owner(ctx, None)
    if shift_code is None and day is None:
        return _file_nothing_left(ctx, shift_for_handover(ctx, owner), owner)
    if shift_code is None:
        mine = [code for code in (s["code"] for s in ctx.config["shift"]) if owner in rostered(ctx, day, code)]
        if len(mine) != 1:
            raise CSError(_("name the shift with --shift ({shifts}): {agent} is rostered on {count} shifts of {day}")
                          .format(shifts=", ".join(s["code"] for s in ctx.config["shift"]), agent=owner or ctx.actor,
                                  count=len(mine), day=day.isoformat()))
        shift_code = mine[0]
    shift = shift_config(ctx, shift_code)
    if day is None:
        started = [w for w in windows_around(ctx, ctx.now, days_back=1)
                   if w.code == shift["code"] and w.start <= ctx.now]
        day = max(started, key=lambda w: w.start).date
    target = window(ctx, shift, day)
    if target.start > ctx.now:
        raise CSError(_("the {shift} shift of {day} has not begun; file its memo during it").format(
            shift=shift["code"], day=day.isoformat()))
    return _file_nothing_left(ctx, target, owner)


def _file_nothing_left(ctx, shift: ShiftWindow, owner) -> dict:
    left = ctx.db.value("SELECT COUNT(*) FROM handovers WHERE date = ? AND shift = ? AND status <> 'done'"
                        " AND text <> ?", (shift.date.isoformat(), shift.code, NOTHING_LEFT))
    if left:
        raise CSError(_("the {shift} shift of {day} has {count} item(s) left open; \"无\" is for a shift that leaves"
                        " nothing (see 'cs handover list --open')").format(shift=shift.code, day=shift.date.isoformat(),
                                                                          count=left))
    if ctx.db.one("SELECT 1 FROM handovers WHERE date = ? AND shift = ? AND text = ?",
                  (shift.date.isoformat(), shift.code, NOTHING_LEFT)):
        raise CSError(_("the {shift} shift of {day} has its \"无\" memo already").format(
            shift=shift.code, day=shift.date.isoformat()))
    return _insert_memo(ctx, shift, owner, NOTHING_LEFT, "done")


def _handover_row(ctx, handover_id: int):
    return one_or_refuse(ctx.db, "SELECT * FROM handovers WHERE id = ?", (handover_id,),
                         _("handover item {id} not found; see 'cs handover list'").format(id=handover_id))


def get_handover(ctx, handover_id: int) -> dict:
    return handover_to_json(ctx, _handover_row(ctx, handover_id))


def ack_handover(ctx, handover_id: int) -> dict:
    row = _handover_row(ctx, handover_id)
    if row["status"] != "open":
        raise CSError(_("handover item {id} is {status} already").format(
            id=handover_id, status=code_word(HANDOVER_STATUSES, row["status"])))
    return _change_handover(ctx, row, "ack", {"status": "acked", "acked_by": ctx.actor, "acked_at": ctx.now_db})


def done_handover(ctx, handover_id: int, note: str | None = None) -> dict:
    row = _handover_row(ctx, handover_id)
    if row["status"] == "done":
        raise CSError(_("handover item {id} is done already").format(id=handover_id))
    changes = {"status": "done", "done_at": ctx.now_db, "note": clean_text(note, N_("note"), 2000)}
    if row["acked_at"] is None:
        changes.update(acked_by=ctx.actor, acked_at=ctx.now_db)  # doing it means it was read
    return _change_handover(ctx, row, "done", changes)


def _change_handover(ctx, row, action: str, changes: dict) -> dict:
    before = {key: row[key] for key in changes}
    assignments = ", ".join(f"{key} = :{key}" for key in changes)
    ctx.db.execute(f"UPDATE handovers SET {assignments} WHERE id = :id", {**changes, "id": row["id"]})
    ctx.db.audit(ctx.now_db, ctx.actor, f"handover.{action}", "handover", row["id"], before, changes)
    return get_handover(ctx, row["id"])


HANDOVER_SORTABLE = {"id", "created_at", "date", "shift", "agent", "status"}


def list_handovers(ctx, *, open_only=False, day: date | None = None, shift_code: str | None = None,
                   limit=None, sort="created_at,id") -> list[dict]:
    filters = Filters()
    if open_only:
        filters.add("status <> 'done'")
    if day:
        filters.add("date = :date", date=day.isoformat())
    if shift_code:
        filters.add("shift = :shift", shift=shift_config(ctx, shift_code)["code"])
    sql, params = listing("SELECT * FROM handovers", filters, sort, HANDOVER_SORTABLE, limit=limit)
    return [handover_to_json(ctx, row) for row in ctx.db.all(sql, params)]


# --- duties -------------------------------------------------------------------------------


# Duties (seed 000: 每天昨天统计试压卡 未完成扣2分; 打扫门店卫生区域(按值日表双方协调)): each has its own points;
# `assign = "all"` gives it to every agent rostered that day (on its shift when set), `"rota"` to one agent a day
# from the 值日表 in turn, and a leader's `cs duty assign` overrides either for one day.

ROTA_START = "2024-01-01"  # the rota's first handle's day, unless the duty says otherwise


def duties_for(ctx, day: date) -> list[dict]:
    """The duties that apply on `day`: every day, or working days only."""
    return [duty for duty in ctx.config["duty"]
            if duty.get("every", "day") == "day" or ctx.calendar.is_workday(day)]


def duty_config(ctx, code: str) -> dict:
    return configured(ctx, "duty", code)


def rota_turn(duty: dict, day: date, available: set[str]) -> str | None:
    """Whose turn it is: the rota in order by date from rota_start; one who is not rostered that day is skipped
    (the next in the rota takes it). The turn depends on the date and that day's roster only, so a day judged
    again later gives the same person."""
    rota = duty["rota"]
    first = (day - date.fromisoformat(duty.get("rota_start", ROTA_START))).days % len(rota)
    return next((rota[(first + step) % len(rota)] for step in range(len(rota))
                 if rota[(first + step) % len(rota)] in available), None)


def duty_assignees(ctx, duty: dict, day: date, overrides: dict | None = None) -> tuple[list[str], str]:
    """Who does `duty` on `day`, and how they came to: 'assigned' (a leader's cs duty assign), 'all' or 'rota'."""
    if overrides is None:
        overrides = _duty_overrides(ctx, day)
    if duty["code"] in overrides:
        return [overrides[duty["code"]]], "assigned"
    on = rostered(ctx, day, duty["shift"]) if duty.get("shift") else agents_on(ctx, day)
    if duty.get("assign", "all") == "all":
        return on, "all"
    turn = rota_turn(_rota_in_force(ctx, duty, day), day, set(on))
    return ([turn] if turn else []), "rota"


def _rota_in_force(ctx, duty: dict, day: date) -> dict:
    """The 值日表 as it stood at the end of `day`: a rota changed later does not deal past days again (a day judged
    again gives the same person). A day before the duty was first configured takes its first rota."""
    from cs.core import config

    end = clock.to_db(clock.day_bounds(day, ctx.tz)[1])
    rotas = [(saved, then) for saved, then in config.entry_history(ctx.db, "duty", duty["code"])
             if then.get("assign") == "rota" and then.get("rota")]
    if not rotas:
        return duty
    then = next((then for saved, then in reversed(rotas) if saved <= end), rotas[0][1])
    return {**duty, "rota": then["rota"], "rota_start": then.get("rota_start", ROTA_START)}


def _duty_overrides(ctx, day: date) -> dict:
    return {row["duty"]: row["agent"] for row in ctx.db.all(
        "SELECT duty, agent FROM duty_assignments WHERE date = ?", (day.isoformat(),))}


def assign_duty(ctx, code: str, day: date, agent: str) -> dict:
    """A leader gives one day's duty to `agent` (a swap, 双方协调; someone off sick), over the rota and roster."""
    agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, N_("assigning a duty"))
    duty = duty_config(ctx, code)
    if duty.get("assign", "all") == "all":
        raise CSError(_("duty '{duty}' is everyone's at work that day (assign = \"all\"); cs duty assign gives"
                        " a rota duty to another agent for one day").format(duty=duty["code"]))
    agents_mod.require_active(ctx.db, agent)
    if duty not in duties_for(ctx, day):
        raise CSError(_("duty '{duty}' does not apply on {day} (every = {every})").format(
            duty=duty["code"], day=day.isoformat(), every=duty.get("every")))
    before = ctx.db.one("SELECT agent FROM duty_assignments WHERE date = ? AND duty = ?",
                        (day.isoformat(), duty["code"]))
    ctx.db.execute(
        "INSERT INTO duty_assignments (date, duty, agent, assigned_at, assigned_by) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (date, duty) DO UPDATE SET agent = excluded.agent, assigned_at = excluded.assigned_at,"
        " assigned_by = excluded.assigned_by", (day.isoformat(), duty["code"], agent, ctx.now_db, ctx.actor))
    ctx.db.audit(ctx.now_db, ctx.actor, "duty.assign", "duty", f"{day.isoformat()}/{duty['code']}",
                 {"agent": before["agent"]} if before else None, {"agent": agent})
    return next(row for row in duty_status(ctx, day) if row["duty"] == duty["code"])


def duty_done(ctx, code: str, *, agent: str | None = None, day: date | None = None, note: str | None = None) -> dict:
    duty = duty_config(ctx, code)
    agent = agent or ctx.actor
    agents_mod.require_active(ctx.db, agent)
    day = day or ctx.business_day()
    if agent != ctx.actor or day < ctx.business_day():
        agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"},
                                N_("ticking off a duty for another agent or for an earlier day"))
    if day > clock.local_date(ctx.now, ctx.tz):
        raise CSError(_("{day} is in the future; a duty is ticked off once it is done").format(day=day.isoformat()))
    done_by = ctx.db.one("SELECT agent FROM duty_records WHERE date = ? AND duty = ? AND (agent = ? OR ?)",
                         (day.isoformat(), duty["code"], agent, duty.get("assign", "all") == "rota"))
    if done_by:
        raise CSError(_("{agent} already did '{duty}' on {day}").format(agent=done_by["agent"], duty=duty["code"],
                                                                        day=day.isoformat()))
    note = clean_text(note, N_("note"), 2000)
    cur = ctx.db.execute(
        "INSERT INTO duty_records (date, duty, agent, done_at, note, created_by) VALUES (?, ?, ?, ?, ?, ?)",
        (day.isoformat(), duty["code"], agent, ctx.now_db, note, ctx.actor),
    )
    ctx.db.audit(ctx.now_db, ctx.actor, "duty.done", "duty", cur.lastrowid, None,
                 {"date": day.isoformat(), "duty": duty["code"], "agent": agent})
    rows = [row for row in duty_status(ctx, day) if row["duty"] == duty["code"]]
    return next((row for row in rows if row["agent"] == agent), None) or next(
        (row for row in rows if row["done_by"] == agent), None) or {
        **_duty_row(day, duty, agent, "all"), "done": True, "done_by": agent, "done_at": ctx.display(ctx.now_db),
        "note": note}  # done by someone it was not given to: shown as theirs


def _duty_row(day: date, duty: dict, agent: str | None, how: str) -> dict:
    return {"date": day.isoformat(), "agent": agent, "duty": duty["code"], "label": duty["label"],
            "points": duty.get("points", 1), "assign": how}


def duty_status(ctx, day: date) -> list[dict]:
    """Each duty of `day` with whom it is given to, done or missing. A rota duty (or one a leader assigned) is
    done when anybody did it that day: the 值日表's swaps (双方协调) are the agents' to arrange. A rota duty with
    nobody of the rota rostered has no agent."""
    records = ctx.db.all("SELECT agent, duty, done_at, note FROM duty_records WHERE date = ? ORDER BY done_at, id",
                         (day.isoformat(),))
    overrides = _duty_overrides(ctx, day)
    rows = []
    for duty in duties_for(ctx, day):
        agents, how = duty_assignees(ctx, duty, day, overrides)
        mine = [r for r in records if r["duty"] == duty["code"]]
        if not agents and (how != "rota" or not agents_on(ctx, day)):
            continue  # nobody at work (a day off for all): no duty is given
        for agent in agents or [None]:
            record = next((r for r in mine if r["agent"] == agent), None) if how == "all" else (mine or [None])[0]
            rows.append({**_duty_row(day, duty, agent, how), "done": record is not None,
                         "done_by": record["agent"] if record else None,
                         "done_at": ctx.display(record["done_at"]) if record else None,
                         "note": record["note"] if record else None})
    return rows
