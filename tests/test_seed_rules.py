"""The seeds' rules as written (issue 17, SPEC section 14): each test quotes the seed line it checks and the
points or fines that line must produce.

NOW is Friday 2026-11-20 09:30 in Shanghai (conftest); D is Thursday 2026-11-19, judged at AFTER.
"""

from __future__ import annotations

import json

from helpers_tickets import add_ticket, ok, refused, register

D = "2026-11-19"
NEXT = "2026-11-20"
AFTER = "2026-11-20T00:30"


def at(now: str) -> list[str]:
    return ["--now", now]


def load(cs, tmp_path, text: str, name: str = "centre.toml") -> None:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    ok(cs(["config", "load", str(path)]))


def roster(cs, day: str, shift: str, *agents: str) -> None:
    ok(cs(["roster", "set", day, shift, *agents]))


def judge(cs, validate, day: str = D, now: str = AFTER) -> list[dict]:
    """`cs deductions run` for the day, then its entries, every document validated."""
    validate(ok(cs([*at(now), "deductions", "run", "--date", day, "--json"])).json(), "deductions-run")
    rows = ok(cs([*at(now), "deductions", "list", "--date", day, "--json"])).json()
    for row in rows:
        validate(row, "deduction")
    return rows


def charged(rows, rule: str | None = None) -> list[tuple]:
    return sorted((row["agent"], row["rule"], row["points"]) for row in rows if rule in (None, row["rule"]))


def memo_none(cs, agent: str, day: str = D, hhmm: str = "17:50") -> dict:
    return ok(cs([*at(f"{day}T{hhmm}"), "--as", agent, "handover", "none", "--json"])).json()


def violation(cs, validate, agent, rule, when, *extra, now=None):
    args = ([*at(now)] if now else []) + ["violation", "add", agent, rule, "--at", when, *extra, "--json"]
    return validate(ok(cs(args)).json(), "violation")


def duty_list(cs, validate, day: str) -> list[dict]:
    rows = ok(cs(["duty", "list", "--date", day, "--json"])).json()
    for row in rows:
        validate(row, "duty")
    return rows


# =========================================================================== duties (seed 000)

DUTIES = """
[[duty]]
code = "pressure_cards"
label = "统计昨天试压卡"
points = 2
seed = "000: 每天昨天统计试压卡 未完成扣2分"

[[duty]]
code = "pipe_drawings"
label = "发送电子管路图"

[[duty]]
code = "clean_store"
label = "打扫门店卫生区域"
assign = "rota"
rota = ["ann", "bob", "cat"]
rota_start = "2026-11-19"
"""


ROTA = DUTIES[DUTIES.index('[[duty]]\ncode = "clean_store"'):]


def test_a_duty_costs_its_own_points(cs, validate, tmp_path):
    """000: 每天昨天统计试压卡 未完成扣2分 / 每天发送电子管路图 未完成一份扣1分 — each duty missed costs its own
    points: 2 for the cards, 1 for the drawings, never the cards' 2 twice."""
    register(cs, "ann", "bob", "cat")
    load(cs, tmp_path, DUTIES)
    roster(cs, D, "day", "ann")
    memo_none(cs, "ann")
    rows = judge(cs, validate)
    assert charged(rows, "duty_missed") == [("ann", "duty_missed", 1), ("ann", "duty_missed", 1),
                                            ("ann", "duty_missed", 2)]
    by_duty = {row["ref_id"].split("/")[1]: row["points"] for row in rows if row["rule"] == "duty_missed"}
    assert by_duty == {"pressure_cards": 2, "pipe_drawings": 1, "clean_store": 1}


def test_a_rota_duty_charges_only_the_agent_whose_turn_it_is(cs, validate, tmp_path):
    """000: 打扫门店卫生区域(按值日表双方协调)未打扫一次扣1分 — the 值日表 gives the cleaning to one agent a day, in
    turn by date; only that agent loses 1 point, not everybody rostered. One not rostered is skipped."""
    register(cs, "ann", "bob", "cat")
    load(cs, tmp_path, ROTA)
    for day in (D, NEXT, "2026-11-21"):
        roster(cs, day, "day", "ann", "bob")  # cat is off all three days
        memo_none(cs, "ann", day)
    turns = {day: [(r["agent"], r["assign"]) for r in duty_list(cs, validate, day)] for day in (D, NEXT, "2026-11-21")}
    # rota_start 2026-11-19 is ann's day, then bob's, then cat's (off: the next in the rota, ann, takes it).
    assert turns == {D: [("ann", "rota")], NEXT: [("bob", "rota")], "2026-11-21": [("ann", "rota")]}
    assert charged(judge(cs, validate)) == [("ann", "duty_missed", 1)]
    assert charged(judge(cs, validate, NEXT, "2026-11-21T00:30")) == [("bob", "duty_missed", 1)]


def test_a_swap_or_a_leaders_assignment_moves_the_rota_duty(cs, validate, tmp_path):
    """000: (按值日表双方协调) — a colleague who cleans in the turn-holder's place spares her the point; a leader's
    `cs duty assign` gives the day's duty to someone else, who alone is charged when it is missed."""
    register(cs, "ann", "bob", "cat")
    load(cs, tmp_path, ROTA)
    for day in (D, NEXT):
        roster(cs, day, "day", "ann", "bob", "cat")
        memo_none(cs, "ann", day)
    done = validate(ok(cs([*at(f"{D}T17:00"), "--as", "bob", "duty", "done", "clean_store", "--json"])).json(), "duty")
    assert (done["agent"], done["done_by"], done["done"]) == ("ann", "bob", True)  # ann's turn, bob did it
    assert charged(judge(cs, validate)) == []
    assigned = validate(ok(cs(["duty", "assign", "clean_store", NEXT, "cat", "--json"])).json(), "duty")
    assert (assigned["agent"], assigned["assign"]) == ("cat", "assigned")
    assert charged(judge(cs, validate, NEXT, "2026-11-21T00:30")) == [("cat", "duty_missed", 1)]
    refused(cs(["duty", "assign", "clean_store", NEXT, "nobody"]))


def test_a_duty_on_one_shift_goes_to_that_shifts_agents_only(cs, validate, tmp_path):
    """000: 每天昨天统计试压卡 未完成扣2分 — done by the day shift: the late shift's agent is not charged."""
    register(cs, "ann", "bob")
    load(cs, tmp_path, '[[duty]]\ncode = "pressure_cards"\nlabel = "统计昨天试压卡"\npoints = 2\nshift = "day"\n')
    roster(cs, D, "day", "ann")
    roster(cs, D, "late", "bob")
    memo_none(cs, "ann")
    memo_none(cs, "bob", hhmm="22:50")
    assert charged(judge(cs, validate)) == [("ann", "duty_missed", 2)]


def test_a_duty_configuration_that_cannot_work_is_refused(cs, tmp_path):
    for text in ('[[duty]]\ncode = "c"\nlabel = "x"\nassign = "rota"\n',
                 '[[duty]]\ncode = "c"\nlabel = "x"\nshift = "nosuch"\n',
                 '[[duty]]\ncode = "c"\nlabel = "x"\nrota = ["ann"]\n',
                 '[[duty]]\ncode = "c"\nlabel = "x"\nassign = "rota"\nrota = ["ann"]\nrota_start = "soon"\n'):
        path = tmp_path / "bad.toml"
        path.write_text(text, "utf-8")
        result = refused(cs(["config", "load", str(path)]))
        assert "duty c" in result.stderr or "duty.0" in result.stderr, result.stderr


# =========================================================================== the memo (seed 001)


def test_a_nothing_left_memo_is_never_charged(cs, validate):
    """001: 若无遗留事情,问题详情处填写"无" — a "无" memo is done at once: 0 points the next day (it was charged 2
    as an unfinished item), whether filed with `handover none` or as the text 无."""
    register(cs, "ann", "bob")
    roster(cs, D, "day", "ann")
    roster(cs, D, "late", "bob")
    none = validate(memo_none(cs, "ann"), "handover")
    assert (none["text"], none["status"], none["nothing_left"]) == ("无", "done", True)
    typed = validate(ok(cs([*at(f"{D}T22:50"), "--as", "bob", "handover", "add", "无", "--json"])).json(), "handover")
    assert typed["nothing_left"] is True and typed["status"] == "done"
    assert charged(judge(cs, validate)) == []
    assert charged(judge(cs, validate, NEXT, "2026-11-21T00:30")) == []  # handover_unfinished neither
    refused(cs([*at(f"{D}T17:55"), "--as", "ann", "handover", "none", "--shift", "day", "--date", D]))  # twice


def test_a_shift_that_files_no_memo_charges_its_rostered_agents(cs, validate):
    """001: 客服值班人员在当班期间无论是否有事情未来得及处理,都必须填写备忘录 — a shift that ends with neither an item
    nor "无" costs each of its rostered agents 1 point (handover_missing); the shift with a memo costs nothing; a
    memo filed after the shift's end and the 30-minute grace does not save it."""
    register(cs, "ann", "bob", "cat")
    roster(cs, D, "day", "ann", "bob")
    roster(cs, D, "late", "cat")
    ok(cs([*at(f"{D}T18:45"), "--as", "ann", "handover", "none", "--shift", "day", "--date", D]))  # 45 min late
    ok(cs([*at(f"{D}T22:40"), "--as", "cat", "handover", "add", "王女士明早回电", "--occurred-at", f"{D}T21:10",
           "--party", "王女士"]))
    rows = judge(cs, validate)
    assert charged(rows) == [("ann", "handover_missing", 1), ("bob", "handover_missing", 1)]
    detail = next(row["detail"] for row in rows if row["agent"] == "ann")
    assert "day shift of 2026-11-19" in detail and "filed late" in detail
    explained = ok(cs([*at(AFTER), "deductions", "explain", "bob", "--date", D, "--json"])).json()
    validate(explained[0], "deduction")
    assert explained[0]["record"]["agents"] == ["ann", "bob"] and explained[0]["ref_id"] == f"{D}/day"


def test_the_memo_records_when_it_happened_and_who_it_concerns(cs, validate):
    """001: 需要记录的内容包括日期+事发时间+涉案当事人姓名+问题详细描述."""
    register(cs, "ann")
    roster(cs, D, "day", "ann")
    item = validate(ok(cs([*at(f"{D}T17:40"), "--as", "ann", "handover", "add", "客户要求退款,财务未批",
                           "--occurred-at", f"{D}T15:20", "--party", "李先生", "--json"])).json(), "handover")
    assert (item["date"], item["occurred_at"], item["party"]) == (D, f"{D}T15:20:00+08:00", "李先生")
    refused(cs([*at(f"{D}T17:40"), "handover", "add", "x", "--occurred-at", f"{D}T19:00"]))  # the future
    refused(cs([*at(f"{D}T17:45"), "--as", "ann", "handover", "none"]))  # an item is still open


# =========================================================================== escalation (seed 001)


def test_off_task_escalates_over_ever_not_a_month(cs, validate):
    """001: 上班时间不得做与工作无关的事情 ... 发现第一次违规,罚款10元,第二次30元,第三次开除 — the seed sets no
    window: offences in October, November and December are the first (10 yuan), second (30) and third
    (dismissal)."""
    register(cs, "ann")
    got = [violation(cs, validate, "ann", "off_task", when, now="2026-12-02T09:00")
           for when in ("2026-10-12T10:00", "2026-11-03T10:00", "2026-12-01T10:00")]
    assert [(v["occurrence"], v["fine"], v["action"]) for v in got] == [(1, 10, None), (2, 30, None),
                                                                         (3, 0, "dismissal")]


def test_negative_talk_is_fined_200_then_advised_to_leave(cs, validate):
    """001: 严禁在办公室散播负面言语和情绪,影响其他同事的工作。第一次罚款200元。第二次劝退。"""
    register(cs, "ann")
    first = violation(cs, validate, "ann", "negative_talk", "2026-10-12T10:00")
    second = violation(cs, validate, "ann", "negative_talk", f"{D}T10:00")
    assert (first["fine"], first["action"], first["label"]) == (200, None, "在办公室散播负面言语和情绪")
    assert (second["fine"], second["action"]) == (0, "advise_to_leave")
    (entry,) = judge(cs, validate)
    assert (entry["rule"], entry["action"], entry["points"]) == ("negative_talk", "advise_to_leave", 0)


def test_a_quarter_window_starts_again_each_quarter(cs, validate):
    """window = "quarter": September's offence is the third quarter's; October's is the fourth's first."""
    register(cs, "ann")
    rules = json.loads(ok(cs("config get rule --json")).stdout)
    index = next(i for i, r in enumerate(rules) if r["code"] == "off_task")
    ok(cs(["config", "set", f"rule.{index}.window", "quarter"]))
    got = [violation(cs, validate, "ann", "off_task", when)
           for when in ("2026-09-30T10:00", "2026-10-01T10:00", "2026-11-03T10:00")]
    assert [v["occurrence"] for v in got] == [1, 1, 2]


# =========================================================================== one incident, one deduction


def _upheld_complaint(cs, about: str) -> dict:
    complaint = add_ticket(cs, "投诉态度恶劣", "phone", "complaint", agent="bob", about=about,
                           opened_at=f"{D}T09:00", env={"CS_NOW": f"{D}T09:00"})
    ok(cs([*at(f"{D}T09:05"), "ticket", "respond", str(complaint["id"])]))
    ok(cs([*at(f"{D}T16:00"), "ticket", "verdict", str(complaint["id"]), "upheld"]))
    return complaint


def test_a_rude_service_violation_and_its_upheld_complaint_cost_5_once(cs, validate):
    """000: 服务顾客态度恶劣遭投诉 一次5分 — one incident: the upheld complaint (−5) and the rude-service violation
    naming it (−5) are one deduction of 5, not 10; a second violation for the same ticket is refused."""
    register(cs, "ann", "bob")
    complaint = _upheld_complaint(cs, "ann")
    assert charged(judge(cs, validate)) == [("ann", "complaint_upheld", 5)]
    violation(cs, validate, "ann", "rude_service", f"{D}T11:00", "--ticket", str(complaint["id"]), now=AFTER)
    rows = judge(cs, validate)
    assert charged(rows) == [("ann", "rude_service", 5)]
    assert f"one incident with complaint {complaint['id']}" in rows[0]["detail"]
    again = refused(cs([*at(AFTER), "violation", "add", "ann", "rude_service", "--at", f"{D}T11:30", "--ticket",
                        str(complaint["id"])]))
    assert "one incident, one deduction" in again.stderr


def test_the_larger_of_the_two_stands(cs, validate, tmp_path):
    """With the complaint worth 8 points, the complaint's entry stands and the 5-point violation yields."""
    register(cs, "ann", "bob")
    index = next(i for i, r in enumerate(json.loads(ok(cs("config get rule --json")).stdout))
                 if r["code"] == "complaint_upheld")
    ok(cs(["config", "set", f"rule.{index}.points", "8"]))
    complaint = _upheld_complaint(cs, "ann")
    violation(cs, validate, "ann", "rude_service", f"{D}T11:00", "--ticket", str(complaint["id"]), now=AFTER)
    assert charged(judge(cs, validate)) == [("ann", "complaint_upheld", 8)]


def test_a_violation_recorded_days_later_rejudges_the_complaints_day(cs, validate):
    """The complaint's day was judged and lies past the recheck: recording the violation judges it again at once,
    so the two never both stand."""
    register(cs, "ann", "bob")
    complaint = _upheld_complaint(cs, "ann")
    assert charged(judge(cs, validate)) == [("ann", "complaint_upheld", 5)]
    later = "2026-12-01T10:00"
    violation(cs, validate, "ann", "rude_service", "2026-11-30T10:00", "--ticket", str(complaint["id"]), now=later)
    judge(cs, validate, "2026-11-30", "2026-12-01T10:05")
    everything = ok(cs([*at(later), "deductions", "list", "--month", "2026-11", "--json"])).json()
    assert charged(everything) == [("ann", "rude_service", 5)]


# =========================================================================== the roster (seed 001)


def test_roster_rules_warn_and_roster_check_lists_each_break(cs, validate):
    """001: 每月四天休息; 值晚班客服第二天不适合上全白班; 做六休一 — seven days in a row, a late shift followed by a
    day shift, and a month with three days off are each warned of when set (exit 0) and listed by roster check."""
    register(cs, "ann", "bob", "cat")
    for n in range(1, 8):
        result = ok(cs(["roster", "set", f"2026-11-{n:02d}", "day", "ann"]))
    assert "Warning: ann on 2026-11-07: 7 days in a row (2026-11-01 to 2026-11-07); at most 6" in result.stderr
    roster(cs, "2026-11-29", "late", "bob")
    result = ok(cs(["roster", "set", "2026-11-30", "day", "bob"]))
    assert "Warning: bob on 2026-11-30: 晚班 14:00–23:00 on 2026-11-29, then 白班 09:00–18:00" in result.stderr
    for n in range(1, 28):  # 27 of 30 days: three days off
        ok(cs(["roster", "set", f"2026-11-{n:02d}", "late", "cat"]))
    result = ok(cs(["roster", "set", "2026-11-28", "late", "cat"]))
    assert "28 days worked in 2026-11: 2 days off, at least 4" in result.stderr
    rows = ok(cs(["roster", "check", "--month", "2026-11", "--json"])).json()
    for row in rows:
        validate(row, "roster-check")
    found = {(row["agent"], row["rule"]) for row in rows}
    assert found == {("ann", "max_consecutive_days"), ("bob", "no_day_after_late"),
                     ("cat", "max_consecutive_days"), ("cat", "min_rest_days_per_month")}
    assert ("cat", "2026-11-27", "min_rest_days_per_month") in {(r["agent"], r["date"], r["rule"]) for r in rows}
    quiet = ok(cs(["roster", "set", "2026-11-20", "day", "ann", "bob"]))
    assert "Warning" not in quiet.stderr


def test_roster_rules_can_be_set_or_turned_off(cs, tmp_path):
    register(cs, "ann")
    load(cs, tmp_path, "[roster]\nmax_consecutive_days = 7\nmin_rest_days_per_month = 0\nno_day_after_late = false\n")
    for n in range(1, 8):
        result = ok(cs(["roster", "set", f"2026-11-{n:02d}", "day", "ann"]))
    assert "Warning" not in result.stderr
    assert ok(cs(["roster", "check", "--month", "2026-11", "--json"])).json() == []


# =========================================================================== scores and citations


def test_the_supervisor_is_listed_apart_not_ranked(cs, validate):
    """Supervisors judge the others: `cs score` ranks agents and leaders together and lists supervisors after them
    with rank null."""
    ok(cs(["agent", "add", "sue", "--name", "主管", "--role", "supervisor"]))
    for handle, role in (("lee", "leader"), ("ann", "agent"), ("bob", "agent")):
        ok(cs(["--as", "sue", "agent", "add", handle, "--name", handle, "--role", role]))
    ok(cs([*at(AFTER), "--as", "sue", "violation", "add", "ann", "report_error", "--at", f"{D}T10:00"]))
    judge(cs, validate)
    rows = ok(cs([*at(AFTER), "score", "--month", "2026-11", "--json"])).json()
    for row in rows:
        validate(row, "score")
    assert [(r["agent"], r["role"], r["rank"]) for r in rows] == [
        ("bob", "agent", 1), ("lee", "leader", 1), ("ann", "agent", 3), ("sue", "supervisor", None)]


def test_every_default_rule_policy_and_duty_cites_its_seed(cs):
    """Each default rule and callback policy carries `seed`, and `cs config show` prints it."""
    from cs.core import config
    from cs.demo.tour import DEMO_CONFIG

    # No duty by default (a centre is never charged for work it did not define): the demo's stand for them.
    cited = config.DEFAULTS["rule"] + config.DEFAULTS["callback_policy"] + DEMO_CONFIG["duty"]
    for item in cited:
        assert item.get("seed", "")[:4] in {"000:", "001:", "002:", "003:", "004:"}, item
    shown = ok(cs("config show")).stdout
    assert 'seed = "001: 严禁在办公室散播负面言语和情绪,影响其他同事的工作。第一次罚款200元。第二次劝退。"' in shown
    from pathlib import Path

    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if seeds.is_dir():  # beside the project in the workspace; not shipped with it
        text = "".join(path.read_text("utf-8") for path in sorted(seeds.glob("*.txt")))
        for item in cited:
            for quote in item["seed"][5:].replace(" ... ", ";").split(";"):
                assert quote.strip() in text, quote


# =========================================================================== the review of this work


def _pay(cs, agent: str, month: str, now: str) -> tuple:
    row = next(r for r in ok(cs([*at(now), "score", "--month", month, "--json"])).json() if r["agent"] == agent)
    return row["points"], row["fines"]


def test_closing_the_complaints_month_keeps_the_violation_that_replaced_it(cs, validate):
    """The complaint (Oct 30) yielded to the violation (Nov 2); closing October must not erase both."""
    register(cs, "ann", "bob")
    complaint = add_ticket(cs, "投诉", "phone", "complaint", agent="bob", about="ann", opened_at="2026-10-30T09:00",
                           env={"CS_NOW": "2026-10-30T09:00"})
    ok(cs([*at("2026-10-30T09:05"), "ticket", "respond", str(complaint["id"])]))
    ok(cs([*at("2026-10-30T16:00"), "ticket", "verdict", str(complaint["id"]), "upheld"]))
    violation(cs, validate, "ann", "rude_service", "2026-11-02T10:00", "--ticket", str(complaint["id"]),
              now="2026-11-02T11:00")
    ok(cs([*at("2026-11-03T09:00"), "jobs", "run", "daily-deductions"]))
    assert _pay(cs, "ann", "2026-10", "2026-11-03T09:00")[0] + _pay(cs, "ann", "2026-11", "2026-11-03T09:00")[0] == 5
    ok(cs([*at("2026-11-03T10:00"), "deductions", "close", "--month", "2026-10"]))
    ok(cs([*at("2026-11-04T09:00"), "jobs", "run", "daily-deductions"]))
    assert _pay(cs, "ann", "2026-11", "2026-11-04T09:00")[0] == 5  # the violation still stands


def test_a_backdated_violation_is_judged_on_its_own_day_and_not_into_a_closed_month(cs, validate):
    """Recorded on the 20th for the 2nd (past the 7-day recheck): the 2nd is judged again at once; the complaint it
    replaces yields; one charge of 5. A violation dated into a closed month is refused."""
    register(cs, "ann", "bob")
    complaint = add_ticket(cs, "投诉", "phone", "complaint", agent="bob", about="ann", opened_at="2026-11-03T09:00",
                           env={"CS_NOW": "2026-11-03T09:00"})
    ok(cs([*at("2026-11-03T09:05"), "ticket", "respond", str(complaint["id"])]))
    ok(cs([*at("2026-11-03T16:00"), "ticket", "verdict", str(complaint["id"]), "upheld"]))
    ok(cs([*at("2026-11-04T09:00"), "jobs", "run", "daily-deductions"]))
    violation(cs, validate, "ann", "rude_service", "2026-11-02T10:00", "--ticket", str(complaint["id"]),
              now="2026-11-20T09:00")
    rows = ok(cs([*at("2026-11-20T09:00"), "deductions", "list", "--month", "2026-11", "--json"])).json()
    assert charged(rows) == [("ann", "rude_service", 5)]
    ok(cs([*at("2026-11-20T09:05"), "deductions", "close", "--month", "2026-10"]))
    late = refused(cs([*at("2026-11-20T09:10"), "violation", "add", "ann", "hygiene", "--at", "2026-10-20T10:00"]))
    assert "2026-10 is closed" in late.stderr


def test_a_voided_offence_does_not_count_and_a_voided_replacement_frees_the_complaint(cs, validate):
    """A voided off_task is no offence: the next is the first (10 yuan), not the second. A voided rude_service
    violation no longer takes the complaint's place: the complaint is charged."""
    register(cs, "ann", "bob")
    first = violation(cs, validate, "ann", "off_task", f"{D}T10:00")
    judge(cs, validate)
    entry = next(r for r in ok(cs([*at(AFTER), "deductions", "list", "--date", D, "--json"])).json())
    ok(cs([*at(AFTER), "deductions", "void", str(entry["id"]), "--reason", "看错了人"]))
    second = violation(cs, validate, "ann", "off_task", f"{NEXT}T08:00", now=f"{NEXT}T08:30")
    assert (first["occurrence"], second["occurrence"], second["fine"]) == (1, 1, 10)

    complaint = _upheld_complaint(cs, "ann")
    replacing = violation(cs, validate, "ann", "rude_service", f"{D}T11:00", "--ticket", str(complaint["id"]),
                          now=AFTER)
    rows = judge(cs, validate)
    rude = next(r for r in rows if r["rule"] == "rude_service" and r["ref_id"] == replacing["id"])
    ok(cs([*at(AFTER), "deductions", "void", str(rude["id"]), "--reason", "申诉成立"]))
    assert ("ann", "complaint_upheld", 5) in charged(judge(cs, validate))


def test_a_verdict_after_the_violation_judges_the_violations_day_again(cs, validate, tmp_path):
    """With the complaint worth 8, a violation of the 3rd and a verdict of the 20th (past the recheck): the
    violation's day is judged again and yields; the incident costs 8, not 5 + 8."""
    register(cs, "ann", "bob")
    rules = json.loads(ok(cs("config get rule --json")).stdout)
    index = next(i for i, r in enumerate(rules) if r["code"] == "complaint_upheld")
    ok(cs(["config", "set", f"rule.{index}.points", "8"]))
    complaint = add_ticket(cs, "投诉", "phone", "complaint", agent="bob", about="ann", opened_at="2026-11-03T09:00",
                           env={"CS_NOW": "2026-11-03T09:00"})
    ok(cs([*at("2026-11-03T09:05"), "ticket", "respond", str(complaint["id"])]))
    violation(cs, validate, "ann", "rude_service", "2026-11-03T10:00", "--ticket", str(complaint["id"]),
              now="2026-11-03T10:05")
    ok(cs([*at("2026-11-04T09:00"), "jobs", "run", "daily-deductions"]))
    ok(cs([*at("2026-11-20T16:00"), "ticket", "verdict", str(complaint["id"]), "upheld"]))
    ok(cs([*at("2026-11-21T09:00"), "jobs", "run", "daily-deductions"]))
    rows = ok(cs([*at("2026-11-21T09:00"), "deductions", "list", "--month", "2026-11", "--json"])).json()
    assert charged(rows) == [("ann", "complaint_upheld", 8)]


def test_a_rota_changed_later_does_not_deal_past_days_again(cs, validate, tmp_path):
    """The 值日表 in force on a day gives that day's turn: loading a new rota does not move past charges."""
    register(cs, "ann", "bob", "cat")
    load(cs, tmp_path, ROTA)
    for day in (D, NEXT, "2026-11-21"):
        roster(cs, day, "day", "ann", "bob", "cat")
    before = [r["agent"] for r in duty_list(cs, validate, D)]
    ok(cs([*at("2026-11-20T12:00"), "config", "set", "duty.0.rota", '["cat", "bob", "ann"]']))
    assert [r["agent"] for r in duty_list(cs, validate, D)] == before == ["ann"]
    # The 21st, after the change: the new rota's third (from rota_start, the 19th) is ann; the old one's, cat.
    assert [r["agent"] for r in duty_list(cs, validate, "2026-11-21")] == ["ann"]


def test_a_memo_filed_in_the_wrap_up_goes_on_the_owners_shift(cs, validate):
    """18:10, the day shift over ten minutes, the late shift running: ann's memo is the day shift's (the grace is for
    this), so the day shift is not charged."""
    register(cs, "ann", "bob")
    roster(cs, D, "day", "ann")
    roster(cs, D, "late", "bob")
    memo = validate(ok(cs([*at(f"{D}T18:10"), "--as", "ann", "handover", "add", "退款单待财务审批", "--json"])).json(),
                    "handover")
    assert memo["shift"] == "day"
    memo_none(cs, "bob", hhmm="22:50")
    assert charged(judge(cs, validate), "handover_missing") == []


def test_nothing_left_in_the_seeds_own_format_is_a_nothing_left_memo(cs, validate):
    """001: 需要记录的内容包括日期+事发时间+涉案当事人姓名+问题详细描述,若无遗留事情,问题详情处填写"无" — 无。 or 无
    with a party is still the nothing-left memo, never an open item charged 2 points."""
    register(cs, "ann", "bob")
    roster(cs, D, "day", "ann")
    roster(cs, D, "late", "bob")
    first = validate(ok(cs([*at(f"{D}T17:50"), "--as", "ann", "handover", "add", "无。", "--json"])).json(), "handover")
    second = validate(ok(cs([*at(f"{D}T22:50"), "--as", "bob", "handover", "add", "无", "--party", "无",
                             "--json"])).json(), "handover")
    assert [(m["nothing_left"], m["status"]) for m in (first, second)] == [(True, "done"), (True, "done")]
    assert charged(judge(cs, validate, NEXT, "2026-11-21T00:30")) == []


def test_duty_assign_gives_only_rota_duties_and_a_day_off_gives_no_duty(cs, validate, tmp_path):
    register(cs, "ann", "bob")
    load(cs, tmp_path, DUTIES)
    refused(cs(["duty", "assign", "pressure_cards", D, "ann"]))
    assert duty_list(cs, validate, D) == []  # nobody at work that day: no duty, no warning
    summary = ok(cs([*at(AFTER), "deductions", "run", "--date", D, "--json"])).json()
    assert summary["unattributed"] == []


def test_roster_check_survives_a_rest_rule_longer_than_the_month(cs):
    register(cs, "ann")
    ok(cs(["config", "set", "roster.min_rest_days_per_month", "29"]))
    ok(cs(["roster", "set", "2027-01-31", "day", "ann"]))
    assert ok(cs(["roster", "check", "--month", "2027-02", "--json"])).json() == []  # February: all days off
    ok(cs(["roster", "set", "2027-02-01", "day", "ann"]))
    rows = ok(cs(["roster", "check", "--month", "2027-02", "--json"])).json()
    assert [(row["rule"], row["date"]) for row in rows] == [("min_rest_days_per_month", "2027-02-01")]


def test_an_upgrade_does_not_charge_the_days_judged_before_it(cs, validate, tmp_path):
    """A desk that judged days under the cs before this one: those days keep the rules they were judged by (no
    handover_missing for a shift before the memo rule existed); the first day not yet judged has the new rules."""
    import pytest

    from cs.store import db as db_mod
    from cs.store import migrations

    desk = str(tmp_path / "older.db")
    with pytest.MonkeyPatch.context() as patch:  # the cs before this one
        names = [m.__name__ for m in migrations.MIGRATIONS]
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:names.index("m010_rule_starts_and_quotas")])
        older = db_mod.connect(desk)
        older.execute("INSERT INTO agents (handle, name, role, active, created_at) VALUES ('ann', 'Ann', 'agent', 1,"
                      " '2026-11-01T00:00:00Z')")
        for day in ("2026-11-18", D):
            older.execute("INSERT INTO roster (date, shift, agent, created_at, created_by) VALUES (?, 'day', 'ann',"
                          " '2026-11-01T00:00:00Z', 'x')", (day,))
        older.execute("INSERT INTO deduction_days (date, computed_at, computed_by) VALUES ('2026-11-18',"
                      " '2026-11-19T01:00:00Z', 'cron')")
        older.close()
    before = ok(cs(["--db", desk, *at(AFTER), "deductions", "run", "--date", "2026-11-18", "--json"])).json()
    assert before["changes"] == []
    after = ok(cs(["--db", desk, *at(AFTER), "deductions", "run", "--date", D, "--json"])).json()
    assert [(c["agent"], c["rule"]) for c in after["changes"]] == [("ann", "handover_missing")]
