"""Who may change what (issue 15, SPEC section 13): identity from the login, the rights, closing a month,
appeals (申诉). The login is the process's own; these in-process tests set it by replacing the one
function that reads it (cs.cli.environment.os_login), as a real login would (tests/test_os_users.py runs
`cs` as real OS users where the suite runs as root).

NOW is Friday 2026-11-20 09:30 (conftest); the people: sup (supervisor, login sue), lee (leader of team
A, login lee), amy and bob (agents of team A, logins amy and bob), cat (agent of team B, login cat).
"""

from __future__ import annotations

import json

import pytest
from helpers_tickets import add_ticket, ok, refused

from cs.desk import identity

PEOPLE = [("sup", "王主管", None, "supervisor", "sue"), ("lee", "李组长", "A", "leader", "lee"),
          ("amy", "艾米", "A", "agent", "amy"), ("bob", "鲍勃", "A", "agent", "bob"),
          ("cat", "陈猫", "B", "agent", "cat")]


def at(now: str) -> list[str]:
    return ["--now", now]


@pytest.fixture
def login(monkeypatch):
    """login("amy") makes the next commands run as that OS login (and sudo caller, if given)."""
    from cs.cli import environment

    def set_login(name: str, sudo: str | None = None):
        monkeypatch.setattr(environment, "os_login", lambda: name)
        monkeypatch.setattr(environment, "sudo_caller", lambda: sudo)

    set_login("root")
    return set_login


@pytest.fixture
def team(cs, login, monkeypatch):
    """The people above; logins not mapped yet (open mode)."""
    monkeypatch.delenv("CS_AGENT")
    for handle, name, group, role, _ in PEOPLE:
        args = ["agent", "add", handle, "--name", name, "--role", role] + (["--team", group] if group else [])
        ok(cs(["--as", "sup"] + args))
    return cs


@pytest.fixture
def enforced(team, login, monkeypatch):
    """Every person mapped to their login: enforced mode, on the real clock (a fixed clock in the past would
    make every write back-dated)."""
    for handle, *_, os_user in PEOPLE:
        ok(team(["--as", "sup", "agent", "update", handle, "--os-user", os_user]))
    monkeypatch.delenv("CS_NOW")
    return team


def last_audit(cs) -> dict:
    return ok(cs(["audit", "--json", "--limit", "1"])).json()[0]


# =========================================================================== identity


def test_open_mode_until_an_agent_has_a_login(team, login, validate):
    info = ok(team(["db", "info", "--json"])).json()
    validate(info, "db-info")
    assert info["access"] == {"mode": "open", "os_user": "root", "actor": "root", "may_write": True}
    ok(team(["--as", "sup", "agent", "update", "amy", "--os-user", "amy"]))
    login("amy")
    info = ok(team(["--as", "sup", "db", "info", "--json"])).json()
    assert info["access"] == {"mode": "enforced", "os_user": "amy", "actor": "amy", "may_write": False}


def test_a_mapped_agent_cannot_act_as_the_supervisor(enforced, login):
    login("amy")
    add_ticket(enforced, "来电")  # as herself: fine
    before = last_audit(enforced)
    result = refused(enforced(["--as", "sup", "agent", "update", "amy", "--role", "supervisor"]))
    assert "only a supervisor may act for another agent" in result.stderr and "--as" not in result.stderr
    refused(enforced(["--as", "sup", "config", "set", "scoring.base", "90"]))
    assert last_audit(enforced) == before  # nothing written
    assert ok(enforced(["--as", "sup", "agent", "show", "amy", "--json"])).json()["role"] == "agent"  # reads fine


def test_the_supervisor_acts_for_an_agent_and_the_audit_names_both(enforced, login):
    login("sue")
    ticket = add_ticket(enforced, "代坐席登记", env={"CS_AGENT": "amy"})
    assert ticket["created_by"] == "amy"
    row = last_audit(enforced)
    assert (row["actor"], row["os_user"]) == ("amy", "sue")


def test_an_unmapped_login_reads_but_cannot_write(enforced, login):
    login("mallory")
    assert ok(enforced(["ticket", "list", "--json"])).json() == []
    result = refused(enforced(["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "x"]))
    assert "mallory is not an agent of this desk" in result.stderr
    assert "cs agent update HANDLE --os-user mallory" in result.stderr


def test_through_sudo_as_the_service_account_the_caller_acts(enforced, login):
    login("root")  # the machine's administrator may act as anyone
    ok(enforced(["--as", "sup", "config", "set", "security.service_user", "csdesk"]))
    login("csdesk", sudo="amy")  # sudo -u csdesk cs ... run by amy
    add_ticket(enforced, "经sudo登记")
    assert (last_audit(enforced)["actor"], last_audit(enforced)["os_user"]) == ("amy", "amy")
    refused(enforced(["--as", "lee", "ticket", "add", "--channel", "phone", "--category", "inquiry",
                      "--summary", "冒充组长"]))
    login("csdesk")  # cron, no sudo: acts for the jobs and may name whom it acts for
    ok(enforced(["jobs", "run", "daily-deductions"]))
    add_ticket(enforced, "cron 登记", env={"CS_AGENT": "lee"})
    assert (last_audit(enforced)["actor"], last_audit(enforced)["os_user"]) == ("lee", "csdesk")


def test_identity_resolution_in_every_case(enforced, ctx):
    """The rules of cs.desk.identity, case by case, on the domain level."""
    from cs.store import db as db_mod

    database = db_mod.connect(enforced_path(enforced))
    resolve = lambda login, claimed=None, sudo=None: identity.resolve(  # noqa: E731
        database, login=login, sudo_user=sudo, claimed=claimed, service_user="csdesk")
    assert resolve("amy") == identity.Identity("enforced", "amy", "amy", None, False)
    assert resolve("lee").may_backdate and resolve("sue").may_backdate
    assert resolve("amy", "sup").refusal and resolve("amy", "sup").actor == "amy"
    assert resolve("sue", "amy") == identity.Identity("enforced", "sue", "amy", None, True)
    assert resolve("csdesk", sudo="bob").actor == "bob"
    assert resolve("csdesk", "bob", sudo="amy").refusal  # amy through sudo may not name bob
    assert resolve("csdesk", "bob").refusal is None  # cron
    assert resolve("root", "bob").refusal is None  # the administrator
    assert resolve("mallory").refusal and not resolve("mallory").may_backdate
    database.close()


def enforced_path(cs) -> str:
    return ok(cs(["db", "info", "--json"])).json()["path"]


# =========================================================================== back-dated writes


def test_a_backdated_write_by_an_agent_is_refused_and_by_a_leader_flagged(enforced, login):
    """[security] backdate_limit (1h): --now 2026-11-20 is far behind the real clock."""
    login("amy")
    result = refused(enforced(["--now", "2026-11-20T09:30", "ticket", "add", "--channel", "phone", "--category",
                               "inquiry", "--summary", "补录"]))
    assert "may not record changes dated more than 1h back" in result.stderr
    login("lee")
    add_ticket(enforced, "组长补录", env={"CS_NOW": "2026-11-20T09:30"})
    row = last_audit(enforced)
    assert (row["actor"], row["os_user"], row["backdated"]) == ("lee", "lee", True)


def test_writes_at_the_real_time_are_not_backdated(enforced, login):
    login("amy")
    ticket_id = add_ticket(enforced, "半小时前的来电", opened_at="-40m")["id"]  # within the hour: hers to log
    row = last_audit(enforced)
    assert (row["actor"], row["backdated"]) == ("amy", False)
    refused(enforced(["ticket", "respond", str(ticket_id), "--at", "-90m"]))  # --at back-dates the change
    ok(enforced(["ticket", "respond", str(ticket_id), "--at", "-30m"]))
    # A call logged long after, for a colleague (the review: it breaches at once and charges wang): a leader's.
    result = refused(enforced(["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "补录",
                               "--agent", "bob", "--opened-at", "-2d"]))
    assert "dated more than 1h back" in result.stderr
    result = refused(enforced(["--now", "+1d", "ticket", "add", "--channel", "phone", "--category", "inquiry",
                               "--summary", "明天的事"]))  # like ticking off tomorrow's duty today
    assert "dated after the real clock" in result.stderr


# =========================================================================== rights, in every mode


def test_the_accused_never_records_their_complaints_verdict(team):
    complaint = add_ticket(team, "投诉李组长", "phone", "complaint", about="lee", env={"CS_AGENT": "amy"})
    refused(team(["--as", "amy", "ticket", "verdict", str(complaint["id"]), "upheld"]))  # an agent
    result = refused(team(["--as", "lee", "ticket", "verdict", str(complaint["id"]), "rejected"]))
    assert "complaint about lee" in result.stderr
    ok(team(["--as", "sup", "ticket", "verdict", str(complaint["id"]), "upheld"]))


def test_duties_for_others_or_earlier_days_need_a_leader(team, tmp_path):
    (tmp_path / "duty.toml").write_text('[[duty]]\ncode = "clean"\nlabel = "打扫卫生"\nevery = "day"\n', "utf-8")
    ok(team(["--as", "sup", "config", "load", str(tmp_path / "duty.toml")]))
    ok(team(["--as", "amy", "duty", "done", "clean"]))  # her own duty, today
    refused(team(["--as", "amy", "duty", "done", "clean", "--agent", "bob"]))
    refused(team(["--as", "bob", "duty", "done", "clean", "--date", "2026-11-18"]))  # back-filling her own
    ok(team(["--as", "lee", "duty", "done", "clean", "--agent", "bob", "--date", "2026-11-18"]))


def test_violations_never_against_oneself(team):
    refused(team(["--as", "amy", "violation", "add", "bob", "hygiene"]))
    result = refused(team(["--as", "lee", "violation", "add", "lee", "hygiene"]))
    assert "against themselves" in result.stderr
    ok(team(["--as", "lee", "violation", "add", "amy", "hygiene"]))


def test_moving_a_charge_after_the_fact_is_a_leaders_decision(team):
    """The review: an agent rescheduled her overdue callback, reassigned a breached ticket to a colleague, or
    lowered its priority, and the next recheck moved or removed the charge."""
    breached = add_ticket(team, "超时未响应", opened_at="2026-11-19T09:00", env={"CS_AGENT": "amy"})
    callback = ok(team(["--now", "2026-11-18T09:00", "--as", "amy", "callback", "add", "--phone", "13800001111",
                        "--due", "2026-11-19T10:00", "--agent", "amy", "--json"])).json()
    for argv in (["callback", "reschedule", str(callback["id"]), "--to", "2026-11-25T10:00", "--note", "x"],
                 ["callback", "assign", str(callback["id"]), "bob"],
                 ["callback", "cancel", str(callback["id"]), "--reason", "x"],
                 ["ticket", "assign", str(breached["id"]), "bob"],
                 ["ticket", "update", str(breached["id"]), "--priority", "low"],
                 ["ticket", "update", str(breached["id"]), "--about", "bob"],
                 ["ticket", "import", "-"]):
        result = refused(team(["--as", "amy"] + argv, input="[]"))
        assert "needs the role leader or supervisor" in result.stderr, argv
    ok(team(["--as", "lee", "callback", "reschedule", str(callback["id"]), "--to", "2026-11-25T10:00",
             "--note", "客户出差，组长批准改期"]))
    ok(team(["--as", "lee", "ticket", "assign", str(breached["id"]), "bob"]))
    fresh = add_ticket(team, "刚来的电话", env={"CS_AGENT": "amy"})
    ok(team(["--as", "amy", "ticket", "assign", str(fresh["id"]), "bob"]))  # nothing charged yet: hers to pass on


@pytest.mark.parametrize("argv, needed", [
    (["roster", "set", "2026-11-21", "day", "amy"], "leader or supervisor"),
    (["config", "set", "scoring.base", "90"], "supervisor"),
    (["agent", "add", "new", "--name", "新人"], "supervisor"),
    (["agent", "deactivate", "bob"], "supervisor"),
    (["deductions", "close", "--month", "2026-10"], "supervisor"),
    (["deductions", "reopen", "--month", "2026-10", "--reason", "x"], "supervisor"),
])
def test_what_an_agent_may_not_do(team, argv, needed):
    result = refused(team(["--as", "amy"] + argv))
    assert f"needs the role {needed}" in result.stderr and "--as" not in result.stderr


def test_a_leader_sets_the_roster_but_not_the_configuration(team):
    ok(team(["--as", "lee", "roster", "set", "2026-11-21", "day", "amy"]))
    refused(team(["--as", "lee", "config", "set", "scoring.base", "90"]))


# =========================================================================== closing a month


def _october_entry(cs) -> dict:
    """amy's callback due 2026-10-20 and never made: one October entry."""
    ok(cs(["--now", "2026-10-19T10:00", "--as", "amy", "callback", "add", "--phone", "13800001111",
           "--due", "2026-10-20T10:00", "--agent", "amy"]))
    ok(cs(["--now", "2026-10-21T00:30", "deductions", "run", "--date", "2026-10-20"]))
    (entry,) = ok(cs(["deductions", "list", "--month", "2026-10", "--json"])).json()
    return entry


def test_a_month_is_closed_only_once_every_day_of_it_is_judged(team):
    """The review: closed at 00:10 on the 1st, before the job judged the 31st, the 31st's charge never came."""
    _october_entry(team)  # 10-20 judged by hand; the rest of October not yet
    result = refused(team(["--as", "sup", "deductions", "close", "--month", "2026-10"]))
    assert "2026-10-21" in result.stderr and "cs jobs run daily-deductions" in result.stderr
    ok(team(["jobs", "run", "daily-deductions"]))
    ok(team(["--as", "sup", "deductions", "close", "--month", "2026-10"]))


def test_close_and_reopen_a_month(team, validate):
    entry = _october_entry(team)
    ok(team(["jobs", "run", "daily-deductions"]))
    refused(team(["--as", "sup", "deductions", "close", "--month", "2026-11"]))  # not over yet
    closed = ok(team(["--as", "sup", "deductions", "close", "--month", "2026-10", "--json"])).json()
    assert closed["month"] == "2026-10" and closed["closed"] is True
    refused(team(["--as", "sup", "deductions", "close", "--month", "2026-10"]))  # once
    # Runs change nothing and exit 0 (cron goes on); voids are refused.
    ok(team(["--now", "2026-10-21T00:30", "--as", "amy", "callback", "done", "1", "--outcome", "satisfied"]))
    run = ok(team(["deductions", "run", "--date", "2026-10-20", "--json"])).json()
    validate(run, "deductions-run")
    assert (run["closed"], run["removed"], run["entries"]) == (True, 0, 1)
    result = refused(team(["--as", "sup", "deductions", "void", str(entry["id"]), "--reason", "误扣"]))
    assert "2026-10 is closed" in result.stderr
    scores = ok(team(["score", "--month", "2026-10", "--json"])).json()
    for row in scores:
        validate(row, "score")
    assert {row["closed"] for row in scores} == {True}
    refused(team(["--as", "sup", "deductions", "reopen", "--month", "2026-10", "--reason", " "]), 1)
    ok(team(["--as", "sup", "deductions", "reopen", "--month", "2026-10", "--reason", "补录回访记录"]))
    rerun = ok(team(["deductions", "run", "--date", "2026-10-20", "--json"])).json()
    assert (rerun["closed"], rerun["added"]) == (False, 0)  # the callback was done a day late: still an entry
    ok(team(["--as", "sup", "deductions", "void", str(entry["id"]), "--reason", "系统故障"]))
    reasons = [row["after"].get("reason") for row in ok(team(["audit", "--json", "--action", "deductions.reopen"]))
               .json()]
    assert reasons == ["补录回访记录"]


def test_the_daily_job_leaves_a_closed_month_alone(team):
    _october_entry(team)
    ok(team(["jobs", "run", "daily-deductions"]))
    ok(team(["--as", "sup", "deductions", "close", "--month", "2026-10"]))
    ok(team(["--as", "amy", "--now", "2026-10-25T10:00", "callback", "add", "--phone", "13800002222",
             "--due", "2026-10-26T10:00"]))
    job = json.loads(ok(team(["jobs", "run", "daily-deductions", "--json"])).stdout)
    assert [d["date"] for d in job["days"] if d["date"].startswith("2026-10")] == []  # 10-26 is in a closed month
    assert len(ok(team(["deductions", "list", "--month", "2026-10", "--json"])).json()) == 1


# =========================================================================== appeals


def _amys_entry(cs, day: str = "2026-11-19") -> dict:
    """amy's callback due at 10:00 on `day` (by default Thursday) and never made: that day's entry, judged at
    00:30 Friday."""
    ok(cs(["--now", f"{day}T08:00", "--as", "amy", "callback", "add", "--phone", "13800001111",
           "--due", f"{day}T10:00", "--agent", "amy"]))
    ok(cs(["--now", "2026-11-20T00:30", "deductions", "run", "--date", day]))
    (entry,) = ok(cs(["deductions", "list", "--date", day, "--json"])).json()
    return entry


def test_the_appeal_cycle(team, validate):
    entry = _amys_entry(team)
    refused(team(["--as", "bob", "deductions", "appeal", str(entry["id"]), "--reason", "替她申诉"]))
    appeal = ok(team(["--as", "amy", "deductions", "appeal", str(entry["id"]), "--reason", "客户当天已到店处理",
                      "--json"])).json()
    validate(appeal, "appeal")
    assert (appeal["agent"], appeal["status"], appeal["decided_by"]) == ("amy", "open", None)
    assert "open appeal already" in refused(team(["--as", "amy", "deductions", "appeal", str(entry["id"]),
                                                  "--reason", "再次申诉"])).stderr
    refused(team(["--as", "bob", "deductions", "decide", str(appeal["id"]), "accept", "--note", "同意"]))
    refused(team(["--as", "cat", "deductions", "decide", str(appeal["id"]), "accept", "--note", "同意"]))
    decided = ok(team(["--as", "lee", "deductions", "decide", str(appeal["id"]), "accept", "--note", "核实属实",
                       "--json"])).json()  # amy's team leader
    validate(decided, "appeal")
    assert (decided["status"], decided["decided_by"], decided["note"]) == ("accepted", "lee", "核实属实")
    voided = ok(team(["deductions", "list", "--date", "2026-11-19", "--json"])).json()[0]
    assert voided["voided"] and voided["void_reason"] == f"appeal {appeal['id']} accepted: 核实属实"
    assert [r["points"] for r in ok(team(["score", "--json"])).json() if r["agent"] == "amy"] == [0]
    refused(team(["--as", "sup", "deductions", "decide", str(appeal["id"]), "reject", "--note", "改判"]))
    listed = ok(team(["deductions", "appeals", "--month", "2026-11", "--json"])).json()
    for row in listed:
        validate(row, "appeal")
    assert [row["id"] for row in listed] == [appeal["id"]]
    month = ok(team(["report", "month", "--month", "2026-11", "--json"])).json()
    validate(month, "report")
    assert [(a["id"], a["status"]) for a in month["appeals"]] == [(appeal["id"], "accepted")]


def test_a_rejected_appeal_leaves_the_entry_and_another_may_follow(team):
    entry = _amys_entry(team)
    first = ok(team(["--as", "amy", "deductions", "appeal", str(entry["id"]), "--reason", "理由一", "--json"])).json()
    ok(team(["--as", "sup", "deductions", "decide", str(first["id"]), "reject", "--note", "证据不足"]))
    assert not ok(team(["deductions", "list", "--date", "2026-11-19", "--json"])).json()[0]["voided"]
    ok(team(["--as", "amy", "deductions", "appeal", str(entry["id"]), "--reason", "补充证据"]))
    assert [a["status"] for a in ok(team(["deductions", "appeals", "--json"])).json()] == ["rejected", "open"]


def test_appeals_are_filed_within_appeal_days(team):
    entry = _amys_entry(team)  # dated 2026-11-19: appealable through 11-22
    ok(team(["--now", "2026-11-22T20:00", "--as", "amy", "deductions", "appeal", str(entry["id"]), "--reason", "x"]))
    late = _amys_entry(team, "2026-11-12")
    result = refused(team(["--as", "amy", "deductions", "appeal", str(late["id"]), "--reason", "迟了"]))
    assert "could be appealed until 2026-11-15" in result.stderr
