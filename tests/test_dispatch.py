"""Departments and dispatches (SPEC section 18). Seed 004: "能處理的事件當即落實解決,不能處理的事件當天交部門負責人,
由部門負責人決定處理辦法,并交相關人員完成" — a ticket goes to a department, which accepts it (接单) and finishes it
(完工), each on its deadline; the head decides, the contact takes the work."""

from __future__ import annotations

from helpers_tickets import ok, refused

DAY = "2026-11-19"  # a Thursday; the clock of these tests is Friday 2026-11-20 09:30


def centre(cs, validate) -> dict:
    """zhou supervises; li takes calls; gao heads 工程部, xu is its contact."""
    ok(cs(["agent", "add", "zhou", "--name", "周敏", "--role", "supervisor"]))
    for handle, name, role in (("li", "李娜", "agent"), ("gao", "高工", "agent"), ("xu", "徐师傅", "agent")):
        ok(cs(["--as", "zhou", "agent", "add", handle, "--name", name, "--role", role]))
    dept = ok(cs(["--as", "zhou", "dept", "add", "eng", "--name", "工程部", "--head", "gao", "--contact", "徐师傅",
                  "--json"])).json()
    validate(dept, "department")
    assert dept == {"code": "eng", "name": "工程部", "head": "gao", "contact": "xu", "active": True}
    return dept


def ticket(cs, at: str) -> int:
    return int(ok(cs(["--as", "li", "--now", at, "ticket", "add", "--channel", "来电", "--category", "报修",
                      "--summary", "空调漏水", "--agent", "li"])).stdout)


def transfer(cs, validate, ticket_id: int, at: str, *extra) -> dict:
    doc = ok(cs(["--as", "li", "--now", at, "ticket", "transfer", str(ticket_id), "工程部", *extra, "--json"])).json()
    return validate(doc, "dispatch")


def test_a_transfer_opens_a_dispatch_on_its_own_service_time_deadlines(cs, validate):
    centre(cs, validate)
    late = ticket(cs, f"{DAY}T22:40")
    sent = transfer(cs, validate, late, f"{DAY}T22:50")
    # [sla.dispatch] accept = 30m of service time (09:00-23:00): 10 minutes that evening, 20 the next morning.
    assert sent["accept_due_at"] == "2026-11-20T09:20:00+08:00"
    # done = 1wd: the next working day at the same clock time (Friday 22:50).
    assert sent["done_due_at"] == "2026-11-20T22:50:00+08:00"
    assert (sent["status"], sent["ticket_id"], sent["department"], sent["sent_by"]) == ("sent", late, "eng", "li")
    shown = ok(cs(["ticket", "show", str(late), "--json"])).json()
    assert shown["department"] == "工程部" and shown["history"][-1]["kind"] == "transferred"
    again = cs(["--as", "li", "ticket", "transfer", str(late), "eng"])
    assert refused(again) and "already with 工程部" in again.stderr
    other = ticket(cs, f"{DAY}T10:00")
    given = transfer(cs, validate, other, f"{DAY}T10:05", "--due", f"{DAY}T17:00", "--note", "请今天修好")
    assert given["done_due_at"] == f"{DAY}T17:00:00+08:00" and given["accept_due_at"] == f"{DAY}T10:35:00+08:00"
    ok(cs(["--as", "xu", "--now", f"{DAY}T10:30", "dispatch", "accept", str(given["id"])]))
    finished = ok(cs(["--as", "xu", "--now", f"{DAY}T16:00", "dispatch", "done", str(given["id"]), "--note", "已修好",
                      "--json"])).json()
    assert (finished["note"], finished["done_note"]) == ("请今天修好", "已修好")  # the request and the answer, both


def test_accepted_then_done_by_the_department_each_step_timed(cs, validate):
    centre(cs, validate)
    sent = transfer(cs, validate, ticket(cs, f"{DAY}T09:00"), f"{DAY}T09:10")
    early = cs(["--as", "xu", "dispatch", "done", str(sent["id"])])
    assert refused(early) and f"accept it first: cs dispatch accept {sent['id']}" in early.stderr
    stranger = cs(["--as", "li", "dispatch", "accept", str(sent["id"])])
    assert refused(stranger) and "needs the role leader or supervisor" in stranger.stderr
    accepted = validate(ok(cs(["--as", "xu", "--now", f"{DAY}T09:30", "dispatch", "accept", str(sent["id"]),
                               "--json"])).json(), "dispatch")
    assert (accepted["status"], accepted["accepted_at"], accepted["accepted_by"]) == (
        "accepted", f"{DAY}T09:30:00+08:00", "xu")
    assert refused(cs(["--as", "gao", "dispatch", "accept", str(sent["id"])]))  # once
    done = validate(ok(cs(["--as", "gao", "--now", f"{DAY}T16:00", "dispatch", "done", str(sent["id"]), "--note",
                           "已更换排水管", "--json"])).json(), "dispatch")
    assert (done["status"], done["done_by"], done["done_note"], done["overdue"]) == ("done", "gao", "已更换排水管", False)
    listed = ok(cs(["dispatch", "list", "--dept", "工程部", "--json"])).json()
    assert [d["id"] for d in listed] == [sent["id"]] and ok(cs(["dispatch", "list", "--open", "--json"])).json() == []


def test_the_reports_count_each_departments_dispatches_on_time_or_not(cs, validate):
    """Hand computed for the day of DAY: A accepted 09:20 (due 09:40) and done 15:00 (due DAY+1wd): on time; B sent
    10:00, accepted 11:00 (due 10:30, late), not done; C sent 14:00 with --due 16:00, accepted 14:10, not done by
    16:00 (late at the day's end); D sent the day before, done on DAY 09:00 (on time)."""
    centre(cs, validate)
    d = transfer(cs, validate, ticket(cs, "2026-11-18T10:00"), "2026-11-18T10:05")
    ok(cs(["--as", "xu", "--now", "2026-11-18T10:10", "dispatch", "accept", str(d["id"])]))
    ok(cs(["--as", "xu", "--now", f"{DAY}T09:00", "dispatch", "done", str(d["id"])]))
    a = transfer(cs, validate, ticket(cs, f"{DAY}T09:05"), f"{DAY}T09:10")
    ok(cs(["--as", "xu", "--now", f"{DAY}T09:20", "dispatch", "accept", str(a["id"])]))
    ok(cs(["--as", "xu", "--now", f"{DAY}T15:00", "dispatch", "done", str(a["id"])]))
    b = transfer(cs, validate, ticket(cs, f"{DAY}T09:55"), f"{DAY}T10:00")
    ok(cs(["--as", "xu", "--now", f"{DAY}T11:00", "dispatch", "accept", str(b["id"])]))
    c = transfer(cs, validate, ticket(cs, f"{DAY}T13:55"), f"{DAY}T14:00", "--due", f"{DAY}T16:00")
    ok(cs(["--as", "xu", "--now", f"{DAY}T14:10", "dispatch", "accept", str(c["id"])]))
    report = validate(ok(cs(["report", "day", "--date", DAY, "--json"])).json(), "report")
    assert report["dispatches"] == [{"department": "eng", "name": "工程部", "sent": 3, "accepted": 3,
                                     "accepted_on_time": 2, "done": 2, "done_on_time": 2, "overdue_at_end": 1}]
    month = validate(ok(cs(["report", "month", "--month", "2026-11", "--json"])).json(), "report")
    assert month["dispatches"][0]["sent"] == 4 and month["dispatches"][0]["done_on_time"] == 2
    text = ok(cs(["--lang", "zh", "report", "day", "--date", DAY])).stdout
    assert "工程部: 派单 3 | 接单 3 (按时 2) | 完工 2 (按时 2) | 逾期未完 1" in text
    overdue = ok(cs(["dispatch", "list", "--overdue", "--json"])).json()
    assert [x["id"] for x in overdue] == [c["id"]]


def test_departments_are_a_supervisors_and_names_work_like_codes(cs, validate):
    centre(cs, validate)
    assert refused(cs(["--as", "li", "dept", "add", "cs2", "--name", "客服二部", "--head", "li"]))
    assert refused(cs(["--as", "zhou", "dept", "add", "eng2", "--name", "工程部", "--head", "gao"]))
    assert refused(cs(["--as", "zhou", "dept", "add", "ops", "--name", "运营部", "--head", "nobody"]))
    changed = ok(cs(["--as", "zhou", "dept", "update", "工程部", "--head", "xu", "--contact", "", "--json"])).json()
    assert validate(changed, "department")["head"] == "xu" and changed["contact"] is None
    ok(cs(["--as", "zhou", "dept", "update", "eng", "--inactive"]))
    closed = cs(["--as", "li", "ticket", "transfer", str(ticket(cs, f"{DAY}T09:00")), "eng"])
    assert refused(closed) and "deactivated" in closed.stderr
    assert ok(cs(["dept", "list", "--json"])).json() == []
    assert [d["code"] for d in ok(cs(["dept", "list", "--all", "--json"])).json()] == ["eng"]


# --- the property desk's 住处 (SPEC section 18; seed 004: 禮貌詢問業主或客戶的姓名、住處) -------------------------------------


def test_a_tickets_building_unit_and_room_and_the_customers(cs, validate):
    first = ok(cs(["ticket", "add", "--channel", "来访", "--category", "报修", "--summary", "厨房漏水", "--phone",
                   "13900000001", "--customer", "王建国", "--building", "3栋", "--unit", "2", "--room", "301",
                   "--json"])).json()
    assert validate(first, "ticket")[("building")] == "3栋" and (first["unit"], first["room"]) == ("2", "301")
    # The next call from the same phone takes the customer's 住处.
    second = ok(cs(["ticket", "add", "--channel", "来电", "--category", "咨询", "--summary", "物业费", "--phone",
                    "13900000001", "--json"])).json()
    assert (second["building"], second["unit"], second["room"]) == ("3栋", "2", "301")
    customer = validate(ok(cs(["customer", "show", "13900000001", "--json"])).json(), "customer")
    assert (customer["building"], customer["room"]) == ("3栋", "301")
    ok(cs(["ticket", "add", "--channel", "来电", "--category", "咨询", "--summary", "别处", "--building", "5号楼"]))
    assert [t["id"] for t in ok(cs(["ticket", "list", "--building", "3栋", "--json"])).json()] == [second["id"],
                                                                                                  first["id"]]
    assert [t["id"] for t in ok(cs(["ticket", "list", "--building", "3栋", "--room", "302", "--json"])).json()] == []
    moved = ok(cs(["customer", "set", "13900000001", "--building", "6栋", "--unit", "", "--room", "601",
                   "--json"])).json()
    assert (moved["building"], moved["unit"], moved["room"]) == ("6栋", None, "601")
    assert [c["phone"] for c in ok(cs(["customer", "list", "--building", "6栋", "--json"])).json()] == ["13900000001"]
    ok(cs(["ticket", "update", str(first["id"]), "--tag", "demand"]))
    day = ok(cs(["--now", "2026-11-21T09:00", "--lang", "zh", "report", "day", "--date", "2026-11-20"])).stdout
    assert f"#{first['id']} 厨房漏水 (3栋2单元301)" in day


def test_a_sheets_zhuchu_column_reads_into_building_unit_and_room(cs, tmp_path):
    path = tmp_path / "来访记录.csv"
    path.write_text("日期,业主,联系电话,住处,类型,事由,方式\n"
                    "2026/11/19 9:05,赵阿姨,13900000009,5号楼1203室,报修,电梯按钮失灵,来访\n"
                    "2026/11/19 10:05,钱先生,13900000010,3栋2单元301,报修,水管漏水,来访\n"
                    "2026/11/19 11:05,孙女士,13900000011,东区花园,咨询,停车位,来电\n", encoding="utf-8")
    ok(cs(["ticket", "import", str(path)]))
    read = {t["summary"]: (t["building"], t["unit"], t["room"]) for t in ok(cs(["ticket", "list", "--json"])).json()}
    assert read == {"电梯按钮失灵": ("5号楼", None, "1203"), "水管漏水": ("3栋", "2", "301"),
                    "停车位": ("东区花园", None, None)}  # a 住处 that is not 楼栋/单元/房号 is kept whole
    columns = tmp_path / "楼栋单元房号.csv"
    columns.write_text("日期,楼栋,单元,房号,类型,事由,方式\n2026/11/19 12:00,7栋,1,702,咨询,门禁卡,来访\n",
                       encoding="utf-8")
    ok(cs(["ticket", "import", str(columns)]))
    exported = tmp_path / "out.jsonl"
    ok(cs(["ticket", "export", "-o", str(exported)]))
    text = exported.read_text("utf-8")
    assert '"building":"7栋","unit":"1","room":"702"' in text
    ok(cs(["--db", str(tmp_path / "again.db"), "db", "init"]))
    ok(cs(["--db", str(tmp_path / "again.db"), "ticket", "import", str(exported)]))
    again = ok(cs(["--db", str(tmp_path / "again.db"), "ticket", "list", "--building", "7栋", "--json"])).json()
    assert [(t["unit"], t["room"]) for t in again] == [("1", "702")]


def test_review_fixes_names_codes_contacts_and_lateness_as_of_now(cs, validate):
    centre(cs, validate)
    ok(cs(["--as", "zhou", "dept", "add", "fin", "--name", "财务部", "--head", "gao"]))
    clash = cs(["--as", "zhou", "dept", "update", "fin", "--name", "工程部"])
    assert refused(clash) and "exists already" in clash.stderr
    assert refused(cs(["--as", "zhou", "dept", "add", "ops", "--name", "eng", "--head", "gao"]))  # a name = a code
    assert refused(cs(["--as", "zhou", "dept", "add", "工程部", "--name", "运营部", "--head", "gao"]))  # a code = a name
    # A contact who has left: the head hears of a dispatch nobody accepted (seed 004: 交部門負責人).
    late = transfer(cs, validate, ticket(cs, "2026-11-20T08:30"), "2026-11-20T09:00")
    ok(cs(["--as", "zhou", "agent", "deactivate", "xu"]))
    alerts = ok(cs(["--now", "2026-11-20T09:45", "jobs", "run", "overdue-alerts", "--json"])).json()
    validate(alerts, "alerts")
    assert [(a["kind"], a["ref_id"], a["deadline"], a["level"], a["recipient"]) for a in alerts["alerts"]] == [
        ("dispatch", late["id"], "accept", 1, "gao")]
    # Today's report: a dispatch is late as of now, not as of the day's end.
    ok(cs(["--as", "li", "--now", "2026-11-20T09:40", "ticket", "transfer", str(ticket(cs, "2026-11-20T09:35")),
           "eng"]))
    today = ok(cs(["--now", "2026-11-20T09:50", "report", "day", "--date", "2026-11-20", "--json"])).json()
    assert today["dispatches"][0]["sent"] == 2 and today["dispatches"][0]["overdue_at_end"] == 1
