"""Shifts, the roster, the handover memo and daily duties through the `cs` command (SPEC §7), with
every JSON output validated against its schema.

NOW is Friday 2026-11-20 09:30 in Shanghai (conftest); tests that need another clock pass `--now`.
"""

from __future__ import annotations

import json

import pytest
from helpers_tickets import add_ticket, ok, refused, register

DAY = "2026-11-20"  # Friday
NIGHT_TOML = """
[[shift]]
code = "day"
label = "白班"
start = "09:00"
end = "18:00"

[[shift]]
code = "late"
label = "晚班"
start = "14:00"
end = "23:00"

[[shift]]
code = "night"
label = "夜班"
start = "22:00"
end = "06:00"
"""
DUTIES_TOML = """
[[duty]]
code = "open_shop"
label = "开门检查"
every = "day"

[[duty]]
code = "daily_report"
label = "日报"
every = "workday"
"""


# =========================================================================== helpers


def at(now: str | None) -> list[str]:
    return ["--now", now] if now else []


def each(validate, docs, name):
    assert isinstance(docs, list), docs
    for doc in docs:
        validate(doc, name)
    return docs


def json_list(cs, validate, args, name, now=None):
    return each(validate, ok(cs([*at(now), *args, "--json"])).json(), name)


def shifts_now(cs, validate, now):
    return json_list(cs, validate, ["shift", "now"], "roster", now=now)


def roster_show(cs, validate, *args, now=None):
    return json_list(cs, validate, ["roster", "show", *args], "roster", now=now)


def roster_set(cs, validate, day, shift, *agents, now=None):
    doc = ok(cs([*at(now), "roster", "set", day, shift, *agents, "--json"])).json()
    return validate(doc, "roster")


def load_config(cs, tmp_path, text, name="centre.toml"):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    ok(cs(["config", "load", str(path)]))


def handover_add(cs, validate, text, now=None, owner=None, actor=None, ticket=None):
    args = [*at(now), *(["--as", actor] if actor else []), "handover", "add", text, "--json"]
    if owner:
        args += ["--agent", owner]
    if ticket is not None:
        args += ["--ticket", str(ticket)]
    return validate(ok(cs(args)).json(), "handover")


def handovers(cs, validate, *args, now=None):
    return json_list(cs, validate, ["handover", "list", *args], "handover", now=now)


def duty_list(cs, validate, day=None, now=None):
    return json_list(cs, validate, ["duty", "list", *(["--date", day] if day else [])], "duty", now=now)


def duty_done(cs, validate, code, agent=None, day=None, now=None, note=None, actor=None):
    args = [*at(now), *(["--as", actor] if actor else []), "duty", "done", code, "--json"]
    if agent:
        args += ["--agent", agent]
    if day:
        args += ["--date", day]
    if note:
        args += ["--note", note]
    return validate(ok(cs(args)).json(), "duty")


def windows(rows):
    return [(row["date"], row["shift"], row["start"], row["end"]) for row in rows]


# =========================================================================== shifts


def test_default_shifts_day_and_late(cs, validate):
    rows = roster_show(cs, validate, "--date", DAY)
    assert [(r["shift"], r["label"], r["start"], r["end"], r["agents"]) for r in rows] == [
        ("day", "白班", f"{DAY}T09:00:00+08:00", f"{DAY}T18:00:00+08:00", []),
        ("late", "晚班", f"{DAY}T14:00:00+08:00", f"{DAY}T23:00:00+08:00", []),
    ]
    assert json.loads(ok(cs("config get shift --json")).stdout) == [
        {"code": "day", "label": "白班", "start": "09:00", "end": "18:00"},
        {"code": "late", "label": "晚班", "start": "14:00", "end": "23:00"},
    ]


def test_shift_now_lists_the_running_shifts_with_their_agents(cs, validate):
    register(cs, "alice", "bob", "carol")
    roster_set(cs, validate, DAY, "day", "alice", "bob")
    roster_set(cs, validate, DAY, "late", "carol")
    both = shifts_now(cs, validate, f"{DAY}T15:00")
    assert [(r["shift"], r["agents"]) for r in both] == [("day", ["alice", "bob"]), ("late", ["carol"])]
    assert [r["shift"] for r in shifts_now(cs, validate, f"{DAY}T10:00")] == ["day"]
    assert [r["shift"] for r in shifts_now(cs, validate, f"{DAY}T09:00")] == ["day"]  # start included
    assert [r["shift"] for r in shifts_now(cs, validate, f"{DAY}T18:00")] == ["late"]  # end excluded
    assert shifts_now(cs, validate, f"{DAY}T23:30") == []
    assert shifts_now(cs, validate, f"{DAY}T08:00") == []
    ok(cs(["--now", f"{DAY}T15:00", "shift", "now"]))  # the table form


def test_a_night_shift_crossing_midnight_runs_at_2am_for_the_previous_date(cs, validate, tmp_path):
    register(cs, "alice", "bob")
    load_config(cs, tmp_path, NIGHT_TOML)
    roster_set(cs, validate, DAY, "night", "alice")
    roster_set(cs, validate, "2026-11-21", "night", "bob")
    rows = shifts_now(cs, validate, "2026-11-21T02:00")
    assert [(r["date"], r["shift"], r["label"], r["start"], r["end"], r["agents"]) for r in rows] == [
        (DAY, "night", "夜班", f"{DAY}T22:00:00+08:00", "2026-11-21T06:00:00+08:00", ["alice"])]
    # At 22:30 the late shift and the new night shift overlap.
    assert [(r["date"], r["shift"]) for r in shifts_now(cs, validate, f"{DAY}T22:30")] == [
        (DAY, "late"), (DAY, "night")]
    assert shifts_now(cs, validate, "2026-11-21T06:00") == []
    # The roster lists the night shift under the day it starts.
    (night,) = [r for r in roster_show(cs, validate, "--date", DAY) if r["shift"] == "night"]
    assert (night["end"], night["agents"]) == ("2026-11-21T06:00:00+08:00", ["alice"])


def test_roster_set_replaces_and_clears(cs, validate):
    register(cs, "alice", "bob", "carol")
    first = roster_set(cs, validate, DAY, "day", "bob", "alice")
    assert (first["date"], first["shift"], first["agents"]) == (DAY, "day", ["alice", "bob"])
    again = roster_set(cs, validate, DAY, "day", "carol")
    assert again["agents"] == ["carol"]
    by_label = roster_set(cs, validate, DAY, "晚班", "alice")  # the Chinese label names the shift too
    assert by_label["shift"] == "late"
    rows = roster_show(cs, validate, "--date", DAY)
    assert [(r["shift"], r["agents"]) for r in rows] == [("day", ["carol"]), ("late", ["alice"])]
    assert roster_show(cs, validate) == rows  # default: today
    cleared = roster_set(cs, validate, DAY, "day")
    assert cleared["agents"] == []
    assert [r["agents"] for r in roster_show(cs, validate, "--date", DAY)] == [[], ["alice"]]
    # Another day is untouched by all of this.
    assert [r["agents"] for r in roster_show(cs, validate, "--date", "2026-11-21")] == [[], []]
    ok(cs(["roster", "show", "--date", DAY]))  # table form


def test_roster_show_week_lists_seven_days_of_shifts(cs, validate):
    register(cs, "alice")
    roster_set(cs, validate, "2026-11-18", "late", "alice")
    rows = roster_show(cs, validate, "--week", DAY)
    assert len(rows) == 14
    days = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]
    assert [(r["date"], r["shift"]) for r in rows] == [(d, s) for d in days for s in ("day", "late")]
    assert [(r["date"], r["shift"]) for r in rows if r["agents"]] == [("2026-11-18", "late")]
    # Any day of the week gives the same week (Monday to Sunday).
    assert roster_show(cs, validate, "--week", "2026-11-22") == rows
    assert roster_show(cs, validate, "--week", "2026-11-16") == rows


def test_roster_refusals(cs, validate):
    register(cs, "alice", "gone")
    ok(cs("agent deactivate gone"))
    refused(cs(["roster", "set", DAY, "day", "nobody"]))
    refused(cs(["roster", "set", DAY, "night", "alice"]))  # no such shift by default
    refused(cs(["roster", "set", DAY, "day", "gone"]))
    refused(cs(["roster", "set", DAY, "day", "alice", "alice"]))
    refused(cs(["roster", "set", DAY, "day", "alice", "nobody"]))  # all or nothing
    assert [r["agents"] for r in roster_show(cs, validate, "--date", DAY)] == [[], []]
    refused(cs(["roster", "set", "not-a-date", "day", "alice"]), code=2)


# =========================================================================== handover


def test_handover_attaches_to_the_owners_rostered_shift_running_now(cs, validate):
    register(cs, "alice", "bob", "carol")
    roster_set(cs, validate, DAY, "day", "bob")
    roster_set(cs, validate, DAY, "late", "alice")
    at_15 = f"{DAY}T15:00"
    assert handover_add(cs, validate, "late's item", now=at_15, owner="alice")["shift"] == "late"
    # Both shifts run; bob's own shift wins although the late one started later.
    bob = handover_add(cs, validate, "day's item", now=at_15, owner="bob")
    assert (bob["date"], bob["shift"], bob["agent"]) == (DAY, "day", "bob")
    # The owner defaults to the actor when the actor is an agent.
    mine = handover_add(cs, validate, "as bob", now=at_15, actor="bob")
    assert (mine["shift"], mine["agent"]) == ("day", "bob")
    # Not rostered: the running shift that started last.
    carol = handover_add(cs, validate, "carol's item", now=at_15, owner="carol")
    assert (carol["date"], carol["shift"]) == (DAY, "late")
    # bob's day shift is over at 19:00: the running shift that started last.
    assert handover_add(cs, validate, "after hours", now=f"{DAY}T19:00", owner="bob")["shift"] == "late"
    # Nobody rostered, one shift running.
    assert handover_add(cs, validate, "morning", now=f"{DAY}T10:00")["shift"] == "day"


def test_handover_with_no_shift_running_goes_to_the_shift_that_ended_last(cs, validate):
    register(cs, "alice")
    late = handover_add(cs, validate, "打印机卡纸", now=f"{DAY}T23:30", owner="alice")
    assert (late["date"], late["shift"], late["agent"], late["created_at"]) == (
        DAY, "late", "alice", f"{DAY}T23:30:00+08:00")
    early = handover_add(cs, validate, "早到", now="2026-11-21T08:00")
    assert (early["date"], early["shift"], early["agent"]) == (DAY, "late", None)  # the actor is no agent
    assert handover_add(cs, validate, "午夜", now="2026-11-21T00:10")["date"] == DAY


def test_handover_on_a_night_shift(cs, validate, tmp_path):
    register(cs, "alice")
    load_config(cs, tmp_path, NIGHT_TOML)
    roster_set(cs, validate, DAY, "night", "alice")
    item = handover_add(cs, validate, "夜里的事", now="2026-11-21T02:00", owner="alice")
    assert (item["date"], item["shift"]) == (DAY, "night")


def test_handover_ack_and_done_transitions(cs, validate):
    register(cs, "alice", "bob")
    ticket = add_ticket(cs, "客户要求回电")
    item = handover_add(cs, validate, "回电客户", now=f"{DAY}T09:35", owner="alice", ticket=ticket["id"])
    assert (item["status"], item["ticket_id"], item["acked_by"], item["acked_at"], item["done_at"]) == (
        "open", ticket["id"], None, None, None)
    acked = validate(ok(cs(["--now", f"{DAY}T14:05", "--as", "bob", "handover", "ack", str(item["id"]),
                            "--json"])).json(), "handover")
    assert (acked["status"], acked["acked_by"], acked["acked_at"], acked["done_at"]) == (
        "acked", "bob", f"{DAY}T14:05:00+08:00", None)
    refused(cs(["handover", "ack", str(item["id"])]))  # read already
    done = validate(ok(cs(["--now", f"{DAY}T15:00", "handover", "done", str(item["id"]), "--note", "已回电",
                           "--json"])).json(), "handover")
    assert (done["status"], done["acked_by"], done["done_at"]) == ("done", "bob", f"{DAY}T15:00:00+08:00")
    refused(cs(["handover", "done", str(item["id"])]))  # done twice
    refused(cs(["handover", "ack", str(item["id"])]))
    # Done straight from open: it was read as it was done.
    other = handover_add(cs, validate, "补货", now=f"{DAY}T09:40")
    direct = validate(ok(cs(["--now", f"{DAY}T16:00", "--as", "bob", "handover", "done", str(other["id"]),
                             "--json"])).json(), "handover")
    assert (direct["status"], direct["acked_by"], direct["acked_at"], direct["done_at"]) == (
        "done", "bob", f"{DAY}T16:00:00+08:00", f"{DAY}T16:00:00+08:00")
    # Without --json a write prints the id.
    third = ok(cs(["handover", "add", "第三件"])).stdout.strip()
    assert third == str(other["id"] + 1)
    assert ok(cs(["handover", "ack", third])).stdout.strip() == third


def test_handover_list_filters(cs, validate):
    register(cs, "alice")
    a = handover_add(cs, validate, "one", now="2026-11-19T10:00")
    b = handover_add(cs, validate, "two", now="2026-11-19T20:00")
    c = handover_add(cs, validate, "three", now=f"{DAY}T09:35")
    ok(cs(["handover", "ack", str(b["id"])]))
    ok(cs(["handover", "done", str(a["id"])]))
    assert [h["id"] for h in handovers(cs, validate)] == [a["id"], b["id"], c["id"]]
    assert [h["id"] for h in handovers(cs, validate, "--open")] == [b["id"], c["id"]]  # acked is still open
    assert [h["id"] for h in handovers(cs, validate, "--date", "2026-11-19")] == [a["id"], b["id"]]
    assert [h["id"] for h in handovers(cs, validate, "--shift", "late")] == [b["id"]]
    assert [h["id"] for h in handovers(cs, validate, "--date", "2026-11-19", "--shift", "day", "--open")] == []
    assert [h["id"] for h in handovers(cs, validate, "--limit", "1")] == [a["id"]]
    assert handovers(cs, validate, "--date", "2026-11-01") == []
    lines = ok(cs("handover list --format jsonl")).stdout.splitlines()
    each(validate, [json.loads(line) for line in lines], "handover")
    refused(cs("handover list --shift nosuch"))


def test_handover_refusals(cs, validate):
    register(cs, "alice")
    refused(cs(["handover", "add", "x", "--agent", "nobody"]))
    refused(cs(["handover", "add", "x", "--ticket", "42"]))
    refused(cs(["handover", "add", "   "]))
    refused(cs(["handover", "ack", "9"]))
    refused(cs(["handover", "done", "9"]))
    assert handovers(cs, validate) == []


# =========================================================================== duties


def test_duty_list_shows_each_rostered_agents_duties_done_or_missing(cs, validate, tmp_path):
    register(cs, "alice", "bob", "carol")
    roster_set(cs, validate, DAY, "day", "alice")
    roster_set(cs, validate, DAY, "late", "bob", "alice")  # alice twice: listed once
    assert duty_list(cs, validate, DAY) == []  # no duties defined by default
    load_config(cs, tmp_path, DUTIES_TOML)
    rows = duty_list(cs, validate, DAY)
    assert sorted((r["agent"], r["duty"], r["done"]) for r in rows) == [
        ("alice", "daily_report", False), ("alice", "open_shop", False),
        ("bob", "daily_report", False), ("bob", "open_shop", False)]
    done = duty_done(cs, validate, "open_shop", agent="alice", now=f"{DAY}T09:40", note="已检查")
    assert (done["date"], done["agent"], done["duty"], done["label"], done["done"], done["done_at"], done["note"]) == (
        DAY, "alice", "open_shop", "开门检查", True, f"{DAY}T09:40:00+08:00", "已检查")
    by_label = duty_done(cs, validate, "日报", actor="bob", now=f"{DAY}T17:00")  # default agent: the actor
    assert (by_label["agent"], by_label["duty"]) == ("bob", "daily_report")
    rows = duty_list(cs, validate, now=f"{DAY}T17:05")  # default: today
    assert sorted((r["agent"], r["duty"], r["done"], r["done_at"]) for r in rows) == [
        ("alice", "daily_report", False, None), ("alice", "open_shop", True, f"{DAY}T09:40:00+08:00"),
        ("bob", "daily_report", True, f"{DAY}T17:00:00+08:00"), ("bob", "open_shop", False, None)]
    assert "carol" not in {r["agent"] for r in rows}
    ok(cs(["duty", "list", "--date", DAY]))  # table form


def test_workday_duties_do_not_apply_on_days_off(cs, validate, tmp_path):
    register(cs, "alice")
    load_config(cs, tmp_path, DUTIES_TOML)
    for day in ("2026-11-21", "2026-10-01", "2026-10-10"):  # Saturday; National Day; a make-up Saturday
        roster_set(cs, validate, day, "day", "alice")
    assert [r["duty"] for r in duty_list(cs, validate, "2026-11-21")] == ["open_shop"]
    assert [r["duty"] for r in duty_list(cs, validate, "2026-10-01")] == ["open_shop"]
    assert sorted(r["duty"] for r in duty_list(cs, validate, "2026-10-10")) == ["daily_report", "open_shop"]
    # The missed-duty rule agrees: only the every-day duty on Saturday.
    summary = ok(cs(["--now", "2026-11-22T00:30", "deductions", "run", "--date", "2026-11-21", "--json"])).json()
    validate(summary, "deductions-run")
    assert [(c["agent"], c["rule"], c["ref_id"]) for c in summary["changes"] if c["rule"] == "duty_missed"] == [
        ("alice", "duty_missed", "2026-11-21/open_shop/alice")]


def test_duty_refusals(cs, validate, tmp_path):
    register(cs, "alice", "gone")
    ok(cs("agent deactivate gone"))
    refused(cs(["duty", "done", "open_shop", "--agent", "alice"]))  # none configured
    load_config(cs, tmp_path, DUTIES_TOML)
    duty_done(cs, validate, "open_shop", agent="alice")
    refused(cs(["duty", "done", "open_shop", "--agent", "alice"]))  # done twice
    refused(cs(["duty", "done", "开门检查", "--agent", "alice", "--date", DAY]))  # same duty by its label
    refused(cs(["duty", "done", "daily_report", "--agent", "alice", "--date", "2026-11-21"]))  # the future
    refused(cs(["duty", "done", "daily_report", "--agent", "alice", "--date", "tomorrow"]))
    refused(cs(["duty", "done", "nosuch", "--agent", "alice"]))
    refused(cs(["duty", "done", "daily_report", "--agent", "nobody"]))
    refused(cs(["duty", "done", "daily_report", "--agent", "gone"]))
    refused(cs(["duty", "done", "daily_report"]))  # the actor (tester) is not an agent
    # A past day is fine.
    assert duty_done(cs, validate, "daily_report", agent="alice", day="2026-11-19")["date"] == "2026-11-19"


def test_handover_owner_must_be_active(cs, validate):
    register(cs, "gone")
    ok(cs("agent deactivate gone"))
    refused(cs(["handover", "add", "x", "--agent", "gone"]))


# =========================================================================== SPEC §2 for these commands


@pytest.mark.parametrize("command, sort", [(["handover", "list"], "created_at"), (["duty", "list"], "agent")])
def test_every_list_takes_limit_and_sort(cs, validate, tmp_path, command, sort):
    """SPEC §2: every `list` takes --limit N and --sort."""
    register(cs, "alice", "bob")
    load_config(cs, tmp_path, DUTIES_TOML)
    roster_set(cs, validate, DAY, "day", "alice", "bob")
    handover_add(cs, validate, "one", now=f"{DAY}T09:00", owner="alice")
    handover_add(cs, validate, "two", now=f"{DAY}T09:10", owner="bob")
    rows = ok(cs([*command, "--limit", "1", "--sort", f"-{sort}", "--json"])).json()
    assert len(rows) == 1 and rows[0]["agent"] == "bob"
