"""The bulk generator behind `cs demo --agents N --days D`: a small centre (5 people, 14 days), built
through the CLI, checked record by record against the rules and the real code, and read back with
the normal commands."""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import NOW, SHANGHAI

from cs.core import clock
from cs.core import config as config_mod
from cs.core.context import Context
from cs.desk import callbacks, tickets
from cs.store import db as db_mod

AGENTS, DAYS = 5, 14


def build(cs, path: Path, *extra: str):
    result = cs(["demo", "--db", str(path), "--agents", str(AGENTS), "--days", str(DAYS), *extra])
    assert result.exit_code == 0, result
    return result


@pytest.fixture
def centre(cs, tmp_path) -> Path:
    path = tmp_path / "centre.db"
    build(cs, path, "--seed", "7")
    return path


@pytest.fixture
def rows(centre):
    conn = sqlite3.connect(centre)
    conn.row_factory = sqlite3.Row
    yield lambda sql, params=(): conn.execute(sql, params).fetchall()
    conn.close()


@pytest.fixture
def domain(centre):
    database = db_mod.connect(centre)
    yield Context(db=database, now=NOW, config=config_mod.load(database), actor="tester", tz_name="Asia/Shanghai")
    database.close()


def test_prints_one_line_with_counts_and_the_rate(cs, tmp_path):
    result = build(cs, tmp_path / "c.db")
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"Demo centre built in {tmp_path / 'c.db'}: {AGENTS} agents in 1 team,")
    assert "tickets/s" in first and f"over {DAYS} days" in first and "deductions for 14 days" in first


def test_the_same_seed_builds_the_same_centre(cs, tmp_path):
    dumps = []
    for name, seed in (("a.db", "3"), ("b.db", "3"), ("c.db", "4")):
        build(cs, tmp_path / name, "--seed", seed)
        env = {"CS_DB": str(tmp_path / name)}
        dumps.append(cs("ticket export --format jsonl", env=env).stdout
                     + cs("callback list --json", env=env).stdout + cs("deductions list --json", env=env).stdout)
    assert dumps[0] == dumps[1] and dumps[0].count("\n") > 300
    assert dumps[0] != dumps[2]


def test_the_database_checks_out_with_the_schema_and_settings_of_a_normal_one(cs, centre, tmp_path):
    cs_env = {"CS_DB": str(centre)}
    assert cs("db check --json", env=cs_env).json()["ok"] is True

    def schema(path):
        conn = sqlite3.connect(path)
        found = {tuple(row) for row in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        conn.close()
        return found, mode

    db_mod.connect(tmp_path / "fresh.db").close()
    assert schema(centre) == schema(tmp_path / "fresh.db")  # every index and trigger back, WAL again


def test_refuses_a_database_with_data_and_removes_a_new_one_after_a_failure(cs, tmp_path, monkeypatch):
    from cs.demo import generate

    target = tmp_path / "half.db"

    def broken(self, day):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(generate.Centre, "day", broken)
    with pytest.raises(RuntimeError):
        cs(["demo", "--db", str(target), "--agents", "5"])
    assert not target.exists()
    monkeypatch.undo()  # every patch, the isolating environment's too: messages back in the tests' English
    monkeypatch.setenv("CS_LANG", "en")
    build(cs, target)
    again = cs(["demo", "--db", str(target), "--agents", "5"])
    assert again.exit_code == 1 and "already holds" in again.stderr


def test_people_teams_and_roles(rows):
    roles = Counter(row["role"] for row in rows("SELECT role FROM agents"))
    assert roles == {"supervisor": 1, "leader": 1, "agent": 3}
    assert {row["team"] for row in rows("SELECT team FROM agents WHERE role <> 'supervisor'")} == {"一组"}


def test_tickets_lives_are_in_order_and_match_their_status(rows):
    now = clock.to_db(NOW)
    all_tickets = rows("SELECT * FROM tickets")
    assert len(all_tickets) > 300
    for t in all_tickets:
        times = [t[key] for key in ("opened_at", "first_response_at", "resolved_at", "closed_at") if t[key]]
        assert times == sorted(times) and times[-1] <= now, dict(t)
        assert t["updated_at"] <= now and t["opened_at"] <= t["updated_at"]
        assert (t["status"] in ("resolved", "closed")) == (t["resolved_at"] is not None)
        assert (t["status"] == "closed") == (t["closed_at"] is not None)
        assert (t["status"] == "pending") == (t["pending_since"] is not None)
        assert (t["status"] == "open") == (t["first_response_at"] is None)
        assert (t["verdict"] is not None) == (t["verdict_at"] is not None) and (t["verdict"] is None
                                                                                or t["category"] == "complaint")
    assert {t["status"] for t in all_tickets} >= {"in_progress", "pending", "resolved", "closed"}


def test_events_tell_each_tickets_status_history(rows):
    history = defaultdict(list)
    for event in rows("SELECT * FROM ticket_events ORDER BY at, id"):
        history[event["ticket_id"]].append(event)
    for t in rows("SELECT * FROM tickets"):
        events = history[t["id"]]
        assert events[0]["kind"] == "created" and events[0]["at"] == t["opened_at"]
        status = "open"
        for event in events[1:]:
            if event["to_status"] is not None:
                assert event["from_status"] == status, (t["id"], [dict(e) for e in events])
                status = event["to_status"]
        assert status == t["status"]
        assert max(event["at"] for event in events) == t["updated_at"]
    kinds = Counter(row["kind"] for row in rows("SELECT kind FROM ticket_events"))
    assert set(kinds) == {"created", "responded", "note", "pended", "resumed", "resolved", "verdict", "closed",
                          "satisfaction"}


def test_notes_are_searchable_as_the_trigger_would_have_indexed_them(rows, cs, centre):
    note = rows("SELECT ticket_id, text FROM ticket_events WHERE kind = 'note' LIMIT 1")[0]
    indexed = rows("SELECT notes FROM ticket_fts WHERE rowid = ?", (note["ticket_id"],))[0]["notes"]
    assert indexed == "\n" + note["text"]
    found = cs(["ticket", "list", "--search", note["text"], "--json"], env={"CS_DB": str(centre)}).json()
    assert note["ticket_id"] in {t["id"] for t in found}


def test_deadlines_are_the_real_codes(rows, domain):
    for t in rows("SELECT * FROM tickets"):
        expected = tickets.due_times(domain, clock.from_db(t["opened_at"]), t["priority"], t["paused_s"])
        assert expected == (t["first_response_due_at"], t["resolve_due_at"]), dict(t)
    policies = {policy["code"]: policy for policy in domain.config["callback_policy"]}
    retry = domain.config["callback"]["retry_after"]
    for c in rows("SELECT c.*, t.resolved_at FROM callbacks c JOIN tickets t ON t.id = c.ticket_id"):
        policy, resolved = policies[c["policy"]], clock.from_db(c["resolved_at"])
        assert c["created_at"] == c["resolved_at"]
        assert c["due_at"] == clock.to_db(callbacks.deadline(domain, resolved, clock.parse_duration(policy["within"])))
        delayed = clock.add_duration(resolved, policy["delay"], domain.tz, domain.calendar)
        assert c["not_before"] == clock.to_db(callbacks.callable_from(domain, delayed))
        if c["status"] == "pending" and c["attempts"]:
            last = rows("SELECT MAX(at) AS at FROM callback_events WHERE callback_id = ?", (c["id"],))[0]["at"]
            retry_at = clock.add_duration(clock.from_db(last), retry, domain.tz, domain.calendar)
            assert c["next_try_at"] == clock.to_db(callbacks.callable_from(domain, retry_at))


def test_callbacks_follow_the_policies_and_end_as_recorded(rows, domain):
    now = clock.to_db(NOW)
    callbacks_ = rows("SELECT c.*, t.status AS ticket_status, t.category, t.satisfaction AS ticket_satisfaction"
                      " FROM callbacks c JOIN tickets t ON t.id = c.ticket_id")
    assert len(callbacks_) == rows("SELECT COUNT(*) AS n FROM callbacks")[0]["n"] > 30
    statuses = Counter(c["status"] for c in callbacks_)
    assert statuses["done"] and statuses["pending"]
    # Complaints and repairs by their policies; any category for a new customer (10%) or a VIP (key_customer).
    assert {c["category"] for c in callbacks_ if c["policy"] in ("complaint", "repair")} <= {"complaint", "repair"}
    assert {c["policy"] for c in callbacks_} <= {"complaint", "repair", "new_customer", "key_customer"}
    for c in callbacks_:
        assert c["ticket_status"] in ("resolved", "closed")
        events = rows("SELECT * FROM callback_events WHERE callback_id = ? ORDER BY at, id", (c["id"],))
        assert events[0]["kind"] == "created" and all(e["at"] <= now for e in events)
        assert c["attempts"] == sum(1 for e in events if e["kind"] == "attempt")
        if c["status"] == "done":
            assert events[-1]["kind"] == "done" and events[-1]["result"] == c["outcome"]
            assert c["ticket_satisfaction"] == callbacks.OUTCOME_SCORES[c["outcome"]]
            assert c["created_at"] <= c["done_at"] == c["ended_at"] <= now
        if c["status"] == "failed":
            assert c["attempts"] == domain.config["callback"]["max_attempts"]
        if c["status"] == "pending":
            assert c["done_at"] is None and c["ended_at"] is None
    complaints = rows("SELECT COUNT(*) AS n FROM tickets t JOIN customers p ON p.phone = t.customer_phone"
                      " WHERE t.category = 'complaint' AND t.resolved_at IS NOT NULL AND p.no_callback = 0")[0]["n"]
    assert complaints == sum(1 for c in callbacks_ if c["policy"] == "complaint")


def test_tickets_go_to_agents_on_shift(rows, domain):
    from cs.desk import shifts

    roster = defaultdict(set)
    for row in rows("SELECT * FROM roster"):
        roster[(row["date"], row["shift"])].add(row["agent"])
    on_shift = off_shift = 0
    for t in rows("SELECT agent, opened_at FROM tickets"):
        opened = clock.from_db(t["opened_at"])
        running = shifts.running(domain, opened)
        staffed = set().union(*(roster[(w.date.isoformat(), w.code)] for w in running)) if running else set()
        if staffed:
            on_shift += t["agent"] in staffed
            off_shift += t["agent"] not in staffed
    assert on_shift > 300 and off_shift == 0
    supervisor = rows("SELECT handle FROM agents WHERE role = 'supervisor'")[0]["handle"]
    assert not rows("SELECT 1 FROM roster WHERE agent = ?", (supervisor,))


def test_busier_on_working_days_and_at_the_peaks(rows, domain):
    per_day = Counter(clock.local_date(clock.from_db(row["opened_at"]), SHANGHAI)
                      for row in rows("SELECT opened_at FROM tickets"))
    today = NOW.date()
    working = [count for day, count in per_day.items() if day != today and domain.calendar.is_workday(day)]
    resting = [count for day, count in per_day.items() if day != today and not domain.calendar.is_workday(day)]
    assert working and resting and min(working) > max(resting)
    per_hour = Counter(clock.from_db(row["opened_at"]).astimezone(SHANGHAI).hour
                       for row in rows("SELECT opened_at FROM tickets"))
    assert per_hour[10] > per_hour[12] and per_hour[15] > per_hour[13] and per_hour[10] > per_hour[21]
    assert set(per_hour) <= set(range(9, 23))  # only while someone is on shift


def test_customers_come_back(rows):
    contacts = Counter(row["customer_phone"] for row in rows("SELECT customer_phone FROM tickets"
                                                              " WHERE customer_phone IS NOT NULL"))
    repeat = sum(count - 1 for count in contacts.values()) / sum(contacts.values())
    assert 0.02 < repeat < 0.4


def test_the_normal_commands_read_it(cs, centre, validate):
    env = {"CS_DB": str(centre)}
    listed = cs("ticket list --limit 20 --json", env=env).json()
    assert len(listed) == 20 and [validate(t, "ticket") for t in listed]
    shown = cs(["ticket", "show", str(listed[-1]["id"]), "--json"], env=env).json()
    assert validate(shown, "ticket")["history"][0]["kind"] == "created"
    overdue = cs("callback list --overdue --json", env=env).json()
    assert overdue and all(validate(c, "callback")["overdue"] for c in overdue)
    breached = cs("ticket list --breached --json", env=env).json()
    everything = cs("ticket list --json", env=env).json()
    assert 0 < len(breached) < 0.3 * len(everything)
    month = validate(cs("report month --json", env=env).json(), "report")
    assert month["kpis"]["received"] > 100 and month["kpis"]["callbacks_done"] > 0
    scores = cs("score --json", env=env).json()
    assert len(scores) == AGENTS and [validate(row, "score") for row in scores]
    assert any(row["points"] > 0 for row in scores)
    shift = validate(cs("report shift --json", env=env).json(), "report")
    assert shift["agents"] and shift["tickets"]["received"] > 0
    assert cs("ticket list --search 漏水 --json", env=env).json()
    alerts = cs("jobs run overdue-alerts --json", env=env)
    assert alerts.exit_code == 0 and validate(alerts.json(), "alerts")["alerts"]


def test_past_days_are_scored_and_the_daily_job_picks_up_from_there(cs, centre):
    env = {"CS_DB": str(centre)}
    first = cs("jobs run daily-deductions --json", env=env).json()
    assert first["days"] == []  # every past day was scored by the build
    later = (NOW + timedelta(days=1, hours=-8)).isoformat()  # 01:30 the next night
    result = cs(["--now", later, "jobs", "run", "daily-deductions", "--json"], env=env)
    assert result.exit_code == 0 and [day["date"] for day in result.json()["days"]] == [NOW.date().isoformat()]


def test_a_week_and_a_year_share_their_last_days(tmp_path):
    """A day's tickets depend on the seed and the date alone (the scale benchmark relies on it)."""
    from cs.demo import generate

    def last_day(days):
        database = db_mod.connect(tmp_path / f"{days}.db")
        ctx = Context(db=database, now=NOW, config=config_mod.load(database), actor="tester",
                      tz_name="Asia/Shanghai")
        generate.build(ctx, agents=AGENTS, days=days, seed=5, score=False)
        start = clock.to_db(datetime.combine(NOW.date(), datetime.min.time(), SHANGHAI))
        found = [tuple(row) for row in database.all(
            "SELECT opened_at, channel, category, priority, agent, summary, first_response_at FROM tickets"
            " WHERE opened_at >= ? ORDER BY opened_at", (start,))]
        database.close()
        return found

    short, long = last_day(3), last_day(20)
    assert short and short == long


def test_every_configured_shift_and_duty_is_used(rows, domain):
    assert {row["shift"] for row in rows("SELECT DISTINCT shift FROM roster")} == {"day", "late"}
    assert {row["duty"] for row in rows("SELECT DISTINCT duty FROM duty_records")} == {"pressure_cards",
                                                                                      "cash_table"}
    handovers = rows("SELECT * FROM handovers")
    assert handovers and {h["status"] for h in handovers} <= {"open", "acked", "done"}
    assert any(h["text"] == "无" and h["status"] == "done" for h in handovers)  # seed 001's "nothing left" memo


def test_the_two_process_pipeline_writes_what_one_process_does(tmp_path):
    from cs.demo import generate

    tables = ("tickets", "ticket_events", "ticket_fts", "callbacks", "callback_events", "customers", "roster",
              "handovers", "duty_records", "violations", "deductions")
    dumps = []
    for pipeline in (True, False):
        database = db_mod.connect(tmp_path / f"{pipeline}.db")
        ctx = Context(db=database, now=NOW, config=config_mod.load(database), actor="tester", tz_name="Asia/Shanghai")
        generate.build(ctx, agents=3, days=generate.PIPELINE_FROM_DAYS, seed=1, pipeline=pipeline)
        dumps.append([[tuple(row) for row in database.all(f"SELECT * FROM {table} ORDER BY 1")] for table in tables])
        database.close()
    assert dumps[0] == dumps[1] and all(dumps[0][:3])


def test_ctrl_c_during_a_bulk_build_removes_the_half_built_desk_without_a_traceback(tmp_path):
    """Issue 16: Ctrl-C reaches the whole process group, the generator's second process included; it printed a
    traceback. Now: one Error line, exit 1, the half-built file gone, no process left behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "big.db"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    # Its own process group, as a terminal's foreground job; Ctrl-C's default action restored, for a suite started
    # in the background (a shell's `&` makes its children ignore SIGINT, and Python then never raises it).
    proc = subprocess.Popen([sys.executable, "-m", "cs", "--db", str(target), "demo", "--agents", "300", "--days",
                             "365"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # well into the build: the second process is generating days
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert proc.returncode == 1 and err.count("Error:") == 1 and "interrupted" in err, err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("big.db")) == []
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # nobody of its group is left


def test_the_hotline_rings_through_to_agents_on_shift(rows, domain, cs, centre, validate):
    """About CALLS_PER_TICKET calls a ticket, most answered, each answered call by an agent on shift at its
    extension; the ones given up reached nobody; `cs calls stats` counts them all."""
    from cs.demo.hotline import CALLS_PER_TICKET
    from cs.desk import shifts

    calls = rows("SELECT * FROM calls")
    tickets_made = rows("SELECT COUNT(*) FROM tickets")[0][0]
    assert 0.8 * CALLS_PER_TICKET < len(calls) / tickets_made < 1.2 * CALLS_PER_TICKET
    answered = [call for call in calls if call["answered_at"]]
    assert 0.85 < len(answered) / len(calls) < 0.99
    extension = {row["handle"]: row["extension"] for row in rows("SELECT handle, extension FROM agents")}
    roster = defaultdict(set)
    for row in rows("SELECT * FROM roster"):
        roster[(row["date"], row["shift"])].add(row["agent"])
    on_shift = 0
    for call in answered[::10]:
        assert call["extension"] == extension[call["agent"]]
        running = shifts.running(domain, clock.from_db(call["started_at"]))
        staffed = set().union(*(roster[(w.date.isoformat(), w.code)] for w in running))
        if staffed:  # an hour nobody is rostered for goes to anybody at work that day, as tickets do
            assert call["agent"] in staffed
            on_shift += 1
        assert call["started_at"] < call["answered_at"] < call["ended_at"] <= clock.to_db(NOW)
    assert on_shift > 30
    assert all(call["agent"] is None and call["extension"] is None for call in calls if not call["answered_at"])
    day = (NOW - timedelta(days=1)).date().isoformat()
    stats = validate(cs(["calls", "stats", "--date", day, "--json"], env={"CS_DB": str(centre)}).json(), "call-stats")
    start, end = (clock.to_db(moment) for moment in clock.day_bounds(datetime.fromisoformat(day).date(), SHANGHAI))
    assert stats["offered"] == rows("SELECT COUNT(*) FROM calls WHERE started_at >= ? AND started_at < ?",
                                    (start, end))[0][0] > 0
