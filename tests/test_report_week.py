"""`cs report week` (issue 18, SPEC section 15): the 组长's weekly check per agent (seed 001: 回复率 / 平均响应时间 /
首次响应时间, 每周), every figure computed here by hand, the JSON validated against the report schema."""

from __future__ import annotations

import pytest
from helpers_tickets import ok, refused

NOW = "2026-11-24T09:00"  # the Tuesday after the week of Monday 16 November


def at(now: str) -> list[str]:
    return ["--now", now]


@pytest.fixture
def week(cs):
    ok(cs(["agent", "add", "sup", "--name", "主管", "--role", "supervisor"]))
    for handle, name, team in (("li", "李娜", "A"), ("zhang", "张伟", "B")):
        ok(cs(["--as", "sup", "agent", "add", handle, "--name", name, "--team", team]))

    def ticket(opened, agent, responded=None, resolved=None, fcr=False):
        doc = ok(cs([*at(opened), "--as", "sup", "ticket", "add", "--channel", "phone", "--category", "inquiry",
                     "--summary", "来电咨询", "--agent", agent, "--opened-at", opened, "--json"])).json()
        if responded:
            ok(cs([*at(responded), "--as", "sup", "ticket", "respond", str(doc["id"])]))
        if resolved:
            ok(cs([*at(resolved), "--as", "sup", "ticket", "resolve", str(doc["id"]), "--resolution", "已解答",
                   *(["--fcr"] if fcr else [])]))

    ticket("2026-11-15T10:00", "li", "2026-11-15T10:01")  # Sunday before: not the week's
    ticket("2026-11-16T10:00", "li", "2026-11-16T10:10", "2026-11-16T11:00", fcr=True)  # 600 s
    ticket("2026-11-17T10:00", "li", "2026-11-17T10:30", "2026-11-17T12:00")  # 1800 s
    ticket("2026-11-18T10:00", "li")  # never answered
    ticket("2026-11-19T10:00", "zhang", "2026-11-19T10:05")  # 300 s
    for due, outcome in (("2026-11-19T16:00", "satisfied"), ("2026-11-20T16:00", "dissatisfied")):
        cb = ok(cs([*at("2026-11-18T09:00"), "--as", "sup", "callback", "add", "--phone", "13800001111", "--due", due,
                    "--agent", "li", "--json"])).json()
        ok(cs([*at(due[:11] + "11:00"), "--as", "sup", "callback", "done", str(cb["id"]), "--outcome", outcome]))
    ok(cs([*at("2026-11-18T15:00"), "--as", "sup", "violation", "add", "li", "report_error", "--at",
           "2026-11-18T14:00"]))
    ok(cs([*at(NOW), "--as", "sup", "jobs", "run", "daily-deductions"]))
    return cs


def test_the_week_report_per_agent_as_computed_by_hand(week, validate):
    """li: received 3 (Mon, Tue, Wed), answered 2 → reply 2/3; waits 600 and 1800 s → mean and median 1200 s;
    resolved 2, one at first contact → FCR 1/2; callbacks due in the week done 2, satisfied 1 → 1/2; report_error
    3 points (and Wednesday's first_response_late for the unanswered ticket: 1). zhang: 1 received, answered in
    300 s; nothing resolved. The supervisor is not in it; Sunday the 15th is not the week's."""
    doc = validate(ok(week([*at(NOW), "report", "week", "--week", "2026-11-18", "--json"])).json(), "report")
    assert (doc["kind"], doc["start"], doc["end"], doc["team"], doc["complete"]) == (
        "week", "2026-11-16T00:00:00+08:00", "2026-11-23T00:00:00+08:00", None, True)
    li, zhang = doc["agents"]
    assert li.pop("calls")["offered"] == zhang.pop("calls")["offered"] == 0  # no call records: tests/test_calls.py
    assert li == {"agent": "li", "name": "李娜", "team": "A", "received": 3, "answered": 2, "reply_rate": 0.6667,
                  "reply_rate_parts": {"numerator": 2, "denominator": 3}, "first_response_mean_s": 1200.0,
                  "first_response_median_s": 1200.0, "resolved": 2, "fcr_rate": 0.5,
                  "fcr_rate_parts": {"numerator": 1, "denominator": 2}, "satisfaction_rate": 0.5,
                  "satisfaction_rate_parts": {"numerator": 1, "denominator": 2}, "points": 4}
    assert (zhang["received"], zhang["answered"], zhang["first_response_mean_s"], zhang["resolved"],
            zhang["fcr_rate"]) == (1, 1, 300.0, 0, None)


def test_the_week_report_for_one_team_and_in_every_format(week, tmp_path):
    doc = ok(week([*at(NOW), "report", "week", "--week", "2026-11-18", "--team", "A", "--json"])).json()
    assert [a["agent"] for a in doc["agents"]] == ["li"]
    text = ok(week([*at(NOW), "--lang", "zh", "report", "week", "--week", "2026-11-18", "--team", "A"])).stdout
    assert "2026-11-16 周报 A" in text and "回复率 66.7%" in text and "平均响应时间 20.0 分钟" in text
    md = ok(week([*at(NOW), "report", "week", "--week", "2026-11-18", "--format", "md"])).stdout
    assert "| li | 李娜 | A | 3 | 2 | 66.7% | 20.0 min | 20.0 min | 50.0% | 50.0% | 4 |" in md
    html = ok(week([*at(NOW), "report", "week", "--week", "2026-11-18", "--format", "html"])).stdout
    assert "<td>李娜</td>" in html
    out = ok(week([*at(NOW), "report", "week", "--week", "2026-11-18", "--format", "xlsx", "-o", str(tmp_path)]))
    assert out.stdout.strip().endswith("2026-11-16_周报.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(out.stdout.strip()).active
    header = [cell.value for cell in sheet[1]]
    li = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "li")
    rate = li[header.index("Reply rate")]
    assert rate.value == 0.6667 and rate.number_format == "0.0%"  # a number Excel sums, shown as 66.7%
    assert li[header.index("Received")].number_format == "General"
    refused(week([*at(NOW), "report", "week", "--team", "nosuch"]))


def test_an_agent_deactivated_since_keeps_their_week(week):
    ok(week(["--as", "sup", "agent", "deactivate", "zhang"]))
    doc = ok(week([*at(NOW), "report", "week", "--week", "2026-11-18", "--json"])).json()
    assert [a["agent"] for a in doc["agents"]] == ["li", "zhang"]
