"""Spreadsheets in and out: `cs ticket import` / `cs callback import` of the CSV and .xlsx sheets centres keep
(UTF-8, UTF-8 with BOM and GB18030 CSV; Chinese headers; --map / --value / --default; the dates such sheets
hold; --dry-run's mapping and preview; errors naming the sheet's own rows and columns; all or nothing), and
`--format xlsx -o FILE` workbooks (header row, widths, dates as dates, text never a formula, owner-only).

The four "Done when" tests of the issue are named test_done_when_*.

Every sheet is built inside the test: workbooks with openpyxl, CSV with csv.writer and .encode(...).
Round trips compare `ticket list --json` of both databases except updated_at and created_by.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import zipfile
from datetime import date, datetime, time

import pytest
from helpers_tickets import D, add_ticket, listing, ok
from openpyxl import Workbook, load_workbook

from cs.core.errors import CSError
from cs.exchange import sheets
from cs.exchange.tickets import TICKET_SHEET

# --------------------------------------------------------------------------- helpers


def build_xlsx(path, rows, title=None, more=()):
    """A workbook whose first sheet holds `rows` (lists of cell values); `more`: (title, rows) sheets after it."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for name, extra in more:
        other = workbook.create_sheet(name)
        for row in extra:
            other.append(list(row))
    workbook.save(path)
    return path


def csv_text(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def build_csv(path, rows, encoding="utf-8"):
    path.write_bytes(csv_text(rows).encode(encoding))
    return path


def agent(cs, handle, name, env=None):
    ok(cs(["agent", "add", handle, "--name", name], env=env))


def imported(cs, path, *args, kind="ticket", env=None):
    """A successful import; returns the Result."""
    return ok(cs([kind, "import", str(path), *args], env=env))


def import_json(cs, validate, path, *args, kind="ticket", code=0, env=None):
    """`KIND import PATH ARGS --json`: exit code checked, JSON validated against import-result; returns it."""
    result = cs([kind, "import", str(path), *args, "--json"], env=env)
    assert "Traceback" not in result.stderr, result
    assert result.exit_code == code, result
    return validate(result.json(), "import-result")


def refused_import(cs, path, *args, kind="ticket", env=None):
    """A refused import: exit 1, Error: lines only, and nothing written."""
    result = cs([kind, "import", str(path), *args], env=env)
    assert result.exit_code == 1, result
    assert "Traceback" not in result.stderr, result
    assert all(line.startswith("Error:") for line in result.stderr.splitlines() if line.strip()), result
    assert ok(cs([kind, "list", "--json"], env=env)).json() == []
    assert ok(cs("customer list --json", env=env)).json() == []
    return result


def tickets_by_id(cs, env=None):
    return {row["id"]: row for row in listing(cs, "--sort", "id", env=env)}


def callbacks(cs, env=None):
    return ok(cs("callback list --json --sort id", env=env)).json()


def comparable(rows):
    return [{k: v for k, v in row.items() if k not in ("updated_at", "created_by")} for row in rows]


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def header_index(worksheet) -> dict:
    """header label -> column letter of a written workbook's first row."""
    return {cell.value: cell.column_letter for cell in worksheet[1]}


def width(worksheet, letter) -> float:
    return worksheet.column_dimensions[letter].width


def sheet_xml(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist()
                       if name.startswith("xl/worksheets/sheet"))


# The 来访来电咨询投诉记录表 of the issue: a title row, 序号, and the Chinese headers of point 2.
LEDGER_HEADER = ["序号", "日期", "客户姓名", "联系电话", "类型", "内容", "处理结果", "受理人", "方式"]
LEDGER_ROWS = [
    [1, "2026/11/18 9:05", "王女士", "13800138000", "投诉", "空调漏水三天无人处理", "已派师傅维修并致歉", "张三", "来电"],
    [2, "2026年11月18日 14时30分", "李先生", "13900139000", "咨询", "物业费怎么交", "", "zhang", "来访"],
    [3, "2026-11-19", "赵女士", "0086 137-0013-7000", "报修", "水管破裂", "", "", "来电"],
]


def ledger_csv(path, encoding):
    return build_csv(path, [["来访来电咨询投诉记录表"], LEDGER_HEADER, *LEDGER_ROWS], encoding)


def check_ledger_imported(cs):
    rows = tickets_by_id(cs)
    assert sorted(rows) == [1, 2, 3]
    one, two, three = rows[1], rows[2], rows[3]
    assert (one["opened_at"], one["customer_name"], one["customer_phone"]) == (
        D("2026-11-18T09:05"), "王女士", "13800138000")
    assert (one["category"], one["channel"], one["agent"]) == ("complaint", "phone", "zhang")
    assert (one["summary"], one["resolution"], one["status"]) == ("空调漏水三天无人处理", "已派师傅维修并致歉", "resolved")
    assert one["resolved_at"] == one["opened_at"]
    assert (two["opened_at"], two["category"], two["channel"], two["status"]) == (
        D("2026-11-18T14:30"), "inquiry", "visit", "open")
    assert two["agent"] == "zhang" and two["resolution"] is None
    assert (three["opened_at"], three["customer_phone"], three["category"], three["agent"]) == (
        D("2026-11-19T00:00"), "13700137000", "repair", None)


# =========================================================================== Done when (the issue's four tests)


def test_done_when_gb18030_csv_with_chinese_headers_imports_without_flags(cs, tmp_path):
    agent(cs, "zhang", "张三")
    path = ledger_csv(tmp_path / "来电记录.csv", "gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    result = imported(cs, path)  # no --format, no --map, no encoding flag
    assert "imported 3 ticket(s)" in result.stderr
    check_ledger_imported(cs)
    assert ok(cs("customer show 13800138000 --json")).json()["name"] == "王女士"


def test_done_when_xlsx_built_in_test_with_excel_serial_dates(cs, tmp_path, validate):
    agent(cs, "zhang", "张三")
    path = tmp_path / "ledger.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "11月"
    sheet.append(["来电时间", "姓名", "手机", "类别", "问题描述", "处理情况", "接待人", "渠道"])
    sheet.append([46344.378472, "王女士", 13800138000, "投诉", "空调漏水", "已维修", "张三", "来电"])  # lost format
    sheet.append([46345, "李先生", "13900139000", "咨询", "问电费", None, "zhang", "来访"])  # a whole day
    sheet.append([46345.5, "赵女士", "13700137000", "报修", "停水", None, None, "在线"])
    sheet["A4"].number_format = "yyyy/m/d h:mm"  # a real date cell: Excel's serial with a date format
    workbook.save(path)
    cells = [row[0] for row in load_workbook(path, read_only=True).active.iter_rows(min_row=2, values_only=True)]
    assert cells == [46344.378472, 46345, datetime(2026, 11, 19, 12, 0)]  # numbers, and one date cell

    result = import_json(cs, validate, path)
    assert result["imported"] == 3 and result["table"]["sheet"] == "11月" and result["table"]["encoding"] is None
    rows = tickets_by_id(cs)
    assert rows[1]["opened_at"] == D("2026-11-18T09:05")
    assert rows[2]["opened_at"] == D("2026-11-19T00:00")
    assert rows[3]["opened_at"] == D("2026-11-19T12:00")
    assert rows[1]["customer_phone"] == "13800138000"  # a number cell, not 1.38e10
    assert (rows[1]["status"], rows[1]["resolution"], rows[1]["agent"]) == ("resolved", "已维修", "zhang")
    assert [rows[i]["channel"] for i in (1, 2, 3)] == ["phone", "visit", "online"]


def test_done_when_sheet_needing_map_and_value(cs, tmp_path):
    agent(cs, "wang", "王五")
    path = build_xlsx(tmp_path / "odd.xlsx", [
        ["报修登记", None, None, None, None],
        ["受理日期", "户主", "业务类型", "问题描述", "来源", "经手人"],
        ["2026/11/18 9:05", "王女士", "水电", "厨房停水", "来电", "小王"],
        ["2026/11/19 10:30", "李先生", "咨询", "电梯年检", "微信", "小王"],
    ])
    result = refused_import(cs, path)
    assert "户主" in result.stderr and "业务类型" in result.stderr and "--map" in result.stderr
    maps = ["--map", "户主=customer_name", "--map", "业务类型=category", "--map", "经手人=agent"]
    # the columns now say what they hold, but 水电 / 微信 / 小王 are not our labels
    result = refused_import(cs, path, *maps)
    assert "Error: row 3: category (column 业务类型): unknown category '水电'" in result.stderr, result
    assert "Error: row 4: channel (column 来源): unknown channel '微信'" in result.stderr, result
    values = ["--value", "category:水电=repair", "--value", "channel:微信=online"]
    result = refused_import(cs, path, *maps, *values)
    assert "row 3: agent (column 经手人)" in result.stderr and "--value agent:小王=HANDLE" in result.stderr
    imported(cs, path, *maps, *values, "--value", "agent:小王=wang")
    rows = tickets_by_id(cs)
    assert [(r["customer_name"], r["category"], r["channel"], r["agent"]) for r in rows.values()] == [
        ("王女士", "repair", "phone", "wang"), ("李先生", "inquiry", "online", "wang")]
    assert rows[1]["opened_at"] == D("2026-11-18T09:05") and rows[2]["opened_at"] == D("2026-11-19T10:30")


def build_varied(cs):
    """Tickets in several states with Chinese text, tags, phones, a verdict, a formula-like summary."""
    agent(cs, "zhang", "张三")
    agent(cs, "li", "李四")
    t1 = add_ticket(cs, "空调漏水严重，客户很生气", "来电", "投诉", agent="zhang", about="li", phone="+86 138-0013-8000",
                    customer="王女士", detail="客厅天花板渗水,\n已拍照", tag=["漏水", "vip"], priority="high",
                    department="工程部", opened_at="2026-11-16T09:00")["id"]
    ok(cs(f"ticket respond {t1} --at 2026-11-16T09:10"))
    ok(cs(f"ticket verdict {t1} 成立 --at 2026-11-16T10:00"))
    ok(cs(["ticket", "resolve", str(t1), "--resolution", "更换管道，赔偿200元", "--at", "2026-11-16T15:00"]))
    ok(cs(f"ticket close {t1} --at 2026-11-17T09:00"))
    t2 = add_ticket(cs, '=HYPERLINK("http://example.com","点我")', "visit", "repair", agent="li", priority="urgent",
                    opened_at="2026-11-20T08:00", customer="+SUM(A1)")["id"]
    ok(cs(f"ticket respond {t2} --at 2026-11-20T08:05"))
    t3 = add_ticket(cs, "咨询会员积分规则", "online", "inquiry", phone="13900139000", opened_at="2026-11-19T14:00")["id"]
    ok(cs(["ticket", "resolve", str(t3), "--resolution", "已解答", "--fcr", "--at", "2026-11-19T14:20"]))
    t4 = add_ticket(cs, "退换货：尺码不合适", "email", "return", agent="zhang", phone="13800138000",
                    opened_at="2026-11-18T11:00")["id"]
    ok(cs(f"ticket respond {t4} --at 2026-11-18T11:30"))
    ok(cs(["ticket", "pend", str(t4), "--reason", "等客户寄回", "--at", "2026-11-19T10:00"]))
    add_ticket(cs, "预约上门", "sms", "booking", opened_at="2026-11-20T09:00")


@pytest.mark.parametrize("command,lang", [("export", "en"), ("export", "zh"), ("list", "zh")])
def test_done_when_xlsx_export_import_round_trips(cs, tmp_path, command, lang):
    build_varied(cs)
    original = listing(cs, "--sort", "id")
    assert {r["status"] for r in original} == {"open", "in_progress", "pending", "closed", "resolved"}
    path = tmp_path / "tickets.xlsx"
    ok(cs(["--lang", lang, "ticket", command, "--format", "xlsx", "-o", str(path)]))
    other = {"CS_DB": str(tmp_path / "other.db")}
    agent(cs, "zhang", "张三", env=other)
    agent(cs, "li", "李四", env=other)
    result = imported(cs, path, env=other)
    assert "imported 5" in result.stderr
    copy = listing(cs, "--sort", "id", env=other)
    assert comparable(copy) == comparable(original)
    assert copy[1]["summary"] == '=HYPERLINK("http://example.com","点我")'


def test_done_when_csv_export_import_round_trips(cs, tmp_path):
    build_varied(cs)
    original = listing(cs, "--sort", "id")
    path = tmp_path / "tickets.csv"
    path.write_text(ok(cs("ticket export --format csv")).stdout, encoding="utf-8")
    other = {"CS_DB": str(tmp_path / "other.db")}
    agent(cs, "zhang", "张三", env=other)
    agent(cs, "li", "李四", env=other)
    imported(cs, path, env=other)
    assert comparable(listing(cs, "--sort", "id", env=other)) == comparable(original)


def test_round_trip_xlsx_of_excel_resaved_as_gb18030_csv(cs, tmp_path):
    """What a supervisor does: open the workbook, save it as CSV (GB18030), send it on."""
    build_varied(cs)
    original = listing(cs, "--sort", "id")
    path = tmp_path / "t.xlsx"
    ok(cs(["--lang", "zh", "ticket", "export", "--format", "xlsx", "-o", str(path)]))
    cells = list(load_workbook(path).active.iter_rows(values_only=True))
    as_text = [["" if v is None else v.strftime("%Y/%m/%d %H:%M:%S") if isinstance(v, datetime) else
                ("TRUE" if v is True else "FALSE" if v is False else str(v)) for v in row] for row in cells]
    resaved = build_csv(tmp_path / "t.csv", as_text, "gb18030")
    other = {"CS_DB": str(tmp_path / "other.db")}
    agent(cs, "zhang", "张三", env=other)
    agent(cs, "li", "李四", env=other)
    imported(cs, resaved, env=other)
    assert comparable(listing(cs, "--sort", "id", env=other)) == comparable(original)


# =========================================================================== encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_detected_and_reported(cs, tmp_path, validate, encoding):
    agent(cs, "zhang", "张三")
    path = ledger_csv(tmp_path / "in.csv", encoding)
    result = import_json(cs, validate, path)
    assert result["imported"] == 3
    assert result["table"]["encoding"] == ("gb18030" if encoding == "gb18030" else "utf-8-sig")
    assert result["table"]["sheet"] is None and result["table"]["header_row"] == 2
    check_ledger_imported(cs)


def test_gb18030_characters_outside_gbk(cs, tmp_path):
    """GB18030 is more than GBK: 𠮷 (4 bytes in GB18030) must come through."""
    with pytest.raises(UnicodeEncodeError):
        "𠮷".encode("gbk")
    path = build_csv(tmp_path / "in.csv", [["日期", "姓名", "类型", "内容", "方式"],
                                           ["2026/11/18 9:05", "吉𠮷", "咨询", "𠮷野家在哪", "来电"]], "gb18030")
    imported(cs, path)
    row = listing(cs)[0]
    assert (row["customer_name"], row["summary"]) == ("吉𠮷", "𠮷野家在哪")


def test_gb18030_csv_whose_first_megabyte_is_ascii(cs, tmp_path):
    rows = [["opened_at", "summary", "category", "channel"]] + [
        ["2026/11/18 9:05", f"ticket {i:05d} " + "x" * 60, "inquiry", "phone"] for i in range(16000)]
    rows.append(["2026/11/19 9:05", "最后一行是中文", "咨询", "来电"])
    path = build_csv(tmp_path / "big.csv", rows, "gb18030")
    assert path.stat().st_size > (1 << 20)
    prefix = path.read_bytes()[: 1 << 20]
    assert prefix.decode("utf-8")  # the first MiB alone looks like UTF-8
    result = imported(cs, path)
    assert "imported 16001" in result.stderr
    assert ok(cs("ticket list --search 最后一行 --json")).json()[0]["summary"] == "最后一行是中文"


# =========================================================================== headers and columns


@pytest.mark.parametrize("headers", [
    ["来电时间", "客户姓名", "电话", "类型", "内容", "处理结果", "受理人", "方式"],
    ["日期", "姓名", "联系电话", "类别", "问题描述", "处理情况", "接待人", "渠道"],
    ["日期", "业主", "手机", "类别", "事由", "处理结果", "受理人", "方式"],
    ["opened_at", "customer_name", "customer_phone", "category", "summary", "resolution", "agent", "channel"],
])
def test_issue_headers_recognised(cs, tmp_path, validate, headers):
    agent(cs, "zhang", "张三")
    path = build_xlsx(tmp_path / "h.xlsx", [headers, ["2026/11/18 9:05", "王女士", "13800138000", "投诉", "漏水",
                                                      "已处理", "张三", "来电"]])
    result = import_json(cs, validate, path, "--dry-run")
    assert [c["field"] for c in result["table"]["columns"]] == [
        "opened_at", "customer_name", "customer_phone", "category", "summary", "resolution", "agent", "channel"]
    assert all(c["known"] for c in result["table"]["columns"])
    assert [c["letter"] for c in result["table"]["columns"]] == list("ABCDEFGH")
    stored = result["preview"][0]
    assert (stored["opened_at"], stored["customer_name"], stored["customer_phone"], stored["category"],
            stored["summary"], stored["resolution"], stored["agent"], stored["channel"]) == (
        D("2026-11-18T09:05"), "王女士", "13800138000", "complaint", "漏水", "已处理", "zhang", "phone")


def test_header_decorations_ignored(cs, tmp_path, validate):
    """'联系电话*：', ' 内 容 ', '电话(手机)': required marks, colons, spaces and remarks do not hide a header."""
    path = build_csv(tmp_path / "in.csv", [["日期*", "联系电话(手机)：", " 内 容 ", "类型：", "方式"],
                                           ["2026/11/18 9:05", "13800138000", "漏水", "报修", "来电"]])
    result = import_json(cs, validate, path)
    assert [c["field"] for c in result["table"]["columns"]] == [
        "opened_at", "customer_phone", "summary", "category", "channel"]


def test_title_row_skipped_and_header_row_reported(cs, tmp_path, validate):
    path = build_xlsx(tmp_path / "t.xlsx", [
        ["XX物业客服中心来访来电记录表"], [None], ["填表人: 张三", None, "2026年11月"],
        ["序号", "日期", "内容", "类型", "方式"],
        [1, "2026/11/18 9:05", "漏水", "报修", "来电"],
    ])
    result = import_json(cs, validate, path)
    assert result["table"]["header_row"] == 4 and result["imported"] == 1
    assert result["table"]["columns"][0] == {"column": "序号", "letter": "A", "field": None, "known": True}
    assert listing(cs)[0]["id"] == 1  # the 序号 is not the ticket id


def test_row_number_columns_are_skipped_not_ids(cs, tmp_path):
    add_ticket(cs, "已有工单")  # id 1: 序号 1 must not clash with it
    path = build_csv(tmp_path / "in.csv", [["序号", "日期", "内容", "类型", "方式"],
                                           ["1", "2026/11/18 9:05", "漏水", "报修", "来电"]])
    imported(cs, path)
    assert sorted(tickets_by_id(cs)) == [1, 2]


def test_header_beyond_first_ten_rows_is_not_searched(cs, tmp_path):
    rows = [[f"说明第{i}行"] for i in range(10)] + [["日期", "内容", "类型", "方式"],
                                                 ["2026/11/18 9:05", "漏水", "报修", "来电"]]
    path = build_xlsx(tmp_path / "t.xlsx", rows)
    result = refused_import(cs, path)
    assert "说明第0行" in result.stderr and "unknown column" in result.stderr


def test_unknown_column_refused_naming_map(cs, tmp_path, validate):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "方式", "车牌号"],
                                           ["2026/11/18 9:05", "漏水", "报修", "来电", "浙A12345"]])
    result = refused_import(cs, path)
    assert "车牌号" in result.stderr and "--map '车牌号=FIELD'" in result.stderr and "--map '车牌号='" in result.stderr
    document = import_json(cs, validate, path, code=1)
    assert document["errors"][0]["field"] == "(file)" and document["imported"] == 0
    assert document["table"]["columns"][-1] == {"column": "车牌号", "letter": "E", "field": None, "known": False}
    # skipped with --map '车牌号=', or read into a field
    imported(cs, path, "--map", "车牌号=")
    assert listing(cs)[0]["detail"] is None
    imported(cs, path, "--map", "车牌号=department", "--allow-duplicates")  # the same call, read again
    assert listing(cs, "--sort", "id")[-1]["department"] == "浙A12345"


@pytest.mark.parametrize("option,needle", [
    (["--map", "内容=colour"], "'colour' is not a field"),
    (["--map", "楼号=department"], "楼号"),
    (["--map", "nothing"], "NAME=VALUE"),
    (["--value", "colour:红=red"], "'colour' is not a field"),
    (["--value", "category=repair"], "FIELD:原值=code"),
    (["--default", "colour=red"], "'colour' is not a field"),
    (["--default", "channel="], "NAME=VALUE"),
])
def test_bad_sheet_options_refused(cs, tmp_path, option, needle):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "方式"], ["2026/11/18 9:05", "漏水", "报修", "来电"]])
    result = cs(["ticket", "import", str(path), *option])
    assert result.exit_code == 1 and "Traceback" not in result.stderr, result
    assert needle in result.stderr, result
    assert listing(cs) == []


def test_two_columns_for_one_field_refused_unless_joinable(cs, tmp_path):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "类别", "方式"],
                                           ["2026/11/18 9:05", "漏水", "报修", "报修", "来电"]])
    result = refused_import(cs, path)
    assert "'类型', '类别' all map to category" in result.stderr
    imported(cs, path, "--map", "类别=")
    assert listing(cs)[0]["category"] == "repair"


def test_separate_date_and_time_columns_join_into_opened_at(cs, tmp_path, validate):
    path = tmp_path / "dt.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["日期", "时间", "内容", "类型", "方式"])
    sheet.append([date(2026, 11, 18), time(9, 5), "日期和时间单元格", "咨询", "来电"])
    sheet.append([datetime(2026, 11, 18), "14:30", "日期单元格和时间文字", "咨询", "来电"])
    sheet.append(["2026/11/19", "下午3点", "文字", "咨询", "来电"])
    sheet.append([46345, "9时5分", "序列号和时间文字", "咨询", "来电"])
    sheet.append(["2026-11-19", None, "只有日期", "咨询", "来电"])
    workbook.save(path)
    result = import_json(cs, validate, path)
    assert [c["field"] for c in result["table"]["columns"][:2]] == ["opened_at", "opened_at"]
    assert [r["opened_at"] for r in listing(cs, "--sort", "id")] == [
        D("2026-11-18T09:05"), D("2026-11-18T14:30"), D("2026-11-19T15:00"), D("2026-11-19T09:05"),
        D("2026-11-19T00:00")]


def test_two_text_columns_join_on_a_new_line(cs, tmp_path):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "方式", "处理结果", "处理情况"],
                                           ["2026/11/18 9:05", "漏水", "报修", "来电", "已派人", "已修好"]])
    imported(cs, path)
    assert listing(cs)[0]["resolution"] == "已派人\n已修好"


def test_more_cells_than_header_columns_is_a_row_error(cs, tmp_path):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "方式"], ["2026/11/18 9:05", "一", "报修", "来电"],
                                           ["2026/11/18 9:05", "二", "报修", "来电", "多出来的"]])
    result = refused_import(cs, path)
    assert "line 3: (line)" in result.stderr and "more cells" in result.stderr


# =========================================================================== values, defaults, agents, status


def test_default_fills_empty_cells_and_missing_columns(cs, tmp_path, validate):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型"], ["2026/11/18 9:05", "漏水", "报修"],
                                           ["2026/11/18 10:00", "咨询电费", ""]])
    document = import_json(cs, validate, path, code=1)
    assert [(e["line"], e["field"]) for e in document["errors"]] == [(2, "channel"), (3, "channel")]
    no_column = document["errors"][0]
    assert "column" not in no_column
    assert "--map 'COLUMN=channel'" in no_column["message"] and "--default channel=VALUE" in no_column["message"]
    document = import_json(cs, validate, path, "--default", "channel=来电", code=1)
    assert document["errors"] == [{"line": 3, "field": "category", "column": "类型", "message": "required"}]
    imported(cs, path, "--default", "channel=来电", "--default", "category=inquiry")
    assert [(r["channel"], r["category"]) for r in listing(cs, "--sort", "id")] == [
        ("phone", "repair"), ("phone", "inquiry")]


def test_value_translations_only_touch_their_field(cs, tmp_path):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "方式"], ["2026/11/18 9:05", "水电", "水电", "热线"]])
    imported(cs, path, "--value", "category:水电=repair", "--value", "channel:热线=phone")
    row = listing(cs)[0]
    assert (row["summary"], row["category"], row["channel"]) == ("水电", "repair", "phone")


def test_agent_by_name_resolved_ambiguous_and_unknown_refused(cs, tmp_path):
    agent(cs, "zhang", "张三")
    agent(cs, "li", "李四")
    agent(cs, "li2", "李四")
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "方式", "受理人"],
                                           ["2026/11/18 9:05", "一", "咨询", "来电", "张三"],
                                           ["2026/11/18 9:05", "二", "咨询", "来电", "李四"],
                                           ["2026/11/18 9:05", "三", "咨询", "来电", "王五"]])
    result = refused_import(cs, path)
    assert "line 3: agent (column 受理人): 2 agents are called '李四' (li, li2)" in result.stderr, result.stderr
    assert "line 4: agent (column 受理人): unknown agent '王五'" in result.stderr
    assert "line 2" not in result.stderr
    imported(cs, path, "--value", "agent:李四=li2", "--value", "agent:王五=zhang")
    assert [r["agent"] for r in listing(cs, "--sort", "id")] == ["zhang", "li2", "zhang"]


def test_status_inferred_without_status_column(cs, tmp_path):
    path = build_xlsx(tmp_path / "s.xlsx", [
        ["日期", "内容", "类型", "方式", "处理结果", "处理时间", "关闭时间"],
        ["2026/11/18 9:05", "有结果", "咨询", "来电", "已答复", None, None],
        ["2026/11/18 9:05", "有处理时间", "咨询", "来电", None, "2026/11/18 16:00", None],
        ["2026/11/18 9:05", "已关闭", "咨询", "来电", "已处理", "2026/11/18 16:00", "2026/11/19 9:00"],
        ["2026/11/18 9:05", "没结果", "咨询", "来电", None, None, None],
    ])
    imported(cs, path)
    rows = listing(cs, "--sort", "id")
    assert [r["status"] for r in rows] == ["resolved", "resolved", "closed", "open"]
    assert rows[0]["resolved_at"] == D("2026-11-18T09:05") and rows[0]["first_response_at"] == D("2026-11-18T09:05")
    assert rows[1]["resolved_at"] == D("2026-11-18T16:00")
    assert rows[2]["closed_at"] == D("2026-11-19T09:00")
    assert rows[3]["resolved_at"] is None and rows[3]["first_response_at"] is None


def test_status_column_prevails_over_inference(cs, tmp_path):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "方式", "处理结果", "处理状态"],
                                           ["2026/11/18 9:05", "处理中的", "咨询", "来电", "已派人", "待处理"]])
    imported(cs, path)
    row = listing(cs)[0]
    assert (row["status"], row["resolution"], row["resolved_at"]) == ("open", "已派人", None)


def test_satisfaction_words_and_number_cells(cs, tmp_path):
    path = build_xlsx(tmp_path / "s.xlsx", [
        ["日期", "内容", "类型", "方式", "客户评价", "联系电话"],
        ["2026/11/18 9:05", "一", "咨询", "来电", "非常满意", 13800138000],
        ["2026/11/18 9:05", "二", "咨询", "来电", 3, 13900139000.0],
    ])
    imported(cs, path)
    rows = listing(cs, "--sort", "id")
    assert [(r["satisfaction"], r["customer_phone"]) for r in rows] == [(5, "13800138000"), (3, "13900139000")]


# =========================================================================== dates, end to end


@pytest.mark.parametrize("text,expected", [
    ("2026/11/18 9:05", "2026-11-18T09:05"),
    ("2026-11-18", "2026-11-18T00:00"),
    ("2026年11月18日 9时5分", "2026-11-18T09:05"),
    ("2026年11月18日9时5分", "2026-11-18T09:05"),
    ("2026年11月18日 下午3点", "2026-11-18T15:00"),
    ("2026.11.18 21:40:07", "2026-11-18T21:40:07"),
    ("20261118", "2026-11-18T00:00"),
    ("46344.378472", "2026-11-18T09:05"),
    ("2026-11-18T09:05:00+08:00", "2026-11-18T09:05"),
    ("2026-11-18T01:05:00Z", "2026-11-18T09:05"),
])
def test_csv_date_forms(cs, tmp_path, text, expected):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "方式"], [text, "漏水", "报修", "来电"]], "gb18030")
    imported(cs, path)
    assert listing(cs)[0]["opened_at"] == D(expected)


@pytest.mark.parametrize("bad", ["2026/2/30 9:00", "2026/11/18 25:00", "昨天下午", "46344abc", "123"])
def test_invalid_dates_name_sheet_row_and_column(cs, tmp_path, validate, bad):
    path = build_xlsx(tmp_path / "bad.xlsx", [
        ["来电记录"],
        ["序号", "来电时间", "内容", "类型", "方式"],
        [1, "2026/11/18 9:05", "好的", "咨询", "来电"],
        [2, bad, "坏的", "咨询", "来电"],
        [3, "2026/11/18 10:05", "好的", "咨询", "来电"],
    ], title="记录")
    result = refused_import(cs, path)
    assert "Error: row 4: opened_at (column 来电时间):" in result.stderr, result.stderr
    assert "row 3" not in result.stderr and "row 5" not in result.stderr
    document = import_json(cs, validate, path, code=1)
    assert document["errors"] == [{"line": 4, "field": "opened_at", "column": "来电时间",
                                   "message": document["errors"][0]["message"]}]
    assert document["error_count"] == 1 and document["imported"] == 0


def test_csv_errors_name_file_lines_below_a_title_row(cs, tmp_path, validate):
    agent(cs, "zhang", "张三")
    rows = [list(r) for r in LEDGER_ROWS]
    rows[1][4] = "杂事"
    path = build_csv(tmp_path / "in.csv", [["来访来电咨询投诉记录表"], LEDGER_HEADER, *rows], "gb18030")
    result = refused_import(cs, path)
    assert "Error: line 4: category (column 类型): unknown category '杂事'" in result.stderr, result.stderr
    document = import_json(cs, validate, path, code=1)
    assert [(e["line"], e["field"], e["column"]) for e in document["errors"]] == [(4, "category", "类型")]
    assert document["table"]["encoding"] == "gb18030" and document["table"]["header_row"] == 2


def test_invalid_gb18030_bytes_refused_naming_the_line(cs, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_text([["日期", "内容", "类型", "方式"], ["2026/11/18 9:05", "好", "咨询", "来电"]]).encode("gb18030")
                     + b"2026/11/18 9:05,\x81\x20,x,y\r\n")
    result = refused_import(cs, path)
    assert "line 3: (file)" in result.stderr and "GB18030" in result.stderr


def test_future_opened_at_refused(cs, tmp_path):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "方式"], ["2026/11/21 9:05", "明天的", "报修", "来电"]])
    result = refused_import(cs, path)
    assert "line 2: opened_at (column 日期)" in result.stderr and "future" in result.stderr


# =========================================================================== all or nothing, dry run


def test_xlsx_with_bad_rows_writes_nothing_and_names_every_bad_row(cs, tmp_path, validate):
    agent(cs, "zhang", "张三")
    path = build_xlsx(tmp_path / "b.xlsx", [
        ["日期", "姓名", "联系电话", "类型", "内容", "受理人", "方式"],
        ["2026/11/18 9:05", "王女士", "13800138000", "咨询", "好", "张三", "来电"],
        ["2026/11/18 9:05", "李先生", "12ab", "咨询", "坏电话", "张三", "来电"],
        ["2026/11/18 9:05", "赵女士", "13700137000", "杂事", "坏类型", "张三", "来电"],
        ["2026/11/18 9:05", "钱先生", "13600136000", "咨询", None, "张三", "来电"],
        ["2026/11/18 9:05", "孙女士", "13500135000", "咨询", "坏渠道", "张三", "传真"],
    ])
    result = refused_import(cs, path)
    lines = result.stderr.splitlines()
    assert any(line.startswith("Error: row 3: customer_phone (column 联系电话)") for line in lines), lines
    assert any(line.startswith("Error: row 4: category (column 类型)") for line in lines), lines
    assert any(line.startswith("Error: row 5: summary (column 内容)") for line in lines), lines
    assert any(line.startswith("Error: row 6: channel (column 方式)") for line in lines), lines
    assert not any("row 2" in line for line in lines)
    assert "nothing was imported" in result.stderr
    document = import_json(cs, validate, path, code=1)
    assert [e["line"] for e in document["errors"]] == [3, 4, 5, 6] and document["imported"] == 0
    assert all("column" in e for e in document["errors"])


def test_dry_run_prints_mapping_and_preview_and_writes_nothing(cs, tmp_path):
    agent(cs, "zhang", "张三")
    path = ledger_csv(tmp_path / "in.csv", "gb18030")
    result = ok(cs(["ticket", "import", str(path), "--dry-run"]))
    out = result.stdout
    assert "Columns (CSV in gb18030, header in row 2)" in out
    mapping = {line.split()[0]: line.split()[1:] for line in out.splitlines()
               if line[:1] in "ABCDEFGHI" and len(line.split()) >= 3}
    assert mapping["A"] == ["序号", "(skipped)"]
    assert mapping["B"] == ["日期", "opened_at"] and mapping["D"] == ["联系电话", "customer_phone"]
    assert mapping["H"] == ["受理人", "agent"] and mapping["I"] == ["方式", "channel"]
    assert "First tickets as they would be stored:" in out
    assert "11-18 09:05" in out and "空调漏水三天无人处理" in out and "resolved" in out
    assert "would import 3 ticket(s)" in result.stderr
    assert listing(cs) == [] and ok(cs("customer list --json")).json() == []


def test_dry_run_json_preview_is_first_five_as_stored(cs, tmp_path, validate):
    rows = [["日期", "内容", "类型", "方式", "联系电话"]] + [
        [f"2026/11/18 {9 + i}:05", f"第{i + 1}条", "咨询", "来电", f"1380013800{i}"] for i in range(7)]
    path = build_xlsx(tmp_path / "p.xlsx", rows)
    document = import_json(cs, validate, path, "--dry-run")
    assert document["dry_run"] is True and document["imported"] == 7
    assert [p["id"] for p in document["preview"]] == [1, 2, 3, 4, 5]
    assert [p["summary"] for p in document["preview"]] == ["第1条", "第2条", "第3条", "第4条", "第5条"]
    first = document["preview"][0]
    assert first["opened_at"] == D("2026-11-18T09:05") and first["first_response_due_at"] == D("2026-11-18T11:05")
    assert first["customer_phone"] == "13800138000" and first["status"] == "open"
    assert listing(cs) == []
    # the real import stores exactly what the preview showed
    imported(cs, path)
    assert comparable(listing(cs, "--sort", "id")[:5]) == comparable(document["preview"])


def test_dry_run_with_errors_shows_mapping_and_errors(cs, tmp_path):
    path = build_csv(tmp_path / "in.csv", [["日期", "内容", "类型", "方式"], ["2026/11/18 9:05", "一", "杂事", "来电"]])
    result = cs(["ticket", "import", str(path), "--dry-run"])
    assert result.exit_code == 1 and "Columns (CSV in utf-8-sig, header in row 1)" in result.stdout
    assert "Error: line 2: category (column 类型)" in result.stderr
    assert "First tickets" not in result.stdout


# =========================================================================== files: sheets, formats, stdin


def test_sheet_option_picks_the_named_sheet(cs, tmp_path, validate):
    path = build_xlsx(tmp_path / "w.xlsx", [["填表说明：请在第二页填写"]], title="说明", more=[
        ("十月", [["日期", "内容", "类型", "方式"], ["2026/10/18 9:05", "十月的", "咨询", "来电"]]),
        ("十一月", [["日期", "内容", "类型", "方式"], ["2026/11/18 9:05", "十一月的", "咨询", "来电"]]),
    ])
    refused_import(cs, path)  # the first sheet is read by default
    document = import_json(cs, validate, path, "--sheet", "十一月")
    assert document["table"]["sheet"] == "十一月"
    assert [r["summary"] for r in listing(cs)] == ["十一月的"]


def test_unknown_sheet_refused_listing_sheets(cs, tmp_path):
    path = build_xlsx(tmp_path / "w.xlsx", [["日期", "内容"]], title="一月", more=[("二月", [])])
    result = refused_import(cs, path, "--sheet", "三月")
    assert "'三月'" in result.stderr and "一月, 二月" in result.stderr


def test_sheet_option_refused_for_csv(cs, tmp_path):
    path = ledger_csv(tmp_path / "in.csv", "utf-8")
    result = refused_import(cs, path, "--sheet", "一月")
    assert "--sheet is for .xlsx" in result.stderr


@pytest.mark.parametrize("suffix", [".xls", ".XLS", ".et", ".ods"])
def test_old_excel_and_other_spreadsheets_refused_with_advice(cs, tmp_path, suffix):
    path = tmp_path / f"old{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    result = refused_import(cs, path)
    assert "save it as .xlsx or CSV" in result.stderr and path.name in result.stderr


def test_not_really_an_xlsx_refused(cs, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("日期,内容\n", encoding="utf-8")
    result = refused_import(cs, path)
    assert ".xlsx" in result.stderr


def test_xlsx_from_stdin_detected_by_its_bytes(cs, tmp_path):
    path = build_xlsx(tmp_path / "w.xlsx", [["日期", "内容", "类型", "方式"], ["2026/11/18 9:05", "标准输入", "咨询", "来电"]])
    result = ok(cs(["ticket", "import", "-"], input=path.read_bytes()))
    assert "imported 1" in result.stderr and listing(cs)[0]["summary"] == "标准输入"


def test_workbook_without_suffix_detected_and_csv_needs_format(cs, tmp_path):
    path = build_xlsx(tmp_path / "w.xlsx", [["日期", "内容", "类型", "方式"], ["2026/11/18 9:05", "无后缀", "咨询", "来电"]])
    ok(cs(["ticket", "import", str(path.rename(tmp_path / "export.dat"))]))  # a zip file: a workbook
    assert listing(cs)[0]["summary"] == "无后缀"
    text = build_csv(tmp_path / "records.txt", [["日期", "内容", "类型", "方式"], ["2026/11/18 9:05", "文本", "咨询", "来电"]],
                     "gb18030")
    result = cs(["ticket", "import", str(text)])
    assert result.exit_code == 1 and "--format" in result.stderr, result
    ok(cs(["ticket", "import", str(text), "--format", "csv"]))
    assert [r["summary"] for r in listing(cs, "--sort", "id")] == ["无后缀", "文本"]


def test_gb18030_csv_from_stdin_with_format(cs, tmp_path):
    data = csv_text([["日期", "内容", "类型", "方式"], ["2026/11/18 9:05", "标准输入", "咨询", "来电"]]).encode("gb18030")
    ok(cs(["ticket", "import", "-", "--format", "csv"], input=data))
    assert listing(cs)[0]["summary"] == "标准输入"


def test_empty_sheet_imports_nothing(cs, tmp_path):
    path = build_xlsx(tmp_path / "e.xlsx", [])
    result = imported(cs, path)
    assert "imported 0" in result.stderr


# =========================================================================== callback import (回访记录)

CALLBACK_HEADER = ["序号", "客户姓名", "联系电话", "应回访时间", "回访时间", "回访结果", "回访内容", "回访人"]


def test_callback_sheet_done_and_pending_rows(cs, tmp_path, validate):
    agent(cs, "li", "李娜")
    path = build_xlsx(tmp_path / "回访.xlsx", [
        ["客户回访记录表"], CALLBACK_HEADER,
        [1, "王女士", 13800138000, None, datetime(2026, 11, 18, 10, 0), "满意", "已修好", "李娜"],
        [2, "李先生", "13900139000", "2026/11/21", None, None, "约好周六回电", "li"],
        [3, "赵女士", "13700137000", None, "2026年11月19日 下午3点", 2, "态度差", "li"],
        [4, "钱先生", "13600136000", "2026-11-19 10:00", None, None, None, "li"],
        [5, "孙女士", "13500135000", "2026/11/18", "2026/11/18 11:00", "一般", None, "li"],
    ], title="回访记录")
    document = import_json(cs, validate, path, kind="callback")
    assert document["imported"] == 5 and document["table"]["header_row"] == 2
    assert [c["field"] for c in document["table"]["columns"]] == [
        None, "customer_name", "customer_phone", "due_at", "done_at", "outcome", "note", "agent"]
    rows = {r["customer_name"]: r for r in callbacks(cs)}
    made = rows["王女士"]
    assert (made["status"], made["outcome"], made["done_at"], made["agent"], made["customer_phone"], made["note"]) == (
        "done", "satisfied", D("2026-11-18T10:00"), "li", "13800138000", "已修好")
    owed = rows["李先生"]
    assert (owed["status"], owed["due_at"], owed["outcome"], owed["overdue"]) == (
        "pending", D("2026-11-21T21:00"), None, False)  # a day alone: close of contact hours (09-12, 14-21)
    rated = rows["赵女士"]
    assert (rated["status"], rated["outcome"], rated["score"], rated["done_at"]) == (
        "done", "dissatisfied", 2, D("2026-11-19T15:00"))
    late = rows["钱先生"]
    assert (late["status"], late["due_at"], late["overdue"]) == ("pending", D("2026-11-19T10:00"), True)
    assert rows["孙女士"]["outcome"] == "neutral" and rows["孙女士"]["done_at"] == D("2026-11-18T11:00")
    assert ok(cs("callback list --overdue --json")).json()[0]["customer_name"] == "钱先生"
    history = ok(cs(f"callback show {made['id']} --json")).json()["history"]
    assert [h["kind"] for h in history] == ["created", "done"]


@pytest.mark.parametrize("rating,outcome", [(5, "satisfied"), (4, "satisfied"), (3, "neutral"), (1, "dissatisfied")])
def test_callback_rating_becomes_outcome_and_score(cs, tmp_path, rating, outcome):
    path = build_csv(tmp_path / "r.csv", [["客户姓名", "联系电话", "回访时间", "满意度"],
                                          ["王女士", "13800138000", "2026/11/18 10:00", str(rating)]])
    imported(cs, path, kind="callback")
    row = callbacks(cs)[0]
    assert (row["outcome"], row["score"], row["status"]) == (outcome, rating, "done")


def test_callback_gb18030_csv_without_flags(cs, tmp_path):
    agent(cs, "li", "李娜")
    path = build_csv(tmp_path / "回访.csv", [CALLBACK_HEADER[1:],
                                             ["王女士", "13800138000", "", "2026/11/18 10:00", "不满意", "等太久", "李娜"],
                                             ["李先生", "13900139000", "2026-11-23 10:00", "", "", "", "li"]], "gb18030")
    imported(cs, path, kind="callback")
    rows = callbacks(cs)
    assert [(r["customer_name"], r["status"], r["outcome"], r["agent"]) for r in rows] == [
        ("王女士", "done", "dissatisfied", "li"), ("李先生", "pending", None, "li")]
    assert rows[0]["note"] == "等太久"


def test_callback_bad_rows_name_rows_and_columns_and_write_nothing(cs, tmp_path, validate):
    path = build_xlsx(tmp_path / "bad.xlsx", [
        CALLBACK_HEADER,
        [1, "王女士", "13800138000", None, "2026/11/18 10:00", "满意", None, None],
        [2, "李先生", "13900139000", None, "2026/11/18 10:00", "还行吧", None, None],
        [3, "赵女士", "13700137000", None, None, None, "没有期限", None],
        [4, "钱先生", "13600136000", None, "2026/11/18 10:00", 6, None, None],
        [5, "孙女士", "13500135000", None, "2026/11/22 10:00", "满意", None, None],
        [6, "周先生", None, "2026/11/22 10:00", None, None, None, None],
        [7, "吴女士", "13300133000", None, "2026/11/18 10:00", "满意", None, "无名氏"],
    ])
    result = refused_import(cs, path, kind="callback")
    assert "row 3: outcome (column 回访结果)" in result.stderr
    assert "row 4: due_at" in result.stderr
    assert "row 5: outcome (column 回访结果)" in result.stderr
    assert "row 6: done_at (column 回访时间)" in result.stderr and "future" in result.stderr
    assert "row 7: customer_phone" in result.stderr
    assert "row 8: agent (column 回访人)" in result.stderr
    assert "row 2:" not in result.stderr
    document = import_json(cs, validate, path, kind="callback", code=1)
    assert [e["line"] for e in document["errors"]] == [3, 4, 5, 6, 7, 8]


def test_callback_dry_run_preview_validates(cs, tmp_path, validate):
    path = build_xlsx(tmp_path / "cb.xlsx", [CALLBACK_HEADER,
                                             [1, "王女士", "13800138000", "2026/11/23 10:00", None, None, None, None]])
    document = import_json(cs, validate, path, "--dry-run", kind="callback")
    assert document["preview"][0]["due_at"] == D("2026-11-23T10:00")
    assert document["preview"][0]["status"] == "pending"
    assert callbacks(cs) == []
    text = ok(cs(["callback", "import", str(path), "--dry-run"]))
    assert "Columns (sheet 'Sheet', header in row 1)" in text.stdout
    assert "First callbacks as they would be stored:" in text.stdout and "王女士" in text.stdout


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_callback_list_xlsx_round_trips_through_callback_import(cs, tmp_path, lang):
    """A callback workbook `callback list --format xlsx` wrote comes back in (ids are new; the rest is kept)."""
    agent(cs, "li", "李娜")
    path = build_xlsx(tmp_path / "cb.xlsx", [
        CALLBACK_HEADER,
        [1, "王女士", "13800138000", None, "2026/11/18 10:00", "满意", "已修好", "li"],
        [2, "李先生", "13900139000", "2026/11/23 10:00", None, None, "约好下周", "li"],
        [3, "钱先生", "13600136000", "2026/11/19 10:00", None, None, None, "li"],
    ])
    imported(cs, path, kind="callback")
    original = callbacks(cs)
    exported = tmp_path / "exported.xlsx"
    ok(cs(["--lang", lang, "callback", "list", "--format", "xlsx", "-o", str(exported)]))
    other = {"CS_DB": str(tmp_path / "other.db")}
    agent(cs, "li", "李娜", env=other)
    result = cs(["callback", "import", str(exported)], env=other)
    assert result.exit_code == 0, result.stderr

    def key(rows):
        return sorted(({k: v for k, v in row.items() if k != "id"} for row in rows), key=lambda r: r["customer_name"])

    assert key(callbacks(cs, env=other)) == key(original)


def test_callback_import_with_map_value_default(cs, tmp_path):
    agent(cs, "li", "李娜")
    path = build_csv(tmp_path / "m.csv", [["被访客户", "号码", "回访时间", "结果", "跟进人"],
                                          ["王女士", "13800138000", "2026/11/18 10:00", "很好", "小李"]])
    refused_import(cs, path, kind="callback")
    imported(cs, path, "--map", "被访客户=customer_name", "--map", "号码=customer_phone", "--map", "结果=outcome",
             "--map", "跟进人=agent", "--value", "outcome:很好=satisfied", "--value", "agent:小李=li",
             "--default", "reason=post_repair", kind="callback")
    row = callbacks(cs)[0]
    assert (row["customer_name"], row["outcome"], row["agent"], row["reason"]) == (
        "王女士", "satisfied", "li", "post_repair")


# =========================================================================== xlsx out


def test_ticket_list_xlsx_header_bold_dates_and_labels(cs, tmp_path):
    add_ticket(cs, "空调漏水", "来电", "投诉", customer="王女士", opened_at="2026-11-18T09:05")
    path = tmp_path / "list.xlsx"
    result = ok(cs(["--lang", "zh", "ticket", "list", "--format", "xlsx", "-o", str(path)]))
    assert result.stdout.strip() == str(path) and "写入 1 行" in result.stderr
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["工单"]
    sheet = workbook.active
    columns = header_index(sheet)
    for label in ("编号", "受理时间", "渠道", "类别", "状态", "摘要", "客户", "电话", "响应时限"):
        assert label in columns
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])
    opened = sheet[f"{columns['受理时间']}2"]
    assert opened.value == datetime(2026, 11, 18, 9, 5) and opened.is_date
    assert "yy" in opened.number_format and "hh:mm" in opened.number_format
    due = sheet[f"{columns['响应时限']}2"]
    assert isinstance(due.value, datetime) and due.is_date
    assert sheet[f"{columns['渠道']}2"].value == "来电" and sheet[f"{columns['类别']}2"].value == "投诉"
    assert sheet.max_row == 2


def test_xlsx_width_fits_chinese_text(cs, tmp_path):
    add_ticket(cs, "空调漏水严重无人处理", detail="abcdefghij")  # 10 characters each
    path = tmp_path / "w.xlsx"
    ok(cs(["ticket", "export", "--format", "xlsx", "-o", str(path)]))
    sheet = load_workbook(path).active
    columns = header_index(sheet)
    summary, detail = width(sheet, columns["Summary"]), width(sheet, columns["Detail"])
    assert summary > detail
    assert summary >= 20 and 10 <= detail < 20
    assert width(sheet, columns["Opened"]) >= 16  # a date-time has room for yyyy-mm-dd hh:mm


def test_xlsx_width_is_bounded(cs, tmp_path):
    add_ticket(cs, "很长" * 200)
    path = tmp_path / "w.xlsx"
    ok(cs(["ticket", "list", "--format", "xlsx", "-o", str(path)]))
    sheet = load_workbook(path).active
    assert 20 < width(sheet, header_index(sheet)["Summary"]) <= 60


@pytest.mark.parametrize("text", ['=HYPERLINK("http://example.com","点我")', "+SUM(A1:A9)", "-2+3", "@cmd", "=1+2"])
def test_xlsx_text_is_never_a_formula(cs, tmp_path, text):
    add_ticket(cs, text, customer=text)
    path = tmp_path / "f.xlsx"
    ok(cs(["ticket", "export", "--format", "xlsx", "-o", str(path)]))
    sheet = load_workbook(path).active
    columns = header_index(sheet)
    for name in ("Summary", "Customer"):
        cell = sheet[f"{columns[name]}2"]
        assert cell.value == text and cell.data_type == "s"
    assert "<f>" not in sheet_xml(path) and "<f " not in sheet_xml(path)
    # and the text comes back as text
    other = {"CS_DB": str(tmp_path / "other.db")}
    imported(cs, path, env=other)
    assert listing(cs, env=other)[0]["summary"] == text


def test_callback_list_xlsx(cs, tmp_path):
    agent(cs, "li", "李娜")
    ok(cs(["callback", "add", "--phone", "13800138000", "--due", "2026-11-23T10:00", "--agent", "li",
           "--reason", "投诉回访"]))
    path = tmp_path / "cb.xlsx"
    ok(cs(["--lang", "zh", "callback", "list", "--format", "xlsx", "-o", str(path)]))
    workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet.title == "回访"
    columns = header_index(sheet)
    assert all(cell.font.b for cell in sheet[1])
    due = sheet[f"{columns['回访期限']}2"]
    assert due.value == datetime(2026, 11, 23, 10, 0) and due.is_date
    assert sheet[f"{columns['回访原因']}2"].value == "投诉回访"
    assert mode_of(path) == 0o600


def make_deductions(cs):
    ok(cs(["agent", "add", "li", "--name", "李娜", "--team", "一组"]))
    ok(cs(["agent", "add", "zhou", "--name", "周敏", "--team", "一组"]))
    ok(cs(["violation", "add", "li", "off_task", "--at", "2026-11-19 10:00", "--note", "上班玩手机"]))
    ok(cs("deductions run --date 2026-11-19"))


def test_deductions_list_xlsx(cs, tmp_path):
    make_deductions(cs)
    path = tmp_path / "d.xlsx"
    ok(cs(["--lang", "zh", "deductions", "list", "--format", "xlsx", "-o", str(path)]))
    sheet = load_workbook(path).active
    assert sheet.title == "扣分明细"
    columns = header_index(sheet)
    assert {"日期", "规则", "罚款"} <= set(columns)
    assert all(cell.font.b for cell in sheet[1])
    day = sheet[f"{columns['日期']}2"]
    assert day.is_date and day.value.date() == date(2026, 11, 19) and "hh" not in day.number_format
    assert sheet[f"{columns['罚款']}2"].value == 10
    assert mode_of(path) == 0o600


def test_score_xlsx(cs, tmp_path):
    make_deductions(cs)
    path = tmp_path / "s.xlsx"
    ok(cs(["--lang", "zh", "score", "--format", "xlsx", "-o", str(path)]))
    sheet = load_workbook(path).active
    assert sheet.title == "考核得分"
    rows = list(sheet.iter_rows(values_only=True))
    columns = list(rows[0])
    assert {"排名", "姓名", "罚款"} <= set(columns)
    assert all(cell.font.b for cell in sheet[1])
    people = {row[columns.index("姓名")]: row for row in rows[1:]}
    assert set(people) == {"李娜", "周敏"}
    assert people["李娜"][columns.index("罚款")] == 10
    assert width(sheet, header_index(sheet)["姓名"]) >= 6


def test_report_month_xlsx_into_dir_has_its_sheets(cs, tmp_path):
    make_deductions(cs)
    add_ticket(cs, "本月工单", opened_at="2026-11-18T09:00")
    folder = tmp_path / "reports"
    folder.mkdir()
    result = ok(cs(["--lang", "zh", "report", "month", "--format", "xlsx", "-o", str(folder)]))
    path = folder / "2026-11_月度考核.xlsx"
    assert result.stdout.strip() == str(path)
    assert mode_of(path) == 0o600
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["得分", "关键指标", "回访工作效果评估", "回访配额执行情况", "走访计划", "考核扣分",
                                   "热线·按班次", "热线·按坐席"]
    for sheet in workbook.worksheets:
        assert all(cell.font.b for cell in sheet[1]), sheet.title
    scores = workbook["得分"]
    assert [c.value for c in scores[1]][:3] == ["排名", "坐席", "姓名"]
    figures = {row[0]: row[1] for row in workbook["关键指标"].iter_rows(min_row=2, values_only=True)}
    assert any(value == 1 for value in figures.values())  # one ticket received
    # Rates are numbers shown as percentages (issue 19), counts stay plain.
    cells = {row[0].value: row[1] for row in workbook["关键指标"].iter_rows(min_row=2)}
    assert cells["回复率"].number_format == "0.0%" and cells["受理"].number_format == "General"
    entries = workbook["考核扣分"]
    columns = header_index(entries)
    day = entries[f"{columns['日期']}2"]
    assert day.is_date and day.value.date() == date(2026, 11, 19)


def test_report_month_xlsx_to_file_and_english_sheet_names(cs, tmp_path):
    make_deductions(cs)
    path = tmp_path / "month.xlsx"
    ok(cs(["report", "month", "--format", "xlsx", "-o", str(path)]))
    names = load_workbook(path).sheetnames
    assert len(names) == 8 and names[6:] == ["Hotline·By shift", "Hotline·By agent"]
    assert all(len(name) <= 31 for name in names)
    # the month's deductions, not a day's: the zh title drops 当日, the en one must drop "of the day"
    assert "day" not in names[5].lower(), names


@pytest.mark.parametrize("args", [
    ["ticket", "list", "--format", "xlsx"],
    ["ticket", "export", "--format", "xlsx"],
    ["callback", "list", "--format", "xlsx"],
    ["deductions", "list", "--format", "xlsx"],
    ["score", "--format", "xlsx"],
    ["report", "month", "--format", "xlsx"],
    ["report", "day", "--format", "xlsx", "-o", "x.xlsx"],
])
def test_xlsx_needs_an_output_file(cs, args):
    result = cs(args)
    assert result.exit_code == 2 and "Traceback" not in result.stderr, result
    assert "xlsx" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("args", [
    ["ticket", "list"], ["ticket", "export"], ["callback", "list"], ["deductions", "list"], ["score"],
    ["report", "month"],
])
def test_xlsx_files_are_owner_only_even_over_an_existing_file(cs, tmp_path, args):
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    ok(cs([*args, "--format", "xlsx", "-o", str(path)]))
    assert mode_of(path) == 0o600
    assert zipfile.is_zipfile(path) and load_workbook(path).worksheets
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cs-")]  # no temporary left behind


def test_text_output_file_is_owner_only_even_over_an_existing_file(cs, tmp_path):
    add_ticket(cs, "空调漏水", customer="王女士")
    path = tmp_path / "out.csv"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o644)
    ok(cs(["ticket", "list", "--format", "csv", "-o", str(path)]))
    assert "王女士" in path.read_text(encoding="utf-8")
    assert mode_of(path) == 0o600


def test_empty_listing_writes_a_valid_workbook(cs, tmp_path):
    path = tmp_path / "empty.xlsx"
    result = ok(cs(["ticket", "list", "--format", "xlsx", "-o", str(path)]))
    assert "wrote 0 row(s)" in result.stderr
    assert load_workbook(path).active.max_row <= 1


# =========================================================================== cs.exchange.sheets units


@pytest.mark.parametrize("value,expected", [
    ("2026/11/18 9:05", datetime(2026, 11, 18, 9, 5)),
    ("2026-11-18", datetime(2026, 11, 18)),
    ("2026年11月18日 9时5分", datetime(2026, 11, 18, 9, 5)),
    ("2026年11月18日", datetime(2026, 11, 18)),
    ("2026年11月18日 9点", datetime(2026, 11, 18, 9)),
    ("2026/11/18 下午3点", datetime(2026, 11, 18, 15)),
    ("2026年11月18日 下午3点30分", datetime(2026, 11, 18, 15, 30)),
    ("2026-11-18 晚上8点", datetime(2026, 11, 18, 20)),
    ("2026-11-18 上午9点", datetime(2026, 11, 18, 9)),
    ("2026/11/18 下午12:30", datetime(2026, 11, 18, 12, 30)),
    ("2026-11-18 09:05:07", datetime(2026, 11, 18, 9, 5, 7)),
    ("2026-11-18T09:05", datetime(2026, 11, 18, 9, 5)),
    ("2026.11.18", datetime(2026, 11, 18)),
    ("  2026/1/8 7:05  ", datetime(2026, 1, 8, 7, 5)),
    ("20261118", datetime(2026, 11, 18)),
    (46344, datetime(2026, 11, 18)),
    (46344.378472, datetime(2026, 11, 18, 9, 5)),
    ("46344.378472", datetime(2026, 11, 18, 9, 5)),
    (46344.5, datetime(2026, 11, 18, 12)),
    (datetime(2026, 11, 18, 9, 5), datetime(2026, 11, 18, 9, 5)),
    (date(2026, 11, 18), datetime(2026, 11, 18)),
])
def test_sheet_time_reads(value, expected):
    assert sheets.sheet_time(value) == expected


@pytest.mark.parametrize("value", [
    "2026/2/30", "2026/2/30 9:00", "2026/13/1", "2026/11/18 25:00", "2026/11/18 9:61", "20260230",
    "昨天", "", "下午3点", "9:05", 100, 3_000_000, True, False, "2026/11/18 9:05 extra",
])
def test_sheet_time_refuses(value):
    assert sheets.sheet_time(value) is None


@pytest.mark.parametrize("value,expected", [
    ("2026/11/18", date(2026, 11, 18)), ("2026年11月18日", date(2026, 11, 18)), (46344, date(2026, 11, 18)),
    (datetime(2026, 11, 18), date(2026, 11, 18)), ("2026-11-18 0:00", None), ("2026/11/18 9:05", None),
    (46344.5, None), ("x", None),
])
def test_date_only(value, expected):
    assert sheets.date_only(value) == expected


@pytest.mark.parametrize("data,expected", [
    ("日期,内容\n2026/11/18,漏水\n".encode("utf-8"), "utf-8-sig"),
    ("日期,内容\n2026/11/18,漏水\n".encode("utf-8-sig"), "utf-8-sig"),
    ("日期,内容\n2026/11/18,漏水\n".encode("gb18030"), "gb18030"),
    (b"opened_at,summary\n2026-11-18,ascii only\n", "utf-8-sig"),
    (b"", "utf-8-sig"),
])
def test_detect_encoding(data, expected):
    stream = io.BytesIO(b"xx" + data)
    stream.read(2)
    assert sheets.detect_encoding(stream) == expected
    assert stream.tell() == 2  # left where it was


def test_detect_encoding_scans_past_the_first_chunk():
    data = b"a,b\n" * 400_000 + "王女士".encode("gb18030")
    assert len(data) > 1 << 20
    assert sheets.detect_encoding(io.BytesIO(data)) == "gb18030"
    # a multi-byte UTF-8 character split across the chunk boundary is still UTF-8
    data = b"a" * ((1 << 20) - 1) + "王".encode("utf-8")
    assert sheets.detect_encoding(io.BytesIO(data)) == "utf-8-sig"


@pytest.mark.parametrize("text,expected", [
    ("联系电话*：", "联系电话"), (" 联系 电话 ", "联系电话"), ("＊日期:", "日期"), ("Customer Phone", "customerphone"),
    ("OPENED_AT", "opened_at"), ("电话(手机)", "电话(手机)"),
])
def test_header_key(text, expected):
    assert sheets.header_key(text) == expected


@pytest.mark.parametrize("index,letter", [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"),
                                          (701, "ZZ"), (702, "AAA"), (16383, "XFD")])
def test_column_letter(index, letter):
    assert sheets.column_letter(index) == letter


def plan(columns, maps=None):
    return sheets.ColumnPlan.build(columns, field_names=TICKET_SHEET.fields, aliases=TICKET_SHEET.headers,
                                   maps=maps or {}, joinable=TICKET_SHEET.joinable.__contains__)


def test_column_plan_fields_skips_unknown_and_joins():
    p = plan(["序号", "日期", "时间", "内容", "车牌号", "", "电话(手机)", "处理结果", "处理情况"])
    assert p.fields == {1: "opened_at", 2: "opened_at", 3: "summary", 6: "customer_phone", 7: "resolution",
                        8: "resolution"}
    assert p.skipped == [0, 5]
    assert p.unknown == ["车牌号"]
    with pytest.raises(CSError, match="--map '车牌号=FIELD'"):
        p.require_known()
    assert p.columns_of("opened_at") == "日期+时间" and p.columns_of("category") is None
    mapping = p.mapping()
    assert mapping[4] == {"column": "车牌号", "letter": "E", "field": None, "known": False}
    assert mapping[5] == {"column": "(F)", "letter": "F", "field": None, "known": True}
    record = p.record(["1", "2026-11-18", "9:05", "漏水", "浙A12345", "", "13800138000", "已派人", "已修好"])
    assert record == {"opened_at": "2026-11-18 9:05", "summary": "漏水", "customer_phone": "13800138000",
                      "resolution": "已派人\n已修好"}
    assert p.record([None, datetime(2026, 11, 18), time(9, 5)])["opened_at"] == datetime(2026, 11, 18, 9, 5)
    assert p.record([None, 46344, "9:05"])["opened_at"] == "2026-11-18 9:05"
    assert p.record([None, "2026-11-18", None, "  "]) == {"opened_at": "2026-11-18"}  # empty cells are absent
    with pytest.raises(ValueError):
        p.record([None] * 9 + ["多出来的"])


def test_column_plan_maps():
    p = plan(["日期", "车牌号", "内容"], maps={"车牌号": "department", "内容": ""})
    assert p.fields == {0: "opened_at", 1: "department"} and p.skipped == [2] and p.unknown == []
    p.require_known()
    with pytest.raises(CSError, match="not a field"):
        plan(["日期", "车牌号"], maps={"车牌号": "plate"})
    with pytest.raises(CSError, match="does not have"):
        plan(["日期", "内容"], maps={"车牌号": "department"})
    with pytest.raises(CSError, match="all map to category"):
        plan(["类型", "类别"])
    with pytest.raises(CSError, match="all map to channel"):
        plan(["方式", "渠道"])


def test_value_maps_and_defaults():
    maps = sheets.parse_value_maps(["category:水电=repair", "agent:小王=wang", "category: 维修 = repair"],
                                   TICKET_SHEET.fields)
    assert maps == {"category": {"水电": "repair", "维修": "repair"}, "agent": {"小王": "wang"}}
    defaults = sheets.parse_pairs(["channel=phone"], "--default", TICKET_SHEET.fields, allow_empty=False)
    record = sheets.translate_values({"category": "水电", "agent": "小李", "channel": ""}, maps, defaults)
    assert record == {"category": "repair", "agent": "小李", "channel": "phone"}
    with pytest.raises(CSError):
        sheets.parse_value_maps(["category水电=repair"], TICKET_SHEET.fields)


def test_whole_number_text():
    assert sheets.whole_number_text(13800138000.0) == "13800138000"
    assert sheets.whole_number_text(13800138000) == "13800138000"
    assert sheets.whole_number_text(1.5) == 1.5
    assert sheets.whole_number_text(True) is True


def test_an_encoding_can_be_named_and_csv_files_carry_a_bom_for_excel(cs, tmp_path):
    """Issue 19 (section 17): a CSV opened in Excel in China showed mojibake (no BOM); an encoding could not be
    named. -o FILE.csv starts with the UTF-8 BOM; --encoding gb18030 reads a GB18030 file as such."""
    path = tmp_path / "gb.csv"
    path.write_bytes("日期,内容,类型,方式\n2026/11/18 9:05,漏水,报修,来电\n".encode("gb18030"))
    assert cs(["ticket", "import", str(path), "--encoding", "gb18030"]).exit_code == 0
    wrong = cs(["ticket", "import", str(path), "--encoding", "utf-8", "--allow-duplicates"])
    assert wrong.exit_code == 1 and wrong.stderr.count("Error:") >= 1 and "Traceback" not in wrong.stderr
    out = tmp_path / "tickets.csv"
    assert cs(["ticket", "list", "--format", "csv", "-o", str(out)]).exit_code == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "漏水".encode() in data
    json_file = tmp_path / "t.jsonl"
    json_file.write_text("", "utf-8")
    assert "--encoding is for CSV files" in cs(["ticket", "import", str(json_file), "--encoding", "gb18030"]).stderr


def test_libreoffice_us_export_12_hour_times_and_month_first_dates(cs, tmp_path):
    """Issue 19 (SPEC section 17): LibreOffice's default CSV export (`11/18/2026`, `9:05:00 AM`) was refused with a
    literal \\n in the error. With --date-order mdy it imports; without, each row says what to add, on one line."""
    path = tmp_path / "libreoffice.csv"
    path.write_text("受理日期,受理时间,渠道,类别,摘要\n"
                    "11/18/2026,9:05:00 AM,来电,咨询,早上的电话\n"
                    "11/18/2026,12:30:00 PM,来电,咨询,中午的电话\n"
                    "11/18/2026,12:10:00 AM,来电,咨询,半夜的电话\n"
                    "11/18/2026,1:30:00 PM,来电,咨询,下午的电话\n", encoding="utf-8")
    refused = cs(["ticket", "import", str(path)])
    assert refused.exit_code == 1 and "\\n" not in refused.stderr
    assert ("line 2: opened_at (column 受理日期+受理时间): '11/18/2026 9:05:00 AM' gives the year last: say whether"
            " the month or the day comes first, with --date-order mdy") in refused.stderr
    assert ok(cs(["ticket", "import", str(path), "--date-order", "mdy"]))
    opened = {t["summary"]: t["opened_at"] for t in listing(cs)}
    assert opened == {"早上的电话": "2026-11-18T09:05:00+08:00", "中午的电话": "2026-11-18T12:30:00+08:00",
                      "半夜的电话": "2026-11-18T00:10:00+08:00", "下午的电话": "2026-11-18T13:30:00+08:00"}
    day_first = tmp_path / "dmy.csv"
    day_first.write_text("opened_at,channel,category,summary\n03/11/2026 2:05 PM,phone,inquiry,日在前\n",
                         encoding="utf-8")
    assert ok(cs(["ticket", "import", str(day_first), "--date-order", "dmy"]))
    assert next(t for t in listing(cs) if t["summary"] == "日在前")["opened_at"] == "2026-11-03T14:05:00+08:00"
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("opened_at,channel,category,summary\n11/18/2026 13:05 PM,phone,inquiry,x\n", encoding="utf-8")
    assert "13 is not an hour of a 12-hour clock" in cs(["ticket", "import", str(wrong), "--date-order", "mdy"]).stderr


def test_csv_out_in_the_encoding_excel_in_china_reads(cs, tmp_path):
    """SPEC section 17: --encoding utf-8-sig|gb18030 on every CSV output; a file gets the BOM unless told otherwise,
    stdout plain UTF-8 (a pipe wants no BOM)."""
    add_ticket(cs, "空调漏水", "来电", "报修", customer="王女士")
    plain = cs(["ticket", "list", "--format", "csv"])
    assert not plain.stdout.startswith("\ufeff") and "空调漏水" in plain.stdout
    from click.testing import CliRunner

    from cs.cli import cli

    raw = CliRunner().invoke(cli, ["ticket", "list", "--format", "csv", "--encoding", "gb18030"]).stdout_bytes
    assert "空调漏水".encode("gb18030") in raw and "王女士" in raw.decode("gb18030")
    for encoding, starts in (("utf-8-sig", b"\xef\xbb\xbf"), ("gb18030", b"id,")):
        path = tmp_path / f"{encoding}.csv"
        ok(cs(["ticket", "list", "--format", "csv", "-o", str(path), "--encoding", encoding]))
        assert path.read_bytes().startswith(starts) and "空调漏水" in path.read_bytes().decode(encoding)
    default = tmp_path / "default.tsv"
    ok(cs(["ticket", "list", "--format", "tsv", "-o", str(default)]))
    assert default.read_bytes().startswith(b"\xef\xbb\xbf")
    exported = CliRunner().invoke(cli, ["ticket", "export", "--format", "csv", "--encoding", "gb18030"]).stdout_bytes
    assert "空调漏水" in exported.decode("gb18030")
    refused = cs(["ticket", "list", "--json", "--encoding", "gb18030"])
    assert refused.exit_code == 2 and "--encoding is for --format csv or tsv" in refused.stderr
