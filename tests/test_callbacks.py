"""Callbacks (回访), domain level: deadlines on the working calendar, contact hours, deterministic
sampling, the policies run at resolution, attempts and failure, done → ticket satisfaction (SPEC §6).

NOW is Friday 2026-11-20 09:30 in Shanghai (conftest). `ctx_at` gives the same database another clock.
CLI behaviour (exit codes, JSON, filters, demo) is in test_callbacks_cli.py.
"""

from __future__ import annotations

import pytest
from helpers_tickets import D, T, ctx_at

from cs.core import clock
from cs.core import config as config_mod
from cs.core.context import Context
from cs.core.errors import CSError
from cs.desk import agents, callbacks, customers, flows, tickets


def with_config(ctx, now: str, **overrides) -> Context:
    """A context at `now` whose configuration is the defaults with `overrides` laid over them."""
    return Context(db=ctx.db, now=T(now), config=config_mod.effective(overrides), actor=ctx.actor,
                   tz_name="Asia/Shanghai")


def new_ticket(ctx, opened: str, category="complaint", phone="13800001111", agent=None, summary="客户来电投诉"):
    return tickets.add(ctx, channel="phone", category=category, summary=summary, phone=phone,
                       customer="王先生" if phone else None, agent=agent, opened_at=T(opened))


def resolve(ctx, ticket_id: int, at: str) -> list[dict]:
    """Resolve at `at` (the context's clock is set to `at`); returns the ticket's callbacks."""
    here = Context(db=ctx.db, now=T(at), config=ctx.config, actor=ctx.actor, tz_name="Asia/Shanghai")
    flows.resolve_ticket(here, ticket_id, "已处理", at=T(at))
    return list(callbacks.query(here, ticket_id=ticket_id))


def one_callback(ctx, ticket_id, at) -> dict:
    made = resolve(ctx, ticket_id, at)
    assert len(made) == 1, made
    return made[0]


# =========================================================================== quotas (seed 003)


@pytest.mark.parametrize("sample", ["0.5", "0.1", "0.3", "0.05", "0.25", "0.9", "0"])
def test_the_quota_selects_exactly_ceil_of_the_share(sample):
    """SPEC section 15: of n eligible customers, exactly ceil(sample × n) are selected, for every n (exact
    arithmetic: 30 × 0.1 is 3)."""
    import math
    from fractions import Fraction

    chosen = 0
    for k in range(1, 1001):
        chosen += callbacks.quota_selects(k, float(sample))
        assert chosen == math.ceil(k * Fraction(sample)), (sample, k)


# =========================================================================== deadlines


def test_deadline_units(ctx):
    start = T("2026-11-20T10:15")
    assert callbacks.deadline(ctx, start, clock.parse_duration("3d")) == T("2026-11-23T10:15")
    assert callbacks.deadline(ctx, start, clock.parse_duration("24h")) == T("2026-11-21T10:15")
    # 3wd: close of contact hours on the 3rd working day after (Fri → Mon, Tue, Wed)
    assert callbacks.deadline(ctx, start, clock.parse_duration("3wd")) == T("2026-11-25T21:00")


def test_deadline_one_working_day_over_national_day(ctx):
    # 2026-10-01..07 are holidays: the working day after Wednesday 30 September is Thursday 8 October.
    assert callbacks.deadline(ctx, T("2026-09-30T10:00"), clock.parse_duration("1wd")) == T("2026-10-08T21:00")
    # Saturday 10 October is a make-up workday (调休).
    assert callbacks.deadline(ctx, T("2026-10-09T10:00"), clock.parse_duration("1wd")) == T("2026-10-10T21:00")


def test_deadline_follows_the_calendar_setting(ctx):
    monfri = with_config(ctx, "2026-09-30T10:00", calendar="mon-fri")
    assert callbacks.deadline(monfri, T("2026-09-30T10:00"), clock.parse_duration("1wd")) == T("2026-10-01T21:00")
    assert callbacks.deadline(monfri, T("2026-10-09T10:00"), clock.parse_duration("1wd")) == T("2026-10-12T21:00")


def test_deadline_wd_closes_at_the_configured_contact_hours(ctx):
    later = with_config(ctx, "2026-11-20T10:00", contact_hours=["08:00-12:30", "13:30-20:00"])
    assert callbacks.deadline(later, T("2026-11-20T10:00"), clock.parse_duration("1wd")) == T("2026-11-23T20:00")


# =========================================================================== contact hours


@pytest.mark.parametrize("moment, expected", [
    ("2026-11-20T11:30", "2026-11-20T11:30"),   # inside the morning window
    ("2026-11-20T12:00", "2026-11-20T14:00"),   # windows are half-open
    ("2026-11-20T12:30", "2026-11-20T14:00"),
    ("2026-11-20T08:59", "2026-11-20T09:00"),
    ("2026-11-20T20:59", "2026-11-20T20:59"),
    ("2026-11-20T21:00", "2026-11-21T09:00"),
    ("2026-11-20T21:30", "2026-11-21T09:00"),
    ("2026-11-20T23:59", "2026-11-21T09:00"),
])
def test_callable_from_moves_into_contact_hours(ctx, moment, expected):
    assert callbacks.callable_from(ctx, T(moment)) == T(expected)


# =========================================================================== policies at resolution


def test_complaint_policy_defaults(ctx):
    agents.add(ctx.db, "li", at=ctx.now_db, actor="tester", name="李娜")
    ticket = new_ticket(ctx, "2026-11-20T09:00", agent="li")
    cb = one_callback(ctx, ticket["id"], "2026-11-20T09:30")
    assert cb["reason"] == "complaint_followup"
    assert cb["policy"] == "complaint"
    assert cb["agent"] == "li"
    assert cb["method"] == "phone"
    assert cb["status"] == "pending" and cb["attempts"] == 0
    assert cb["customer_phone"] == "13800001111" and cb["customer_name"] == "王先生"
    assert cb["due_at"] == D("2026-11-23T09:30")           # 3 calendar days
    assert cb["not_before"] == D("2026-11-20T10:30")       # + 1h delay, inside contact hours
    assert cb["next_try_at"] == cb["not_before"]
    assert cb["created_at"] == D("2026-11-20T09:30")


def test_not_before_lunch_break(ctx):
    ticket = new_ticket(ctx, "2026-11-20T09:00")
    cb = one_callback(ctx, ticket["id"], "2026-11-20T11:30")   # 12:30 is lunch
    assert cb["not_before"] == D("2026-11-20T14:00")
    assert cb["due_at"] == D("2026-11-23T11:30")


def test_not_before_evening_goes_to_next_morning(ctx):
    ticket = new_ticket(ctx, "2026-11-20T09:00")
    cb = one_callback(ctx, ticket["id"], "2026-11-20T20:30")   # 21:30 is after hours
    assert cb["not_before"] == D("2026-11-21T09:00")
    assert cb["next_try_at"] == D("2026-11-21T09:00")


def test_policy_wd_deadline_over_national_day(ctx):
    policy = dict(config_mod.DEFAULTS["callback_policy"][0], within="1wd")
    here = with_config(ctx, "2026-09-30T10:00", callback_policy=[policy])
    ticket = new_ticket(here, "2026-09-30T09:00")
    cb = one_callback(here, ticket["id"], "2026-09-30T10:00")
    assert cb["due_at"] == "2026-10-08T21:00:00+08:00"
    ticket = new_ticket(with_config(ctx, "2026-10-09T10:00", callback_policy=[policy]), "2026-10-09T09:00",
                        phone="13800002222")
    cb = one_callback(with_config(ctx, "2026-10-09T10:00", callback_policy=[policy]), ticket["id"],
                      "2026-10-09T10:00")
    assert cb["due_at"] == "2026-10-10T21:00:00+08:00"


def test_no_phone_no_callback(ctx):
    ticket = new_ticket(ctx, "2026-11-20T09:00", phone=None)
    assert resolve(ctx, ticket["id"], "2026-11-20T09:30") == []


def test_categories_without_a_policy_get_none(ctx):
    """An inquiry of a customer who is not new and not a VIP: no policy applies."""
    earlier = new_ticket(ctx, "2026-11-02T09:00", category="inquiry")
    resolve(ctx, earlier["id"], "2026-11-02T09:30")  # the first ticket: the new-customer quota's to decide
    ticket = new_ticket(ctx, "2026-11-20T09:00", category="inquiry")
    assert resolve(ctx, ticket["id"], "2026-11-20T09:30") == []


def _repairs(ctx, phones: list[str], day: str = "2026-11-20") -> dict:
    """A resolved repair ticket for each phone (in order); phone -> the callbacks it got."""
    made = {}
    for phone in phones:
        ticket = new_ticket(ctx_at(ctx, f"{day}T09:00"), f"{day}T09:00", category="repair", phone=phone,
                            summary="空调漏水")
        made.setdefault(phone, []).extend(resolve(ctx, ticket["id"], f"{day}T09:30"))
    return made


def test_thirty_repair_customers_in_a_month_give_exactly_fifteen_callbacks(ctx):
    """003: 對維修用戶50%以上回訪(在維修后兩個星期內(nèi)完成) — 30 repair customers in a month: exactly 15 callbacks
    (the 1st, 3rd, 5th … eligible), each due 14 days after; their repeat repairs that month: none."""
    phones = [f"1390000{n:04d}" for n in range(1, 31)]
    made = _repairs(ctx, phones)
    called = [phone for phone in phones if made[phone]]
    assert len(called) == 15 and called == phones[0::2]
    for cbs in made.values():
        for cb in cbs:
            assert (cb["policy"], cb["reason"], cb["due_at"]) == ("repair", "post_repair", D("2026-12-04T09:30"))
    again = _repairs(ctx, phones, "2026-11-24")
    assert sum(len(cbs) for cbs in again.values()) == 0  # counted once a month: repeat customers get none
    december = _repairs(ctx, phones[:2], "2026-12-01")
    assert [len(december[p]) for p in phones[:2]] == [1, 0]  # a new month counts afresh


def test_twenty_new_customers_give_exactly_two_callbacks_due_within_a_month(ctx):
    """003: 對新用戶實現(xiàn)10%以上回訪(在購機(jī)后一個月內(nèi)完成) — 20 first-ever tickets (inquiries) in a month: exactly
    2 callbacks, due a calendar month after the resolution."""
    made = {}
    for n in range(1, 21):
        ticket = new_ticket(ctx, "2026-11-20T09:00", category="inquiry", phone=f"1370000{n:04d}")
        made[n] = resolve(ctx, ticket["id"], "2026-11-20T09:30")
    got = [cb for cbs in made.values() for cb in cbs]
    assert len(got) == 2 and [n for n, cbs in made.items() if cbs] == [1, 11]
    assert {(cb["policy"], cb["reason"], cb["due_at"]) for cb in got} == {
        ("new_customer", "new_customer", D("2026-12-20T09:30"))}


def test_the_first_policy_that_applies_decides(ctx):
    """A new customer's complaint is the complaint policy's (every one), not the new-customer quota's; one callback
    per resolved ticket."""
    ticket = new_ticket(ctx, "2026-11-20T09:00", category="complaint", phone="13600001111")
    cbs = resolve(ctx, ticket["id"], "2026-11-20T09:30")
    assert [cb["policy"] for cb in cbs] == ["complaint"]


def test_a_vip_always_gets_the_callback_the_quota_would_not_give(ctx):
    """001/003: 必須保證重點客戶的100%的回訪 — the 2nd repair customer of the month is not selected by the 50% quota,
    but as a VIP gets the callback; a VIP's inquiry (no earlier policy applies) goes to key_customer."""
    customers.set_flags(ctx.db, "13811112222", at=ctx.now_db, actor="tester", display=ctx.display, vip=True)
    made = _repairs(ctx, ["13900000001", "13811112222", "13900000003"])
    assert [len(made[p]) for p in ("13900000001", "13811112222", "13900000003")] == [1, 1, 1]
    assert made["13811112222"][0]["policy"] == "repair"
    new_ticket(ctx, "2026-11-19T09:00", category="inquiry", phone="13811112222")  # not new any more
    inquiry = new_ticket(ctx_at(ctx, "2026-11-20T10:00"), "2026-11-20T10:00", category="inquiry", phone="13811112222")
    assert [cb["policy"] for cb in resolve(ctx, inquiry["id"], "2026-11-20T10:30")] == ["key_customer"]


def test_vip_always_can_be_switched_off(ctx):
    here = with_config(ctx, "2026-11-20T09:30", callback={"vip_always": False})
    customers.set_flags(ctx.db, "13811112222", at=ctx.now_db, actor="tester", display=ctx.display, vip=True)
    made = _repairs(here, ["13900000001", "13811112222"])
    assert [len(made[p]) for p in ("13900000001", "13811112222")] == [1, 0]


def test_no_callback_customer_gets_no_policy_callback(ctx):
    customers.set_flags(ctx.db, "13800001111", at=ctx.now_db, actor="tester", display=ctx.display, no_callback=True,
                        vip=True)
    ticket = new_ticket(ctx, "2026-11-20T09:00")
    assert resolve(ctx, ticket["id"], "2026-11-20T09:30") == []
    with pytest.raises(CSError, match="declined"):
        callbacks.add(ctx, due=T("2026-11-21T10:00"), phone="13800001111")
    with pytest.raises(CSError, match="declined"):
        callbacks.add(ctx, due=T("2026-11-21T10:00"), ticket_id=ticket["id"])
    assert ctx.db.value("SELECT COUNT(*) FROM callbacks") == 0


def test_reopen_and_resolve_again_keeps_one_pending(ctx):
    ticket = new_ticket(ctx, "2026-11-20T08:00")
    first = one_callback(ctx, ticket["id"], "2026-11-20T08:30")
    tickets.reopen(ctx_at(ctx, "2026-11-20T09:00"), ticket["id"], at=T("2026-11-20T09:00"))
    again = resolve(ctx, ticket["id"], "2026-11-20T09:30")
    assert [cb["id"] for cb in again] == [first["id"]]
    assert again[0]["due_at"] == first["due_at"]  # the commitment does not move


def test_policy_fields_come_from_the_config(ctx):
    policy = {"code": "newbies", "categories": ["inquiry", "booking"], "within": "24h", "delay": "30m",
              "sample": 1.0, "method": "sms", "reason": "new_customer"}
    here = with_config(ctx, "2026-11-20T09:30", callback_policy=[policy])
    ticket = new_ticket(here, "2026-11-20T09:00", category="booking")
    cb = one_callback(here, ticket["id"], "2026-11-20T09:30")
    assert (cb["policy"], cb["method"], cb["reason"]) == ("newbies", "sms", "new_customer")
    assert cb["due_at"] == D("2026-11-21T09:30")
    assert cb["not_before"] == D("2026-11-20T10:00")


# =========================================================================== attempts


def pending_callback(ctx, at="2026-11-20T09:30", phone="13800001111") -> dict:
    ticket = new_ticket(ctx, "2026-11-20T09:00", phone=phone)
    return one_callback(ctx, ticket["id"], at)


@pytest.mark.parametrize("attempt_at, next_try", [
    ("2026-11-20T15:00", "2026-11-20T17:00"),
    ("2026-11-20T20:30", "2026-11-21T09:00"),   # 22:30 → next morning
    ("2026-11-20T10:30", "2026-11-20T14:00"),   # 12:30 → after lunch
    ("2026-11-20T18:59", "2026-11-20T20:59"),
    ("2026-11-20T19:00", "2026-11-21T09:00"),   # 21:00 is outside (half-open)
])
def test_attempt_next_try_inside_contact_hours(ctx, attempt_at, next_try):
    cb = pending_callback(ctx)
    due = cb["due_at"]
    later = ctx_at(ctx, "2026-11-20T23:00")
    after = callbacks.attempt(later, cb["id"], "no_answer", at=T(attempt_at))
    assert after["attempts"] == 1
    assert after["status"] == "pending"
    assert after["next_try_at"] == D(next_try)
    assert after["due_at"] == due


def test_retry_after_from_config(ctx):
    here = with_config(ctx, "2026-11-20T23:00", callback={"retry_after": "30m", "max_attempts": 3})
    cb = pending_callback(ctx)
    after = callbacks.attempt(here, cb["id"], "busy", at=T("2026-11-20T15:00"))
    assert after["next_try_at"] == D("2026-11-20T15:30")


def test_third_attempt_fails(ctx):
    cb = pending_callback(ctx)
    later = ctx_at(ctx, "2026-11-20T23:00")
    for n, at in enumerate(["2026-11-20T10:30", "2026-11-20T14:30"], 1):
        after = callbacks.attempt(later, cb["id"], "no_answer", at=T(at))
        assert (after["status"], after["attempts"]) == ("pending", n)
    after = callbacks.attempt(later, cb["id"], "busy", at=T("2026-11-20T16:30"))
    assert after["status"] == "failed"
    assert after["attempts"] == 3
    assert after["next_try_at"] is None
    assert after["overdue"] is False
    assert after["due_at"] == cb["due_at"]
    for action in (lambda: callbacks.attempt(later, cb["id"], "no_answer"),
                   lambda: flows.complete_callback(later, cb["id"], "satisfied"),
                   lambda: callbacks.reschedule(later, cb["id"], T("2026-11-30T10:00"), "客户出差"),
                   lambda: callbacks.cancel(later, cb["id"], "重复"),
                   lambda: callbacks.assign(later, cb["id"], "li")):
        with pytest.raises(CSError, match="failed"):
            action()
    assert callbacks.get(later, cb["id"]) == after


def test_max_attempts_from_config(ctx):
    here = with_config(ctx, "2026-11-20T23:00", callback={"retry_after": "2h", "max_attempts": 1})
    cb = pending_callback(ctx)
    after = callbacks.attempt(here, cb["id"], "wrong_number", at=T("2026-11-20T15:00"))
    assert after["status"] == "failed" and after["attempts"] == 1


def test_attempt_refuses_future_and_out_of_order_times(ctx):
    cb = pending_callback(ctx)
    with pytest.raises(CSError, match="future"):
        callbacks.attempt(ctx, cb["id"], "no_answer", at=T("2026-11-20T10:00"))
    with pytest.raises(CSError, match="before"):
        callbacks.attempt(ctx, cb["id"], "no_answer", at=T("2026-11-20T09:00"))
    assert callbacks.get(ctx, cb["id"])["attempts"] == 0


def test_unknown_attempt_result_refused(ctx):
    cb = pending_callback(ctx)
    with pytest.raises(CSError, match="result"):
        callbacks.attempt(ctx, cb["id"], "pigeon")


# =========================================================================== done, reschedule, cancel, assign


@pytest.mark.parametrize("outcome, score, expected", [
    ("satisfied", None, 5), ("neutral", None, 3), ("dissatisfied", None, 1),
    ("satisfied", 4, 4), ("dissatisfied", 2, 2), ("neutral", 5, 5), ("满意", None, 5),
])
def test_done_sets_ticket_satisfaction(ctx, outcome, score, expected):
    cb = pending_callback(ctx)
    later = ctx_at(ctx, "2026-11-20T15:00")
    after = flows.complete_callback(later, cb["id"], outcome, score=score, note="客户表示满意", at=T("2026-11-20T14:30"))
    assert after["status"] == "done"
    assert after["outcome"] in ("satisfied", "neutral", "dissatisfied")
    assert after["score"] == score
    assert after["done_at"] == D("2026-11-20T14:30")
    assert after["next_try_at"] is None
    assert after["note"] == "客户表示满意"
    ticket = flows.show_ticket(later, cb["ticket_id"])
    assert ticket["satisfaction"] == expected
    assert [e for e in ticket["history"] if e["kind"] == "satisfaction"]
    with pytest.raises(CSError, match="done"):
        flows.complete_callback(later, cb["id"], "satisfied")


def test_done_score_out_of_range_refused(ctx):
    cb = pending_callback(ctx)
    for bad in (0, 6):
        with pytest.raises(CSError):
            flows.complete_callback(ctx, cb["id"], "satisfied", score=bad)
    assert callbacks.get(ctx, cb["id"])["status"] == "pending"


def test_reschedule_is_the_only_thing_that_moves_due(ctx):
    agents.add(ctx.db, "li", at=ctx.now_db, actor="tester", name="李娜")
    cb = pending_callback(ctx)
    later = ctx_at(ctx, "2026-11-20T16:00")
    due = cb["due_at"]
    assert callbacks.attempt(later, cb["id"], "no_answer", at=T("2026-11-20T10:30"))["due_at"] == due
    assert callbacks.assign(later, cb["id"], "li", at=T("2026-11-20T11:00"))["due_at"] == due
    for blank in (None, "", "   "):
        with pytest.raises(CSError):
            callbacks.reschedule(later, cb["id"], T("2026-11-30T10:00"), blank)
    assert callbacks.get(later, cb["id"])["due_at"] == due
    moved = callbacks.reschedule(later, cb["id"], T("2026-11-30T10:00"), "客户出差, 下周再联系", at=T("2026-11-20T15:00"))
    assert moved["due_at"] == D("2026-11-30T10:00")
    last = callbacks.show(later, cb["id"])["history"][-1]
    assert last["kind"] == "rescheduled"
    assert due in last["note"] and D("2026-11-30T10:00") in last["note"] and "客户出差" in last["note"]


def test_cancel_needs_a_reason(ctx):
    cb = pending_callback(ctx)
    with pytest.raises(CSError):
        callbacks.cancel(ctx, cb["id"], "  ")
    after = callbacks.cancel(ctx, cb["id"], "客户已到店处理")
    assert after["status"] == "cancelled" and after["next_try_at"] is None and after["overdue"] is False
    with pytest.raises(CSError, match="cancelled"):
        flows.complete_callback(ctx, cb["id"], "satisfied")


# =========================================================================== overdue


def test_overdue_is_pending_and_strictly_past_due(ctx):
    cb = pending_callback(ctx)  # due 2026-11-23T09:30
    at_due = ctx_at(ctx, "2026-11-23T09:30")
    assert callbacks.get(at_due, cb["id"])["overdue"] is False
    assert list(callbacks.query(at_due, overdue=True)) == []
    past = ctx_at(ctx, "2026-11-23T09:31")
    assert callbacks.get(past, cb["id"])["overdue"] is True
    assert [c["id"] for c in callbacks.query(past, overdue=True)] == [cb["id"]]
    done_late = flows.complete_callback(ctx_at(ctx, "2026-11-24T10:00"), cb["id"], "neutral")
    assert done_late["overdue"] is False
    assert list(callbacks.query(ctx_at(ctx, "2026-11-24T10:00"), overdue=True)) == []


def test_a_share_raised_mid_month_catches_up_at_once(ctx):
    """Review of issue 18: 4 repair customers at 10% (1 selected), then the share raised to 50%: of 7 customers
    ceil(0.5 × 7) = 4 must be selected by the end; the 5th, 6th and 7th all are (catching up)."""
    low = [dict(p, sample=0.1) if p["code"] == "repair" else p for p in config_mod.DEFAULTS["callback_policy"]]
    at_ten = with_config(ctx, "2026-11-20T09:30", callback_policy=low)
    first = _repairs(at_ten, [f"1390000000{n}" for n in range(1, 5)])
    assert [len(cbs) for cbs in first.values()] == [1, 0, 0, 0]
    later = _repairs(ctx, [f"1390000000{n}" for n in range(5, 8)])
    assert [len(cbs) for cbs in later.values()] == [1, 1, 1]


def test_a_customer_is_new_once_even_with_a_backdated_ticket(ctx):
    """A ticket back-dated before the customer's first does not count them as new a second time."""
    phone = "13700009999"
    first = new_ticket(ctx, "2026-11-10T09:00", category="inquiry", phone=phone)
    assert [cb["policy"] for cb in resolve(ctx, first["id"], "2026-11-10T09:30")] == ["new_customer"]
    backdated = new_ticket(ctx, "2026-11-01T09:00", category="inquiry", phone=phone)
    assert resolve(ctx, backdated["id"], "2026-11-20T09:30") == []


def test_a_month_duration_is_bounded():
    from cs.core import clock

    assert clock.parse_duration("1200mo").amount == 1200
    with pytest.raises(ValueError, match="at most 1200 months"):
        clock.parse_duration("99999mo")
