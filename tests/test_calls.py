"""Call records, 接通率 and Erlang C (SPEC section 19). Seed 004: "在電話鈴響3次前接聽" — answered within
[calls] answer_within (15s by default, about three rings)."""

from __future__ import annotations

import math

import pytest
from helpers_tickets import ok, refused
from hypothesis import given, settings
from hypothesis import strategies as st

from cs.calls import erlang

# Asterisk's cdr_csv writes Master.csv with no header, in this order (cdr_csv.c; "Logged Values" in the docs):
# accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration,
# billsec, disposition, amaflags, uniqueid, userfield.
MASTER_CSV = (
    '"","13800138000","600","from-pstn","""王先生"" <13800138000>","SIP/trunk-01","SIP/8001-02","Dial","SIP/8001,30",'
    '"2026-11-19 09:00:00","2026-11-19 09:00:10","2026-11-19 09:03:10",190,180,"ANSWERED","DOCUMENTATION",'
    '"1763514000.1",""\n'
    '"","13900139000","600","from-pstn","","SIP/trunk-03","SIP/8002-04","Dial","SIP/8002,30",'
    '"2026-11-19 09:05:00","2026-11-19 09:05:20","2026-11-19 09:07:20",140,120,"ANSWERED","DOCUMENTATION",'
    '"1763514300.3",""\n'
    '"","13700137000","600","from-pstn","","SIP/trunk-05","","Queue","support",'
    '"2026-11-19 09:10:00","","2026-11-19 09:10:40",40,0,"NO ANSWER","DOCUMENTATION","1763514600.5",""\n'
    '"","13600136000","600","from-pstn","","SIP/trunk-06","SIP/8001-07","Dial","SIP/8001,30",'
    '"2026-11-19 10:00:00","2026-11-19 10:00:05","2026-11-19 10:01:05",65,60,"ANSWERED","DOCUMENTATION",'
    '"1763517600.6",""\n'
)
# FreeSWITCH's cdr_csv default template: caller_id_name, caller_id_number, destination_number, context,
# start_stamp, answer_stamp, end_stamp, duration, billsec, hangup_cause, uuid, bleg_uuid, accountcode, read_codec,
# write_codec.
FREESWITCH_CSV = (
    '"王先生","13800138000","8002","default","2026-11-19 11:00:00","2026-11-19 11:00:30","2026-11-19 11:05:30",'
    '"330","300","NORMAL_CLEARING","a1b2c3d4-0000-0000-0000-000000000001","","","PCMA","PCMA"\n'
    '"","13500135000","8002","default","2026-11-19 11:10:00","","2026-11-19 11:10:20","20","0",'
    '"ORIGINATOR_CANCEL","a1b2c3d4-0000-0000-0000-000000000002","","","PCMA","PCMA"\n'
)


@pytest.fixture
def desk(cs):
    ok(cs(["agent", "add", "zhou", "--name", "周敏", "--role", "supervisor"]))
    ok(cs(["--as", "zhou", "agent", "add", "li", "--name", "李娜", "--extension", "8001"]))
    ok(cs(["--as", "zhou", "agent", "add", "wang", "--name", "王芳"]))
    ok(cs(["--as", "zhou", "agent", "update", "wang", "--extension", "8002"]))
    return cs


def imported(cs, validate, path, *extra) -> dict:
    return validate(ok(cs(["--as", "zhou", "calls", "import", str(path), "--json", *extra])).json(), "calls-import")


def stats(cs, validate, *args) -> dict:
    return validate(ok(cs(["calls", "stats", *args, "--json"])).json(), "call-stats")


def test_an_asterisk_master_csv_imports_once_and_counts_by_hand(desk, validate, tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text(MASTER_CSV, encoding="utf-8")
    first = imported(desk, validate, path)
    assert (first["format"], first["imported"], first["skipped"], first["unknown_extensions"]) == ("asterisk", 4, 0,
                                                                                                   [])
    again = imported(desk, validate, path)
    assert (again["imported"], again["skipped"]) == (0, 4)  # by uniqueid: importing again adds nothing
    day = stats(desk, validate, "--date", "2026-11-19")
    # 4 offered, 3 answered (the queue call rang out): 接通率 75%; answered within 15s: 10s and 5s, not 20s;
    # ASA (10 + 20 + 5) / 3 = 11.7 s; AHT (180 + 120 + 60) / 3 = 120 s.
    assert (day["offered"], day["answered"], day["abandoned"], day["answered_within"]) == (4, 3, 1, 2)
    assert day["answer_rate"] == 0.75 and day["answer_rate_parts"] == {"numerator": 3, "denominator": 4}
    assert day["answered_within_rate"] == 0.5 and (day["asa_s"], day["aht_s"]) == (11.7, 120.0)
    li = stats(desk, validate, "--date", "2026-11-19", "--agent", "李娜")
    assert (li["offered"], li["answered"], li["asa_s"], li["aht_s"]) == (2, 2, 7.5, 120.0)
    month = stats(desk, validate, "--month", "2026-11")
    assert month["offered"] == 4 and month["month"] == "2026-11"


def test_freeswitch_and_a_sheet_with_chinese_headers(desk, validate, tmp_path):
    fs = tmp_path / "Master-fs.csv"
    fs.write_text(FREESWITCH_CSV, encoding="utf-8")
    assert imported(desk, validate, fs)["format"] == "freeswitch"
    wang = stats(desk, validate, "--date", "2026-11-19", "--agent", "wang")
    assert (wang["offered"], wang["answered"], wang["asa_s"], wang["aht_s"]) == (2, 1, 30.0, 300.0)
    sheet = tmp_path / "话单.csv"
    sheet.write_text("编号,主叫,开始时间,应答时间,结束时间,坐席/分机,结果\n"
                     "A1,13800000001,2026/11/19 14:00:00,2026/11/19 14:00:12,2026/11/19 14:02:12,8001,接通\n"
                     "A2,13800000002,2026/11/19 14:05:00,,2026/11/19 14:05:30,,未接\n", encoding="utf-8")
    result = imported(desk, validate, sheet)
    assert (result["format"], result["imported"]) == ("sheet", 2)
    afternoon = stats(desk, validate, "--date", "2026-11-19")
    assert (afternoon["offered"], afternoon["answered"]) == (4, 2)


def test_a_bad_record_imports_nothing(desk, validate, tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text(MASTER_CSV.replace('"2026-11-19 10:01:05"', '"2026-11-19 09:59:05"'), encoding="utf-8")
    result = desk(["--as", "zhou", "calls", "import", str(path)])
    assert result.exit_code == 1 and result.stderr.splitlines() == [
        "Error: line 4: the call ends before it starts",
        "Error: 1 bad record(s); nothing was imported. Fix them and run the import again"]
    assert stats(desk, validate, "--date", "2026-11-19")["offered"] == 0
    assert refused(desk(["--as", "li", "calls", "import", str(path)]))  # a leader's or supervisor's task


# --- Erlang C ---------------------------------------------------------------------------------------------------


def test_erlang_c_matches_the_published_worked_example():
    """1,000 calls an hour, 120 s handling time, 80% within 20 s, 85% maximum occupancy: 40 agents before
    shrinkage (traffic 33.3 Erlangs; the occupancy cap, 33.3 ÷ 0.85 = 39.2, binds); with 30% shrinkage, 58."""
    load = erlang.traffic(1000, 120)
    assert load == pytest.approx(33.333, abs=1e-3)
    assert erlang.agents_needed(load, 120, 20, 0.8, 0.85) == 40
    assert erlang.agents_needed(load, 120, 20, 0.8) == 38  # the service level alone
    assert erlang.service_level(38, load, 120, 20) == pytest.approx(0.8468, abs=1e-4)
    assert erlang.required(load, 120, 20, 0.8, 0.85, 0.3) == 58


def _independent_service_level(agents: int, load: float, aht: float, within: float) -> float:
    """Erlang C from its textbook formula with logarithms (no recursion shared with the product's code)."""
    if agents <= load:
        return 0.0
    log_top = agents * math.log(load) - math.lgamma(agents + 1) + math.log(agents / (agents - load))
    terms = [k * math.log(load) - math.lgamma(k + 1) for k in range(agents)] + [log_top]
    peak = max(terms)
    wait = math.exp(log_top - peak) / sum(math.exp(t - peak) for t in terms)
    return 1 - wait * math.exp(-(agents - load) * within / aht)


@settings(max_examples=200, deadline=None)
@given(calls=st.integers(min_value=1, max_value=3000), aht=st.integers(min_value=30, max_value=900),
       within=st.sampled_from([10, 15, 20, 30, 60]), target=st.sampled_from([0.7, 0.8, 0.9, 0.95]))
def test_erlang_c_agrees_with_an_independent_implementation(calls, aht, within, target):
    load = erlang.traffic(calls, aht)
    needed = erlang.agents_needed(load, aht, within, target)
    assert _independent_service_level(needed, load, aht, within) >= target - 1e-9
    if needed - 1 > load:
        assert _independent_service_level(needed - 1, load, aht, within) < target + 1e-9
    assert erlang.service_level(needed, load, aht, within) == pytest.approx(
        _independent_service_level(needed, load, aht, within), abs=1e-9)


# --- cs staffing ------------------------------------------------------------------------------------------------


def test_staffing_forecasts_each_hour_from_the_same_weekday_and_compares_the_roster(desk, validate, tmp_path):
    """Thursday 2026-11-26 from the four Thursdays before: 100 calls between 10:00 and 11:00 on two of them (each
    answered after 10 s, talked 110 s: AHT 110 s), none on the others: 50 calls expected at 10:00. Traffic
    50 × 110 / 3600 = 1.53 Erlangs; the fewest agents answering 80 % within 15 s, no busier than 85 %, then ÷ 0.7."""
    rows = ["编号,开始时间,应答时间,结束时间,坐席/分机"]
    for day in ("2026-11-19", "2026-11-12"):
        for n in range(100):
            minute, second = divmod(n * 30, 60)
            rows.append(f"{day}-{n},{day} 10:{minute:02d}:{second:02d},{day} 10:{minute:02d}:{second + 10:02d},"
                        f"{day} 10:{minute + 2:02d}:{second:02d},8001")
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert imported(desk, validate, path)["imported"] == 200
    ok(desk(["--as", "zhou", "roster", "set", "2026-11-26", "day", "li"]))
    plan = ok(desk(["--now", "2026-11-25T18:00", "staffing", "--date", "2026-11-26", "--json"])).json()
    validate(plan, "staffing")
    assert plan["sample_days"] == ["2026-11-19", "2026-11-12", "2026-11-05", "2026-10-29"]
    ten = plan["hours"][10]
    assert (ten["hour"], ten["calls"], ten["aht_s"], ten["rostered"]) == ("10:00", 50.0, 110.0, 1)
    load = 50 * 110 / 3600
    on_phones = next(n for n in range(1, 50) if n > load and _independent_service_level(n, load, 110, 15) >= 0.8)
    on_phones = max(on_phones, math.ceil(load / 0.85))
    assert on_phones == 4 and ten["required"] == math.ceil(on_phones / 0.7) == 6
    assert plan["hours"][3] == {"hour": "03:00", "calls": 0.0, "aht_s": 110.0, "required": 0, "rostered": 0}
    table = ok(desk(["--lang", "zh", "--now", "2026-11-25T18:00", "staffing", "--date", "2026-11-26"])).stdout
    assert "10:00" in table and "⚠" in table  # 1 rostered, 6 required
    html = ok(desk(["--now", "2026-11-25T18:00", "staffing", "--date", "2026-11-26", "--format", "html"])).stdout
    assert "<svg" in html and "#c53030" in html


def test_the_reports_carry_the_hotline(desk, validate, tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text(MASTER_CSV, encoding="utf-8")
    imported(desk, validate, path)
    day = validate(ok(desk(["report", "day", "--date", "2026-11-19", "--json"])).json(), "report")
    assert day["calls"] == {key: value for key, value in stats(desk, validate, "--date", "2026-11-19").items()
                            if key in day["calls"]}
    assert (day["calls"]["offered"], day["calls"]["answered_within"]) == (4, 2)
    li = validate(ok(desk(["report", "shift", "--date", "2026-11-19", "--shift", "day", "--agent", "li",
                           "--json"])).json(), "report")
    assert li["calls"]["offered"] == 2
    month = validate(ok(desk(["report", "month", "--month", "2026-11", "--json"])).json(), "report")
    assert month["calls"]["answer_rate"] == 0.75
    text = ok(desk(["--lang", "zh", "report", "day", "--date", "2026-11-19"])).stdout
    assert "呼入 4 | 接通 3 | 接通率 75.0% | 放弃 1 | 三声内接听 2 (50.0%) | 平均应答速度 11.7s | 平均处理时长 120.0s" in text
