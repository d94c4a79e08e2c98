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
    assert [(p["period_start"], p["created"]) for p in january] == [
        ("2026-07-01T00:00:00+08:00", 0), ("2027-01-01T00:00:00+08:00", 50)]


def test_a_period_that_ended_before_the_plan_ran_is_skipped_and_said(cs, validate, tmp_path):
    """A plan started in January 2026 and first run in November: January–July has ended, its visits can no longer
    be made (and born overdue they would charge an agent): skipped, with the reason."""
    estate(cs, 3)
    load(cs, tmp_path, PLAN.replace('start = "2026-07-01"', 'start = "2026-01-01"'))
    rows = plan(cs, validate, "2026-11-20T10:00")
    assert [(r["period_start"][:10], r["created"], r["skipped"] is not None) for r in rows] == [
        ("2026-01-01", 0, True), ("2026-07-01", 3, False)]


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
    assert report["callbacks_by_policy"] == [{"policy": "repair", "eligible": 6, "required": 3, "selected": 3,
                                              "done": 2, "done_on_time": 1, "compliance": 0.3333,
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
