"""Callbacks (回访) through the `cs` command: policies at resolution, the working calendar and contact
hours, attempts and failure, reschedule/done/cancel/assign, refusals and exit codes, overdue, list
filters, JSON Schemas, customer/ticket views and the demo (SPEC §1, §2, §5, §6).

NOW is Friday 2026-11-20 09:30 in Shanghai (conftest). Tests that need another clock pass CS_NOW.
"""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from helpers_tickets import D, add_ticket, ok, refused, register

PHONE = "13800001111"


# =========================================================================== helpers


def at_env(now: str) -> dict:
    return {"CS_NOW": now}


def complaint(cs, resolve_at: str, phone: str | None = PHONE, category="complaint", agent=None,
              opened: str | None = None, env=None) -> dict:
    """Add a ticket opened an hour before `resolve_at` and resolve it at `resolve_at` (the clock is set there)."""
    env = {**(env or {}), "CS_NOW": resolve_at}
    options = {"opened_at": opened or _an_hour_before(resolve_at)}
    if phone:
        options.update(phone=phone, customer="王先生")
    if agent:
        options["agent"] = agent
    ticket = add_ticket(cs, "客户来电投诉" if category == "complaint" else "空调漏水需要上门维修", "phone", category,
                        env=env, **options)
    ok(cs(["ticket", "resolve", str(ticket["id"]), "--resolution", "已处理"], env=env))
    return ticket


def _an_hour_before(text: str) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(text) - timedelta(hours=1)).isoformat()


def cb_list(cs, *args, env=None) -> list[dict]:
    return ok(cs(["callback", "list", *args, "--json"], env=env)).json()


def cb_show(cs, callback_id, env=None) -> dict:
    return ok(cs(["callback", "show", str(callback_id), "--json"], env=env)).json()


def for_ticket(cs, ticket_id, env=None) -> list[dict]:
    return cb_list(cs, "--ticket", str(ticket_id), env=env)


def only_callback(cs, ticket_id, env=None) -> dict:
    found = for_ticket(cs, ticket_id, env=env)
    assert len(found) == 1, found
    return found[0]


def add_cb(cs, *args, now=None, env=None) -> dict:
    env = {**(env or {}), **({"CS_NOW": now} if now else {})}
    return ok(cs(["callback", "add", *args, "--json"], env=env or None)).json()


def db_count(table: str, path: str | None = None) -> int:
    conn = sqlite3.connect(path or os.environ["CS_DB"])
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def snapshot(cs) -> tuple:
    """Everything a refused callback command could have touched."""
    return (
        cs("callback list --json").stdout,
        cs("ticket list --json").stdout,
        cs("customer list --json").stdout,
        db_count("audit"),
        db_count("callback_events"),
        db_count("ticket_events"),
    )


def error_line(result) -> str:
    """Exactly one `Error:` line, no traceback (for exit 1 and Click's exit 2 alike)."""
    assert "Traceback" not in result.stderr + result.stdout, result
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result
    return lines[0]


def write_toml(tmp_path, text: str) -> str:
    path = tmp_path / "centre.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# =========================================================================== working calendar (National Day)


def test_config_set_1wd_policy_over_national_day(cs):
    ok(cs("config set callback_policy.0.within 1wd"))
    assert ok(cs("config get callback_policy.0.within")).stdout.strip() == "1wd"
    ticket = complaint(cs, "2026-09-30T10:00")
    cb = only_callback(cs, ticket["id"])
    assert cb["due_at"] == "2026-10-08T21:00:00+08:00"
    assert cb["policy"] == "complaint"
    ticket = complaint(cs, "2026-10-09T10:00", phone="13800002222")
    assert only_callback(cs, ticket["id"])["due_at"] == "2026-10-10T21:00:00+08:00"  # 调休 Saturday


def test_config_load_toml_1wd_policy_over_national_day(cs, tmp_path):
    path = write_toml(tmp_path, """
[[callback_policy]]
code = "complaint"
categories = ["complaint"]
within = "1wd"
delay = "1h"
sample = 1.0
method = "phone"
reason = "complaint_followup"
""")
    ok(cs(["config", "load", path]))
    ticket = complaint(cs, "2026-09-30T10:00")
    assert only_callback(cs, ticket["id"])["due_at"] == "2026-10-08T21:00:00+08:00"
    ticket = complaint(cs, "2026-10-09T10:00", phone="13800002222")
    assert only_callback(cs, ticket["id"])["due_at"] == "2026-10-10T21:00:00+08:00"


def test_default_3d_is_calendar_days_even_over_national_day(cs):
    ticket = complaint(cs, "2026-09-30T10:00")
    assert only_callback(cs, ticket["id"])["due_at"] == "2026-10-03T10:00:00+08:00"


def test_manual_due_plus_1wd_over_national_day(cs):
    record = ok(cs(["--now", "2026-09-30T10:00", "callback", "add", "--phone", PHONE, "--due", "+1wd",
                    "--json"])).json()
    assert record["due_at"] == "2026-10-08T10:00:00+08:00"
    record = ok(cs(["--now", "2026-10-09T10:00", "callback", "add", "--phone", PHONE, "--due", "+1wd",
                    "--json"])).json()
    assert record["due_at"] == "2026-10-10T10:00:00+08:00"


# =========================================================================== contact hours


@pytest.mark.parametrize("resolve_at, not_before", [
    ("2026-11-20T09:30", "2026-11-20T10:30"),
    ("2026-11-20T11:30", "2026-11-20T14:00"),   # 12:30 is lunch
    ("2026-11-20T11:00", "2026-11-20T14:00"),   # 12:00 itself is outside (half-open windows)
    ("2026-11-20T20:30", "2026-11-21T09:00"),   # 21:30 is after hours
    ("2026-11-20T20:00", "2026-11-21T09:00"),   # 21:00 itself is outside
    ("2026-11-20T07:00", "2026-11-20T09:00"),   # 08:00 is before opening
])
def test_policy_not_before_inside_contact_hours(cs, resolve_at, not_before):
    ticket = complaint(cs, resolve_at)
    cb = only_callback(cs, ticket["id"], env=at_env(resolve_at))
    assert cb["not_before"] == D(not_before)
    assert cb["next_try_at"] == D(not_before)
    assert cb["due_at"] == D(_plus_days(resolve_at, 3))
    assert cb["created_at"] == D(resolve_at)


def _plus_days(text, days):
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(text) + timedelta(days=days)).isoformat()


@pytest.mark.parametrize("attempt_at, next_try", [
    ("2026-11-20T15:00", "2026-11-20T17:00"),
    ("2026-11-20T20:30", "2026-11-21T09:00"),
    ("2026-11-20T10:30", "2026-11-20T14:00"),
])
def test_attempt_next_try_inside_contact_hours(cs, attempt_at, next_try):
    ticket = complaint(cs, "2026-11-20T09:00")
    cb = only_callback(cs, ticket["id"])
    env = at_env("2026-11-20T23:00")
    after = ok(cs(["callback", "attempt", str(cb["id"]), "--result", "no_answer", "--at", attempt_at, "--json"],
                  env=env)).json()
    assert after["attempts"] == 1
    assert after["status"] == "pending"
    assert after["next_try_at"] == D(next_try)
    assert after["due_at"] == cb["due_at"]
    last = cb_show(cs, cb["id"], env=env)["history"][-1]
    assert (last["kind"], last["result"], last["at"]) == ("attempt", "no_answer", D(attempt_at))


def test_attempt_accepts_chinese_result_label(cs):
    ticket = complaint(cs, "2026-11-20T09:00")
    cb = only_callback(cs, ticket["id"])
    after = ok(cs(["--now", cb["next_try_at"], "callback", "attempt", str(cb["id"]), "--result", "占线",
                   "--json"])).json()
    assert after["attempts"] == 1
    assert cb_show(cs, cb["id"])["history"][-1]["result"] == "busy"


def test_contact_hours_and_retry_from_config(cs):
    ok(cs(["config", "set", "contact_hours", '["10:00-18:00"]']))
    ok(cs("config set callback.retry_after 3h"))
    ticket = complaint(cs, "2026-11-20T08:30")                  # +1h = 09:30, before 10:00
    cb = only_callback(cs, ticket["id"])
    assert cb["not_before"] == D("2026-11-20T10:00")
    after = ok(cs(["callback", "attempt", str(cb["id"]), "--result", "busy", "--at", "2026-11-20T15:30", "--json"],
                  env=at_env("2026-11-20T20:00"))).json()
    assert after["next_try_at"] == D("2026-11-21T10:00")          # 18:30 is after hours


def test_max_attempts_from_config(cs):
    ok(cs("config set callback.max_attempts 2"))
    ticket = complaint(cs, "2026-11-20T08:00")
    cb = only_callback(cs, ticket["id"])
    first = ok(cs(["callback", "attempt", str(cb["id"]), "--result", "busy", "--at", "2026-11-20T09:00", "--json"])).json()
    assert first["status"] == "pending"
    second = ok(cs(["callback", "attempt", str(cb["id"]), "--result", "busy", "--force", "--json"])).json()
    assert (second["status"], second["attempts"], second["next_try_at"]) == ("failed", 2, None)


# =========================================================================== failure after max attempts


def failed_callback(cs) -> dict:
    ticket = complaint(cs, "2026-11-20T08:00")
    cb = only_callback(cs, ticket["id"])
    env = at_env("2026-11-20T23:00")
    for n, (at, result) in enumerate([("2026-11-20T09:00", "no_answer"), ("2026-11-20T11:00", "busy")], 1):
        after = ok(cs(["callback", "attempt", str(cb["id"]), "--result", result, "--at", at, "--json"],
                      env=env)).json()
        assert (after["status"], after["attempts"]) == ("pending", n)
        assert after["next_try_at"] is not None
    after = ok(cs(["callback", "attempt", str(cb["id"]), "--result", "no_answer", "--at", "2026-11-20T15:00",
                   "--json"], env=env)).json()
    assert after["status"] == "failed"
    assert after["attempts"] == 3
    assert after["next_try_at"] is None
    assert after["overdue"] is False
    assert after["due_at"] == cb["due_at"]
    return after


@pytest.mark.parametrize("args", [
    ["done", "{id}", "--outcome", "satisfied"],
    ["done", "{id}", "--outcome", "neutral", "--score", "3"],
    ["attempt", "{id}", "--result", "no_answer"],
    ["reschedule", "{id}", "--to", "2026-11-30T10:00", "--note", "客户出差"],
    ["cancel", "{id}", "--reason", "重复"],
])
def test_failed_callback_refuses_further_work(cs, args):
    register(cs, "li")
    cb = failed_callback(cs)
    before_show = cb_show(cs, cb["id"])
    before = snapshot(cs)
    result = cs(["callback", *[a.format(id=cb["id"]) for a in args]])
    refused(result, 1)
    assert "failed" in error_line(result)
    assert cb_show(cs, cb["id"]) == before_show
    assert snapshot(cs) == before


def test_failed_callback_refuses_assign(cs):
    register(cs, "li")
    cb = failed_callback(cs)
    before = snapshot(cs)
    refused(cs(["callback", "assign", str(cb["id"]), "li"]), 1)
    assert snapshot(cs) == before


# =========================================================================== quotas, not chances


def test_the_repair_quota_is_identical_across_databases(cs, tmp_path):
    """003: 對維修用戶50%以上回訪 — 40 repair customers: exactly 20 callbacks, the 1st, 3rd, 5th … in any database."""
    chosen = []
    for name in ("a.db", "b.db"):
        env = {"CS_DB": str(tmp_path / name)}
        for n in range(40):
            ticket = add_ticket(cs, "空调漏水需要上门维修", "phone", "repair", env=env, phone=f"1390000{n:04d}",
                                opened_at="2026-11-20T08:00")
            ok(cs(["ticket", "resolve", str(ticket["id"]), "--resolution", "已上门维修"], env=env))
        rows = cb_list(cs, env=env)
        assert all(r["policy"] == "repair" and r["reason"] == "post_repair" for r in rows)
        assert all(r["due_at"] == "2026-12-04T09:30:00+08:00" for r in rows)  # 14 days
        chosen.append({r["ticket_id"] for r in rows})
    assert chosen[0] == chosen[1] == set(range(1, 41, 2))


def test_vip_always_gets_a_repair_callback(cs):
    """The 2nd repair customer of the month is not the quota's, but a VIP gets the callback; a 4th who is no VIP
    does not."""
    ok(cs("customer set 13899990000 --vip"))
    for phone in ("13899990001", "13899990000", "13899990002", "13899990003"):
        ticket = add_ticket(cs, "热水器不出热水", "phone", "repair", phone=phone, opened_at="2026-11-20T08:00")
        ok(cs(["ticket", "resolve", str(ticket["id"]), "--resolution", "已修好"]))
    assert sorted(r["customer_phone"] for r in cb_list(cs)) == ["13899990000", "13899990001", "13899990002"]



def test_repair_sample_set_by_config(cs):
    ok(cs("config set callback_policy.1.sample 0"))
    ok(cs("customer set 13899990000 --vip"))
    none = [complaint(cs, "2026-11-20T09:30", category="repair", phone=f"1390000{n:04d}") for n in range(6)]
    vip = complaint(cs, "2026-11-20T09:30", category="repair", phone="13899990000")
    assert {cb["ticket_id"] for cb in cb_list(cs)} == {vip["id"]}   # sample 0, but VIP customers always
    ok(cs("config set callback_policy.1.sample 1"))
    every = [complaint(cs, "2026-11-20T09:30", category="repair", phone=f"1390001{n:04d}") for n in range(6)]
    assert {cb["ticket_id"] for cb in cb_list(cs)} == {vip["id"]} | {t["id"] for t in every}
    assert not {t["id"] for t in none} & {cb["ticket_id"] for cb in cb_list(cs)}


def test_no_callback_customer_gets_none_and_manual_add_refused(cs):
    ok(cs(f"customer set {PHONE} --no-callback --vip"))
    ticket = complaint(cs, "2026-11-20T09:30")
    assert for_ticket(cs, ticket["id"]) == []
    before = snapshot(cs)
    result = cs(["callback", "add", "--phone", PHONE, "--due", "+1d"])
    refused(result, 1)
    assert "declined" in error_line(result)
    assert snapshot(cs) == before
    refused(cs(["callback", "add", "--ticket", str(ticket["id"]), "--due", "+1d"]), 1)
    refused(cs(["callback", "add", "--phone", "+86 138-0000-1111", "--due", "+1d"]), 1)  # same number
    assert snapshot(cs) == before
    ok(cs(f"customer set {PHONE} --allow-callback"))
    assert add_cb(cs, "--phone", PHONE, "--due", "+1d")["customer_phone"] == PHONE


# =========================================================================== complaints


def test_every_resolved_complaint_with_a_phone_gets_one(cs, validate):
    register(cs, "li", "wang")
    made = [complaint(cs, "2026-11-20T09:30", phone=f"1380000{n:04d}", agent=agent)
            for n, agent in enumerate(["li", "wang", "li", "wang", "li"])]
    for ticket in made:
        cb = validate(only_callback(cs, ticket["id"]), "callback")
        assert cb["reason"] == "complaint_followup"
        assert cb["policy"] == "complaint"
        assert cb["agent"] == ticket["agent"]
        assert cb["due_at"] == "2026-11-23T09:30:00+08:00"
        assert cb["customer_phone"] == ticket["customer_phone"]
        assert cb["ticket_id"] == ticket["id"]
        assert cb["status"] == "pending"


def test_complaint_without_phone_gets_none(cs):
    ticket = complaint(cs, "2026-11-20T09:30", phone=None)
    assert for_ticket(cs, ticket["id"]) == []
    assert cb_list(cs) == []


def test_resolve_reopen_resolve_keeps_one_pending(cs):
    ticket = complaint(cs, "2026-11-20T08:30")
    first = only_callback(cs, ticket["id"])
    ok(cs(["ticket", "reopen", str(ticket["id"]), "--reason", "客户仍不满意", "--at", "2026-11-20T09:00"]))
    ok(cs(["ticket", "resolve", str(ticket["id"]), "--resolution", "再次处理"]))
    pending = cb_list(cs, "--ticket", str(ticket["id"]), "--status", "pending")
    assert [cb["id"] for cb in pending] == [first["id"]]
    assert pending[0]["due_at"] == first["due_at"]


# =========================================================================== reschedule


def test_reschedule_needs_a_note(cs):
    ticket = complaint(cs, "2026-11-20T09:30")
    cb = only_callback(cs, ticket["id"])
    before = snapshot(cs)
    result = cs(["callback", "reschedule", str(cb["id"]), "--to", "2026-11-30T10:00"])
    refused(result, 2)
    assert "--note" in result.stderr
    for blank in ("", "   "):
        refused(cs(["callback", "reschedule", str(cb["id"]), "--to", "2026-11-30T10:00", "--note", blank]), 1)
    assert snapshot(cs) == before
    assert cb_show(cs, cb["id"])["due_at"] == cb["due_at"]


def test_reschedule_moves_due_and_records_why(cs, validate):
    ticket = complaint(cs, "2026-11-20T09:30")
    cb = only_callback(cs, ticket["id"])
    audit_before = db_count("audit")
    moved = ok(cs(["callback", "reschedule", str(cb["id"]), "--to", "2026-11-30T10:00", "--note", "客户出差, 下周再联系",
                   "--json"])).json()
    validate(moved, "callback")
    assert moved["due_at"] == "2026-11-30T10:00:00+08:00"
    assert db_count("audit") == audit_before + 1
    history = validate(cb_show(cs, cb["id"]), "callback")["history"]
    last = history[-1]
    assert last["kind"] == "rescheduled"
    assert last["actor"] == "tester"
    assert cb["due_at"] in last["note"]
    assert "2026-11-30T10:00:00+08:00" in last["note"]
    assert "客户出差" in last["note"]
    # a plain write prints the id
    assert ok(cs(["callback", "reschedule", str(cb["id"]), "--to", "+4d", "--note", "再延"])).stdout == f"{cb['id']}\n"


def test_only_reschedule_moves_due(cs):
    register(cs, "li", "wang")
    ticket = complaint(cs, "2026-11-20T08:00", agent="li")
    cb = only_callback(cs, ticket["id"])
    after = ok(cs(["callback", "attempt", str(cb["id"]), "--result", "busy", "--json"])).json()
    assert after["due_at"] == cb["due_at"]
    after = ok(cs(["callback", "assign", str(cb["id"]), "wang", "--json"])).json()
    assert after["agent"] == "wang"
    assert after["due_at"] == cb["due_at"]
    assert cb_show(cs, cb["id"])["history"][-1]["kind"] == "assigned"


# =========================================================================== done


@pytest.mark.parametrize("outcome, score, expected", [
    ("satisfied", None, 5),
    ("neutral", None, 3),
    ("dissatisfied", None, 1),
    ("satisfied", "4", 4),
    ("dissatisfied", "2", 2),
    ("不满意", None, 1),
])
def test_done_copies_satisfaction_to_ticket(cs, validate, outcome, score, expected):
    ticket = complaint(cs, "2026-11-20T08:00")
    cb = only_callback(cs, ticket["id"])
    args = ["callback", "done", str(cb["id"]), "--outcome", outcome, "--note", "客户表示问题已解决", "--json"]
    if score:
        args += ["--score", score]
    done = validate(ok(cs(args)).json(), "callback")
    assert done["status"] == "done"
    assert done["outcome"] in ("satisfied", "neutral", "dissatisfied")
    assert done["score"] == (int(score) if score else None)
    assert done["done_at"] == "2026-11-20T09:30:00+08:00"
    assert done["next_try_at"] is None and done["overdue"] is False
    assert done["note"] == "客户表示问题已解决"
    shown = validate(ok(cs(["ticket", "show", str(ticket["id"]), "--json"])).json(), "ticket")
    assert shown["satisfaction"] == expected
    events = [e for e in shown["history"] if e["kind"] == "satisfaction"]
    assert len(events) == 1 and str(expected) in (events[0]["text"] or "")
    assert [c["status"] for c in shown["callbacks"]] == ["done"]
    history = cb_show(cs, cb["id"])["history"]
    assert history[-1]["kind"] == "done" and history[-1]["note"] == "客户表示问题已解决"


def test_done_on_manual_phone_callback_touches_no_ticket(cs):
    cb = add_cb(cs, "--phone", PHONE, "--due", "+1d")
    done = ok(cs(["callback", "done", str(cb["id"]), "--outcome", "satisfied", "--json"])).json()
    assert done["status"] == "done" and done["ticket_id"] is None


@pytest.mark.parametrize("end", ["done", "failed", "cancelled"])
def test_done_refused_once_ended(cs, end):
    register(cs, "li")
    if end == "failed":
        cb = failed_callback(cs)
    else:
        ticket = complaint(cs, "2026-11-20T08:00")
        cb = only_callback(cs, ticket["id"])
        if end == "done":
            ok(cs(["callback", "done", str(cb["id"]), "--outcome", "satisfied"]))
        else:
            ok(cs(["callback", "cancel", str(cb["id"]), "--reason", "客户已到店处理"]))
    ticket_before = ok(cs(["ticket", "show", str(cb["ticket_id"]), "--json"])).json()
    before = snapshot(cs)
    result = cs(["callback", "done", str(cb["id"]), "--outcome", "dissatisfied", "--score", "1"])
    refused(result, 1)
    assert end in error_line(result)
    assert snapshot(cs) == before
    assert ok(cs(["ticket", "show", str(cb["ticket_id"]), "--json"])).json() == ticket_before


# =========================================================================== refusals and exit codes


def _setup_states(cs):
    """Callbacks 1 pending, 2 failed, 3 cancelled."""
    register(cs, "li")
    failed = failed_callback(cs)  # ticket 1, callback 1 → made failed
    ticket = complaint(cs, "2026-11-20T09:00", phone="13800002222")
    pending = only_callback(cs, ticket["id"])
    ticket = complaint(cs, "2026-11-20T09:10", phone="13800003333")
    cancelled = only_callback(cs, ticket["id"])
    ok(cs(["callback", "cancel", str(cancelled["id"]), "--reason", "重复回访"]))
    return {"pending": pending["id"], "failed": failed["id"], "cancelled": cancelled["id"]}


REFUSALS = [
    # (args with {pending}/{failed}/{cancelled}, exit code)
    (["done", "{failed}", "--outcome", "satisfied"], 1),
    (["done", "{cancelled}", "--outcome", "satisfied"], 1),
    (["attempt", "{cancelled}", "--result", "busy"], 1),
    (["reschedule", "{cancelled}", "--to", "+3d", "--note", "x"], 1),
    (["cancel", "{cancelled}", "--reason", "again"], 1),
    (["done", "999", "--outcome", "satisfied"], 1),
    (["attempt", "999", "--result", "busy"], 1),
    (["reschedule", "999", "--to", "+3d", "--note", "why"], 1),
    (["cancel", "999", "--reason", "why"], 1),
    (["assign", "999", "li"], 1),
    (["show", "999"], 1),
    (["assign", "{pending}", "ghost"], 1),                       # unknown agent
    (["add", "--phone", "13800004444", "--due", "+1d", "--method", "pigeon"], 2),
    (["add", "--phone", "12ab", "--due", "+1d"], 1),
    (["add", "--phone", "1234", "--due", "+1d"], 1),              # too few digits
    (["add", "--phone", "13800004444", "--due", "tomorow"], 2),
    (["add", "--phone", "13800004444", "--due", "+1d", "--not-before", "soonish"], 2),
    (["add", "--phone", "13800004444", "--due", "+1d", "--reason", "boredom"], 2),
    (["add", "--phone", "13800004444", "--due", "+1d", "--agent", "ghost"], 1),
    (["add", "--ticket", "999", "--due", "+1d"], 1),
    (["add", "--phone", "13800004444"], 2),                       # --due is required
    (["done", "{pending}", "--outcome", "great"], 2),
    (["done", "{pending}", "--outcome", "satisfied", "--score", "9"], 2),
    (["done", "{pending}", "--outcome", "satisfied", "--at", "+1h"], 1),  # the future
    (["attempt", "{pending}", "--result", "pigeon"], 2),
    (["reschedule", "{pending}", "--to", "tomorow", "--note", "why"], 2),
    (["cancel", "{pending}"], 2),                                 # --reason is required
    (["cancel", "{pending}", "--reason", "  "], 1),
    (["list", "--status", "bogus"], 2),
    (["list", "--due-before", "tomorow"], 2),
    (["list", "--reason", "boredom"], 2),
    (["list", "--sort", "colour"], 2),
    (["list", "--limit", "0"], 2),
    (["list", "--phone", "12ab"], 1),
]


@pytest.mark.parametrize("args, code", REFUSALS, ids=[" ".join(a) for a, _ in REFUSALS])
def test_refused_operations_write_nothing(cs, args, code):
    ids = _setup_states(cs)
    before = snapshot(cs)
    result = cs(["callback", *[a.format(**ids) for a in args]])
    assert result.exit_code == code, result
    refused(result, code)
    error_line(result)
    assert result.stdout == ""
    assert snapshot(cs) == before


def test_add_with_both_ticket_and_phone_refused(cs):
    ticket = complaint(cs, "2026-11-20T09:00", phone=None)
    before = snapshot(cs)
    result = cs(["callback", "add", "--ticket", str(ticket["id"]), "--phone", PHONE, "--due", "+1d"])
    assert result.exit_code in (1, 2), result
    error_line(result)
    assert snapshot(cs) == before


def test_phone_callback_for_ticket_without_phone_refused(cs):
    ticket = complaint(cs, "2026-11-20T09:00", phone=None)
    before = snapshot(cs)
    refused(cs(["callback", "add", "--ticket", str(ticket["id"]), "--due", "+1d"]), 1)
    assert snapshot(cs) == before
    visit = add_cb(cs, "--ticket", str(ticket["id"]), "--due", "+1d", "--method", "上门")
    assert visit["method"] == "visit" and visit["customer_phone"] is None


# =========================================================================== manual add


def test_manual_add_fields(cs, validate):
    register(cs, "li")
    cb = validate(add_cb(cs, "--phone", "+86 138-0000-5555", "--customer", "刘女士", "--due", "tomorrow 10:00",
                         "--reason", "新客户回访", "--method", "sms", "--agent", "li", "--not-before",
                         "2026-11-20T12:15", "--note", "介绍会员权益"), "callback")
    assert cb["customer_phone"] == "13800005555"
    assert cb["customer_name"] == "刘女士"
    assert cb["due_at"] == "2026-11-21T10:00:00+08:00"
    assert cb["reason"] == "new_customer"
    assert cb["method"] == "sms"
    assert cb["agent"] == "li"
    assert cb["not_before"] == "2026-11-20T14:00:00+08:00"  # moved out of lunch
    assert cb["next_try_at"] == cb["not_before"]
    assert cb["note"] == "介绍会员权益"
    assert cb["policy"] is None and cb["ticket_id"] is None
    assert cb["created_at"] == "2026-11-20T09:30:00+08:00"
    customer = validate(ok(cs("customer show 13800005555 --json")).json(), "customer")
    assert customer["name"] == "刘女士"
    assert [c["id"] for c in customer["callback_list"]] == [cb["id"]]


def test_manual_add_for_ticket_defaults_to_ticket_agent_and_phone(cs):
    register(cs, "li")
    ticket = complaint(cs, "2026-11-20T09:00", category="repair", agent="li", phone="13800006666")
    cb = add_cb(cs, "--ticket", str(ticket["id"]), "--due", "+2d", "--reason", "post_repair")
    assert (cb["agent"], cb["customer_phone"], cb["ticket_id"]) == ("li", "13800006666", ticket["id"])
    assert cb["not_before"] == "2026-11-20T09:30:00+08:00"


def test_write_commands_print_the_id(cs):
    result = ok(cs(["callback", "add", "--phone", PHONE, "--due", "+1d"]))
    assert result.stdout == "1\n"


# =========================================================================== overdue


def test_overdue(cs, validate):
    # made on Wednesday, due at different times; NOW is Friday 09:30
    early = {"CS_NOW": "2026-11-18T10:00"}
    a = add_cb(cs, "--phone", "13800000001", "--due", "2026-11-19T10:00", env=early)  # overdue
    b = add_cb(cs, "--phone", "13800000002", "--due", "2026-11-20T09:30", env=early)  # due exactly now: not overdue
    c = add_cb(cs, "--phone", "13800000003", "--due", "2026-11-20T09:29", env=early)  # overdue by a minute
    d = add_cb(cs, "--phone", "13800000004", "--due", "2026-11-19T10:00", env=early)  # done late
    e = add_cb(cs, "--phone", "13800000005", "--due", "2026-11-19T10:00", env=early)  # cancelled
    f = add_cb(cs, "--phone", "13800000006", "--due", "2026-11-25T10:00", env=early)  # future
    ok(cs(["callback", "done", str(d["id"]), "--outcome", "neutral", "--at", "2026-11-20T09:00"]))
    ok(cs(["callback", "cancel", str(e["id"]), "--reason", "客户已注销"]))
    overdue = cb_list(cs, "--overdue")
    assert [r["id"] for r in overdue] == [a["id"], c["id"]]
    assert all(r["overdue"] and r["status"] == "pending" for r in overdue)
    everything = {r["id"]: r for r in cb_list(cs)}
    assert {i for i, r in everything.items() if r["overdue"]} == {a["id"], c["id"]}
    assert everything[d["id"]]["status"] == "done" and everything[d["id"]]["overdue"] is False
    assert everything[b["id"]]["overdue"] is False and everything[f["id"]]["overdue"] is False
    assert cb_show(cs, a["id"])["overdue"] is True
    for row in everything.values():
        validate(row, "callback")
    # a minute later b is overdue too; rescheduling a moves it out
    later = {"CS_NOW": "2026-11-20T09:31"}
    assert [r["id"] for r in cb_list(cs, "--overdue", env=later)] == [a["id"], c["id"], b["id"]]  # by due_at
    ok(cs(["callback", "reschedule", str(a["id"]), "--to", "+2d", "--note", "客户要求下周联系"]))
    assert {r["id"] for r in cb_list(cs, "--overdue")} == {c["id"]}
    assert cb_list(cs, "--overdue", "--status", "done") == []


# =========================================================================== list filters


@pytest.fixture
def spread(cs):
    """A handful of callbacks over agents, reasons, statuses and dues."""
    register(cs, "li", "wang")
    early = {"CS_NOW": "2026-11-18T10:00"}
    t1 = complaint(cs, "2026-11-18T10:00", agent="li", phone="13800000011")               # cb 1 complaint, li
    rows = {"complaint": only_callback(cs, t1["id"], env=early)}
    rows["repair"] = add_cb(cs, "--phone", "13800000012", "--due", "2026-11-19T12:00", "--reason", "post_repair",
                            "--agent", "wang", env=early)                                   # overdue
    rows["survey"] = add_cb(cs, "--phone", "13800000013", "--due", "2026-11-27T12:00", "--reason", "satisfaction",
                            "--agent", "li", env=early)
    rows["done"] = add_cb(cs, "--phone", "13800000011", "--due", "2026-11-22T12:00", "--reason", "other",
                          "--agent", "wang", env=early)
    ok(cs(["callback", "done", str(rows["done"]["id"]), "--outcome", "satisfied"]))
    rows["failed"] = add_cb(cs, "--phone", "13800000014", "--due", "2026-11-24T12:00", "--agent", "li",
                            "--method", "visit", env=early)
    for at in ("2026-11-19T10:00", "2026-11-19T15:00", "2026-11-20T09:00"):
        ok(cs(["callback", "attempt", str(rows["failed"]["id"]), "--result", "no_answer", "--at", at]))
    return {k: v["id"] for k, v in rows.items()}, t1


def ids_of(cs, *args):
    return [r["id"] for r in cb_list(cs, *args)]


def test_list_default_order_is_due_then_id(cs, spread):
    rows = cb_list(cs)
    assert [r["due_at"] for r in rows] == sorted(r["due_at"] for r in rows)
    assert len(rows) == 5


def test_list_filter_status(cs, spread):
    ids, _ = spread
    assert set(ids_of(cs, "--status", "pending")) == {ids["complaint"], ids["repair"], ids["survey"]}
    assert ids_of(cs, "--status", "done") == [ids["done"]]
    assert ids_of(cs, "--status", "failed") == [ids["failed"]]
    assert set(ids_of(cs, "--status", "done", "--status", "failed")) == {ids["done"], ids["failed"]}
    assert ids_of(cs, "--status", "无法联系") == [ids["failed"]]
    assert ids_of(cs, "--status", "cancelled") == []


def test_list_filter_agent(cs, spread):
    ids, _ = spread
    assert set(ids_of(cs, "--agent", "li")) == {ids["complaint"], ids["survey"], ids["failed"]}
    assert set(ids_of(cs, "--agent", "wang")) == {ids["repair"], ids["done"]}
    assert ids_of(cs, "--agent", "nobody") == []


def test_list_filter_overdue(cs, spread):
    ids, _ = spread
    assert ids_of(cs, "--overdue") == [ids["repair"]]


def test_list_filter_due_before(cs, spread):
    ids, _ = spread
    # complaint due 2026-11-21T10:00, repair 11-19 12:00, done 11-22 12:00, failed 11-24, survey 11-27
    assert ids_of(cs, "--due-before", "2026-11-21T10:00") == [ids["repair"]]  # strictly before
    assert ids_of(cs, "--due-before", "2026-11-21T10:01") == [ids["repair"], ids["complaint"]]
    assert ids_of(cs, "--due-before", "+3d") == [ids["repair"], ids["complaint"], ids["done"]]


def test_list_filter_reason(cs, spread):
    ids, _ = spread
    assert ids_of(cs, "--reason", "complaint_followup") == [ids["complaint"]]
    assert ids_of(cs, "--reason", "投诉回访") == [ids["complaint"]]
    assert ids_of(cs, "--reason", "维修回访") == [ids["repair"]]
    assert ids_of(cs, "--reason", "satisfaction") == [ids["survey"]]


def test_list_filter_ticket_and_phone(cs, spread):
    ids, t1 = spread
    assert ids_of(cs, "--ticket", str(t1["id"])) == [ids["complaint"]]
    assert ids_of(cs, "--ticket", "999") == []
    assert set(ids_of(cs, "--phone", "13800000011")) == {ids["complaint"], ids["done"]}
    assert set(ids_of(cs, "--phone", "+86 138 0000 0011")) == {ids["complaint"], ids["done"]}


def test_list_limit_and_sort(cs, spread):
    ids, _ = spread
    everything = cb_list(cs)
    assert cb_list(cs, "--limit", "2") == everything[:2]
    by_id_desc = ids_of(cs, "--sort", "-id")
    assert by_id_desc == sorted(by_id_desc, reverse=True) and len(by_id_desc) == 5
    by_due_desc = cb_list(cs, "--sort", "-due_at")
    assert [r["due_at"] for r in by_due_desc] == sorted((r["due_at"] for r in everything), reverse=True)
    expected = [r["id"] for r in sorted(everything, key=lambda r: (r["agent"], r["id"]))]
    assert ids_of(cs, "--sort", "agent,id", "--limit", "3") == expected[:3]
    agents_sorted = [r["agent"] for r in cb_list(cs, "--sort", "agent,id")]
    assert agents_sorted == sorted(agents_sorted)


def test_list_combined_filters(cs, spread):
    ids, _ = spread
    assert ids_of(cs, "--agent", "li", "--status", "pending", "--due-before", "2026-11-28") == [
        ids["complaint"], ids["survey"]]
    assert ids_of(cs, "--agent", "wang", "--overdue") == [ids["repair"]]


def test_list_formats(cs, spread, validate):
    lines = ok(cs("callback list --format jsonl")).stdout.splitlines()
    assert len(lines) == 5
    for line in lines:
        validate(json.loads(line), "callback")
    empty = ok(cs("callback list --status cancelled --json"))
    assert empty.json() == []
    assert ok(cs("callback list --status cancelled --format jsonl")).stdout == ""
    assert ok(cs("callback list --status cancelled --format csv")).stdout == ""
    table = ok(cs("callback list --status cancelled"))
    assert table.stdout == "" and table.stderr.strip()
    zh = ok(cs("--lang zh callback list --reason complaint_followup"))
    assert "投诉回访" in zh.stdout
    csv_out = ok(cs("callback list --format csv")).stdout
    assert csv_out.splitlines()[0].startswith("id,")


# =========================================================================== JSON Schemas everywhere


def test_every_callback_json_output_validates(cs, validate):
    register(cs, "li", "wang")
    ticket = complaint(cs, "2026-11-20T08:00", agent="li")
    policy_cb = validate(only_callback(cs, ticket["id"]), "callback")
    added = validate(add_cb(cs, "--ticket", str(ticket["id"]), "--due", "+2d", "--reason", "satisfaction"),
                     "callback")
    third = validate(add_cb(cs, "--phone", "13800007777", "--due", "+1d"), "callback")
    validate(ok(cs(["callback", "attempt", str(policy_cb["id"]), "--result", "no_answer", "--json"])).json(),
             "callback")
    validate(ok(cs(["callback", "assign", str(policy_cb["id"]), "wang", "--json"])).json(), "callback")
    validate(ok(cs(["callback", "reschedule", str(policy_cb["id"]), "--to", "+5d", "--note", "客户要求延后",
                    "--json"])).json(), "callback")
    validate(ok(cs(["callback", "done", str(policy_cb["id"]), "--outcome", "satisfied", "--score", "4",
                    "--json"])).json(), "callback")
    validate(ok(cs(["callback", "cancel", str(added["id"]), "--reason", "已合并", "--json"])).json(), "callback")
    for n in range(3):
        validate(ok(cs(["callback", "attempt", str(third["id"]), "--result", "busy", "--force", "--json"])).json(),
                 "callback")
    for cb in cb_list(cs):
        validate(cb, "callback")
    for n in (policy_cb["id"], added["id"], third["id"]):
        shown = validate(cb_show(cs, n), "callback")
        assert shown["history"][0]["kind"] == "created"
    statuses = {cb["id"]: cb["status"] for cb in cb_list(cs)}
    assert statuses == {policy_cb["id"]: "done", added["id"]: "cancelled", third["id"]: "failed"}
    for line in ok(cs("callback list --format jsonl")).stdout.splitlines():
        validate(json.loads(line), "callback")
    shown = validate(ok(cs(["ticket", "show", str(ticket["id"]), "--json"])).json(), "ticket")
    assert {c["id"] for c in shown["callbacks"]} == {policy_cb["id"], added["id"]}
    assert shown["satisfaction"] == 4
    customer = validate(ok(cs(f"customer show {PHONE} --json")).json(), "customer")
    assert {c["id"] for c in customer["callback_list"]} == {policy_cb["id"], added["id"]}
    other = validate(ok(cs("customer show 13800007777 --json")).json(), "customer")
    assert [c["id"] for c in other["callback_list"]] == [third["id"]]


def test_ticket_and_customer_views_list_callbacks(cs, validate):
    t1 = complaint(cs, "2026-11-20T08:00")
    t2 = complaint(cs, "2026-11-20T08:30")                           # same customer, second complaint
    t3 = complaint(cs, "2026-11-20T09:00", phone="13800008888")     # another customer
    shown = validate(ok(cs(["ticket", "show", str(t1["id"]), "--json"])).json(), "ticket")
    assert [c["ticket_id"] for c in shown["callbacks"]] == [t1["id"]]
    customer = validate(ok(cs(f"customer show {PHONE} --json")).json(), "customer")
    assert {c["ticket_id"] for c in customer["callback_list"]} == {t1["id"], t2["id"]}
    assert all(c["customer_phone"] == PHONE for c in customer["callback_list"])
    other = validate(ok(cs("customer show 13800008888 --json")).json(), "customer")
    assert [c["ticket_id"] for c in other["callback_list"]] == [t3["id"]]
    for c in customer["callback_list"] + other["callback_list"] + shown["callbacks"]:
        validate(c, "callback")


# =========================================================================== demo


def test_demo_has_callbacks_some_overdue_some_done(cs, tmp_path, validate):
    path = str(tmp_path / "demo.db")
    ok(cs(["demo", "--db", path]))
    overdue = ok(cs(["--db", path, "callback", "list", "--overdue", "--json"])).json()
    assert overdue
    assert all(c["overdue"] and c["status"] == "pending" for c in overdue)
    done = ok(cs(["--db", path, "callback", "list", "--status", "done", "--json"])).json()
    assert done
    for c in overdue + done:
        validate(c, "callback")
    # deterministic: the same clock builds the same callbacks
    again = str(tmp_path / "demo2.db")
    ok(cs(["demo", "--db", again]))
    assert ok(cs(["--db", again, "callback", "list", "--json"])).stdout == \
        ok(cs(["--db", path, "callback", "list", "--json"])).stdout


def test_two_tries_in_the_same_minute_are_refused_unless_forced(cs):
    """Issue 18: two attempts in the same minute were both accepted and a complaint callback failed 6 hours into its
    3-day window. A try before the next is due is refused (exit 1, one Error line, nothing written), unless
    --force, which the record says."""
    ticket = complaint(cs, "2026-11-20T08:00")
    cb = only_callback(cs, ticket["id"])
    first = ok(cs(["callback", "attempt", str(cb["id"]), "--result", "no_answer", "--at", "2026-11-20T09:00",
                   "--json"])).json()
    assert first["next_try_at"] == "2026-11-20T11:00:00+08:00"
    before = snapshot(cs)
    again = refused(cs(["callback", "attempt", str(cb["id"]), "--result", "no_answer", "--at", "2026-11-20T09:01"]))
    assert "next try is due 2026-11-20T11:00:00+08:00" in again.stderr and "--force" in again.stderr
    assert snapshot(cs) == before
    forced = ok(cs(["callback", "attempt", str(cb["id"]), "--result", "no_answer", "--at", "2026-11-20T09:01",
                    "--force", "--note", "客户来电后挂断", "--json"])).json()
    assert forced["attempts"] == 2
    assert cb_show(cs, cb["id"])["history"][-1]["note"] == "提前尝试(--force); 客户来电后挂断"


def test_a_time_the_customer_chose_may_be_outside_contact_hours(cs):
    """Issue 18: a customer's own request to be called at 22:30 could not be recorded (moved to the next morning).
    With --customer-asked it stands, and the record says the customer chose it."""
    plain = add_cb(cs, "--phone", "13800005555", "--due", "2026-11-21T12:00", "--not-before", "2026-11-20T22:30")
    assert plain["not_before"] == "2026-11-21T09:00:00+08:00"  # moved into contact hours
    asked = add_cb(cs, "--phone", "13800006666", "--due", "2026-11-21T12:00", "--not-before", "2026-11-20T22:30",
                   "--customer-asked", "--note", "晚上下班后方便")
    assert asked["not_before"] == "2026-11-20T22:30:00+08:00"
    assert asked["note"] == "客户要求的回电时间 2026-11-20 22:30(在联系时间以外); 晚上下班后方便"
