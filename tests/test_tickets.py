"""Tickets: intake, SLA deadlines on the working clock, breaches, the status machine, history,
audit, list filters and search, output formats and exit codes (SPEC sections 1, 2, 4, 5).

NOW is Friday 2026-11-20 09:30 in Shanghai (conftest). Domain tests use `ctx`; CLI tests use `cs`.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers_tickets import D, T, add_ticket, ctx_at, ids, listing, ok, refused, register, show

from cs.core import clock
from cs.core.errors import CSError
from cs.core.text import display_width
from cs.desk import agents, tickets

NOW_TEXT = "2026-11-20T09:30:00+08:00"


def new(ctx, opened=None, priority="normal", category="inquiry", summary="测试工单", **kw):
    return tickets.add(ctx, channel="phone", category=category, summary=summary, priority=priority,
                       opened_at=T(opened) if opened else None, **kw)


def audit_rows(ctx, ticket_id=None):
    rows = ctx.db.all("SELECT * FROM audit WHERE entity = 'ticket' ORDER BY id")
    return [r for r in rows if ticket_id is None or r["entity_id"] == str(ticket_id)]


def events(ctx, ticket_id):
    return [r["kind"] for r in ctx.db.all("SELECT kind FROM ticket_events WHERE ticket_id = ? ORDER BY id", (ticket_id,))]


# =========================================================================== add


def test_add_defaults_unregistered_actor(cs):
    ticket = add_ticket(cs, "咨询宽带资费")
    assert ticket["agent"] is None  # 'tester' is not a registered agent
    assert ticket["priority"] == "normal"
    assert ticket["status"] == "open"
    assert ticket["opened_at"] == NOW_TEXT
    assert ticket["created_by"] == "tester"
    assert ticket["tags"] == []
    assert ticket["first_response_at"] is None and ticket["resolved_at"] is None
    assert ticket["verdict"] is None and ticket["fcr"] is False and ticket["breached"] is False
    assert set(ticket) == set(tickets.FIELDS)


def test_add_default_agent_is_registered_actor(cs):
    register(cs, "tester")
    ticket = add_ticket(cs, "咨询宽带资费")
    assert ticket["agent"] == "tester"


def test_add_default_agent_not_deactivated_actor(cs):
    register(cs, "tester")
    ok(cs("agent deactivate tester"))
    assert add_ticket(cs, "咨询宽带资费")["agent"] is None


def test_add_explicit_agent_and_about(cs):
    register(cs, "a1", "a2")
    ticket = add_ticket(cs, "服务态度差", "visit", "complaint", agent="a1", about="a2", department="工程部")
    assert (ticket["agent"], ticket["about_agent"], ticket["department"]) == ("a1", "a2", "工程部")


def test_add_plain_output_is_id(cs):
    result = ok(cs(["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "x"]))
    assert result.stdout == "1\n"
    assert show(cs, 1)["summary"] == "x"


def test_add_chinese_enum_labels(cs):
    ticket = add_ticket(cs, "空调漏水严重", "来电", "投诉", priority="紧急")
    assert (ticket["channel"], ticket["category"], ticket["priority"]) == ("phone", "complaint", "urgent")
    for channel, code in [("来访", "visit"), ("在线", "online"), ("邮件", "email"), ("短信", "sms"), ("信函", "letter"),
                          ("社交媒体", "social")]:
        assert add_ticket(cs, "x", channel, "咨询")["channel"] == code
    for category, code in [("报修", "repair"), ("退换货", "return"), ("建议", "suggestion"), ("预约", "booking"),
                           ("其他", "other")]:
        assert add_ticket(cs, "x", "phone", category)["category"] == code


@pytest.mark.parametrize("summary", ["", "   ", "\t"])
def test_add_empty_summary_refused(cs, summary):
    refused(cs(["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", summary,
                "--phone", "13800138000"]))
    assert ok(cs("ticket list --json")).stdout.strip() == "[]"
    assert ok(cs("customer list --json")).json() == []


def test_add_unknown_agent_refused(cs):
    result = refused(cs("ticket add --channel phone --category inquiry --summary x --agent ghost --phone 13800138000"))
    assert "ghost" in result.stderr
    assert listing(cs) == []
    assert ok(cs("customer list --json")).json() == []


def test_add_unknown_about_agent_refused(cs):
    refused(cs("ticket add --channel phone --category complaint --summary x --about ghost"))
    assert listing(cs) == []


@pytest.mark.parametrize("phone", ["12ab34", "1234", "+86 123", "1" * 21, "138-0013-800x"])
def test_add_bad_phone_refused(cs, phone):
    result = cs(["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "x", "--phone", phone])
    assert result.exit_code in (1, 2), result
    assert "Error" in result.stderr and "Traceback" not in result.stderr
    assert listing(cs) == []


@pytest.mark.parametrize("raw", ["+86 138-0013-8000", "0086 13800138000", "(138) 0013 8000", "138.0013.8000"])
def test_add_phone_normalised_and_customer_upserted(cs, raw):
    ticket = add_ticket(cs, "咨询", customer="王女士", phone=raw)
    assert ticket["customer_phone"] == "13800138000"
    customer = ok(cs("customer show 13800138000 --json")).json()
    assert customer["name"] == "王女士"
    assert customer["tickets"] == 1
    assert customer["last_contact_at"] == NOW_TEXT


def test_add_second_ticket_same_phone_counts_and_keeps_name(cs):
    add_ticket(cs, "一", customer="王女士", phone="13800138000", opened_at="2026-11-19T10:00")
    add_ticket(cs, "二", customer="王小姐", phone="+8613800138000")
    customers = ok(cs("customer list --json")).json()
    assert len(customers) == 1
    assert customers[0]["tickets"] == 2
    assert customers[0]["name"] == "王女士"  # filled only where none is known
    assert customers[0]["last_contact_at"] == NOW_TEXT


def test_add_tags(cs):
    ticket = add_ticket(cs, "x", tag=["漏水", "vip-follow", "漏水"])
    assert ticket["tags"] == ["漏水", "vip-follow"]
    assert show(cs, ticket["id"])["tags"] == ["漏水", "vip-follow"]


@pytest.mark.parametrize("tag", ["two words", "a,b", "a;b"])
def test_add_bad_tag_refused(cs, tag):
    refused(cs(["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "x", "--tag", tag]))
    assert listing(cs) == []


def test_add_opened_at_in_future_refused(cs):
    refused(cs("ticket add --channel phone --category inquiry --summary x --opened-at +1h"))
    assert listing(cs) == []


def test_add_opened_at_past(cs):
    ticket = add_ticket(cs, "x", opened_at="2026-11-19 14:00")
    assert ticket["opened_at"] == "2026-11-19T14:00:00+08:00"
    ticket = add_ticket(cs, "x", opened_at="yesterday 10:00")
    assert ticket["opened_at"] == "2026-11-19T10:00:00+08:00"


def test_add_domain_default_agent(ctx):
    assert new(ctx)["agent"] is None
    agents.add(ctx.db, "tester", at=ctx.now_db, actor="tester", name="测试")
    assert new(ctx)["agent"] == "tester"


def test_add_domain_empty_summary_writes_nothing(ctx):
    with pytest.raises(CSError, match="summary"):
        new(ctx, summary="  ")
    assert ctx.db.value("SELECT COUNT(*) FROM tickets") == 0


# =========================================================================== SLA due times

SLA_CASES = [
    # opened (Shanghai), priority, first response due, resolve due. Service hours are the default, the
    # union of the shifts 09:00-18:00 and 14:00-23:00: 09:00-23:00 every day, holidays included. Minutes
    # and hours count service time only; working days run on the working clock from the clock's start.
    # Friday (NOW): the resolve clock skips the weekend
    ("2026-11-20T09:30", "urgent", "2026-11-20T09:45", "2026-11-20T13:30"),
    ("2026-11-20T09:30", "high", "2026-11-20T10:00", "2026-11-23T09:30"),
    ("2026-11-20T09:30", "normal", "2026-11-20T11:30", "2026-11-24T09:30"),
    ("2026-11-20T09:30", "low", "2026-11-20T13:30", "2026-11-25T09:30"),
    # Friday evening: 1 service hour left on Friday (22:00-23:00), 3 more from Saturday 09:00 (the centre
    # answers on weekends too)
    ("2026-11-13T22:00", "urgent", "2026-11-13T22:15", "2026-11-14T12:00"),
    # Saturday: hours are service time that day; working days start on Monday 00:00
    ("2026-11-14T10:00", "urgent", "2026-11-14T10:15", "2026-11-14T14:00"),
    ("2026-11-14T10:00", "high", "2026-11-14T10:30", "2026-11-17T00:00"),
    ("2026-11-14T10:00", "normal", "2026-11-14T12:00", "2026-11-18T00:00"),
    ("2026-11-14T10:00", "low", "2026-11-14T14:00", "2026-11-19T00:00"),
    # The day before National Day 2026 (Oct 1-7 off, Sat Oct 10 a make-up workday)
    ("2026-09-30T09:30", "urgent", "2026-09-30T09:45", "2026-09-30T13:30"),
    ("2026-09-30T22:00", "urgent", "2026-09-30T22:15", "2026-10-01T12:00"),  # service on National Day too
    ("2026-09-30T09:30", "high", "2026-09-30T10:00", "2026-10-08T09:30"),
    ("2026-09-30T09:30", "normal", "2026-09-30T11:30", "2026-10-09T09:30"),
    ("2026-09-30T09:30", "low", "2026-09-30T13:30", "2026-10-10T09:30"),
    # Mid-Autumn (Fri Sep 25 off) and the Sunday make-up workday (Sep 20)
    ("2026-09-24T09:30", "normal", "2026-09-24T11:30", "2026-09-29T09:30"),
    ("2026-09-19T10:00", "normal", "2026-09-19T12:00", "2026-09-22T00:00"),
    # Arriving when the centre is closed: the clocks start at the next opening (09:00).
    # An online message at 23:30 Thursday (issue 14's case): 2 service hours from Friday 09:00 = 11:00;
    # 2 working days from Friday 09:00: Fri 15h + Mon 24h + Tue 9h = Tuesday 09:00.
    ("2026-11-19T23:30", "normal", "2026-11-20T11:00", "2026-11-24T09:00"),
    # A call at 22:00 Thursday: 1 service hour that night, 1 from 09:00 = Friday 10:00 (issue 14's case);
    # working days from 22:00: Thu 2h + Fri 24h + Mon 22h = Monday 22:00.
    ("2026-11-19T22:00", "normal", "2026-11-20T10:00", "2026-11-23T22:00"),
    # 23:58 and 05:00 are outside service hours: both clocks start at 09:00.
    ("2026-11-19T23:58", "normal", "2026-11-20T11:00", "2026-11-24T09:00"),
    ("2026-11-20T05:00", "urgent", "2026-11-20T09:15", "2026-11-20T13:00"),
]


@pytest.mark.parametrize("opened,priority,first_due,resolve_due", SLA_CASES)
def test_sla_due_times_domain(ctx, opened, priority, first_due, resolve_due):
    ticket = new(ctx, opened, priority)
    assert ticket["opened_at"] == D(opened)
    assert ticket["first_response_due_at"] == D(first_due)
    assert ticket["resolve_due_at"] == D(resolve_due)


@pytest.mark.parametrize("opened,priority,first_due,resolve_due",
                         [SLA_CASES[2], SLA_CASES[7], SLA_CASES[11], SLA_CASES[13]])
def test_sla_due_times_cli(cs, opened, priority, first_due, resolve_due):
    ticket = add_ticket(cs, "x", priority=priority, opened_at=opened)
    assert ticket["first_response_due_at"] == D(first_due)
    assert ticket["resolve_due_at"] == D(resolve_due)


def test_priority_update_recomputes_deadlines(cs):
    ticket = add_ticket(cs, "x")
    changed = ok(cs(f"ticket update {ticket['id']} --priority urgent --json")).json()
    assert changed["first_response_due_at"] == D("2026-11-20T09:45")
    assert changed["resolve_due_at"] == D("2026-11-20T13:30")


# =========================================================================== breaches


def test_fresh_ticket_not_breached(ctx):
    assert new(ctx)["breached"] is False


def test_unanswered_past_first_response_due_is_breached(ctx):
    ticket = new(ctx, "2026-11-19T21:00")  # 2 service hours: due Thu 23:00, now Fri 09:30
    assert ticket["breached"] is True
    assert new(ctx, "2026-11-19T21:31")["breached"] is False  # 89 service minutes Thu + 31 Fri: due 09:31
    assert new(ctx, "2026-11-20T07:00")["breached"] is False  # before opening: due 11:00


def test_late_first_response_is_breached_even_if_resolved_in_time(ctx):
    ticket = new(ctx, "2026-11-19T09:00")
    t = tickets.respond(ctx, ticket["id"], at=T("2026-11-19T11:01"))
    assert t["breached"] is True
    t = tickets.resolve(ctx, ticket["id"], "已处理", at=T("2026-11-19T12:00"))
    assert t["breached"] is True


def test_first_response_exactly_on_due_is_not_breached(ctx):
    ticket = new(ctx, "2026-11-19T09:00")
    assert tickets.respond(ctx, ticket["id"], at=T("2026-11-19T11:00"))["breached"] is False


def test_resolve_late_and_in_time(ctx):
    late = new(ctx, "2026-11-19T09:00", "urgent")  # resolve due 13:00
    tickets.respond(ctx, late["id"], at=T("2026-11-19T09:05"))
    assert tickets.resolve(ctx, late["id"], "换件", at=T("2026-11-19T13:01"))["breached"] is True
    in_time = new(ctx, "2026-11-19T09:00", "urgent")
    tickets.respond(ctx, in_time["id"], at=T("2026-11-19T09:05"))
    assert tickets.resolve(ctx, in_time["id"], "换件", at=T("2026-11-19T12:59"))["breached"] is False
    exact = new(ctx, "2026-11-19T09:00", "urgent")
    tickets.respond(ctx, exact["id"], at=T("2026-11-19T09:05"))
    assert tickets.resolve(ctx, exact["id"], "换件", at=T("2026-11-19T13:00"))["breached"] is False


def test_open_past_resolve_due_is_breached(ctx):
    ticket = new(ctx, "2026-11-16T09:00")  # due Wed 11-18 09:00
    assert tickets.respond(ctx, ticket["id"], at=T("2026-11-16T09:10"))["breached"] is True
    recent = new(ctx, "2026-11-19T09:00")  # due Mon 11-23 09:00
    assert tickets.respond(ctx, recent["id"], at=T("2026-11-19T09:10"))["breached"] is False


def test_breach_becomes_true_as_clock_passes_deadline(ctx):
    ticket = new(ctx, "2026-11-20T09:00", "urgent")
    tickets.respond(ctx, ticket["id"], at=T("2026-11-20T09:05"))
    assert tickets.get(ctx_at(ctx, "2026-11-20T12:59"), ticket["id"])["breached"] is False
    assert tickets.get(ctx_at(ctx, "2026-11-20T13:01"), ticket["id"])["breached"] is True


def test_resolve_without_response_counts_as_answered(ctx):
    ticket = new(ctx, "2026-11-19T09:00")
    t = tickets.resolve(ctx, ticket["id"], "电话解答", fcr=True, at=T("2026-11-19T10:00"))
    assert t["first_response_at"] == D("2026-11-19T10:00")
    assert t["resolved_at"] == D("2026-11-19T10:00")
    assert t["fcr"] is True and t["breached"] is False
    late = new(ctx, "2026-11-19T09:00")
    assert tickets.resolve(ctx, late["id"], "电话解答", at=T("2026-11-19T11:30"))["breached"] is True


# --- pending pauses the resolve clock ---------------------------------------------------


def _worked_ticket(ctx, opened="2026-11-12T09:00"):
    """A normal ticket opened Thu 11-12 09:00 (resolve due Mon 11-16 09:00), answered at 09:10."""
    ticket = new(ctx, opened)
    assert ticket["resolve_due_at"] == D("2026-11-16T09:00")
    tickets.respond(ctx, ticket["id"], at=T("2026-11-12T09:10"))
    return ticket["id"]


def test_pend_over_weekend_days_only_does_not_move_deadline(ctx):
    tid = _worked_ticket(ctx)
    tickets.pend(ctx, tid, "等客户回电", at=T("2026-11-14T10:00"))  # Saturday
    t = tickets.resume(ctx, tid, at=T("2026-11-15T20:00"))  # Sunday
    assert t["resolve_due_at"] == D("2026-11-16T09:00")


def test_pend_friday_noon_to_saturday_noon_moves_deadline_12_working_hours(ctx):
    tid = _worked_ticket(ctx)
    tickets.pend(ctx, tid, at=T("2026-11-13T12:00"))
    t = tickets.resume(ctx, tid, at=T("2026-11-14T12:00"))
    assert t["resolve_due_at"] == D("2026-11-16T21:00")


def test_pend_two_working_days_moves_deadline_two_working_days(ctx):
    tid = _worked_ticket(ctx)
    tickets.pend(ctx, tid, "等工程部", at=T("2026-11-13T09:00"))
    t = tickets.resume(ctx, tid, at=T("2026-11-17T09:00"))  # Fri 15h + Mon 24h + Tue 9h = 48 working hours
    paused = clock.working_seconds_between(T("2026-11-13T09:00"), T("2026-11-17T09:00"), ctx.tz, ctx.calendar)
    assert paused == 48 * 3600
    assert t["resolve_due_at"] == D("2026-11-18T09:00")
    expected = clock.add_working_seconds(T("2026-11-16T09:00"), paused, ctx.tz, ctx.calendar)
    assert t["resolve_due_at"] == clock.to_display(expected, ctx.tz)
    assert t["status"] == "in_progress"
    t = tickets.resolve(ctx, tid, "已修复", at=T("2026-11-18T08:59"))
    assert t["breached"] is False  # without the pause it would be two days late
    assert t["resolve_due_at"] == D("2026-11-18T09:00")


def test_resolve_straight_from_pending_counts_the_pause(ctx):
    tid = _worked_ticket(ctx)
    tickets.pend(ctx, tid, at=T("2026-11-13T09:00"))
    t = tickets.resolve(ctx, tid, "客户确认", at=T("2026-11-17T09:00"))
    assert t["resolve_due_at"] == D("2026-11-18T09:00")
    assert t["breached"] is False


def test_two_pauses_add_up(ctx):
    tid = _worked_ticket(ctx)
    tickets.pend(ctx, tid, at=T("2026-11-12T10:00"))
    tickets.resume(ctx, tid, at=T("2026-11-12T12:00"))  # 2h
    tickets.pend(ctx, tid, at=T("2026-11-13T10:00"))
    t = tickets.resume(ctx, tid, at=T("2026-11-13T13:00"))  # 3h
    assert t["resolve_due_at"] == D("2026-11-16T14:00")


def test_still_pending_shows_projected_deadline_and_is_not_breached(ctx):
    ticket = new(ctx, "2026-11-18T09:00")  # resolve due Fri 11-20 09:00, before NOW
    tickets.respond(ctx, ticket["id"], at=T("2026-11-18T09:10"))
    t = tickets.pend(ctx, ticket["id"], at=T("2026-11-18T10:00"))
    # 1 working hour was used; 47 remain from now (Fri 09:30): Fri 14.5h + Mon 24h + Tue 8.5h
    assert t["resolve_due_at"] == D("2026-11-24T08:30")
    assert t["breached"] is False
    assert tickets.get(ctx_at(ctx, "2026-11-23T10:00"), ticket["id"])["breached"] is False


def test_overdue_when_pended_counts_as_breached(ctx):
    ticket = new(ctx, "2026-11-09T09:00")  # due Wed 11-11 09:00
    tickets.respond(ctx, ticket["id"], at=T("2026-11-09T09:10"))
    t = tickets.pend(ctx, ticket["id"], at=T("2026-11-12T10:00"))
    assert t["breached"] is True
    ids_breached = [row["id"] for row in tickets.query(ctx, breached=True)]
    assert ticket["id"] in ids_breached


def test_pending_first_response_overdue_is_breached(ctx):
    ticket = new(ctx, "2026-11-19T20:00")  # first response due Thu 22:00, never answered
    t = tickets.pend(ctx, ticket["id"], at=T("2026-11-19T20:30"))
    assert t["breached"] is True


def test_list_breached_matches_flags_on_mixed_set(cs):
    def timeline(opened, priority="normal", respond=None, pend=None, resume=None, resolve=None, close=None):
        tid = add_ticket(cs, f"opened {opened}", priority=priority, opened_at=opened)["id"]
        if respond:
            ok(cs(["ticket", "respond", str(tid), "--at", respond]))
        if pend:
            ok(cs(["ticket", "pend", str(tid), "--at", pend]))
        if resume:
            ok(cs(["ticket", "resume", str(tid), "--at", resume]))
        if resolve:
            ok(cs(["ticket", "resolve", str(tid), "--resolution", "done", "--at", resolve]))
        if close:
            ok(cs(["ticket", "close", str(tid), "--at", close]))
        return tid

    expected = {
        timeline("2026-11-20T09:00"): False,  # fresh
        timeline("2026-11-19T21:00"): True,  # unanswered past first-response due (Thu 23:00)
        timeline("2026-11-20T07:00"): False,  # before opening: its clock started at 09:00, due 11:00
        timeline("2026-11-19T09:00", respond="2026-11-19T11:01"): True,  # late answer
        timeline("2026-11-19T09:00", "urgent", respond="2026-11-19T09:05", resolve="2026-11-19T13:01"): True,
        timeline("2026-11-19T09:00", "urgent", respond="2026-11-19T09:05", resolve="2026-11-19T12:00",
                 close="2026-11-19T12:30"): False,
        timeline("2026-11-16T09:00", respond="2026-11-16T09:10"): True,  # open past resolve due
        timeline("2026-11-18T09:00", respond="2026-11-18T09:10", pend="2026-11-18T10:00"): False,  # paused
        timeline("2026-11-09T09:00", respond="2026-11-09T09:10", pend="2026-11-12T10:00"): True,  # late when pended
        timeline("2026-11-12T09:00", respond="2026-11-12T09:10", pend="2026-11-13T09:00",
                 resume="2026-11-17T09:00", resolve="2026-11-18T08:59"): False,
        timeline("2026-11-12T09:00", respond="2026-11-12T09:10", resolve="2026-11-18T08:59"): True,
    }
    flags = {row["id"]: row["breached"] for row in listing(cs)}
    assert flags == expected
    assert sorted(ids(cs, "--breached")) == sorted(tid for tid, b in expected.items() if b)
    for tid, breached in expected.items():
        assert show(cs, tid)["breached"] is breached
    # combined with other filters
    assert sorted(ids(cs, "--breached", "--open")) == sorted(
        tid for tid, b in expected.items() if b and show(cs, tid)["status"] in ("open", "in_progress", "pending"))


# =========================================================================== state machine

STATES = ["open", "in_progress", "pending", "pending_unanswered", "resolved", "closed"]
ACTIONS = {
    "respond": [],
    "pend": ["--reason", "等客户"],
    "resume": [],
    "resolve": ["--resolution", "已处理"],
    "close": [],
    "reopen": [],
}
# (state, action) -> resulting status; absent = refused
ALLOWED = {
    ("open", "respond"): "in_progress",
    ("pending_unanswered", "respond"): "pending",
    ("open", "pend"): "pending",
    ("in_progress", "pend"): "pending",
    ("pending", "resume"): "in_progress",
    ("pending_unanswered", "resume"): "in_progress",
    ("open", "resolve"): "resolved",
    ("in_progress", "resolve"): "resolved",
    ("pending", "resolve"): "resolved",
    ("pending_unanswered", "resolve"): "resolved",
    ("resolved", "close"): "closed",
    ("resolved", "reopen"): "in_progress",
    ("closed", "reopen"): "in_progress",
}


def make_in_state(cs, state, category="inquiry"):
    tid = add_ticket(cs, "状态测试", "phone", category, opened_at="2026-11-20T08:00")["id"]
    steps = {
        "open": [],
        "in_progress": [["respond"]],
        "pending": [["respond"], ["pend"]],
        "pending_unanswered": [["pend"]],
        "resolved": [["respond"], ["resolve", "--resolution", "已处理"]],
        "closed": [["respond"], ["resolve", "--resolution", "已处理"], ["close"]],
    }[state]
    for step in steps:
        ok(cs(["ticket", step[0], str(tid), *step[1:], "--at", "2026-11-20T09:00"]))
    expected_status = state.replace("_unanswered", "")
    assert show(cs, tid)["status"] == expected_status
    return tid


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_state_transition(cs, state, action):
    tid = make_in_state(cs, state)
    before = show(cs, tid)
    result = cs(["ticket", action, str(tid), *ACTIONS[action], "--json"])
    if (state, action) in ALLOWED:
        ok(result)
        after = result.json()
        assert after["status"] == ALLOWED[(state, action)]
        assert show(cs, tid)["status"] == after["status"]
        assert len(show(cs, tid)["history"]) == len(before["history"]) + 1
    else:
        refused(result)
        assert f"ticket {tid}" in result.stderr or str(tid) in result.stderr
        assert show(cs, tid) == before


def test_resolve_sets_fields_and_close_sets_closed_at(cs):
    tid = make_in_state(cs, "in_progress")
    t = ok(cs(f"ticket resolve {tid} --resolution 更换滤网 --fcr --json")).json()
    assert (t["resolved_at"], t["resolution"], t["fcr"]) == (NOW_TEXT, "更换滤网", True)
    t = ok(cs(f"ticket close {tid} --json")).json()
    assert t["closed_at"] == NOW_TEXT and t["status"] == "closed"


def test_resolve_needs_resolution(cs):
    tid = make_in_state(cs, "in_progress")
    before = show(cs, tid)
    refused(cs(f"ticket resolve {tid}"), 2)  # missing required option
    result = cs(["ticket", "resolve", str(tid), "--resolution", "  "])
    refused(result)
    assert show(cs, tid) == before


def test_reopen_clears_resolution_fields(cs):
    tid = make_in_state(cs, "closed")
    t = ok(cs(f"ticket reopen {tid} --reason 客户再次来电 --json")).json()
    assert t["status"] == "in_progress"
    assert t["resolved_at"] is None and t["closed_at"] is None and t["resolution"] is None
    assert t["fcr"] is False
    assert t["first_response_at"] == "2026-11-20T09:00:00+08:00"  # the first response stays
    history = show(cs, tid)["history"]
    assert history[-1]["kind"] == "reopened" and history[-1]["text"] == "客户再次来电"
    assert history[-1]["from_status"] == "closed" and history[-1]["to_status"] == "in_progress"


def test_reopened_ticket_can_be_resolved_again(cs):
    tid = make_in_state(cs, "resolved")
    ok(cs(f"ticket reopen {tid}"))
    t = ok(cs(f"ticket resolve {tid} --resolution 二次处理 --json")).json()
    assert t["status"] == "resolved" and t["resolution"] == "二次处理"


def test_respond_twice_refused(cs):
    tid = make_in_state(cs, "open")
    ok(cs(f"ticket respond {tid}"))
    before = show(cs, tid)
    result = refused(cs(f"ticket respond {tid}"))
    assert "already" in result.stderr
    assert show(cs, tid) == before


@pytest.mark.parametrize("action", list(ACTIONS) + ["note", "assign", "update", "verdict"])
def test_at_in_future_refused(cs, action):
    register(cs, "a1")
    tid = make_in_state(cs, "resolved" if action in ("close", "reopen") else "pending" if action == "resume" else "open",
                        category="complaint")
    extra = {"note": ["备注"], "assign": ["a1"], "update": ["--summary", "新摘要"], "verdict": ["upheld"]}
    args = ["ticket", action, str(tid), *extra.get(action, ACTIONS.get(action, [])), "--at", "+1h"]
    before = show(cs, tid)
    result = refused(cs(args))
    assert "future" in result.stderr
    assert show(cs, tid) == before


def test_at_before_opened_refused(cs):
    tid = make_in_state(cs, "open")  # opened 08:00
    before = show(cs, tid)
    result = refused(cs(f"ticket respond {tid} --at 2026-11-20T07:59"))
    assert "before" in result.stderr
    assert show(cs, tid) == before


def test_resume_before_pending_since_refused(cs):
    tid = make_in_state(cs, "pending")  # pended 09:00
    before = show(cs, tid)
    refused(cs(f"ticket resume {tid} --at 2026-11-20T08:30"))
    assert show(cs, tid) == before


def test_close_before_resolved_refused(cs):
    tid = make_in_state(cs, "resolved")  # resolved 09:00
    before = show(cs, tid)
    refused(cs(f"ticket close {tid} --at 2026-11-20T08:30"))
    assert show(cs, tid) == before


def test_resolve_before_first_response_refused(cs):
    """resolve --at earlier than the recorded first response would leave resolved_at < first_response_at."""
    tid = make_in_state(cs, "open")  # opened 08:00
    ok(cs(f"ticket respond {tid} --at 2026-11-20T09:00"))
    before = show(cs, tid)
    refused(cs(["ticket", "resolve", str(tid), "--resolution", "x", "--at", "2026-11-20T08:30"]))
    assert show(cs, tid) == before


def test_reopen_before_resolution_refused(cs):
    tid = make_in_state(cs, "resolved")  # resolved 09:00
    before = show(cs, tid)
    refused(cs(f"ticket reopen {tid} --at 2026-11-20T08:30"))
    assert show(cs, tid) == before


def test_pend_before_previous_resume_refused(cs):
    """Overlapping pauses must not count the same waiting time twice."""
    # Opened before opening: the clock starts at 09:00, so normal's 2 working days end Mon 11-23 09:00.
    tid = add_ticket(cs, "x", opened_at="2026-11-19T08:00")["id"]
    ok(cs(f"ticket respond {tid} --at 2026-11-19T09:10"))
    ok(cs(f"ticket pend {tid} --at 2026-11-19T10:00"))
    ok(cs(f"ticket resume {tid} --at 2026-11-19T12:00"))
    assert show(cs, tid)["resolve_due_at"] == D("2026-11-23T11:00")
    result = cs(f"ticket pend {tid} --at 2026-11-19T11:00")
    if result.exit_code == 0:  # if accepted, the overlap (11:00-12:00) may count only once
        after = ok(cs(f"ticket resume {tid} --at 2026-11-19T13:00 --json")).json()
        assert after["resolve_due_at"] == D("2026-11-23T12:00")
    else:
        refused(result)


def test_at_records_given_time(cs):
    tid = make_in_state(cs, "open")
    t = ok(cs(f"ticket respond {tid} --at 2026-11-20T08:20 --json")).json()
    assert t["first_response_at"] == "2026-11-20T08:20:00+08:00"
    assert show(cs, tid)["history"][-1]["at"] == "2026-11-20T08:20:00+08:00"


@pytest.mark.parametrize("value,code", [("upheld", "upheld"), ("rejected", "rejected"), ("成立", "upheld"),
                                        ("不成立", "rejected"), ("投诉成立", "upheld"), ("投诉不成立", "rejected")])
def test_verdict_values(cs, value, code):
    register(cs, "a1")
    tid = add_ticket(cs, "态度恶劣", "phone", "投诉", about="a1")["id"]
    result = ok(cs(["ticket", "verdict", str(tid), value, "--json"]))
    assert result.json()["verdict"] == code
    assert show(cs, tid)["history"][-1]["kind"] == "verdict"


def test_verdict_only_on_complaints(cs):
    tid = add_ticket(cs, "咨询", "phone", "inquiry")["id"]
    before = show(cs, tid)
    result = refused(cs(f"ticket verdict {tid} upheld"))
    assert "complaint" in result.stderr
    assert show(cs, tid) == before


def test_verdict_unknown_value_is_usage_error(cs):
    tid = add_ticket(cs, "投诉", "phone", "complaint")["id"]
    refused(cs(f"ticket verdict {tid} maybe"), 2)


def test_verdict_same_twice_refused_and_change_allowed(cs):
    tid = add_ticket(cs, "投诉", "phone", "complaint")["id"]
    result = ok(cs(f"ticket verdict {tid} rejected"))
    assert "Warning" not in result.stderr
    before = show(cs, tid)
    refused(cs(f"ticket verdict {tid} 不成立"))
    assert show(cs, tid) == before
    result = ok(cs(f"ticket verdict {tid} 成立 --json"))
    assert result.json()["verdict"] == "upheld"
    assert "Warning" in result.stderr  # no --about: the upheld complaint is not attributed


def test_assign(cs):
    register(cs, "a1", "a2")
    tid = add_ticket(cs, "x", agent="a1")["id"]
    t = ok(cs(f"ticket assign {tid} a2 --json")).json()
    assert t["agent"] == "a2"
    assert show(cs, tid)["history"][-1]["kind"] == "assigned"
    before = show(cs, tid)
    refused(cs(f"ticket assign {tid} a2"))  # already
    refused(cs(f"ticket assign {tid} ghost"))
    assert show(cs, tid) == before


def test_assign_and_update_refused_on_closed(cs):
    register(cs, "a1")
    tid = make_in_state(cs, "closed")
    before = show(cs, tid)
    refused(cs(f"ticket assign {tid} a1"))
    refused(cs(f"ticket update {tid} --summary 改"))
    assert show(cs, tid) == before


def test_update_fields_and_tags(cs):
    tid = add_ticket(cs, "旧摘要", tag=["a", "b"])["id"]
    t = ok(cs(["ticket", "update", str(tid), "--summary", "新摘要", "--detail", "详情", "--phone", "+86 139 0013 9000",
               "--customer", "李先生", "--tag", "c", "--untag", "a", "--json"])).json()
    assert t["summary"] == "新摘要" and t["detail"] == "详情"
    assert t["customer_phone"] == "13900139000" and t["customer_name"] == "李先生"
    assert t["tags"] == ["b", "c"]
    assert ok(cs("customer show 13900139000 --json")).json()["name"] == "李先生"
    before = show(cs, tid)
    refused(cs(f"ticket update {tid} --summary 新摘要"))  # nothing changes
    refused(cs(["ticket", "update", str(tid), "--summary", " "]))
    assert show(cs, tid) == before


def test_unknown_ticket_id(cs):
    for args in (["show", "99"], ["respond", "99"], ["pend", "99"], ["resume", "99"], ["close", "99"],
                 ["reopen", "99"], ["resolve", "99", "--resolution", "x"], ["note", "99", "备注"],
                 ["verdict", "99", "upheld"], ["update", "99", "--summary", "x"]):
        result = refused(cs(["ticket", *args]))
        assert "99" in result.stderr and "not found" in result.stderr


# =========================================================================== history and audit


def test_history_and_audit_domain(ctx):
    agents.add(ctx.db, "a1", at=ctx.now_db, actor="tester", name="张三")
    agents.add(ctx.db, "a2", at=ctx.now_db, actor="tester", name="李四")
    ticket = new(ctx, "2026-11-20T08:00", category="complaint", agent="a1")
    tid = ticket["id"]
    assert events(ctx, tid) == ["created"]
    assert [r["action"] for r in audit_rows(ctx, tid)] == ["ticket.add"]
    steps = [
        (lambda: tickets.respond(ctx, tid, at=T("2026-11-20T08:10")), "responded", "ticket.responded"),
        (lambda: tickets.note(ctx, tid, "客户情绪激动", at=T("2026-11-20T08:11")), "note", "ticket.note"),
        (lambda: tickets.assign(ctx, tid, "a2", at=T("2026-11-20T08:12")), "assigned", "ticket.assigned"),
        (lambda: tickets.update(ctx, tid, at=T("2026-11-20T08:13"), summary="改"), "updated", "ticket.updated"),
        (lambda: tickets.pend(ctx, tid, "等回复", at=T("2026-11-20T08:14")), "pended", "ticket.pended"),
        (lambda: tickets.resume(ctx, tid, at=T("2026-11-20T08:15")), "resumed", "ticket.resumed"),
        (lambda: tickets.verdict(ctx, tid, "成立", at=T("2026-11-20T08:16")), "verdict", "ticket.verdict"),
        (lambda: tickets.resolve(ctx, tid, "道歉", at=T("2026-11-20T08:17")), "resolved", "ticket.resolved"),
        (lambda: tickets.close(ctx, tid, at=T("2026-11-20T08:18")), "closed", "ticket.closed"),
        (lambda: tickets.reopen(ctx, tid, at=T("2026-11-20T08:19")), "reopened", "ticket.reopened"),
    ]
    for step, kind, action in steps:
        n_events, n_audit = len(events(ctx, tid)), len(audit_rows(ctx, tid))
        step()
        assert events(ctx, tid)[-1] == kind
        assert len(events(ctx, tid)) == n_events + 1
        rows = audit_rows(ctx, tid)
        assert len(rows) == n_audit + 1
        assert rows[-1]["action"] == action
        assert rows[-1]["actor"] == "tester"
        assert rows[-1]["at"] == ctx.now_db
    all_rows = ctx.db.all("SELECT * FROM audit")
    assert len([r for r in all_rows if r["entity"] == "ticket"]) == 11


def test_audit_records_before_and_after(ctx):
    agents.add(ctx.db, "a1", at=ctx.now_db, actor="tester", name="张三")
    tid = new(ctx)["id"]
    tickets.assign(ctx, tid, "a1")
    row = audit_rows(ctx, tid)[-1]
    assert json.loads(row["before"]) == {"agent": None}
    assert json.loads(row["after"]) == {"agent": "a1"}
    tickets.respond(ctx, tid)
    row = audit_rows(ctx, tid)[-1]
    assert json.loads(row["before"])["status"] == "open"
    assert json.loads(row["after"])["status"] == "in_progress"


def test_refused_change_adds_no_history_or_audit_domain(ctx):
    tid = new(ctx)["id"]
    n_events, n_audit = len(events(ctx, tid)), len(audit_rows(ctx))
    for call in (lambda: tickets.close(ctx, tid), lambda: tickets.resume(ctx, tid),
                 lambda: tickets.reopen(ctx, tid), lambda: tickets.verdict(ctx, tid, "upheld")):
        with pytest.raises(CSError):
            call()
    assert len(events(ctx, tid)) == n_events and len(audit_rows(ctx)) == n_audit


def test_history_via_cli(cs):
    register(cs, "a1")
    tid = add_ticket(cs, "x", opened_at="2026-11-20T08:00")["id"]
    for args in (["respond"], ["note", "第一次备注"], ["assign", "a1"], ["pend", "--reason", "等配件"], ["resume"],
                 ["resolve", "--resolution", "换配件"], ["close"], ["reopen"]):
        ok(cs(["ticket", args[0], str(tid), *args[1:]]))
    history = show(cs, tid)["history"]
    assert [h["kind"] for h in history] == ["created", "responded", "note", "assigned", "pended", "resumed",
                                           "resolved", "closed", "reopened"]
    assert all(h["actor"] == "tester" for h in history)
    assert history[0]["at"] == "2026-11-20T08:00:00+08:00"
    assert history[2]["text"] == "第一次备注"
    assert history[4]["text"] == "等配件" and history[4]["to_status"] == "pending"
    assert history[7]["from_status"] == "resolved" and history[7]["to_status"] == "closed"


def test_actor_recorded_from_as(cs):
    tid = add_ticket(cs, "x")["id"]
    ok(cs(["--as", "lisi", "ticket", "note", str(tid), "备注"]))
    assert show(cs, tid)["history"][-1]["actor"] == "lisi"


def test_show_table_renders(cs):
    tid = add_ticket(cs, "空调漏水严重")["id"]
    ok(cs(f"ticket note {tid} 已联系物业"))
    out = ok(cs(f"ticket show {tid}")).stdout
    assert "空调漏水严重" in out and "History" in out and "已联系物业" in out


# =========================================================================== list filters


@pytest.fixture
def dataset(cs):
    register(cs, "a1", "a2")
    t = {}
    t[1] = add_ticket(cs, "空调漏水严重", "phone", "complaint", agent="a1", phone="13800138000", customer="王女士",
                      detail="客厅天花板渗水", opened_at="2026-11-18T10:00", tag=["漏水"])["id"]
    t[2] = add_ticket(cs, "Printer JAM in lobby", "visit", "repair", agent="a2", phone="13900139000",
                      detail="paper stuck in tray", opened_at="2026-11-19T23:59")["id"]
    t[3] = add_ticket(cs, "咨询会员积分规则", "online", "inquiry", agent="a1", opened_at="2026-11-20T00:00")["id"]
    t[4] = add_ticket(cs, "建议增加夜间客服", "email", "suggestion", agent="a2", opened_at="2026-11-20T08:00")["id"]
    t[5] = add_ticket(cs, "冰箱不制冷", "phone", "complaint", phone="+86 138 0013 8000",
                      opened_at="2026-11-17T09:00")["id"]
    ok(cs(f"ticket resolve {t[3]} --resolution 已解答"))
    ok(cs(f"ticket pend {t[4]} --reason 等领导"))
    ok(cs(f"ticket resolve {t[5]} --resolution 上门维修"))
    ok(cs(f"ticket close {t[5]}"))
    assert t == {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}
    return t


def test_list_default_order_newest_first(cs, dataset):
    assert ids(cs) == [4, 3, 2, 1, 5]


@pytest.mark.parametrize("args,expected", [
    (["--status", "open"], {1, 2}),
    (["--status", "pending"], {4}),
    (["--status", "resolved", "--status", "closed"], {3, 5}),
    (["--status", "已解决"], {3}),
    (["--category", "complaint"], {1, 5}),
    (["--category", "投诉"], {1, 5}),
    (["--category", "repair"], {2}),
    (["--channel", "phone"], {1, 5}),
    (["--channel", "来访"], {2}),
    (["--agent", "a1"], {1, 3}),
    (["--agent", "a2"], {2, 4}),
    (["--phone", "13800138000"], {1, 5}),
    (["--phone", "+86 139-0013-9000"], {2}),
    (["--since", "2026-11-19"], {2, 3, 4}),
    (["--since", "2026-11-20"], {3, 4}),
    (["--until", "2026-11-19"], {1, 2, 5}),  # a date-only --until includes the whole day (23:59 ticket)
    (["--since", "2026-11-19", "--until", "2026-11-19"], {2}),
    (["--since", "2026-11-18T10:00", "--until", "2026-11-20T00:00"], {1, 2}),  # exact --until is exclusive
    (["--until", "yesterday"], {1, 2, 5}),
    (["--open"], {1, 2, 4}),
    (["--open", "--agent", "a2"], {2, 4}),
    (["--category", "complaint", "--open"], {1}),
    (["--status", "open", "--channel", "visit"], {2}),
])
def test_list_filters(cs, dataset, args, expected):
    assert set(ids(cs, *args)) == expected


def test_list_unknown_filter_values(cs, dataset):
    refused(cs("ticket list --status done"), 2)
    refused(cs("ticket list --category fax"), 2)
    refused(cs("ticket list --channel fax"), 2)
    refused(cs("ticket list --since someday"), 2)
    assert ids(cs, "--agent", "nobody") == []


@pytest.mark.parametrize("term,expected", [
    ("漏水", {1}),  # 2 characters: instr
    ("空调漏水", {1}),  # trigram index
    ("漏水严重", {1}),
    ("空调漏水严重", {1}),
    ("水", {1}),
    ("天花板", {1}),  # detail
    ("天花", {1}),
    ("积分", {3}),
    ("会员积分", {3}),
    ("printer", {2}),
    ("PRINTER", {2}),
    ("Jam", {2}),
    ("jam", {2}),
    ("lobby", {2}),
    ("in", {2}),
    ("IN", {2}),  # 2 characters, English: case-insensitive too
    ("Pa", {2}),  # detail "paper"
    ("STUCK", {2}),  # detail, English
    ("空调 严重", {1}),  # every term must match
    ("空调 冰箱", set()),
    ("冰箱 制冷", {5}),
    ("洗衣机", set()),
    ("xyz", set()),
])
def test_list_search(cs, dataset, term, expected):
    assert set(ids(cs, "--search", term)) == expected


def test_search_finds_notes(cs, dataset):
    assert ids(cs, "--search", "退款") == []
    assert ids(cs, "--search", "退款处理") == []
    ok(cs(["ticket", "note", "4", "客户要求退款处理"]))
    assert ids(cs, "--search", "退款") == [4]
    assert ids(cs, "--search", "退款处理") == [4]
    ok(cs(["ticket", "note", "2", "Customer asked for a REFUND"]))
    assert ids(cs, "--search", "refund") == [2]
    assert ids(cs, "--search", "退款 夜间") == [4]  # note + summary


def test_search_follows_summary_update(cs, dataset):
    ok(cs(["ticket", "update", "3", "--summary", "咨询停车收费标准"]))
    assert ids(cs, "--search", "积分") == []
    assert ids(cs, "--search", "会员积分") == []
    assert ids(cs, "--search", "停车收费") == [3]
    assert ids(cs, "--search", "停车") == [3]


@pytest.mark.parametrize("term", ['"', 'a"b', "*", "(x", "NOT", "OR AND", "a:b", "^^^", "'", "%", "_"])
def test_search_odd_characters_do_not_crash(cs, dataset, term):
    result = ok(cs(["ticket", "list", "--search", term, "--json"]))
    assert isinstance(result.json(), list)


def test_search_combined_with_filters(cs, dataset):
    assert ids(cs, "--search", "漏水", "--status", "open") == [1]
    assert ids(cs, "--search", "漏水", "--status", "closed") == []


def test_list_limit(cs, dataset):
    assert ids(cs, "--limit", "2") == [4, 3]
    assert len(ids(cs, "--limit", "100")) == 5
    refused(cs("ticket list --limit 0"), 2)
    refused(cs("ticket list --limit abc"), 2)


def test_list_sort(cs, dataset):
    assert ids(cs, "--sort", "opened_at") == [5, 1, 2, 3, 4]
    assert ids(cs, "--sort", "id") == [1, 2, 3, 4, 5]
    assert ids(cs, "--sort", "-id") == [5, 4, 3, 2, 1]
    assert ids(cs, "--sort", "agent,id")[-2:] == [2, 4]
    assert ids(cs, "--sort", "-agent,-id")[:2] == [4, 2]
    assert ids(cs, "--sort", "status,id") == [1, 2, 4, 3, 5]  # lifecycle order: open, pending, resolved, closed
    assert ids(cs, "--sort", "-status,id") == [5, 3, 4, 1, 2]
    assert ids(cs, "--sort", "id", "--limit", "2") == [1, 2]


def test_list_sort_priority_by_severity(cs):
    for priority in ("low", "urgent", "normal", "high"):
        add_ticket(cs, priority, priority=priority)
    order = [row["priority"] for row in listing(cs, "--sort", "-priority")]
    assert order == ["urgent", "high", "normal", "low"]


@pytest.mark.parametrize("sort", ["bogus", "-summary", "id;DROP TABLE tickets", ""])
def test_list_bad_sort(cs, dataset, sort):
    result = cs(["ticket", "list", "--sort", sort])
    assert result.exit_code in (1, 2), result
    assert "Traceback" not in result.stderr
    assert "sort" in result.stderr.lower()
    assert len(ids(cs)) == 5


# =========================================================================== formats


def test_list_format_json(cs, dataset, validate):
    rows = ok(cs("ticket list --format json")).json()
    for row in rows:
        validate(row, "ticket")
    validate(show(cs, 1), "ticket")
    assert [r["id"] for r in rows] == [4, 3, 2, 1, 5]
    assert all(set(r) == set(tickets.FIELDS) for r in rows)
    assert rows == ok(cs("ticket list --json")).json()


def test_list_format_jsonl(cs, dataset):
    lines = ok(cs("ticket list --format jsonl")).stdout.splitlines()
    assert len(lines) == 5
    rows = [json.loads(line) for line in lines]
    assert rows == listing(cs)
    assert "空调漏水严重" in lines[3]  # not \u-escaped


@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_list_format_csv_tsv(cs, dataset, fmt, delimiter):
    text = ok(cs(f"ticket list --format {fmt}")).stdout
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    assert len(rows) == 5
    assert list(rows[0]) == list(tickets.FIELDS)
    by_id = {row["id"]: row for row in rows}
    assert by_id["1"]["summary"] == "空调漏水严重"
    assert by_id["1"]["tags"] == "漏水"
    assert by_id["5"]["status"] == "closed"


def test_list_format_table_chinese_aligned(cs, dataset):
    out = ok(cs("ticket list")).stdout
    lines = out.splitlines()
    assert len(lines) == 2 + 5
    assert "空调漏水严重" in out and "Printer JAM in lobby" in out and "建议增加夜间客服" in out
    header = lines[0]
    column = display_width(header[:header.index("Summary")])
    for line in lines[2:]:
        for text in ("空调漏水严重", "Printer JAM", "咨询会员积分规则", "建议增加夜间客服", "冰箱不制冷"):
            if text in line:
                assert display_width(line[:line.index(text)]) == column, line


def test_list_table_chinese_labels(cs, dataset):
    out = ok(cs("--lang zh ticket list")).stdout
    assert "摘要" in out and "投诉" in out and "来电" in out and "已关闭" in out


def test_list_empty_results(cs):
    assert ok(cs("ticket list --json")).stdout.strip() == "[]"
    assert ok(cs("ticket list --format jsonl")).stdout == ""
    assert ok(cs("ticket list --format csv")).stdout == ""
    result = ok(cs("ticket list"))
    assert result.stdout == "" and "no matches" in result.stderr.lower()


def test_cs_format_env(cs, dataset):
    result = ok(cs("ticket list", env={"CS_FORMAT": "jsonl"}))
    assert len(result.stdout.splitlines()) == 5
    assert json.loads(result.stdout.splitlines()[0])["id"] == 4


# =========================================================================== exit codes


def test_unknown_enum_is_usage_error(cs):
    for args in ("--channel fax --category inquiry", "--channel phone --category 杂事",
                 "--channel phone --category inquiry --priority asap"):
        refused(cs(f"ticket add {args} --summary x"), 2)
    assert listing(cs) == []


def test_bad_time_is_usage_error(cs):
    result = refused(cs("ticket add --channel phone --category inquiry --summary x --opened-at tomorow"), 2)
    assert "tomorow" in result.stderr
    tid = add_ticket(cs, "x")["id"]
    refused(cs(f"ticket respond {tid} --at 2026-13-40"), 2)
    refused(cs("ticket list --until 25:00"), 2)


def test_unknown_id_exit_1(cs):
    result = refused(cs("ticket show 42"))
    assert "42" in result.stderr


def test_non_numeric_id_is_usage_error(cs):
    refused(cs("ticket show abc"), 2)
    refused(cs("ticket respond abc"), 2)


def test_unknown_time_zone_is_usage_error(cs):
    result = refused(cs("--tz Mars/Base ticket list"), 2)
    assert "Mars/Base" in result.stderr


def test_unknown_time_zone_from_env_is_usage_error(cs):
    result = cs("ticket list", env={"CS_TZ": "Mars/Base"})
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_non_sqlite_db_file(cs, tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database\x00\xff\xfe" * 200)
    for args in (["ticket", "list"], ["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "x"],
                 ["ticket", "show", "1"]):
        result = refused(cs(["--db", str(garbage), *args]))
        assert "garbage.db" in result.stderr
    assert garbage.read_bytes() == b"this is not a database\x00\xff\xfe" * 200


def test_non_sqlite_db_via_env(cs, tmp_path):
    garbage = tmp_path / "junk.sqlite"
    garbage.write_bytes(bytes(range(256)) * 20)
    refused(cs("ticket list --json", env={"CS_DB": str(garbage)}))


def test_db_is_directory(cs, tmp_path):
    refused(cs(["--db", str(tmp_path), "ticket", "list"]))


def test_unknown_option_and_missing_argument(cs):
    refused(cs("ticket list --colour"), 2)
    refused(cs("ticket add --channel phone --category inquiry"), 2)  # no --summary
    refused(cs("ticket show"), 2)
