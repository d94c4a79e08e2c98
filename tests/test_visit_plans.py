"""Visit plans and quota compliance (issue 18, SPEC section 15), through the `cs` command, every figure computed
here by hand and every JSON document validated against its schema."""

from __future__ import annotations

from helpers_tickets import add_ticket, ok, refused

PLAN = """
[[visit_plan]]
code = "half_year"
label = "半年全面走访"
rrule = "FREQ=MONTHLY;INTERVAL=6"
scope = "tag:阳光小区"
method = "visit"
target = 0.98
start = "2026-07-01"
seed = "004: 客服主任每半年對責任區內住戶全面走訪一次,走訪率達98%以上。"
"""


def load(cs, tmp_path, text: str) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(text, "utf-8")
    ok(cs(["config", "load", "--merge", str(path)]))


def plan(cs, validate, now: str, *extra) -> list[dict]:
    rows = ok(cs(["--now", now, "callback", "plan", *extra, "--json"])).json()
    for row in rows:
        validate(row, "callback-plan")
    return rows


def estate(cs, count: int = 50) -> list[str]:
    """`count` residents of 阳光小区, a resident elsewhere, and one of 阳光小区 who declines callbacks."""
    phones = [f"138000{n:05d}" for n in range(count)]
    for phone in phones:
        ok(cs(["customer", "set", phone, "--tag", "阳光小区"]))
    ok(cs(["customer", "set", "13900000001", "--tag", "月亮湾"]))
    ok(cs(["customer", "set", "13900000002", "--tag", "阳光小区", "--no-callback"]))
    return phones


def test_a_half_yearly_plan_run_twice_creates_one_visit_per_customer_per_period(cs, validate, tmp_path):
    """004: 客服主任每半年對責任區內住戶全面走訪一次 — FREQ=MONTHLY;INTERVAL=6 from 1 July: the period 1 July to
    1 January; each of the 50 residents in scope gets one visit, due at the period's end; run again (and again in
    December), nothing more; the next period (from 1 January) its own 50."""
    phones = estate(cs)
    load(cs, tmp_path, PLAN)
    (first,) = plan(cs, validate, "2026-11-20T10:00")
    assert (first["period_start"], first["period_end"], first["created"], first["in_scope"]) == (
        "2026-07-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00", 50, 50)
    assert plan(cs, validate, "2026-11-20T10:05")[0]["created"] == 0
    assert plan(cs, validate, "2026-12-15T10:00")[0]["created"] == 0
    visits = ok(cs(["--now", "2026-11-20T10:10", "callback", "list", "--reason", "visit_plan", "--json"])).json()
    assert sorted(v["customer_phone"] for v in visits) == phones
    assert {(v["method"], v["due_at"], v["policy"]) for v in visits} == {
        ("visit", "2027-01-01T00:00:00+08:00", "half_year")}
    january = plan(cs, validate, "2027-01-02T10:00")
    assert [(p["period_start"], p["created"]) for p in january] == [("2027-01-01T00:00:00+08:00", 50)]


def test_only_periods_still_running_are_planned(cs, validate, tmp_path):
    """A plan started in January 2026 and first run in November: January–July has ended, its visits can no longer
    be made (and born overdue they would charge an agent): only the running period is planned. A period that ends
    before the next contact hours open is skipped, and said so."""
    estate(cs, 3)
    load(cs, tmp_path, PLAN.replace('start = "2026-07-01"', 'start = "2026-01-01"'))
    rows = plan(cs, validate, "2026-11-20T10:00")
    assert [(r["period_start"][:10], r["created"], r["skipped"]) for r in rows] == [("2026-07-01", 3, None)]
    monthly = PLAN.replace('code = "half_year"', 'code = "monthly"').replace("INTERVAL=6", "INTERVAL=1")
    load(cs, tmp_path, monthly)
    late = plan(cs, validate, "2026-11-30T22:00")
    assert [(r["plan"], r["created"], r["skipped"] is not None) for r in late] == [
        ("half_year", 0, False), ("monthly", 0, True)]


def test_a_customer_in_two_periods_is_owed_one_visit_and_an_hourly_rule_costs_nothing(cs, validate, tmp_path):
    """The plan's start moved: the new period's visit supersedes the pending one of the old period (cancelled, not
    charged). An hourly rule started years ago plans only what is running."""
    estate(cs, 2)
    load(cs, tmp_path, PLAN)
    plan(cs, validate, "2026-11-20T10:00")
    load(cs, tmp_path, PLAN.replace('start = "2026-07-01"', 'start = "2026-08-01"'))
    (row,) = plan(cs, validate, "2026-11-20T10:05")
    assert (row["period_start"][:10], row["created"]) == ("2026-08-01", 2)
    pending = ok(cs(["--now", "2026-11-20T10:06", "callback", "list", "--status", "pending", "--json"])).json()
    assert sorted((c["customer_phone"], c["due_at"][:10]) for c in pending) == [
        ("13800000000", "2027-02-01"), ("13800000001", "2027-02-01")]
    hourly = PLAN.replace('code = "half_year"', 'code = "hourly"').replace("FREQ=MONTHLY;INTERVAL=6", "FREQ=HOURLY")
    load(cs, tmp_path, hourly.replace('start = "2026-07-01"', 'start = "1990-01-01"'))
    rows = [r for r in plan(cs, validate, "2026-11-20T10:30") if r["plan"] == "hourly"]
    assert [(r["period_start"], r["period_end"]) for r in rows] == [
        ("2026-11-20T10:00:00+08:00", "2026-11-20T11:00:00+08:00")]


def test_the_month_report_gives_the_visit_rate_and_the_quota_compliance(cs, validate, tmp_path):
    """走访率: 40 residents in scope, 39 visited by 30 November → 0.975 against the target 0.98. Quotas: 6 repair
    customers in November → eligible 6, required ceil(0.5 × 6) = 3, selected 3 (the 1st, 3rd, 5th), done 2 (one on
    time, one late) → compliance 1/3."""
    estate(cs, 40)
    load(cs, tmp_path, PLAN)
    plan(cs, validate, "2026-11-01T08:00")
    visits = ok(cs(["--now", "2026-11-01T08:05", "callback", "list", "--reason", "visit_plan", "--json"])).json()
    for visit in visits[:39]:
        ok(cs(["--now", "2026-11-10T10:00", "callback", "done", str(visit["id"]), "--outcome", "satisfied"]))
    repairs = []
    for n in range(6):
        ticket = add_ticket(cs, "热水器维修", "phone", "repair", phone=f"1370000{n:04d}", opened_at="2026-11-02T09:00",
                            env={"CS_NOW": "2026-11-02T09:00"})
        ok(cs(["--now", "2026-11-02T10:00", "ticket", "resolve", str(ticket["id"]), "--resolution", "已修好"]))
        repairs += ok(cs(["--now", "2026-11-02T10:00", "callback", "list", "--ticket", str(ticket["id"]),
                          "--json"])).json()
    assert len(repairs) == 3
    ok(cs(["--now", "2026-11-05T10:00", "callback", "done", str(repairs[0]["id"]), "--outcome", "satisfied"]))
    ok(cs(["--now", "2026-11-20T10:00", "callback", "done", str(repairs[1]["id"]), "--outcome", "neutral"]))  # late
    report = validate(ok(cs(["--now", "2026-12-01T09:00", "report", "month", "--month", "2026-11",
                             "--json"])).json(), "report")
    assert report["visit_plans"] == [{"code": "half_year", "label": "半年全面走访", "period": "2026-07-01",
                                      "in_scope": 40, "visited": 39, "rate": 0.975,
                                      "rate_parts": {"numerator": 39, "denominator": 40}, "target": 0.98}]
    assert report["callbacks_by_policy"] == [{"policy": "repair", "label": "维修回访", "eligible": 6, "required": 3, "selected": 3,
                                              "callbacks": 3, "done": 2, "done_on_time": 1, "not_yet_due": 0,
                                              "compliance": 0.3333,
                                              "compliance_parts": {"numerator": 1, "denominator": 3}}]
    text = ok(cs(["--now", "2026-12-01T09:00", "--lang", "zh", "report", "month", "--month", "2026-11"])).stdout
    assert "半年全面走访 (2026-07-01): 应走访 40, 已走访 39; 走访率 97.5% / 目标 98.0%" in text


def test_a_visit_plan_that_cannot_work_is_refused(cs, tmp_path):
    for bad in ('rrule = "FREQ=SOMETIMES"', 'rrule = "FREQ=YEARLY;COUNT=1"', 'scope = "everyone"'):
        path = tmp_path / "bad.toml"
        path.write_text(PLAN.replace('rrule = "FREQ=MONTHLY;INTERVAL=6"', bad if bad.startswith("rrule") else
                                     'rrule = "FREQ=MONTHLY;INTERVAL=6"\n' + bad).replace(
            'scope = "tag:阳光小区"\n', "" if bad.startswith("scope") else 'scope = "tag:阳光小区"\n'), "utf-8")
        assert refused(cs(["config", "load", "--merge", str(path)])).stderr.startswith("Error: invalid configuration")


def test_a_customer_who_declines_loses_their_pending_visit(cs, validate, tmp_path):
    """谢绝回访 after the plan ran: the visit not yet due is cancelled (and so never charged)."""
    phones = estate(cs, 2)
    load(cs, tmp_path, PLAN)
    plan(cs, validate, "2026-11-20T10:00")
    declined = ok(cs(["--now", "2026-11-21T10:00", "customer", "set", phones[0], "--no-callback"]))
    assert "1 pending callback(s) cancelled" in declined.stderr
    visits = ok(cs(["--now", "2026-11-21T10:05", "callback", "list", "--phone", phones[0], "--json"])).json()
    assert [v["status"] for v in visits] == ["cancelled"]


def test_a_time_the_customer_chose_must_be_given_and_still_to_come(cs):
    asked = ["callback", "add", "--phone", "13800006666", "--due", "2026-11-21T12:00", "--customer-asked"]
    assert "needs --not-before" in refused(cs(asked)).stderr
    assert "has passed" in refused(cs(asked + ["--not-before", "2026-11-19T22:30"])).stderr


def test_compliance_counts_customers_against_their_own_deadlines(cs, validate):
    """Review of issue 18: one customer's three complaints gave compliance 3.0; a repair done after the month (by its
    deadline) never counted. Now: customers, at most 1; a callback due after the month counts when done on time,
    and is `not_yet_due` until then."""
    for n in range(3):
        ticket = add_ticket(cs, "投诉", "phone", "complaint", phone="13600000001", opened_at=f"2026-11-0{n + 2}T09:00",
                            env={"CS_NOW": f"2026-11-0{n + 2}T09:00"})
        ok(cs(["--now", f"2026-11-0{n + 2}T10:00", "ticket", "resolve", str(ticket["id"]), "--resolution", "已处理"]))
    repair = add_ticket(cs, "热水器维修", "phone", "repair", phone="13700000001", opened_at="2026-11-29T09:00",
                        env={"CS_NOW": "2026-11-29T09:00"})
    ok(cs(["--now", "2026-11-29T10:00", "ticket", "resolve", str(repair["id"]), "--resolution", "已修好"]))
    for callback in ok(cs(["--now", "2026-11-30T09:00", "callback", "list", "--json"])).json():
        if callback["policy"] == "complaint":
            ok(cs(["--now", callback["not_before"], "callback", "done", str(callback["id"]), "--outcome", "satisfied"]))
    report = validate(ok(cs(["--now", "2026-12-01T09:00", "report", "month", "--month", "2026-11", "--json"])).json(),
                      "report")
    rows = {row["policy"]: row for row in report["callbacks_by_policy"]}
    assert {k: rows["complaint"][k] for k in ("eligible", "required", "selected", "callbacks", "done_on_time",
                                              "compliance")} == {"eligible": 1, "required": 1, "selected": 1,
                                                                 "callbacks": 3, "done_on_time": 1, "compliance": 1.0}
    assert (rows["repair"]["not_yet_due"], rows["repair"]["compliance"]) == (1, 0.0)
    (repair_cb,) = ok(cs(["--now", "2026-12-01T09:00", "callback", "list", "--ticket", str(repair["id"]),
                          "--json"])).json()
    ok(cs(["--now", "2026-12-05T10:00", "callback", "done", str(repair_cb["id"]), "--outcome", "satisfied"]))
    later = ok(cs(["--now", "2026-12-06T09:00", "report", "month", "--month", "2026-11", "--json"])).json()
    repair_row = next(row for row in later["callbacks_by_policy"] if row["policy"] == "repair")
    assert (repair_row["done_on_time"], repair_row["not_yet_due"], repair_row["compliance"]) == (1, 0, 1.0)
