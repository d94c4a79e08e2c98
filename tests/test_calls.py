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
    assert "呼入 4 | 接通 3 | 接通率 75.0% | 放弃 1 | 15秒内接听 2 (50.0%) | 平均应答速度 11.7s | 平均处理时长 120.0s" in text


EVENING_SHEET = ("编号,主叫,开始时间,应答时间,结束时间,坐席/分机,结果\n"
                 "A1,13800000001,2026-11-19 14:00:00,2026-11-19 14:00:13,2026-11-19 14:02:13,8001,接通\n"
                 "A2,13800000002,2026-11-19 14:05:00,,2026-11-19 14:05:30,,未接\n"
                 "A3,13800000003,2026-11-19 22:00:00,2026-11-19 22:00:20,2026-11-19 22:05:20,8002,接通\n"
                 "A4,13800000004,2026-11-19 23:30:00,,2026-11-19 23:31:00,,未接\n")


def test_figures_per_shift_and_per_agent_add_up_by_hand(desk, validate, tmp_path):
    """The default shifts: 白班 09:00–18:00 and 晚班 14:00–23:00 overlap from 14:00. The Master.csv's four morning
    calls and A1/A2 at 14:00 fall in 白班; A1, A2 and A3 (22:00) in 晚班; A4 (23:30) in neither."""
    (tmp_path / "Master.csv").write_text(MASTER_CSV, encoding="utf-8")
    (tmp_path / "evening.csv").write_text(EVENING_SHEET, encoding="utf-8")
    imported(desk, validate, tmp_path / "Master.csv")
    imported(desk, validate, tmp_path / "evening.csv")
    day = stats(desk, validate, "--date", "2026-11-19")
    # Waits 10, 20, 5, 13, 20 s (three within 15 s); talks 180, 120, 60, 120, 300 s.
    assert (day["offered"], day["answered"], day["answered_within"], day["asa_s"], day["aht_s"]) == (8, 5, 3, 13.6,
                                                                                                    156.0)

    def brief(row):
        return (row["offered"], row["answered"], row["answered_within"], row["asa_s"], row["aht_s"])

    by_shift = {row["shift"]: row for row in day["by_shift"]}
    assert brief(by_shift["day"]) == (6, 4, 3, 12.0, 120.0)  # waits 10, 20, 5, 13; talks 180, 120, 60, 120
    assert brief(by_shift["late"]) == (3, 2, 1, 16.5, 210.0)  # A1, A2, A3: waits 13, 20; talks 120, 300
    assert brief(by_shift[None]) == (1, 0, 0, None, None) and by_shift[None]["answer_rate"] == 0.0
    assert by_shift["day"]["label"] == "白班" and [row["shift"] for row in day["by_shift"]] == ["day", "late", None]
    by_agent = {row["agent"]: row for row in day["by_agent"]}
    assert brief(by_agent["li"]) == (3, 3, 3, 9.3, 120.0) and by_agent["li"]["name"] == "李娜"
    assert brief(by_agent["wang"]) == (2, 2, 0, 20.0, 210.0)
    assert brief(by_agent[None]) == (3, 0, 0, None, None)  # the queue's call and the sheet's two with no extension
    assert sum(row["offered"] for row in day["by_agent"]) == day["offered"]
    li = stats(desk, validate, "--date", "2026-11-19", "--agent", "li")
    assert [row["agent"] for row in li["by_agent"]] == ["li"] and brief(li) == brief(by_agent["li"])
    assert {row["shift"]: row["offered"] for row in li["by_shift"]} == {"day": 3, "late": 1}

    week = validate(ok(desk(["report", "week", "--week", "2026-11-19", "--json"])).json(), "report")
    assert {a["agent"]: brief(a["calls"]) for a in week["agents"]} == {
        "li": (3, 3, 3, 9.3, 120.0), "wang": (2, 2, 0, 20.0, 210.0)}
    assert (week["calls"]["offered"], week["calls"]["by_shift"][0]["offered"]) == (8, 6)
    report = validate(ok(desk(["report", "day", "--date", "2026-11-19", "--json"])).json(), "report")
    assert report["calls"]["by_agent"] == day["by_agent"] and report["names"]["wang"] == "王芳"

    table = ok(desk(["--lang", "zh", "calls", "stats", "--date", "2026-11-19"])).stdout
    assert "接通率" in table and "62.5%" in table and "按班次" in table and "按坐席" in table
    assert "班次外" in table and "（无坐席）" in table and "李娜" in table
    text = ok(desk(["--lang", "zh", "report", "day", "--date", "2026-11-19"])).stdout
    assert "白班 呼入 6 | 接通 4 | 接通率 66.7%" in text and "李娜 呼入 3 | 接通 3 | 接通率 100.0%" in text
    book = tmp_path / "week.xlsx"
    ok(desk(["--lang", "zh", "report", "week", "--week", "2026-11-19", "--format", "xlsx", "-o", str(book)]))
    from openpyxl import load_workbook

    sheet = load_workbook(book)["热线·按坐席"]
    header = [cell.value for cell in sheet[1]]
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    assert header[:5] == ["坐席", "姓名", "呼入", "接通", "接通率"] and set(rows) == {"全部", "李娜", "王芳", "（无坐席）"}
    assert rows["李娜"][header.index("接通率")].value == 1 and rows["全部"][4].number_format == "0.0%"
    assert rows["全部"][header.index("平均处理时长(秒)")].value == 156.0
    week_text = ok(desk(["--lang", "zh", "report", "week", "--week", "2026-11-19"])).stdout
    assert "按坐席:\n  李娜 呼入 3 | 接通 3 | 接通率 100.0%" in week_text


def test_a_workbook_of_calls_and_asterisk_times_in_utc(desk, validate, tmp_path):
    """An .xlsx sheet with a title row above its headers, real date cells and numeric extensions; Asterisk's
    usegmtime=yes writes UTC: `--utc` reads 01:00 as 09:00 in Shanghai."""
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["11月19日话单"])
    sheet.append(["编号", "主叫", "开始时间", "应答时间", "结束时间", "分机", "结果"])
    sheet.append(["X1", "13800000001", datetime(2026, 11, 19, 9, 30), datetime(2026, 11, 19, 9, 30, 8),
                  datetime(2026, 11, 19, 9, 33, 8), 8001, "接通"])
    sheet.append(["X2", "13800000002", datetime(2026, 11, 19, 9, 40), None, datetime(2026, 11, 19, 9, 41), 8002.0,
                  "未接"])
    book.save(tmp_path / "话单.xlsx")
    result = imported(desk, validate, tmp_path / "话单.xlsx")
    assert (result["format"], result["imported"], result["unknown_extensions"]) == ("sheet", 2, [])
    day = stats(desk, validate, "--date", "2026-11-19")
    assert (day["offered"], day["answered"], day["asa_s"], day["aht_s"]) == (2, 1, 8.0, 180.0)
    assert [(row["agent"], row["offered"]) for row in day["by_agent"]] == [("li", 1), ("wang", 1)]
    assert imported(desk, validate, tmp_path / "话单.xlsx")["skipped"] == 2

    utc = MASTER_CSV.replace("2026-11-19 09:", "2026-11-19 01:").replace("2026-11-19 10:", "2026-11-19 02:")
    (tmp_path / "gmt.csv").write_text(utc, encoding="utf-8")
    assert imported(desk, validate, tmp_path / "gmt.csv", "--utc", "--dry-run")["imported"] == 4
    imported(desk, validate, tmp_path / "gmt.csv", "--utc")
    day = stats(desk, validate, "--date", "2026-11-19")
    assert day["offered"] == 6 and {row["shift"]: row["offered"] for row in day["by_shift"]} == {"day": 6, "late": 0}


def test_a_sheet_saved_by_excel_in_china_is_gb18030(desk, validate, tmp_path):
    """Excel in China saves CSV as GB18030: its Chinese header shows it at once. A sheet without 开始时间 and
    结束时间 is refused naming them."""
    path = tmp_path / "话单.csv"
    path.write_bytes("编号,主叫,开始时间,应答时间,结束时间,分机,结果\n"
                     "G1,13800000001,2026-11-19 09:00:00,2026-11-19 09:00:05,2026-11-19 09:02:05,8001,接通\n"
                     .encode("gb18030"))
    assert imported(desk, validate, path)["imported"] == 1
    assert stats(desk, validate, "--date", "2026-11-19")["by_agent"][0]["agent"] == "li"
    (tmp_path / "bad.csv").write_text("编号,主叫\nA,1\n", encoding="utf-8")
    result = desk(["--as", "zhou", "calls", "import", str(tmp_path / "bad.csv")])
    assert result.exit_code == 1 and result.stderr == (
        "Error: the sheet has no column for 开始时间, 应答时间, 结束时间; a sheet of calls needs 开始时间, 应答时间 (empty"
        " for a call not answered) and 结束时间\n")


# --- what a hostile review found (each a real export's shape) -------------------------------------------------


def _asterisk(uniqueid, dst_channel, start, answer, end, disposition, billsec=60, src="13800138000"):
    return (f'"","{src}","600","from-pstn","","SIP/trunk-01","{dst_channel}","Dial","","{start}","{answer}","{end}",'
            f'90,{billsec},"{disposition}","DOCUMENTATION","{uniqueid}",""\n')


def test_one_call_in_several_legs_is_one_call_and_a_queue_answering_is_not_a_person(desk, validate, tmp_path):
    """Asterisk writes a CDR a leg, all with the caller's uniqueid: rung at 8001 unanswered, then answered at 8002.
    A Queue() that answers (ANSWERED, no destination channel) and is hung up on is an abandoned call."""
    path = tmp_path / "Master.csv"
    path.write_text(
        _asterisk("d.1", "SIP/8001-01", "2026-11-19 09:00:00", "", "2026-11-19 09:00:20", "NO ANSWER", 0)
        + _asterisk("d.1", "SIP/8002-02", "2026-11-19 09:00:20", "2026-11-19 09:00:25", "2026-11-19 09:02:25",
                    "ANSWERED", 120)
        + _asterisk("q.2", "", "2026-11-19 10:00:00", "2026-11-19 10:00:00", "2026-11-19 10:02:00", "ANSWERED", 120),
        encoding="utf-8")
    first = imported(desk, validate, path)
    assert (first["imported"], first["updated"], first["skipped"]) == (2, 0, 0)
    day = stats(desk, validate, "--date", "2026-11-19")
    assert (day["offered"], day["answered"], day["abandoned"], day["asa_s"]) == (2, 1, 1, 25.0)
    assert [(row["agent"], row["offered"], row["answered"]) for row in day["by_agent"]] == [("wang", 1, 1),
                                                                                            (None, 1, 0)]
    again = imported(desk, validate, path)
    assert (again["imported"], again["updated"], again["skipped"]) == (0, 0, 2)


def test_freeswitch_a_legs_count_as_answered_only_when_bridged(desk, validate, tmp_path):
    """cdr_csv logs the caller's leg: the IVR answering a call to the hotline number (4008001234) is not a person;
    a leg bridged to an agent (bleg_uuid) is, its agent unknown from the a-leg; a call put straight through to 8001
    is li's."""
    path = tmp_path / "fs.csv"
    path.write_text(
        '"","13500000001","4008001234","default","2026-11-19 11:00:00","2026-11-19 11:00:01","2026-11-19 11:01:00",'
        '"60","59","NORMAL_CLEARING","u-1","","","PCMA","PCMA"\n'
        '"","13500000002","4008001234","default","2026-11-19 11:05:00","2026-11-19 11:05:01","2026-11-19 11:09:00",'
        '"240","239","NORMAL_CLEARING","u-2","b-2","","PCMA","PCMA"\n'
        '"","13500000003","8001","default","2026-11-19 11:10:00","2026-11-19 11:10:04","2026-11-19 11:12:04",'
        '"124","120","NORMAL_CLEARING","u-3","","","PCMA","PCMA"\n', encoding="utf-8")
    imported(desk, validate, path, "--format", "freeswitch")
    day = stats(desk, validate, "--date", "2026-11-19")
    assert (day["offered"], day["answered"]) == (3, 2)
    assert [(row["agent"], row["answered"]) for row in day["by_agent"]] == [("li", 1), (None, 1)]


def test_sheets_that_number_their_rows_each_day_and_say_what_happened_in_words(desk, validate, tmp_path):
    header = "编号,开始时间,应答时间,结束时间,分机,结果\n"
    for day in ("22", "23"):
        (tmp_path / f"{day}.csv").write_text(
            f"话单 11月{day}日\n" + header  # a title row above the header
            + f"1,2026-11-{day} 09:00:00,2026-11-{day} 09:00:05,2026-11-{day} 09:03:05,8001,已接听\n"
            + f"2,2026-11-{day} 09:10:00,,2026-11-{day} 09:10:30,,呼损\n", encoding="utf-8")
        assert imported(desk, validate, tmp_path / f"{day}.csv")["imported"] == 2  # 编号 1 again: another call
    assert [stats(desk, validate, "--date", f"2026-11-{day}")["answered"] for day in ("22", "23")] == [1, 1]
    (tmp_path / "odd.csv").write_text(header + "3,2026-11-24 09:00:00,2026-11-24 09:00:05,2026-11-24 09:01:00,8001,"
                                               "转接\n4,2026-11-24 09:05:00,,2026-11-24 09:06:00,8001,接通\n",
                                      encoding="utf-8")
    result = desk(["--as", "zhou", "calls", "import", str(tmp_path / "odd.csv")])
    assert result.exit_code == 1 and result.stderr.splitlines()[:2] == [
        "Error: line 2: 结果 '转接' is neither answered (接通, 已接听 …) nor not answered (未接, 放弃 …)",
        "Error: line 3: 结果 says '接通' but the call has no 应答时间"]
    (tmp_path / "no-answer-column.csv").write_text("开始时间,结束时间,结果\n2026-11-24 09:00:00,2026-11-24 09:01:00,接通\n",
                                                   encoding="utf-8")
    assert "应答时间" in desk(["--as", "zhou", "calls", "import", str(tmp_path / "no-answer-column.csv")]).stderr


def test_an_extension_registered_later_gives_the_calls_their_agent_on_the_next_import(desk, validate, tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text(_asterisk("e.1", "SIP/8009-01", "2026-11-19 09:00:00", "2026-11-19 09:00:05",
                              "2026-11-19 09:02:05", "ANSWERED", 120), encoding="utf-8")
    assert imported(desk, validate, path)["unknown_extensions"] == ["8009"]
    ok(desk(["--as", "zhou", "agent", "add", "chen", "--name", "陈静", "--extension", "8009"]))
    again = imported(desk, validate, path)
    assert (again["imported"], again["updated"], again["skipped"]) == (0, 1, 0)
    assert stats(desk, validate, "--date", "2026-11-19", "--agent", "chen")["answered"] == 1


def test_broken_files_are_one_error_line(desk, tmp_path):
    (tmp_path / "huge.csv").write_text('"' + "x" * 2_000_000 + '"\n', encoding="utf-8")
    (tmp_path / "not-a-workbook.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    (tmp_path / "short.csv").write_text(",".join(['""'] * 9 + ['"2026-11-19 09:00:00"'] + ['""'] * 5) + "\n",
                                        encoding="utf-8")
    for name, words in (("huge.csv", "not valid CSV"), ("not-a-workbook.xlsx", ".xlsx"),
                        ("short.csv", "15 fields; Asterisk's Master.csv has 16 to 18")):
        result = desk(["--as", "zhou", "calls", "import", str(tmp_path / name), "--format", "asterisk"])
        assert result.exit_code == 1 and "Traceback" not in result.stderr and words in result.stderr, (name, result)


def test_gb18030_found_past_the_first_block_and_no_stray_keys_in_the_table(desk, validate, tmp_path):
    rows = ["uniqueid,caller,started_at,answered_at,ended_at,extension"]
    rows += [f"g{n},1380000{n:04d},2026-11-19 09:{n % 60:02d}:00,,2026-11-19 09:{n % 60:02d}:30,"
             for n in range(400)]
    rows.append("g400,王先生,2026-11-19 10:00:00,,2026-11-19 10:00:30,")
    (tmp_path / "late.csv").write_bytes(("\n".join(rows) + "\n").encode("gb18030"))
    assert imported(desk, validate, tmp_path / "late.csv")["imported"] == 401
    table = ok(desk(["calls", "stats", "--date", "2026-11-01"])).stdout
    assert "by_agent" not in table and "by_shift" not in table


def test_the_label_says_the_configured_answer_time(desk, tmp_path):
    ok(desk(["--as", "zhou", "config", "set", "calls.answer_within", "20s"]))
    text = ok(desk(["--lang", "zh", "report", "day", "--date", "2026-11-19"])).stdout
    assert "20秒内接听 0" in text and "三声" not in text


def test_staffing_counts_a_night_shift_begun_the_day_before(desk, validate):
    night = '[{code = "day", label = "白班", start = "09:00", end = "18:00"}, {code = "night", label = "夜班", start = "22:00", end = "06:00"}]'
    ok(desk(["--as", "zhou", "config", "set", "shift", night]))
    ok(desk(["--as", "zhou", "roster", "set", "2026-11-25", "night", "li"]))
    plan = validate(ok(desk(["staffing", "--date", "2026-11-26", "--json"])).json(), "staffing")
    assert [plan["hours"][hour]["rostered"] for hour in (5, 6, 22)] == [1, 0, 0]
