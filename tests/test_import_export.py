"""Ticket export and import (SPEC section 4): round trips through jsonl/json/csv, CSV formula
neutralisation, all-or-nothing validation naming bad lines and fields, dry runs, stdin, file-level
errors (encoding, broken JSON) and flat memory while streaming large files.

Round-trip comparison: reading cs/tickets_io.py, import keeps every exported field as given
(created_by and updated_at included; `breached` is recomputed from the same facts under the same
clock), so the whole `ticket list --json` must come back identical. No field is excluded.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tracemalloc

import pytest
from helpers_tickets import D, add_ticket, ctx_at, ids, listing, ok, register

from cs.desk import tickets
from cs.exchange import tickets as tickets_io

GOOD = {"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry", "summary": "咨询"}


def jsonl(*rows) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def row(**changes):
    out = {**GOOD, **changes}
    return {k: v for k, v in out.items() if v is not None}


@pytest.fixture
def other(tmp_path):
    """A second, fresh database: env override for `cs`."""
    return {"CS_DB": str(tmp_path / "other.db")}


def build_varied(cs):
    """Tickets in every state, with Chinese text, tags, phones, verdicts, a pause and a priority change."""
    register(cs, "a1", "a2")
    t1 = add_ticket(cs, "空调漏水严重，客户很生气", "来电", "投诉", agent="a1", about="a2", phone="+86 138-0013-8000",
                    customer="王女士", detail="客厅天花板渗水,\n已拍照\t留存", tag=["漏水", "vip"], priority="high",
                    department="工程部", opened_at="2026-11-16T09:00")["id"]
    ok(cs(f"ticket respond {t1} --at 2026-11-16T09:10"))
    ok(cs(["ticket", "note", str(t1), "已联系物业", "--at", "2026-11-16T09:20"]))
    ok(cs(f"ticket verdict {t1} 成立 --at 2026-11-16T10:00"))
    ok(cs(["ticket", "resolve", str(t1), "--resolution", "更换管道，赔偿200元", "--at", "2026-11-16T15:00"]))
    ok(cs(f"ticket close {t1} --at 2026-11-17T09:00"))

    t2 = add_ticket(cs, "Printer JAM in lobby, \"urgent\"", "visit", "repair", agent="a2", priority="urgent",
                    opened_at="2026-11-20T08:00", tag=["hardware"])["id"]
    ok(cs(f"ticket respond {t2} --at 2026-11-20T08:05"))

    t3 = add_ticket(cs, "咨询会员积分规则", "online", "inquiry", phone="13900139000", opened_at="2026-11-19T14:00")["id"]
    ok(cs(["ticket", "resolve", str(t3), "--resolution", "已解答", "--fcr", "--at", "2026-11-19T14:20"]))

    t4 = add_ticket(cs, "退换货：尺码不合适", "email", "return", agent="a1", phone="0086 13800138000",
                    opened_at="2026-11-18T11:00")["id"]
    ok(cs(f"ticket respond {t4} --at 2026-11-18T11:30"))
    ok(cs(["ticket", "pend", str(t4), "--reason", "等客户寄回", "--at", "2026-11-19T10:00"]))

    t5 = add_ticket(cs, "建议增加夜间客服", "social", "suggestion", priority="low", opened_at="2026-11-17T20:00")["id"]
    ok(cs(f"ticket respond {t5} --at 2026-11-17T21:00"))
    ok(cs(f"ticket pend {t5} --at 2026-11-18T09:00"))
    ok(cs(f"ticket resume {t5} --at 2026-11-19T09:00"))
    ok(cs(f"ticket update {t5} --priority normal --tag 夜班"))

    t6 = add_ticket(cs, "投诉不成立的案例", "letter", "complaint", opened_at="2026-11-10T09:00")["id"]
    ok(cs(f"ticket verdict {t6} rejected --at 2026-11-10T09:30"))
    ok(cs(["ticket", "resolve", str(t6), "--resolution", "解释说明", "--at", "2026-11-13T18:00"]))
    ok(cs(f"ticket reopen {t6} --at 2026-11-16T09:00"))

    t7 = add_ticket(cs, "预约上门", "sms", "booking", opened_at="2026-11-20T09:00")["id"]  # open, nothing else
    return [t1, t2, t3, t4, t5, t6, t7]


# =========================================================================== round trip


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_round_trip(cs, tmp_path, other, fmt):
    build_varied(cs)
    original = listing(cs)
    assert len(original) == 7
    assert {r["status"] for r in original} == {"open", "in_progress", "pending", "resolved", "closed"}
    exported = ok(cs(["ticket", "export", "--format", fmt])).stdout
    path = tmp_path / f"tickets.{fmt}"
    path.write_text(exported, encoding="utf-8")

    register(cs, "a1", "a2", env=other)
    result = ok(cs(["ticket", "import", str(path)], env=other))
    assert "7" in result.stderr
    copy = listing(cs, env=other)
    assert copy == original  # every field, created_by and updated_at included
    # customers came along
    phones = sorted(c["phone"] for c in ok(cs("customer list --json", env=other)).json())
    assert phones == ["13800138000", "13900139000"]
    # and the copy is searchable
    assert ids(cs, "--search", "漏水", env=other) == [1]
    assert ids(cs, "--search", "printer", env=other) == [2]
    # exporting the copy gives the same file
    assert ok(cs(["ticket", "export", "--format", fmt], env=other)).stdout == exported


def test_round_trip_with_different_actor_keeps_created_by(cs, tmp_path, other):
    build_varied(cs)
    path = tmp_path / "t.jsonl"
    path.write_text(ok(cs("ticket export")).stdout, encoding="utf-8")
    register(cs, "a1", "a2", env=other)
    ok(cs(["--as", "importer", "ticket", "import", str(path)], env=other))
    assert {r["created_by"] for r in listing(cs, env=other)} == {"tester"}


def test_export_default_format_is_jsonl_sorted_by_id(cs):
    build_varied(cs)
    lines = ok(cs("ticket export")).stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [1, 2, 3, 4, 5, 6, 7]
    assert set(json.loads(lines[0])) == set(tickets.FIELDS)


def test_export_filters(cs):
    build_varied(cs)
    out = ok(cs("ticket export --status closed --status resolved")).stdout
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1, 3]
    out = ok(cs("ticket export --since 2026-11-19 --format json")).stdout
    assert [r["id"] for r in json.loads(out)] == [2, 3, 7]


def test_export_empty(cs):
    assert ok(cs("ticket export")).stdout == ""
    assert ok(cs("ticket export --format json")).stdout.strip() == "[]"
    assert ok(cs("ticket export --format csv")).stdout == ""


def test_imported_pending_ticket_keeps_paused_time_when_resumed(cs, tmp_path, other):
    """A ticket pended two working days ago: resuming the original or the imported copy at the same
    moment must give the same resolve deadline (the paused time travels with the export)."""
    tid = add_ticket(cs, "等待配件", opened_at="2026-11-16T09:00")["id"]  # normal: due Wed 11-18 09:00
    ok(cs(f"ticket respond {tid} --at 2026-11-16T09:10"))
    ok(cs(f"ticket pend {tid} --at 2026-11-16T10:00"))
    path = tmp_path / "t.jsonl"
    path.write_text(ok(cs("ticket export")).stdout, encoding="utf-8")
    ok(cs(["ticket", "import", str(path)], env=other))
    assert listing(cs, env=other) == listing(cs)
    original = ok(cs(f"ticket resume {tid} --json")).json()
    copy = ok(cs(f"ticket resume {tid} --json", env=other)).json()
    # 1 working hour used before the pause; 47 left from Fri 09:30 -> Tue 11-24 08:30
    assert original["resolve_due_at"] == D("2026-11-24T08:30")
    assert copy["resolve_due_at"] == original["resolve_due_at"]


def test_imported_resumed_ticket_keeps_deadline_on_priority_change(cs, tmp_path, other):
    """A ticket whose deadline was moved by an earlier pause: after import, a priority change must
    not forget that pause."""
    tid = add_ticket(cs, "等待配件", opened_at="2026-11-16T09:00")["id"]
    ok(cs(f"ticket respond {tid} --at 2026-11-16T09:10"))
    ok(cs(f"ticket pend {tid} --at 2026-11-16T10:00"))
    ok(cs(f"ticket resume {tid} --at 2026-11-17T10:00"))  # paused 24 working hours
    path = tmp_path / "t.jsonl"
    path.write_text(ok(cs("ticket export")).stdout, encoding="utf-8")
    ok(cs(["ticket", "import", str(path)], env=other))
    original = ok(cs(f"ticket update {tid} --priority low --json")).json()
    copy = ok(cs(f"ticket update {tid} --priority low --json", env=other)).json()
    assert original["resolve_due_at"] == D("2026-11-20T09:00")  # 3wd + 24h pause
    assert copy["resolve_due_at"] == original["resolve_due_at"]


# =========================================================================== CSV neutralisation


def test_csv_export_neutralises_formulas(cs):
    add_ticket(cs, "=1+2")
    add_ticket(cs, "+SUM(A1:A9)", detail="@cmd")
    add_ticket(cs, "-2+3", customer="=HYPERLINK(\"http://x\")")
    add_ticket(cs, "正常摘要 =1+2")
    out = ok(cs("ticket export --format csv")).stdout
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["1"]["summary"] == "'=1+2"
    assert rows["2"]["summary"] == "'+SUM(A1:A9)"
    assert rows["2"]["detail"] == "'@cmd"
    assert rows["3"]["summary"] == "'-2+3"
    assert rows["3"]["customer_name"] == "'=HYPERLINK(\"http://x\")"
    assert rows["4"]["summary"] == "正常摘要 =1+2"
    assert rows["1"]["opened_at"] == "2026-11-20T09:30:00+08:00"  # times untouched
    tsv = ok(cs("ticket export --format tsv")).stdout
    assert list(csv.DictReader(io.StringIO(tsv), delimiter="\t"))[0]["summary"] == "'=1+2"
    # list --format csv does the same
    out = ok(cs("ticket list --format csv --sort id")).stdout
    assert list(csv.DictReader(io.StringIO(out)))[0]["summary"] == "'=1+2"


# =========================================================================== validation: all or nothing


def test_import_good_file_with_defaults(cs, tmp_path):
    register(cs, "a1")
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(
        row(),
        row(channel="来电", category="投诉", summary="空调漏水", agent="a1", customer_phone="+86 138 0013 8000",
            customer_name="王女士", tags=["漏水"], priority="紧急"),
    ), encoding="utf-8")
    result = ok(cs(["ticket", "import", str(path)]))
    assert "imported 2" in result.stderr
    rows = listing(cs, "--sort", "id")
    assert [r["id"] for r in rows] == [1, 2]
    first, second = rows
    assert (first["priority"], first["status"], first["tags"], first["agent"]) == ("normal", "open", [], None)
    assert first["created_by"] == "tester"
    assert first["first_response_due_at"] == D("2026-11-19T12:00")
    assert first["resolve_due_at"] == D("2026-11-23T10:00")
    assert (second["channel"], second["category"], second["priority"]) == ("phone", "complaint", "urgent")
    assert second["customer_phone"] == "13800138000" and second["tags"] == ["漏水"]
    assert second["first_response_due_at"] == D("2026-11-19T10:15")
    assert ok(cs("customer show 13800138000 --json")).json()["name"] == "王女士"
    # a later add continues the numbering
    assert add_ticket(cs, "x")["id"] == 3


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_import_bad_rows_write_nothing(cs, tmp_path, fmt):
    rows = [row(summary="一"), row(channel="fax", summary="二"), row(summary="三"), row(summary=None),
            row(summary="五")]
    path = tmp_path / f"in.{fmt}"
    if fmt == "jsonl":
        path.write_text(jsonl(*rows), encoding="utf-8")
        bad_lines = (2, 4)
    elif fmt == "json":
        path.write_text("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n", encoding="utf-8")
        bad_lines = (3, 5)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(GOOD), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        bad_lines = (3, 5)
    result = cs(["ticket", "import", str(path)])
    assert result.exit_code == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    enum_line = [line for line in lines if f"line {bad_lines[0]}" in line]
    summary_line = [line for line in lines if f"line {bad_lines[1]}" in line]
    assert enum_line and "channel" in enum_line[0], result
    assert summary_line and "summary" in summary_line[0], result
    assert not any(f"line {n}:" in result.stderr for n in range(1, 7) if n not in bad_lines)
    assert all(line.startswith("Error:") for line in lines)
    assert listing(cs) == []
    assert ok(cs("customer list --json")).json() == []


def test_import_csv_line_numbers_with_multiline_cell(cs, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(
        "opened_at,channel,category,summary,detail\n"
        "2026-11-19T10:00:00+08:00,phone,inquiry,一,\"第一行\n第二行\"\n"
        "2026-11-19T10:00:00+08:00,phone,bogus,二,\n",
        encoding="utf-8",
    )
    result = refused_import(cs, path)
    assert "line 4" in result.stderr and "category" in result.stderr


def refused_import(cs, path, *extra):
    result = cs(["ticket", "import", str(path), *extra])
    assert result.exit_code == 1, result
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error:")
    assert listing(cs) == []
    return result


@pytest.mark.parametrize("bad,field", [
    (row(opened_at=None), "opened_at"),
    (row(opened_at="yesterday"), "opened_at"),
    (row(channel=None), "channel"),
    (row(category="杂事"), "category"),
    (row(priority="asap"), "priority"),
    (row(status="done"), "status"),
    (row(status="resolved"), "resolved_at"),
    (row(status="closed", resolved_at="2026-11-19T11:00:00+08:00"), "closed_at"),
    (row(resolved_at="2026-11-19T11:00:00+08:00"), "status"),
    (row(first_response_at="2026-11-19T09:00:00+08:00"), "first_response_at"),  # before opened_at
    (row(customer_phone="12ab"), "customer_phone"),
    (row(agent="ghost"), "agent"),
    (row(about_agent="ghost"), "about_agent"),
    (row(verdict="upheld"), "verdict"),  # not a complaint
    (row(category="complaint", verdict="maybe"), "verdict"),
    (row(tags="not a list but ok; two words"), "tags"),
    (row(tags=[1, 2]), "tags"),
    (row(fcr="perhaps"), "fcr"),
    (row(satisfaction=9), "satisfaction"),
    (row(id=-3), "id"),
    (row(id="abc"), "id"),
    (row(summary=""), "summary"),
    (row(summary=42), "summary"),
    (row(summary="x" * 1001), "summary"),
    ([1, 2], "(line)"),
])
def test_import_row_errors_name_the_field(cs, tmp_path, bad, field):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(GOOD, bad, GOOD), encoding="utf-8")
    result = refused_import(cs, path)
    assert f"line 2: {field}" in result.stderr, result


def test_import_unknown_field_refused(cs, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(GOOD, row(colour="red")), encoding="utf-8")
    result = refused_import(cs, path)
    assert "line 2" in result.stderr and "colour" in result.stderr


def test_import_unknown_csv_column_refused(cs, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("opened_at,channel,category,summary,colour\n2026-11-19T10:00:00+08:00,phone,inquiry,x,red\n",
                    encoding="utf-8")
    result = refused_import(cs, path)
    assert "colour" in result.stderr


def test_import_not_valid_json_line(cs, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(GOOD) + "{not json\n" + jsonl(GOOD), encoding="utf-8")
    result = refused_import(cs, path)
    assert "line 2" in result.stderr


def test_import_dry_run_writes_nothing(cs, tmp_path, validate):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(GOOD, row(summary="二"), row(summary="三")), encoding="utf-8")
    result = ok(cs(["ticket", "import", str(path), "--dry-run"]))
    assert "3" in result.stderr and "would" in result.stderr
    assert listing(cs) == []
    assert ok(cs("customer list --json")).json() == []
    result = ok(cs(["ticket", "import", str(path), "--dry-run", "--json"]))
    assert result.json()["imported"] == 3 and result.json()["dry_run"] is True
    validate(result.json(), "import-result")
    # the real import afterwards
    ok(cs(["ticket", "import", str(path)]))
    assert len(listing(cs)) == 3


def test_import_dry_run_reports_bad_rows(cs, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(GOOD, row(channel="fax")), encoding="utf-8")
    result = refused_import(cs, path, "--dry-run")
    assert "line 2" in result.stderr and "channel" in result.stderr


def test_import_duplicate_id_refused_naming_line(cs, tmp_path):
    add_ticket(cs, "已有工单")  # id 1
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(row(id=10), row(id=1, summary="撞号")), encoding="utf-8")
    before = listing(cs)
    result = cs(["ticket", "import", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "line 2: id" in result.stderr, result
    assert listing(cs) == before


def test_import_duplicate_id_names_only_the_clashing_line(cs, tmp_path):
    add_ticket(cs, "已有工单")  # id 1
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(row(id=10, summary="一"), row(id=11, summary="二"), row(id=1, summary="撞号")),
                    encoding="utf-8")
    result = cs(["ticket", "import", str(path)])
    assert result.exit_code == 1
    assert "line 3: id" in result.stderr
    assert "line 1" not in result.stderr and "line 2" not in result.stderr, result.stderr


def test_import_duplicate_id_within_file(cs, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(row(id=7, summary="甲"), row(id=8, summary="乙"), row(id=7, summary="撞号")),
                    encoding="utf-8")
    result = refused_import(cs, path)
    assert "line 3: id" in result.stderr
    assert "line 1" not in result.stderr and "line 2" not in result.stderr, result.stderr


def test_import_duplicate_id_dry_run(cs, tmp_path):
    add_ticket(cs, "已有工单")
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(row(id=1)), encoding="utf-8")
    result = cs(["ticket", "import", str(path), "--dry-run"])
    assert result.exit_code == 1 and "line 1: id" in result.stderr


def test_import_invalid_utf8_refused(cs, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(jsonl(GOOD, GOOD).encode() + b'{"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone",'
                     b' "category": "inquiry", "summary": "\xff\xfe\xc3("}\n')
    result = refused_import(cs, path)
    assert "UTF-8" in result.stderr


def test_import_invalid_utf8_names_the_line(cs, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(jsonl(GOOD, GOOD).encode() + b'{"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone",'
                     b' "category": "inquiry", "summary": "\xff\xfe"}\n')
    result = refused_import(cs, path)
    assert "line 3" in result.stderr, result.stderr


def test_import_gbk_csv_is_read_as_gb18030(cs, tmp_path):
    """Excel in China saves CSV in GBK/GB18030: detected without a flag (issue 9)."""
    path = tmp_path / "in.csv"
    path.write_bytes("opened_at,channel,category,summary\n2026-11-19T10:00:00+08:00,来电,咨询,空调漏水\n".encode("gbk"))
    ok(cs(["ticket", "import", str(path)]))
    assert listing(cs)[0]["summary"] == "空调漏水"


def test_import_utf8_bom_csv_accepted(cs, tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("opened_at,channel,category,summary\n2026-11-19T10:00:00+08:00,来电,咨询,空调漏水\n"
                     .encode("utf-8-sig"))
    ok(cs(["ticket", "import", str(path)]))
    assert listing(cs)[0]["summary"] == "空调漏水"


@pytest.mark.parametrize("text", [
    '[{"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry", "summary": "a"},\n'
    ' {"opened_at": ',
    '[{"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry", "summary": "a"}',
    '[{"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry", "summary": "a"}\n'
    ' {"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry", "summary": "b"}]',
    '{"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry", "summary": "a"}',
    '',
])
def test_import_broken_json_array_refused(cs, tmp_path, text):
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    result = refused_import(cs, path)
    assert re.search(r"line \d+: \(file\)", result.stderr), result.stderr


def test_import_missing_file(cs, tmp_path):
    result = cs(["ticket", "import", str(tmp_path / "nope.jsonl")])
    assert result.exit_code in (1, 2) and "Traceback" not in result.stderr
    assert "nope.jsonl" in result.stderr


def test_import_stdin_jsonl(cs):
    result = ok(cs(["ticket", "import", "-"], input=jsonl(GOOD, row(summary="空调漏水"))))
    assert "imported 2" in result.stderr
    assert [r["summary"] for r in listing(cs, "--sort", "id")] == ["咨询", "空调漏水"]


def test_import_stdin_json_array_and_explicit_format(cs):
    ok(cs(["ticket", "import", "-"], input=json.dumps([GOOD, row(summary="二")])))
    ok(cs(["ticket", "import", "-", "--format", "jsonl"], input=jsonl(row(summary="三"))))
    assert len(listing(cs)) == 3


def test_import_stdin_bad_rows(cs):
    result = cs(["ticket", "import", "-"], input=jsonl(GOOD, row(category="bogus")))
    assert result.exit_code == 1 and "line 2: category" in result.stderr
    assert listing(cs) == []


def test_import_audited_once(ctx, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(GOOD, row(summary="另一通")), encoding="utf-8")
    result = tickets_io.import_file(ctx, str(path))
    assert result["imported"] == 2 and result["errors"] == []
    rows = ctx.db.all("SELECT * FROM audit WHERE action = 'ticket.import'")
    assert len(rows) == 1 and json.loads(rows[0]["after"])["imported"] == 2


def test_import_domain_failure_leaves_no_rows(ctx, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(*[row(summary=f"第{n}通") for n in range(2500)], row(channel="fax")),
                    encoding="utf-8")  # fails after 2 full batches
    result = tickets_io.import_file(ctx, str(path))
    assert result["imported"] == 0 and result["error_count"] == 1
    assert result["errors"][0]["line"] == 2501 and result["errors"][0]["field"] == "channel"
    assert ctx.db.value("SELECT COUNT(*) FROM tickets") == 0
    assert ctx.db.value("SELECT COUNT(*) FROM ticket_fts") == 0
    assert ctx.db.value("SELECT COUNT(*) FROM audit") == 0


def test_imported_breach_recomputed(ctx, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(row(opened_at="2026-11-19T21:00:00+08:00", breached=False),
                          row(breached=True)), encoding="utf-8")
    tickets_io.import_file(ctx, str(path))
    flags = {t["id"]: t["breached"] for t in tickets.query(ctx)}
    assert flags == {1: True, 2: True}  # both unanswered past first-response due (Thu 23:00 and Thu 12:00)
    assert [t["id"] for t in tickets.query(ctx_at(ctx, "2026-11-19T11:00"), breached=True)] == []


# =========================================================================== size and memory


def _write_rows(path, n):
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({
                "opened_at": f"2026-11-{10 + i % 10:02d}T{8 + i % 12:02d}:{i % 60:02d}:00+08:00",
                "channel": ("phone", "visit", "online")[i % 3],
                "category": ("inquiry", "repair", "complaint")[i % 3],
                "priority": ("low", "normal", "high", "urgent")[i % 4],
                "summary": f"第{i}号工单：空调漏水",
                "detail": "详细描述 " * 20,
                "customer_phone": f"138{i % 500:08d}",
                "tags": ["批量", "导入"],
            }, ensure_ascii=False) + "\n")


def test_import_20000_lines_cli(cs, tmp_path):
    path = tmp_path / "big.jsonl"
    _write_rows(path, 20_000)
    result = ok(cs(["ticket", "import", str(path)]))
    assert "imported 20000" in result.stderr
    assert ids(cs, "--sort", "-id", "--limit", "1") == [20000]
    assert len(ok(cs("ticket list --format jsonl --search 19999号")).stdout.splitlines()) == 1


def test_import_memory_stays_flat(ctx, tmp_path):
    small, large, warm = tmp_path / "5k.jsonl", tmp_path / "20k.jsonl", tmp_path / "warm.jsonl"
    _write_rows(warm, 1200)
    _write_rows(small, 5_000)
    _write_rows(large, 20_000)
    assert tickets_io.import_file(ctx, str(warm), allow_duplicates=True)["imported"] == 1200  # caches, imports

    peaks = {}
    for name, path, n in (("small", small, 5_000), ("large", large, 20_000)):
        tracemalloc.start()
        try:  # the files share their first rows: the same calls, on purpose
            result = tickets_io.import_file(ctx, str(path), allow_duplicates=True)
            peaks[name] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result["imported"] == n and result["errors"] == []
    # 4x the rows must not take anywhere near 4x the memory
    assert peaks["large"] < 1.5 * peaks["small"] + 2_000_000, peaks


def test_import_memory_stays_flat_json_array(ctx, tmp_path):
    def write_array(path, n):
        jl = tmp_path / "tmp.jsonl"
        _write_rows(jl, n)
        with open(jl, encoding="utf-8") as src, open(path, "w", encoding="utf-8") as out:
            out.write("[\n")
            for i, line in enumerate(src):
                out.write((",\n" if i else "") + line.rstrip("\n"))
            out.write("\n]\n")

    small, large = tmp_path / "5k.json", tmp_path / "20k.json"
    write_array(small, 5_000)
    write_array(large, 20_000)
    tickets_io.import_file(ctx, str(small), dry_run=True)  # warm up
    peaks = {}
    for name, path in (("small", small), ("large", large)):
        tracemalloc.start()
        try:
            result = tickets_io.import_file(ctx, str(path), dry_run=True)
            peaks[name] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result["errors"] == []
    assert peaks["large"] < 1.5 * peaks["small"] + 2_000_000, peaks
    assert ctx.db.value("SELECT COUNT(*) FROM tickets") == 0  # dry runs


def test_importing_the_same_sheet_twice_adds_nothing_and_says_so(cs, tmp_path, validate):
    """Issue 19 (SPEC section 17): importing the same sheet twice doubled every ticket, silently. Now a row that is a
    ticket already stored (same opened_at, phone, channel and summary) is skipped and reported, the rest import;
    a row repeated in the file is skipped too; --allow-duplicates keeps them."""
    path = tmp_path / "calls.jsonl"
    path.write_text(jsonl(row(summary="一", customer_phone="13800000001"), row(summary="二")), encoding="utf-8")
    assert cs(["ticket", "import", str(path)]).exit_code == 0
    again = cs(["ticket", "import", str(path)])
    assert again.exit_code == 0
    assert "skipped line 1: ticket 1 is already this record" in again.stderr
    assert "skipped line 2: ticket 2 is already this record" in again.stderr
    assert "imported 0 ticket(s)" in again.stderr and "2 row(s) skipped" in again.stderr
    assert len(listing(cs)) == 2
    more = tmp_path / "more.jsonl"
    more.write_text(jsonl(row(summary="一", customer_phone="13800000001"), row(summary="三"), row(summary="三")),
                    encoding="utf-8")
    result = validate(cs(["ticket", "import", str(more), "--json"]).json(), "import-result")
    assert result["imported"] == 1 and result["skipped"] == 2
    assert result["skipped_rows"] == [
        {"line": 1, "ticket_id": 1,
         "message": "ticket 1 is already this record (time, phone, channel, summary, customer and agent)"},
        {"line": 3, "ticket_id": None,
         "message": "the same as an earlier row of this file (time, phone, channel, summary, customer and agent)"}]
    assert len(listing(cs)) == 3
    assert cs(["ticket", "import", str(path), "--allow-duplicates"]).exit_code == 0
    assert len(listing(cs)) == 5
    # A sheet of days without phones lists different visitors with the same words: they are not duplicates.
    visits = tmp_path / "visits.csv"
    visits.write_text("日期,客户姓名,方式,类型,内容\n2026/11/19,张先生,来访,咨询,咨询物业费\n"
                      "2026/11/19,李女士,来访,咨询,咨询物业费\n2026/11/19,李女士,来访,咨询,咨询物业费\n", encoding="utf-8")
    result = validate(cs(["ticket", "import", str(visits), "--json"]).json(), "import-result")
    assert result["imported"] == 2 and result["skipped"] == 1


def test_an_import_into_an_empty_desk_builds_its_indexes_after_the_rows(cs, tmp_path, validate):
    """Issue 22: into an empty desk the secondary and full-text indexes are built once, at the end, inside the
    import's transaction: the desk ends with the same indexes, search finds the rows, and an import that fails
    leaves the indexes as they were."""
    import os
    import sqlite3

    def schema():
        conn = sqlite3.connect(os.environ["CS_DB"])
        try:
            return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'tickets'"))
        finally:
            conn.close()

    ok(cs(["ticket", "list"]))  # the desk exists, no tickets
    before = schema()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(jsonl(row(summary="好"), row(channel="fax")), encoding="utf-8")
    assert cs(["ticket", "import", str(bad)]).exit_code == 1 and schema() == before
    good = tmp_path / "good.jsonl"
    good.write_text(jsonl(*(row(summary=f"空调漏水第{n}户", opened_at=f"2026-11-19T{9 + n % 8:02d}:{n % 60:02d}:00+08:00")
                            for n in range(50))), encoding="utf-8")
    assert validate(cs(["ticket", "import", str(good), "--json"]).json(), "import-result")["imported"] == 50
    assert schema() == before
    assert len(cs(["ticket", "list", "--search", "漏水第4", "--json"]).json()) == 11  # 第4户, 第40户 … 第49户


def test_a_repeat_far_down_the_file_is_still_found(cs, tmp_path, validate):
    """Rows past the last ticket stored are checked against a fixed-size filter of the file's own rows before the
    database is asked: a repeat 3,000 rows later (past the 2,000 rows held in memory) is still skipped, into an
    empty desk and into one that has older tickets."""
    rows = [row(summary=f"第{n}号", opened_at=f"2026-11-{1 + n // 600:02d}T{9 + n % 10:02d}:{n % 60:02d}:00+08:00")
            for n in range(3000)]
    path = tmp_path / "long.jsonl"
    path.write_text(jsonl(*rows, rows[5]), encoding="utf-8")
    result = validate(cs(["ticket", "import", str(path), "--json"]).json(), "import-result")
    assert (result["imported"], result["skipped"], result["skipped_rows"][0]["line"]) == (3000, 1, 3001)
    newer = [row(summary=f"新{n}号", opened_at=f"2026-11-18T{9 + n % 10:02d}:{n % 60:02d}:00+08:00") for n in range(2500)]
    path.write_text(jsonl(*newer, newer[7], rows[9]), encoding="utf-8")
    result = validate(cs(["ticket", "import", str(path), "--json"]).json(), "import-result")
    assert (result["imported"], result["skipped"]) == (2500, 2)
    assert [entry["line"] for entry in result["skipped_rows"]] == [2501, 2502]


def test_a_customer_written_once_per_import_keeps_the_first_name_given(cs, tmp_path):
    """A phone met on many rows is written once it has a name (issue 22): the first name given stays, whichever
    batch the later rows fall in; a row without a name never blanks it."""
    rows = [row(summary=f"第{n}次", customer_phone="13900000001", opened_at=f"2026-11-1{n // 1000}T09:{n % 60:02d}:00+08:00",
                customer_name=None if n < 3 else ("王先生" if n < 2500 else "李先生")) for n in range(3000)]
    path = tmp_path / "caller.jsonl"
    path.write_text(jsonl(*rows), encoding="utf-8")
    assert ok(cs(["ticket", "import", str(path), "--json"])).json()["imported"] == 3000
    customer = ok(cs("customer show 13900000001 --json")).json()
    assert customer["name"] == "王先生" and customer["tickets"] == 3000


def test_an_import_decides_on_its_indexes_once_it_holds_the_write_lock(cs, tmp_path, monkeypatch):
    """Found by review: the empty-desk decision and the newest stored time were read before the import's
    transaction, so an import that waited for another one to finish dropped the indexes of a full desk and missed
    its repeats. Here tickets arrive between the command starting and its transaction: they are seen."""
    import sqlite3

    from cs.exchange import importing

    ok(cs(["ticket", "list"]))
    path = tmp_path / "rows.jsonl"
    path.write_text(jsonl(row(summary="先到的"), row(summary="新的", opened_at="2026-11-19T11:00:00+08:00")),
                    encoding="utf-8")
    real_run = importing.run

    def another_import_first(ctx, *args, **kwargs):
        other = sqlite3.connect(ctx.db.path)
        other.execute("INSERT INTO tickets (id, opened_at, channel, category, priority, status, summary, created_by,"
                      " updated_at, first_response_due_at, resolve_due_at) VALUES (7, '2026-11-19T02:00:00Z', 'phone',"
                      " 'inquiry', 'normal', 'open', '先到的', 'x', '2026-11-19T02:00:00Z', '2026-11-19T04:00:00Z',"
                      " '2026-11-21T02:00:00Z')")
        other.execute("INSERT INTO ticket_fts (rowid, summary, detail, notes) VALUES (7, '先到的', '', '')")
        other.commit()
        other.close()
        return real_run(ctx, *args, **kwargs)

    monkeypatch.setattr(importing, "run", another_import_first)
    result = ok(cs(["ticket", "import", str(path), "--json"])).json()
    assert (result["imported"], result["skipped"]) == (1, 1)  # the row the other import wrote is a repeat
    assert [t["id"] for t in cs(["ticket", "list", "--search", "新的", "--json"]).json()] == [8]


def test_a_bom_anywhere_at_a_line_start_is_dropped(cs, tmp_path):
    """Files joined with cat carry a BOM in the middle; the importer dropped it before (issue 22 kept it so)."""
    header = "opened_at,channel,category,summary\n"
    body = "2026-11-19T10:00:00+08:00,phone,inquiry,一\n"
    path = tmp_path / "joined.csv"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + header.encode() + body.encode() + b"\xef\xbb\xbf"
                     + "2026-11-19T10:05:00+08:00,phone,inquiry,二\n".encode())
    assert "imported 2 ticket(s)" in ok(cs(["ticket", "import", str(path)])).stderr
