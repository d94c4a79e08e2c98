"""考核 through the `cs` command: every default rule, attribution, idempotent re-runs and voids,
violations with escalating fines, permissions, monthly scores, explain, JSON Schemas (SPEC §8).

NOW is Friday 2026-11-20 09:30 in Shanghai (conftest). Most tests score Thursday D = 2026-11-19 and
run `cs deductions run --date D` after midnight (`--now 2026-11-20T00:30`); facts are recorded with
`--now` set to when they happened.
"""

from __future__ import annotations

import json

import pytest
from helpers_tickets import add_ticket, ok, refused, register

D = "2026-11-19"  # Thursday, a working day
D_MINUS_1 = "2026-11-18"
AFTER = "2026-11-20T00:30"  # half an hour after D ended
PHONE = "13800001111"

DUTY_TOML = """
[[duty]]
code = "open_shop"
label = "开门检查"
every = "day"
"""


# =========================================================================== helpers


def at(now: str) -> list[str]:
    return ["--now", now]


def run(cs, validate, day=D, now=AFTER, *extra) -> dict:
    """`cs deductions run --date DAY --json` at `now`; the summary validated."""
    summary = ok(cs([*at(now), "deductions", "run", "--date", day, *extra, "--json"])).json()
    validate(summary, "deductions-run")
    assert summary["date"] == day
    return summary


def entries(cs, validate, *args, now=AFTER) -> list[dict]:
    """`cs deductions list ARGS --json`, every item validated."""
    rows = ok(cs([*at(now), "deductions", "list", *args, "--json"])).json()
    assert isinstance(rows, list)
    for row in rows:
        validate(row, "deduction")
    return rows


def day_entries(cs, validate, day=D, now=AFTER) -> list[dict]:
    return entries(cs, validate, "--date", day, now=now)


def keys(rows, *fields):
    """Sorted tuples of the chosen fields: easy to compare whole sets of entries."""
    fields = fields or ("agent", "rule", "points", "ref_type", "ref_id")
    return sorted(tuple(row[f] for f in fields) for row in rows)


def scores(cs, validate, month="2026-11", now=None) -> list[dict]:
    args = ([*at(now)] if now else []) + ["score", "--month", month, "--json"]
    rows = ok(cs(args)).json()
    assert isinstance(rows, list)
    for row in rows:
        validate(row, "score")
    return rows


def add_callback(cs, validate, due: str, agent: str, now: str, **options) -> dict:
    args = [*at(now), "callback", "add", "--due", due, "--agent", agent]
    if "ticket" in options:
        args += ["--ticket", str(options.pop("ticket"))]
    else:
        args += ["--phone", options.pop("phone", PHONE)]
    args.append("--json")
    doc = ok(cs(args)).json()
    validate(doc, "callback")
    return doc


def violation(cs, validate, agent: str, rule: str, when: str | None = None, now: str | None = None,
              actor: str | None = None, note: str | None = None) -> dict:
    args = ([*at(now)] if now else []) + (["--as", actor] if actor else [])
    args += ["violation", "add", agent, rule, "--json"]
    if when:
        args += ["--at", when]
    if note:
        args += ["--note", note]
    doc = ok(cs(args)).json()
    validate(doc, "violation")
    return doc


def load_config(cs, tmp_path, text: str, actor: str | None = None, name="centre.toml"):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    ok(cs((["--as", actor] if actor else []) + ["config", "load", str(path)]))


def memo_none(cs, agent: str, day: str = D, at_time: str = "17:50") -> None:
    """The agent's shift files its "无" memo (else handover_missing charges it: test_seed_rules.py)."""
    ok(cs(["--now", f"{day}T{at_time}", "--as", agent, "handover", "none"]))


def month_window(cs) -> None:
    """off_task counted within the calendar month (the seed's default is `ever`: test_seed_rules.py)."""
    index = next(i for i, rule in enumerate(json.loads(ok(cs("config get rule --json")).stdout))
                 if rule["code"] == "off_task")
    ok(cs(["config", "set", f"rule.{index}.window", "month"]))


def roster(cs, validate, day: str, shift: str, *agents) -> dict:
    doc = ok(cs(["roster", "set", day, shift, *agents, "--json"])).json()
    validate(doc, "roster")
    return doc


def supervisor(cs, handle="sup"):
    """A supervisor (made while none exists: the bootstrap) — from here on roles are checked."""
    ok(cs(["agent", "add", handle, "--name", "主管", "--role", "supervisor"]))


# =========================================================================== one test per default rule


def test_callback_overdue_done_late_and_still_open_at_midnight(cs, validate):
    register(cs, "alice", "bob")
    late = add_callback(cs, validate, f"{D}T12:00", "alice", now=f"{D}T09:00")
    open_ = add_callback(cs, validate, f"{D}T16:00", "alice", now=f"{D}T09:00")
    on_time = add_callback(cs, validate, f"{D}T17:00", "alice", now=f"{D}T09:00")
    cancelled = add_callback(cs, validate, f"{D}T18:00", "bob", now=f"{D}T09:00")
    tomorrow = add_callback(cs, validate, "2026-11-20T10:00", "bob", now=f"{D}T09:00")
    ok(cs([*at(f"{D}T13:00"), "callback", "done", str(late["id"]), "--outcome", "satisfied"]))
    ok(cs([*at(f"{D}T11:00"), "callback", "done", str(on_time["id"]), "--outcome", "satisfied"]))
    ok(cs([*at(f"{D}T11:00"), "callback", "cancel", str(cancelled["id"]), "--reason", "客户已到店"]))

    summary = run(cs, validate)
    assert summary["added"] == 2 and summary["entries"] == 2, summary
    rows = day_entries(cs, validate)
    assert keys(rows) == [("alice", "callback_overdue", 1.0, "callback", late["id"]),
                          ("alice", "callback_overdue", 1.0, "callback", open_["id"])]
    assert all(row["fine"] == 0 and row["action"] is None and row["date"] == D for row in rows)
    assert tomorrow["id"] not in {row["ref_id"] for row in rows}


def test_first_response_late_goes_to_the_tickets_agent(cs, validate):
    register(cs, "alice", "bob")
    late = add_ticket(cs, "查询话费", agent="alice", opened_at=f"{D}T10:00", env={"CS_NOW": f"{D}T10:00"})
    assert late["first_response_due_at"] == f"{D}T12:00:00+08:00"  # normal: 2h
    fine = add_ticket(cs, "查询余额", agent="bob", opened_at=f"{D}T10:00", env={"CS_NOW": f"{D}T10:00"})
    earlier = add_ticket(cs, "前一天的", agent="bob", opened_at=f"{D_MINUS_1}T10:00",
                         env={"CS_NOW": f"{D_MINUS_1}T10:00"})
    ok(cs([*at(f"{D}T13:00"), "ticket", "respond", str(late["id"])]))
    ok(cs([*at(f"{D}T11:00"), "ticket", "respond", str(fine["id"])]))
    ok(cs([*at(f"{D}T11:00"), "ticket", "respond", str(earlier["id"])]))  # late, but opened on D-1

    run(cs, validate)
    assert keys(day_entries(cs, validate)) == [("alice", "first_response_late", 1.0, "ticket", late["id"])]


def test_first_response_never_given_by_the_end_of_the_day_counts(cs, validate):
    register(cs, "alice")
    silent = add_ticket(cs, "没人理", agent="alice", opened_at=f"{D}T20:00", env={"CS_NOW": f"{D}T20:00"})
    run(cs, validate)
    assert keys(day_entries(cs, validate)) == [("alice", "first_response_late", 1.0, "ticket", silent["id"])]


def test_upheld_complaint_goes_to_about_agent_not_the_tickets_agent(cs, validate):
    register(cs, "alice", "bob", "carol")
    env = {"CS_NOW": f"{D_MINUS_1}T10:00"}
    upheld = add_ticket(cs, "服务态度差", "phone", "complaint", agent="alice", about="bob",
                        opened_at=f"{D_MINUS_1}T10:00", env=env)
    rejected = add_ticket(cs, "等太久", "phone", "complaint", agent="alice", about="carol",
                          opened_at=f"{D_MINUS_1}T10:00", env=env)
    for ticket in (upheld, rejected):
        ok(cs([*at(f"{D_MINUS_1}T10:05"), "ticket", "respond", str(ticket["id"])]))
    ok(cs([*at(f"{D}T15:00"), "ticket", "verdict", str(upheld["id"]), "upheld"]))
    ok(cs([*at(f"{D}T15:00"), "ticket", "verdict", str(rejected["id"]), "rejected"]))

    run(cs, validate)
    assert keys(day_entries(cs, validate)) == [("bob", "complaint_upheld", 5.0, "ticket", upheld["id"])]
    # The verdict day counts, not the day the complaint was opened.
    run(cs, validate, day=D_MINUS_1)
    assert day_entries(cs, validate, day=D_MINUS_1) == []


def test_handover_item_from_the_day_before_not_done_by_end_of_day(cs, validate):
    register(cs, "alice", "bob", "carol")

    def handover(text, owner, now):
        doc = ok(cs([*at(now), "handover", "add", text, "--agent", owner, "--json"])).json()
        return validate(doc, "handover")

    unfinished = handover("打印机坏了, 需报修", "alice", f"{D_MINUS_1}T17:00")
    finished = handover("回电张先生", "bob", f"{D_MINUS_1}T17:00")
    today = handover("今天的事", "carol", f"{D}T10:00")  # counts on D+1, not on D
    ok(cs([*at(f"{D}T09:10"), "--as", "bob", "handover", "ack", str(unfinished["id"])]))  # read, not done
    ok(cs([*at(f"{D}T17:00"), "handover", "done", str(finished["id"])]))

    run(cs, validate)
    assert keys(day_entries(cs, validate)) == [("alice", "handover_unfinished", 2.0, "handover",
                                                unfinished["id"])]
    assert today["id"] not in {row["ref_id"] for row in day_entries(cs, validate)}


def test_missed_duty_goes_to_the_rostered_agent(cs, validate, tmp_path):
    register(cs, "alice", "bob", "carol")
    roster(cs, validate, D, "day", "alice")
    roster(cs, validate, D, "late", "bob")
    memo_none(cs, "alice")
    memo_none(cs, "bob", at_time="22:50")
    run(cs, validate)
    assert day_entries(cs, validate) == []  # no duties defined yet: the rule does not act

    load_config(cs, tmp_path, DUTY_TOML)
    ok(cs([*at(f"{D}T15:00"), "duty", "done", "open_shop", "--agent", "bob", "--date", D]))
    summary = run(cs, validate)
    assert summary["added"] == 1, summary
    assert keys(day_entries(cs, validate), "agent", "rule", "points", "ref_type") == [
        ("alice", "duty_missed", 1.0, "duty")]  # carol was not rostered: nothing for her


@pytest.mark.parametrize("rule, points", [("report_error", 3.0), ("hygiene", 1.0), ("rude_service", 5.0)])
def test_manual_rules_deduct_their_points(cs, validate, rule, points):
    register(cs, "alice")
    record = violation(cs, validate, "alice", rule, f"{D}T10:00", note="主管检查发现")
    assert (record["points"], record["fine"], record["action"], record["occurrence"]) == (points, 0, None, 1)
    run(cs, validate)
    (entry,) = day_entries(cs, validate)
    assert (entry["agent"], entry["rule"], entry["points"], entry["fine"], entry["action"]) == (
        "alice", rule, points, 0, None)
    assert (entry["ref_type"], entry["ref_id"]) == ("violation", record["id"])


def test_off_task_escalates_within_a_month_and_starts_again_next_month(cs, validate):
    register(cs, "alice", "bob")
    month_window(cs)
    days = ["2026-11-02", "2026-11-05", "2026-11-10", "2026-11-16"]
    records = [violation(cs, validate, "alice", "off_task", f"{day}T10:00") for day in days]
    assert [(r["occurrence"], r["points"], r["fine"], r["action"]) for r in records] == [
        (1, 0, 10, None), (2, 0, 30, None), (3, 0, 0, "dismissal"), (4, 0, 0, "dismissal")]
    # Another agent's violation is counted on its own.
    assert violation(cs, validate, "bob", "off_task", "2026-11-16T11:00")["fine"] == 10

    for day in days:
        run(cs, validate, day=day)
    rows = [row for row in entries(cs, validate, "--month", "2026-11", "--agent", "alice")]
    assert [(row["date"], row["points"], row["fine"], row["action"]) for row in rows] == [
        ("2026-11-02", 0, 10, None), ("2026-11-05", 0, 30, None),
        ("2026-11-10", 0, 0, "dismissal"), ("2026-11-16", 0, 0, "dismissal")]

    listed = ok(cs("violation list --month 2026-11 --agent alice --json")).json()
    for doc in listed:
        validate(doc, "violation")
    assert [doc["occurrence"] for doc in listed] == [1, 2, 3, 4]

    # December: the window starts again at step 1.
    december = violation(cs, validate, "alice", "off_task", "2026-12-01T10:00", now="2026-12-02T09:00")
    assert (december["occurrence"], december["fine"], december["action"]) == (1, 10, None)
    run(cs, validate, day="2026-12-01", now="2026-12-02T09:00")
    (entry,) = day_entries(cs, validate, day="2026-12-01", now="2026-12-02T09:00")
    assert (entry["fine"], entry["action"]) == (10, None)


# =========================================================================== attribution


def test_each_source_is_attributed_to_the_right_agent(cs, validate, tmp_path):
    register(cs, "alice", "bob", "carol", "dave", "erin", "frank")
    load_config(cs, tmp_path, DUTY_TOML)
    env = {"CS_NOW": f"{D_MINUS_1}T10:00"}
    # The ticket is bob's; its callback is alice's.
    ticket = add_ticket(cs, "维修回访", "phone", "repair", agent="bob", phone=PHONE, customer="王先生",
                        opened_at=f"{D_MINUS_1}T10:00", env=env)
    ok(cs([*at(f"{D_MINUS_1}T10:05"), "ticket", "respond", str(ticket["id"])]))
    callback = add_callback(cs, validate, f"{D}T11:00", "alice", now=f"{D_MINUS_1}T10:10", ticket=ticket["id"])
    # A complaint handled by bob, about carol.
    complaint = add_ticket(cs, "态度恶劣", "phone", "complaint", agent="bob", about="carol",
                           opened_at=f"{D_MINUS_1}T10:00", env=env)
    ok(cs([*at(f"{D_MINUS_1}T10:05"), "ticket", "respond", str(complaint["id"])]))
    ok(cs([*at(f"{D}T16:00"), "ticket", "verdict", str(complaint["id"]), "upheld"]))
    # dave's ticket, answered late; the actor (tester) is not its agent.
    slow = add_ticket(cs, "咨询", agent="dave", opened_at=f"{D}T09:00", env={"CS_NOW": f"{D}T09:00"})
    ok(cs([*at(f"{D}T15:00"), "ticket", "respond", str(slow["id"])]))
    # erin's handover item, written by somebody else.
    item = ok(cs([*at(f"{D_MINUS_1}T17:50"), "--as", "frank", "handover", "add", "交接: 退款单未处理",
                  "--agent", "erin", "--json"])).json()
    # frank is rostered, misses the duty, and his shift files no memo.
    roster(cs, validate, D, "day", "frank")

    run(cs, validate)
    got = {(row["rule"], row["ref_id"] if row["ref_type"] != "duty" else "duty"): row["agent"]
           for row in day_entries(cs, validate)}
    assert got == {
        ("callback_overdue", callback["id"]): "alice",
        ("complaint_upheld", complaint["id"]): "carol",
        ("first_response_late", slow["id"]): "dave",
        ("handover_unfinished", item["id"]): "erin",
        ("duty_missed", "duty"): "frank",
        ("handover_missing", f"{D}/day"): "frank",
    }


def test_reassigning_before_a_rerun_moves_the_entry(cs, validate):
    """Attribution follows the facts: an upheld complaint re-pointed at another agent moves on re-run."""
    register(cs, "alice", "bob", "carol")
    complaint = add_ticket(cs, "态度恶劣", "phone", "complaint", agent="alice", about="bob",
                           opened_at=f"{D_MINUS_1}T10:00", env={"CS_NOW": f"{D_MINUS_1}T10:00"})
    ok(cs([*at(f"{D_MINUS_1}T10:05"), "ticket", "respond", str(complaint["id"])]))
    ok(cs([*at(f"{D}T16:00"), "ticket", "verdict", str(complaint["id"]), "upheld"]))
    run(cs, validate)
    assert [row["agent"] for row in day_entries(cs, validate)] == ["bob"]
    ok(cs([*at("2026-11-20T08:00"), "ticket", "update", str(complaint["id"]), "--about", "carol"]))
    summary = run(cs, validate, now="2026-11-20T08:05")
    assert (summary["added"], summary["removed"]) == (1, 1), summary
    assert [row["agent"] for row in day_entries(cs, validate)] == ["carol"]


# =========================================================================== idempotence, voids, dry runs


def test_reruns_are_idempotent_and_follow_changed_facts(cs, validate, tmp_path):
    register(cs, "alice", "bob")
    load_config(cs, tmp_path, DUTY_TOML)
    roster(cs, validate, D, "day", "alice")
    memo_none(cs, "alice")
    first = add_callback(cs, validate, f"{D}T12:00", "alice", now=f"{D}T09:00")
    second = add_callback(cs, validate, f"{D}T15:00", "bob", now=f"{D}T09:00")
    hygiene = violation(cs, validate, "bob", "hygiene", f"{D}T10:00")

    summary = run(cs, validate)
    assert (summary["added"], summary["updated"], summary["removed"], summary["entries"]) == (4, 0, 0, 4)
    before = day_entries(cs, validate)
    assert keys(before, "agent", "rule", "ref_id") == sorted([
        ("alice", "callback_overdue", first["id"]), ("bob", "callback_overdue", second["id"]),
        ("alice", "duty_missed", f"{D}/open_shop/alice"), ("bob", "hygiene", hygiene["id"])])

    # Run again, nothing changed: nothing to do, nothing duplicated.
    again = run(cs, validate, now="2026-11-20T00:40")
    assert (again["added"], again["updated"], again["removed"], again["unchanged"]) == (0, 0, 0, 4), again
    assert again["changes"] == []
    assert [row["id"] for row in day_entries(cs, validate)] == [row["id"] for row in before]

    # Late data: the first callback done late still counts (one entry, same id).
    ok(cs([*at("2026-11-20T08:00"), "callback", "done", str(first["id"]), "--outcome", "neutral"]))
    third = run(cs, validate, now="2026-11-20T08:05")
    assert (third["added"], third["removed"]) == (0, 0), third
    rows = day_entries(cs, validate)
    assert len(rows) == 4
    (entry,) = [row for row in rows if (row["ref_type"], row["ref_id"]) == ("callback", first["id"])]
    assert entry["id"] == next(row["id"] for row in before
                               if (row["ref_type"], row["ref_id"]) == ("callback", first["id"]))
    assert "done late" in entry["detail"]

    # A fact fixed: the duty ticked off for D after the first run → its entry goes.
    ok(cs([*at("2026-11-20T08:10"), "duty", "done", "open_shop", "--agent", "alice", "--date", D]))
    # A fact removed: the second callback's deadline rescheduled out of D → its entry goes.
    ok(cs([*at("2026-11-20T08:10"), "callback", "reschedule", str(second["id"]), "--to", "2026-11-23T12:00",
           "--note", "客户出差, 约下周一"]))
    fourth = run(cs, validate, now="2026-11-20T08:15")
    assert (fourth["added"], fourth["removed"]) == (0, 2), fourth
    assert {change["change"] for change in fourth["changes"]} == {"remove"}
    assert keys(day_entries(cs, validate), "agent", "rule") == [("alice", "callback_overdue"), ("bob", "hygiene")]


def test_void_survives_reruns_and_is_excluded_from_the_score(cs, validate):
    register(cs, "alice", "bob")
    callback = add_callback(cs, validate, f"{D}T12:00", "alice", now=f"{D}T09:00")
    violation(cs, validate, "alice", "report_error", f"{D}T10:00")
    run(cs, validate)
    (overdue,) = [row for row in day_entries(cs, validate) if row["rule"] == "callback_overdue"]
    assert [row["score"] for row in scores(cs, validate) if row["agent"] == "alice"] == [96]

    supervisor(cs)
    voided = ok(cs(["--as", "sup", "deductions", "void", str(overdue["id"]), "--reason", "客户改约, 非客服原因",
                    "--json"])).json()
    validate(voided, "deduction")
    assert voided["voided"] is True and voided["void_reason"] == "客户改约, 非客服原因"
    # Voiding twice is refused.
    refused(cs(["--as", "sup", "deductions", "void", str(overdue["id"]), "--reason", "again"]))

    for now in ("2026-11-20T09:00", "2026-11-20T09:10"):
        summary = run(cs, validate, now=now)
        assert (summary["added"], summary["updated"], summary["removed"]) == (0, 0, 0), summary
    # Even when the fact behind it changes, the void stands.
    ok(cs([*at("2026-11-20T09:20"), "callback", "done", str(callback["id"]), "--outcome", "satisfied"]))
    run(cs, validate, now="2026-11-20T09:25")
    (still,) = [row for row in day_entries(cs, validate) if row["rule"] == "callback_overdue"]
    assert (still["id"], still["voided"], still["void_reason"]) == (overdue["id"], True, "客户改约, 非客服原因")

    (alice,) = [row for row in scores(cs, validate) if row["agent"] == "alice"]
    assert (alice["points"], alice["score"]) == (3, 97)


def test_dry_run_reports_changes_and_writes_nothing(cs, validate):
    register(cs, "alice")
    record = violation(cs, validate, "alice", "hygiene", f"{D}T10:00")
    dry = run(cs, validate, D, AFTER, "--dry-run")
    assert dry["dry_run"] is True and dry["added"] == 1
    assert dry["changes"] == [{"change": "add", "agent": "alice", "rule": "hygiene", "points": 1.0, "fine": 0.0,
                               "action": None, "ref_type": "violation", "ref_id": record["id"],
                               "detail": dry["changes"][0]["detail"]}]
    assert day_entries(cs, validate) == []
    assert [row["points"] for row in scores(cs, validate) if row["agent"] == "alice"] == [0]

    real = run(cs, validate)
    assert real["dry_run"] is False and real["added"] == 1
    violation(cs, validate, "alice", "report_error", f"{D}T11:00")
    dry = run(cs, validate, D, "2026-11-20T09:00", "--dry-run")
    assert (dry["added"], dry["unchanged"]) == (1, 1)
    assert keys(day_entries(cs, validate), "rule") == [("hygiene",)]


def test_run_defaults_to_yesterday_and_refuses_future_days(cs, validate):
    summary = ok(cs("deductions run --json")).json()
    validate(summary, "deductions-run")
    assert summary["date"] == "2026-11-19"
    refused(cs("deductions run --date 2026-11-21"))
    ok(cs("deductions run"))  # the table form works too


def test_unattributed_facts_are_reported_not_lost(cs, validate):
    """A callback with nobody to call it cannot be attributed: the run says so (warning and JSON)."""
    add_callback_no_agent = ok(cs([*at(f"{D}T09:00"), "callback", "add", "--phone", PHONE, "--due", f"{D}T12:00",
                                   "--json"])).json()
    assert add_callback_no_agent["agent"] is None
    result = ok(cs([*at(AFTER), "deductions", "run", "--date", D, "--json"]))
    summary = validate(result.json(), "deductions-run")
    assert len(summary["unattributed"]) == 1 and summary["entries"] == 0
    assert "Warning" in result.stderr


# =========================================================================== permissions and refusals


def test_roles_for_recording_violations_and_voiding(cs, validate):
    register(cs, "alice", "bob")
    # Bootstrap: no supervisor yet, so anyone may record (and void).
    violation(cs, validate, "alice", "hygiene", f"{D}T10:00", actor="bob")
    supervisor(cs)
    ok(cs(["--as", "sup", "agent", "add", "lee", "--name", "组长", "--role", "leader"]))

    refused(cs(["--as", "bob", "violation", "add", "alice", "hygiene", "--at", f"{D}T11:00"]))
    refused(cs(["--as", "stranger", "violation", "add", "alice", "hygiene", "--at", f"{D}T11:00"]))
    led = violation(cs, validate, "alice", "hygiene", f"{D}T11:00", actor="lee")
    assert led["created_by"] == "lee"
    violation(cs, validate, "alice", "report_error", f"{D}T12:00", actor="sup")

    run(cs, validate)
    entry_id = day_entries(cs, validate)[0]["id"]
    refused(cs(["--as", "bob", "deductions", "void", str(entry_id), "--reason", "不算"]))
    refused(cs(["--as", "lee", "deductions", "void", str(entry_id), "--reason", "不算"]))
    assert not any(row["voided"] for row in day_entries(cs, validate))
    ok(cs(["--as", "sup", "deductions", "void", str(entry_id), "--reason", "误记"]))
    refused(cs(["--as", "sup", "deductions", "void", "999", "--reason", "误记"]))


def test_violation_refusals(cs, validate):
    register(cs, "alice")
    refused(cs("violation add alice hygiene --at 2026-11-20T10:00"))  # 30 minutes in the future
    refused(cs("violation add alice hygiene --at tomorrow"))
    refused(cs("violation add alice no_such_rule"))
    refused(cs("violation add alice callback_overdue"))  # not a manual rule
    refused(cs("violation add nobody hygiene"))
    assert ok(cs("violation list --json")).json() == []
    # Now is fine (not future).
    assert violation(cs, validate, "alice", "hygiene")["at"] == "2026-11-20T09:30:00+08:00"


# =========================================================================== scores


def test_monthly_scores_for_every_active_agent_with_competition_ranking(cs, validate):
    ok(cs("agent add alice --name 李丽 --team A"))
    ok(cs("agent add bob --name 王强 --team A"))
    ok(cs("agent add carol --name 陈晨 --team B"))
    ok(cs("agent add dave --name 丁一"))
    ok(cs("agent add gone --name 离职者"))
    violation(cs, validate, "alice", "report_error", "2026-11-03T10:00")
    violation(cs, validate, "alice", "off_task", "2026-11-03T11:00")
    violation(cs, validate, "alice", "off_task", "2026-11-04T11:00")
    violation(cs, validate, "alice", "off_task", "2026-11-05T11:00")
    violation(cs, validate, "bob", "hygiene", "2026-11-04T10:00")
    violation(cs, validate, "carol", "hygiene", "2026-11-05T10:00")
    violation(cs, validate, "dave", "rude_service", "2026-11-05T10:00")
    violation(cs, validate, "gone", "rude_service", "2026-11-05T10:00")
    violation(cs, validate, "dave", "report_error", "2026-10-30T10:00")  # another month
    for day in ("2026-10-30", "2026-11-03", "2026-11-04", "2026-11-05"):
        run(cs, validate, day=day, now="2026-11-20T09:00")
    (dave_rude,) = [row for row in entries(cs, validate, "--date", "2026-11-05", "--agent", "dave")]
    ok(cs(["deductions", "void", str(dave_rude["id"]), "--reason", "顾客无理取闹"]))
    ok(cs("agent deactivate gone"))

    rows = scores(cs, validate)
    assert [(r["rank"], r["agent"], r["points"], r["score"]) for r in rows] == [
        (1, "dave", 0, 100), (2, "bob", 1, 99), (2, "carol", 1, 99), (4, "alice", 3, 97)]
    alice = rows[-1]
    assert (alice["name"], alice["team"], alice["base"], alice["fines"], alice["actions"]) == (
        "李丽", "A", 100, 40, ["dismissal"])
    assert all(r["fines"] == 0 and r["actions"] == [] for r in rows[:3])
    # October is scored on its own.
    october = {r["agent"]: r["score"] for r in scores(cs, validate, "2026-10")}
    assert october == {"alice": 100, "bob": 100, "carol": 100, "dave": 97}
    # An agent with nothing at all still has a row; the default month is this month.
    default = ok(cs("score --json")).json()
    assert [row["agent"] for row in default] == [row["agent"] for row in rows]
    refused(cs("score --month 2026-13"), code=2)  # SPEC §2: a malformed option value


def test_score_base_comes_from_the_configuration(cs, validate, tmp_path):
    register(cs, "alice", "bob")
    load_config(cs, tmp_path, "[scoring]\nbase = 120\n")
    violation(cs, validate, "bob", "rude_service", f"{D}T10:00")
    run(cs, validate)
    rows = scores(cs, validate)
    assert [(r["agent"], r["base"], r["score"], r["rank"]) for r in rows] == [
        ("alice", 120, 120, 1), ("bob", 120, 115, 2)]


# =========================================================================== explain


def test_explain_names_the_record_behind_each_entry(cs, validate, tmp_path):
    register(cs, "alice", "bob")
    load_config(cs, tmp_path, DUTY_TOML)
    roster(cs, validate, D, "day", "alice")
    memo_none(cs, "alice")
    callback = add_callback(cs, validate, f"{D}T12:00", "alice", now=f"{D}T09:00")
    slow = add_ticket(cs, "咨询", agent="alice", opened_at=f"{D}T09:00", env={"CS_NOW": f"{D}T09:00"})
    complaint = add_ticket(cs, "态度差", "phone", "complaint", agent="bob", about="alice",
                           opened_at=f"{D_MINUS_1}T10:00", env={"CS_NOW": f"{D_MINUS_1}T10:00"})
    ok(cs([*at(f"{D_MINUS_1}T10:05"), "ticket", "respond", str(complaint["id"])]))
    ok(cs([*at(f"{D}T16:00"), "ticket", "verdict", str(complaint["id"]), "upheld"]))
    item = ok(cs([*at(f"{D_MINUS_1}T17:00"), "handover", "add", "待办", "--agent", "alice", "--json"])).json()
    record = violation(cs, validate, "alice", "report_error", f"{D}T10:00", note="日报数字错误")
    run(cs, validate)

    explained = ok(cs([*at(AFTER), "deductions", "explain", "alice", "--date", D, "--json"])).json()
    assert len(explained) == 6
    for entry in explained:
        validate(entry, "deduction")
        assert entry["record"] is not None, entry
    behind = {entry["rule"]: entry["record"] for entry in explained}
    assert behind["callback_overdue"]["id"] == callback["id"]
    validate(behind["callback_overdue"], "callback")
    assert behind["first_response_late"]["id"] == slow["id"]
    validate(behind["first_response_late"], "ticket")
    assert behind["complaint_upheld"]["id"] == complaint["id"]
    assert behind["complaint_upheld"]["about_agent"] == "alice" and behind["complaint_upheld"]["verdict"] == "upheld"
    assert behind["handover_unfinished"]["id"] == item["id"]
    validate(behind["handover_unfinished"], "handover")
    assert behind["report_error"]["id"] == record["id"] and behind["report_error"]["note"] == "日报数字错误"
    assert (behind["duty_missed"]["duty"], behind["duty_missed"]["agent"]) == ("open_shop", "alice")

    assert ok(cs([*at(AFTER), "deductions", "explain", "bob", "--date", D, "--json"])).json() == []
    ok(cs([*at(AFTER), "deductions", "explain", "alice", "--date", D]))  # table form
    refused(cs([*at(AFTER), "deductions", "explain", "nobody", "--date", D]))


# =========================================================================== lists and schemas


def test_deduction_lists_filter_and_validate(cs, validate):
    register(cs, "alice", "bob")
    violation(cs, validate, "alice", "hygiene", "2026-11-18T10:00")
    violation(cs, validate, "bob", "hygiene", f"{D}T10:00")
    violation(cs, validate, "alice", "report_error", f"{D}T11:00")
    for day in ("2026-11-18", D):
        run(cs, validate, day=day)
    assert len(entries(cs, validate)) == 3  # default: this month
    assert len(entries(cs, validate, "--month", "2026-11")) == 3
    assert keys(entries(cs, validate, "--date", D), "agent", "rule") == [("alice", "report_error"), ("bob", "hygiene")]
    assert keys(entries(cs, validate, "--agent", "alice"), "date") == [("2026-11-18",), (D,)]
    assert entries(cs, validate, "--month", "2026-10") == []
    jsonl = ok(cs("deductions list --format jsonl")).stdout.splitlines()
    for line in jsonl:
        validate(json.loads(line), "deduction")
    assert len(jsonl) == 3
    assert refused(cs("deductions list --date 2026-11-19 --month 2026-11"), code=2)


# =========================================================================== more facts changing under re-runs


def test_a_callback_cancelled_or_failed_after_its_deadline_still_counts(cs, validate):
    register(cs, "alice")
    cancelled = add_callback(cs, validate, f"{D}T12:00", "alice", now=f"{D}T09:00")
    failed = add_callback(cs, validate, f"{D}T12:00", "alice", now=f"{D}T09:00")
    failed_early = add_callback(cs, validate, f"{D}T18:00", "alice", now=f"{D}T09:00")
    ok(cs([*at(f"{D}T13:00"), "callback", "cancel", str(cancelled["id"]), "--reason", "客户不需要了"]))
    for hour in ("09:10", "11:20", "14:10"):  # three tries, each when the last allows (14:00 after lunch) → failed
        ok(cs([*at(f"{D}T{hour}"), "callback", "attempt", str(failed["id"]), "--result", "no_answer"]))
        ok(cs([*at(f"{D}T{hour}"), "callback", "attempt", str(failed_early["id"]), "--result", "busy"]))
    run(cs, validate)
    assert keys(day_entries(cs, validate), "agent", "ref_id") == [("alice", cancelled["id"]),
                                                                  ("alice", failed["id"])]


def test_a_reversed_verdict_removes_the_entry_on_rerun(cs, validate):
    register(cs, "alice", "bob")
    complaint = add_ticket(cs, "态度恶劣", "phone", "complaint", agent="alice", about="bob",
                           opened_at=f"{D_MINUS_1}T10:00", env={"CS_NOW": f"{D_MINUS_1}T10:00"})
    ok(cs([*at(f"{D_MINUS_1}T10:05"), "ticket", "respond", str(complaint["id"])]))
    ok(cs([*at(f"{D}T16:00"), "ticket", "verdict", str(complaint["id"]), "upheld"]))
    run(cs, validate)
    assert len(day_entries(cs, validate)) == 1
    ok(cs([*at("2026-11-20T08:00"), "ticket", "verdict", str(complaint["id"]), "rejected"]))
    summary = run(cs, validate, now="2026-11-20T08:05")
    assert summary["removed"] == 1, summary
    assert day_entries(cs, validate) == []


def test_a_void_survives_its_fact_vanishing_and_coming_back(cs, validate):
    """Upheld, voided, reversed, upheld again (dated D): still the one voided entry, never counted."""
    register(cs, "alice", "bob")
    complaint = add_ticket(cs, "态度恶劣", "phone", "complaint", agent="alice", about="bob",
                           opened_at=f"{D_MINUS_1}T10:00", env={"CS_NOW": f"{D_MINUS_1}T10:00"})
    ok(cs([*at(f"{D_MINUS_1}T10:05"), "ticket", "respond", str(complaint["id"])]))
    ok(cs([*at(f"{D}T16:00"), "ticket", "verdict", str(complaint["id"]), "upheld"]))
    run(cs, validate)
    (entry,) = day_entries(cs, validate)
    ok(cs(["deductions", "void", str(entry["id"]), "--reason", "复核中"]))
    ok(cs([*at("2026-11-20T08:00"), "ticket", "verdict", str(complaint["id"]), "rejected"]))
    run(cs, validate, now="2026-11-20T08:05")
    ok(cs([*at("2026-11-20T08:10"), "ticket", "verdict", str(complaint["id"]), "upheld", "--at", f"{D}T16:30"]))
    run(cs, validate, now="2026-11-20T08:15")
    rows = day_entries(cs, validate)
    assert [(row["agent"], row["voided"], row["void_reason"]) for row in rows] == [("bob", True, "复核中")]
    assert [row["points"] for row in scores(cs, validate) if row["agent"] == "bob"] == [0]


def test_a_changed_rule_updates_entries_but_not_voided_ones(cs, validate):
    register(cs, "alice", "bob")
    violation(cs, validate, "alice", "hygiene", f"{D}T10:00")
    violation(cs, validate, "bob", "hygiene", f"{D}T10:00")
    run(cs, validate)
    bobs = next(row for row in day_entries(cs, validate) if row["agent"] == "bob")
    ok(cs(["deductions", "void", str(bobs["id"]), "--reason", "已整改"]))
    index = next(i for i, rule in enumerate(json.loads(ok(cs("config get rule --json")).stdout))
                 if rule["code"] == "hygiene")
    ok(cs(["config", "set", f"rule.{index}.points", "2"]))
    summary = run(cs, validate, now="2026-11-20T09:00")
    assert (summary["added"], summary["updated"], summary["removed"]) == (0, 1, 0), summary
    got = {row["agent"]: (row["points"], row["voided"]) for row in day_entries(cs, validate)}
    assert got == {"alice": (2, False), "bob": (1, True)}


def test_the_escalation_month_is_the_centres_calendar_month(cs, validate):
    """23:30 on 30 November and 00:30 on 1 December (Shanghai) are the same UTC day but different months."""
    register(cs, "alice")
    month_window(cs)
    now = "2026-12-01T09:00"
    first = violation(cs, validate, "alice", "off_task", "2026-11-30T23:30", now=now)
    second = violation(cs, validate, "alice", "off_task", "2026-12-01T00:30", now=now)
    assert (first["occurrence"], first["fine"]) == (1, 10)
    assert (second["occurrence"], second["fine"]) == (1, 10)
    run(cs, validate, day="2026-11-30", now=now)
    run(cs, validate, day="2026-12-01", now=now)
    assert [row["date"] for row in entries(cs, validate, "--month", "2026-11", now=now)] == ["2026-11-30"]
    assert [row["date"] for row in entries(cs, validate, "--month", "2026-12", now=now)] == ["2026-12-01"]


def test_void_needs_a_reason(cs, validate):
    register(cs, "alice")
    violation(cs, validate, "alice", "hygiene", f"{D}T10:00")
    run(cs, validate)
    entry_id = str(day_entries(cs, validate)[0]["id"])
    refused(cs(["deductions", "void", entry_id, "--reason", "  "]))
    refused(cs(["deductions", "void", entry_id]), code=2)
    assert not day_entries(cs, validate)[0]["voided"]


def test_deactivated_agents_take_no_new_violations(cs, validate):
    register(cs, "alice")
    ok(cs("agent deactivate alice"))
    refused(cs("violation add alice hygiene"))


# =========================================================================== SPEC §2 for these commands


@pytest.mark.parametrize("command", [["score"], ["deductions", "list"], ["violation", "list"]])
def test_a_malformed_month_is_a_usage_error(cs, command):
    """SPEC §2: a malformed option value is a usage error (exit 2), like a bad TIME."""
    refused(cs([*command, "--month", "November"]), code=2)


@pytest.mark.parametrize("command, sort", [(["deductions", "list"], "date"), (["violation", "list"], "at")])
def test_every_list_takes_limit_and_sort(cs, validate, command, sort):
    """SPEC §2: every `list` takes --limit N and --sort."""
    register(cs, "alice", "bob")
    violation(cs, validate, "alice", "hygiene", "2026-11-18T10:00")
    violation(cs, validate, "bob", "hygiene", f"{D}T10:00")
    for day in ("2026-11-18", D):
        run(cs, validate, day=day)
    rows = ok(cs([*command, "--limit", "1", "--sort", f"-{sort}", "--json"])).json()
    assert len(rows) == 1 and rows[0]["agent"] == "bob"
