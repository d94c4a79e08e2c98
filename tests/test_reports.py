"""Reports (SPEC §9): the shift report (值班日志), the day report and the monthly 考核 report, through the CLI.

One fixture centre is built through `cs` at fixed times (every command runs with `--now` set to when
the fact happened), and every figure of the reports is asserted against a hand computation written
out in the comments below — in JSON exactly, and in text, Markdown and HTML by content.

The centre's day D is Friday 2026-11-20 (Asia/Shanghai, a working day). Shifts are the defaults:
白班 `day` 09:00–18:00 and 晚班 `late` 14:00–23:00. The SLA defaults: normal 2h first response /
2wd resolution, urgent 15m / 4h.

Agents: sup 王主管 (supervisor, records violations), li 李娜, zhang 张伟, zhao 赵敏.
Roster on D: day = li, zhang; late = zhao.

Tickets (opened → first response → resolution):
  T0  2026-11-19 15:00 phone  inquiry    zhang               responded 15:20 (1200 s), left open
  T1  D 08:30 phone  inquiry    li                           responded 08:40 (600 s),  resolved 09:20 --fcr
  T2  D 09:10 phone  inquiry    li    tag demand  王先生 13812345678  responded 09:15 (300 s), resolved 09:40 --fcr
  T3  D 09:45 online repair     zhang tag system               responded 10:05 (1200 s), resolved 11:00
  T4  D 10:30 phone  complaint  zhang about li                 responded 11:30 (3600 s), verdict upheld 15:00, open
  T5  D 11:00 visit  complaint  li                             responded 11:10 (600 s),  resolved 12:00
  T6  D 13:00 email  other      zhang department 工程部        responded 16:00 (10800 s > 2h: late), open
  T7  D 14:00 phone  suggestion li    tags demand+system       never answered (due 16:00: late), open
  T8  D 16:30 social inquiry    zhang urgent                   responded 16:35 (300 s),  resolved 17:50 --fcr
  T9  D 17:30 phone  inquiry    li    tag demand               responded 17:45 (900 s),  resolved 18:30 (after 白班)
  T10 D 18:10 phone  inquiry    zhao                           responded 18:20 (600 s),  open
No resolved ticket has both a policy category and a phone, so no policy callbacks appear.

Callbacks (all --phone, created D 08:00 except C7, created 2026-11-19 10:00):
  C1  due D 11:00 li    satisfaction        王先生 13812345678  done 10:30 satisfied     (on time)
  C2  due D 12:00 zhang post_repair         刘女士 13900001111  done 14:30 neutral       (late)
  C3  due D 15:00 li    complaint_followup  陈先生 13712345678  pending                  (overdue)
  C4  due D 16:00 zhang satisfaction        周女士 13500002222  done 15:30 dissatisfied  (on time)
  C5  due D 17:00 zhang post_repair         吴先生 13600003333  no answer 14:10, pending (overdue)
  C6  due D 20:00 li    satisfaction        郑女士 13800004444  done 17:00 satisfied     (on time)
  C7  due 11-19 15:00 zhang new_customer    孙先生 13600007777  pending                  (overdue since the day before)
  C8  due D 13:00 li    other               钱女士 13300005555  cancelled 10:00
  C9  due D 17:30 li    complaint_followup  冯先生 15912345678  done 18:30 satisfied     (late, after 白班)
  C10 due 11-22 12:00 zhao new_customer     何女士 18800006666  no answer 19:00, 19:30, 20:00 → failed

Handover items:
  H0  2026-11-19 17:00 zhang "周一回电王先生确认退款"          open
  H1  D 17:30 li    "工程部明早回复空调漏水进度" (ticket T6)   open
  H2  D 10:00 li    "打印机缺纸"                              done 11:00
  H3  D 16:00 zhang "VIP客户资料待补充"                       acked 17:00 by zhao
  H4  D 18:30 zhao  "晚班：系统升级通知"                      open

Violations: li hygiene at D 12:00 (by sup); zhao off_task at D 20:00 (by sup).
`cs deductions run --date D` at 2026-11-21 00:30; the reports are made at 2026-11-21 00:40.
"""

from __future__ import annotations

import json
import re

import pytest
from helpers_tickets import ok, refused

D = "2026-11-20"
PREV = "2026-11-19"
REPORT_NOW = "2026-11-21T00:40+08:00"
SHANGHAI_OFFSET = "+08:00"

PHONES = {
    "C1": ("王先生", "13812345678"), "C2": ("刘女士", "13900001111"), "C3": ("陈先生", "13712345678"),
    "C4": ("周女士", "13500002222"), "C5": ("吴先生", "13600003333"), "C6": ("郑女士", "13800004444"),
    "C7": ("孙先生", "13600007777"), "C8": ("钱女士", "13300005555"), "C9": ("冯先生", "15912345678"),
    "C10": ("何女士", "18800006666"),
}
SUMMARIES = {
    "T0": "前一日咨询发票", "T1": "查询快递进度", "T2": "希望增加夜间客服", "T3": "网站登录失败",
    "T4": "投诉送货员态度差", "T5": "投诉商品质量问题", "T6": "空调漏水转工程部", "T7": "建议开通小程序下单",
    "T8": "紧急咨询停电安排", "T9": "希望延长营业时间", "T10": "晚间咨询会员积分",
}
HANDOVER_TEXT = {
    "H0": "周一回电王先生确认退款", "H1": "工程部明早回复空调漏水进度", "H2": "打印机缺纸",
    "H3": "VIP客户资料待补充", "H4": "晚班：系统升级通知",
}
NAMES = {"sup": "王主管", "li": "李娜", "zhang": "张伟", "zhao": "赵敏"}


def t(hhmm: str, day: str = D) -> str:
    """A Shanghai wall-clock time as cs displays it: 2026-11-20T09:00:00+08:00."""
    return f"{day}T{hhmm}:00{SHANGHAI_OFFSET}"


def at(moment: str) -> list[str]:
    return ["--now", moment]


def mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


# =========================================================================== the fixture centre


def build_centre(cs) -> dict:
    """Build the centre described in the module docstring; returns the ids {"T2": 3, "C1": 1, "H0": 1, ...}."""
    ids: dict[str, int] = {}
    for handle in ("li", "zhang", "zhao"):
        ok(cs(["agent", "add", handle, "--name", NAMES[handle]]))
    ok(cs(["agent", "add", "sup", "--name", NAMES["sup"], "--role", "supervisor"]))
    # The callbacks here are all made by hand: the policies' own (tested in test_callbacks.py) are switched off.
    ok(cs(["--as", "sup", "config", "set", "callback_policy", "[]"]))
    ok(cs(["--as", "sup", "roster", "set", D, "day", "li", "zhang"]))
    ok(cs(["--as", "sup", "roster", "set", D, "late", "zhao"]))

    def ticket(name, opened, channel, category, agent, *extra):
        doc = ok(cs([*at(opened), "ticket", "add", "--channel", channel, "--category", category,
                     "--summary", SUMMARIES[name], "--agent", agent, "--opened-at", opened, *extra, "--json"])).json()
        ids[name] = doc["id"]

    def respond(name, when):
        ok(cs([*at(when), "ticket", "respond", str(ids[name])]))

    def resolve(name, when, *fcr):
        ok(cs([*at(when), "ticket", "resolve", str(ids[name]), "--resolution", "已处理", *fcr]))

    ticket("T0", t("15:00", PREV), "phone", "inquiry", "zhang")
    respond("T0", t("15:20", PREV))
    ticket("T1", t("08:30"), "phone", "inquiry", "li")
    respond("T1", t("08:40"))
    resolve("T1", t("09:20"), "--fcr")
    ticket("T2", t("09:10"), "phone", "inquiry", "li", "--tag", "demand", "--customer", "王先生",
           "--phone", "13812345678")
    respond("T2", t("09:15"))
    resolve("T2", t("09:40"), "--fcr")
    ticket("T3", t("09:45"), "online", "repair", "zhang", "--tag", "system")
    respond("T3", t("10:05"))
    resolve("T3", t("11:00"))
    ticket("T4", t("10:30"), "phone", "complaint", "zhang", "--about", "li")
    respond("T4", t("11:30"))
    ok(cs([*at(t("15:00")), "--as", "sup", "ticket", "verdict", str(ids["T4"]), "upheld"]))
    ticket("T5", t("11:00"), "visit", "complaint", "li")
    respond("T5", t("11:10"))
    resolve("T5", t("12:00"))
    ticket("T6", t("13:00"), "email", "other", "zhang", "--department", "工程部")
    respond("T6", t("16:00"))
    ticket("T7", t("14:00"), "phone", "suggestion", "li", "--tag", "demand", "--tag", "system")
    ticket("T8", t("16:30"), "social", "inquiry", "zhang", "--priority", "urgent")
    respond("T8", t("16:35"))
    resolve("T8", t("17:50"), "--fcr")
    ticket("T9", t("17:30"), "phone", "inquiry", "li", "--tag", "demand")
    respond("T9", t("17:45"))
    resolve("T9", t("18:30"))
    ticket("T10", t("18:10"), "phone", "inquiry", "zhao")
    respond("T10", t("18:20"))

    def callback(name, due, agent, reason, created=t("08:00")):
        customer, phone = PHONES[name]
        doc = ok(cs([*at(created), "callback", "add", "--phone", phone, "--customer", customer, "--due", due,
                     "--agent", agent, "--reason", reason, "--json"])).json()
        ids[name] = doc["id"]

    def done(name, when, outcome):
        ok(cs([*at(when), "callback", "done", str(ids[name]), "--outcome", outcome]))

    def attempt(name, when, *extra):
        ok(cs([*at(when), "callback", "attempt", str(ids[name]), "--result", "no_answer", *extra]))

    callback("C1", t("11:00"), "li", "satisfaction")
    callback("C2", t("12:00"), "zhang", "post_repair")
    callback("C3", t("15:00"), "li", "complaint_followup")
    callback("C4", t("16:00"), "zhang", "satisfaction")
    callback("C5", t("17:00"), "zhang", "post_repair")
    callback("C6", t("20:00"), "li", "satisfaction")
    callback("C7", t("15:00", PREV), "zhang", "new_customer", created=t("10:00", PREV))
    callback("C8", t("13:00"), "li", "other")
    callback("C9", t("17:30"), "li", "complaint_followup")
    callback("C10", t("12:00", "2026-11-22"), "zhao", "new_customer")
    done("C1", t("10:30"), "satisfied")
    done("C2", t("14:30"), "neutral")
    done("C4", t("15:30"), "dissatisfied")
    attempt("C5", t("14:10"))
    done("C6", t("17:00"), "satisfied")
    ok(cs([*at(t("10:00")), "callback", "cancel", str(ids["C8"]), "--reason", "客户已到店处理"]))
    done("C9", t("18:30"), "satisfied")
    attempt("C10", t("19:00"), "--force", "--note", "客户来电后挂断,立即回拨")  # before its not-before
    for when in ("19:30", "20:00"):
        attempt("C10", t(when), "--force", "--note", "再次回拨")

    def handover(name, when, agent, *extra):
        doc = ok(cs([*at(when), "handover", "add", HANDOVER_TEXT[name], "--agent", agent, *extra, "--json"])).json()
        ids[name] = doc["id"]

    handover("H0", t("17:00", PREV), "zhang")
    handover("H1", t("17:30"), "li", "--ticket", str(ids["T6"]))
    handover("H2", t("10:00"), "li")
    ok(cs([*at(t("11:00")), "handover", "done", str(ids["H2"])]))
    handover("H3", t("16:00"), "zhang")
    ok(cs([*at(t("17:00")), "--as", "zhao", "handover", "ack", str(ids["H3"])]))
    handover("H4", t("18:30"), "zhao")

    ok(cs([*at(t("12:05")), "--as", "sup", "violation", "add", "li", "hygiene", "--at", t("12:00"),
           "--note", "工位卫生未打扫"]))
    ok(cs([*at(t("20:05")), "--as", "sup", "violation", "add", "zhao", "off_task", "--at", t("20:00")]))
    ok(cs([*at("2026-11-21T00:30+08:00"), "deductions", "run", "--date", D]))
    return ids


@pytest.fixture
def centre(cs):
    return build_centre(cs)


def report(cs, *args, now=REPORT_NOW) -> str:
    return ok(cs([*at(now), "report", *args])).stdout


def report_json(cs, validate, *args, now=REPORT_NOW) -> dict:
    doc = json.loads(report(cs, *args, "--json", now=now))
    validate(doc, "report")
    return doc



def check_rates(node, path="$"):
    """Every `*_rate` in a report sits beside its `*_rate_parts` and equals numerator ÷ denominator (4 places),
    null exactly when the denominator is 0."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("_rate"):
                parts = node.get(f"{key}_parts")
                assert parts is not None and set(parts) == {"numerator", "denominator"}, f"{path}.{key} has no parts"
                if parts["denominator"] == 0:
                    assert value is None, f"{path}.{key}"
                else:
                    assert value == round(parts["numerator"] / parts["denominator"], 4), f"{path}.{key}"
            check_rates(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            check_rates(item, f"{path}[{i}]")


# =========================================================================== the schema itself


def test_report_schema_is_strict_draft_2020_12():
    import jsonschema
    from conftest import SCHEMAS, object_schemas

    schema = json.loads((SCHEMAS / "report.schema.json").read_text("utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://cs.example/schemas/report.schema.json"
    jsonschema.Draft202012Validator.check_schema(schema)
    found = list(object_schemas(schema))
    assert len(found) > 10
    for path, node in found:
        assert node["additionalProperties"] is False, path
        assert set(node["required"]) == set(node["properties"]), path
        for key, prop in node["properties"].items():
            if key.endswith("_at") or key in ("start", "end"):
                assert prop.get("format") == "date-time", f"{path}/{key}"
                assert prop.get("pattern") == r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$", f"{path}/{key}"
            if key == "date":
                assert prop.get("format") == "date" and prop.get("pattern") == r"^\d{4}-\d{2}-\d{2}$", f"{path}/{key}"
            if key.endswith("_rate"):
                assert f"{key}_parts" in node["properties"], f"{path}/{key} without parts"


# =========================================================================== the shift report as JSON


def ids_of(ids, *names):
    return [ids[name] for name in names]


def expected_deductions(cs, ids, agents, *, as_of_shift_end=False) -> list[dict]:
    """The day's entries for `agents`, hand-computed (SPEC §8, for D = 2026-11-20, run after midnight):

    callback_overdue (1 point, due on D and not done by the deadline):
        C2 zhang (done late 14:30 > 12:00), C3 li (pending), C5 zhang (pending), C9 li (done late 18:30 > 17:30);
        not C1/C4/C6 (on time), not C8 (cancelled before its deadline), not C7 (due the day before).
    first_response_late (1 point, opened on D, answered late or not by the end of D):
        T6 zhang (16:00 > 15:00), T7 li (never answered); T1, T2, T3, T4, T5, T8, T9, T10 were on time.
    complaint_upheld (5 points): T4 upheld on D, about li.
    handover_unfinished (2 points): H0 (created D−1, still open at the end of D), zhang.
    manual: li hygiene (1 point); zhao off_task (1st in the month: 0 points, fine 10).
    Totals: li 1+1+1+5+1 = 9 points, zhang 1+1+1+2 = 5 points, zhao 0 points and 10 yuan.
    Detail texts come from `cs deductions list`; a day report (as of the day's end) carries the same entries.

    A shift report carries the day's entries as they stood at the shift's end (18:00), so it reads the same
    when read again later (SPEC section 12): not H0 (the day was not over: it could still be done), and C9
    (due 17:30, done only at 18:30) as not done.
    """
    hand = [
        ("zhang", "callback_overdue", "回访超时未完成", 1, 0, None, "callback", ids["C2"]),
        ("li", "callback_overdue", "回访超时未完成", 1, 0, None, "callback", ids["C3"]),
        ("zhang", "callback_overdue", "回访超时未完成", 1, 0, None, "callback", ids["C5"]),
        ("li", "callback_overdue", "回访超时未完成", 1, 0, None, "callback", ids["C9"]),
        ("zhang", "first_response_late", "首次响应超时", 1, 0, None, "ticket", ids["T6"]),
        ("li", "first_response_late", "首次响应超时", 1, 0, None, "ticket", ids["T7"]),
        ("li", "complaint_upheld", "服务态度恶劣遭投诉(投诉成立)", 5, 0, None, "ticket", ids["T4"]),
        ("zhang", "handover_unfinished", "交接事项未完成", 2, 0, None, "handover", ids["H0"]),
        ("li", "hygiene", "卫生未打扫", 1, 0, None, "violation", 1),
        ("zhao", "off_task", "上班做与工作无关的事", 0, 10, None, "violation", 2),
    ]
    stored = ok(cs([*at(REPORT_NOW), "deductions", "list", "--date", D, "--json"])).json()
    by_ref = {(e["agent"], e["rule"], e["ref_type"], e["ref_id"]): e for e in stored}
    assert sorted(by_ref) == sorted((a, r, rt, ri) for a, r, _, _, _, _, rt, ri in hand)
    entries = []
    for agent, rule, label, points, fine, action, ref_type, ref_id in hand:
        if agent not in agents or (as_of_shift_end and rule == "handover_unfinished"):
            continue
        entry = by_ref[(agent, rule, ref_type, ref_id)]
        noun = "complaint" if rule == "complaint_upheld" else ref_type
        assert f"{noun} {ref_id}" in entry["detail"], entry  # the entry names its record
        detail = entry["detail"]
        if as_of_shift_end and ref_id == ids["C9"] and ref_type == "callback":
            assert detail.endswith("done late at 2026-11-20T18:30:00+08:00")
            detail = detail.replace("done late at 2026-11-20T18:30:00+08:00", "not done")
        entries.append({"agent": agent, "rule": rule, "label": label, "points": points, "fine": fine,
                        "action": action, "ref_type": ref_type, "ref_id": ref_id, "detail": detail, "voided": False})
    return sorted(entries, key=lambda e: (e["agent"], e["rule"], e["ref_type"], str(e["ref_id"])))


def overdue_item(ids, name, agent, reason, due, attempts, hours):
    customer, phone = PHONES[name]
    return {"id": ids[name], "ticket_id": None, "customer_name": customer, "customer_phone": mask(phone),
            "agent": agent, "reason": reason, "due_at": due, "attempts": attempts, "overdue_hours": hours}


# No call records in this centre: the hotline's figures are all zero (test_calls.py counts them).
NO_CALLS = {"offered": 0, "answered": 0, "answer_rate": None, "answer_rate_parts": {"numerator": 0, "denominator": 0},
            "abandoned": 0, "answer_within_s": 15, "answered_within": 0, "answered_within_rate": None,
            "answered_within_rate_parts": {"numerator": 0, "denominator": 0}, "asa_s": None, "aht_s": None}
NO_CALLS = {**NO_CALLS, "by_agent": [], "by_shift": [{"shift": "day", "label": "白班", **NO_CALLS},
                                                     {"shift": "late", "label": "晚班", **NO_CALLS}]}


def bucket_item(ids, name, department=None):
    return {"id": ids[name], "summary": SUMMARIES[name], "department": department, "address": None}


def handover_item(ids, name, day, shift, agent, status, created, ticket=None):
    return {"id": ids[name], "date": day, "shift": shift, "agent": agent, "text": HANDOVER_TEXT[name],
            "ticket_id": ids[ticket] if ticket else None, "status": status, "created_at": created,
            "occurred_at": None, "party": None}


def expected_shift_report(cs, ids) -> dict:
    """白班 of D, window [09:00, 18:00), made at 2026-11-21 00:40.

    tickets.received: opened in [09:00, 18:00): T2 T3 T4 T5 T6 T7 T8 T9 = 8 (T1 08:30 and T10 18:10 are outside).
    tickets.resolved: resolved in the window, whenever opened: T1 09:20, T2 09:40, T3 11:00, T5 12:00, T8 17:50 = 5
        (T9 resolved 18:30, after the end).
    tickets.open_at_end: received and not resolved at 18:00: T4, T6, T7, T9 = 4.
    tickets.first_response_median_s: waits of the received tickets that have a first response:
        T2 300, T3 1200, T4 3600, T5 600, T6 10800, T8 300, T9 900 (T7 none)
        sorted 300 300 600 [900] 1200 3600 10800 → median 900 s (15.0 min);
        mean 17700 / 7 = 2528.6 s; reply rate: 7 of the 8 received answered = 0.875.
    tickets.breached: T6 (answered 16:00, due 15:00) and T7 (never answered, due 16:00) = 2;
        T8 (urgent) answered 16:35 ≤ 16:45 and resolved 17:50 ≤ 20:30; the others' deadlines are days away.
    tickets.fcr_rate: resolved with --fcr ÷ resolved = T1, T2, T8 / 5 = 3/5 = 0.6.
    by_channel: phone T2 T4 T7 T9 = 4, online T3, visit T5, email T6, social T8 = 1 each.
    by_category: inquiry T2 T8 T9 = 3, complaint T4 T5 = 2, repair T3, other T6, suggestion T7 = 1 each.
    by_hour: 09h T2 T3 = 2, 10h T4, 11h T5, 12h 0, 13h T6, 14h T7, 15h 0, 16h T8, 17h T9.

    callbacks.due: due in the window: C1 11:00, C2 12:00, C3 15:00, C4 16:00, C5 17:00, C9 17:30 = 6
        (C8 13:00 was cancelled at 10:00, before its deadline: not owed, counted in callbacks.cancelled = 1;
        C6 is due 20:00, C7 the day before, C10 on 11-22). callbacks.failed: none of the six = 0.
    callbacks.done: done in the window: C1 10:30, C2 14:30, C4 15:30, C6 17:00 = 4 (C9 done 18:30, after).
    callbacks.done_on_time: C1, C4, C6 = 3 (C2 was late).
    callbacks.overdue: past due and not ended at 18:00: C7 (pending since 11-19 15:00), C3, C5 (pending),
        C9 (done only at 18:30) = 4; overdue hours to 18:00: 27.0, 3.0, 1.0, 0.5.
    callbacks.satisfaction: of the 4 done: satisfied C1 C6 = 2, neutral C2 = 1, dissatisfied C4 = 1;
        satisfaction_rate = 2/4 = 0.5.

    buckets (of the received): demand T2 T7 T9 = 3; system T3 T7 = 2; complaint T4 T5 = 2; transfer T6 = 1.
    deductions: the day's entries of li and zhang (rostered on 白班) — not zhao's (晚班).
    handover: created before 18:00 and not done by then, oldest first: H0 (open; attached to 11-19 晚班, the
        shift running at 17:00 that started last, as zhang had no roster that day), H3 (acked at 17:00), H1 (open).
        Not H2 (done 11:00), not H4 (created 18:30).
    """
    return {
        "kind": "shift",
        "date": D,
        "shift": {"code": "day", "label": "白班"},
        "agent": None,
        "start": t("09:00"),
        "end": t("18:00"),
        "generated_at": "2026-11-21T00:40:00+08:00",
        "complete": True,
        "agents": ["li", "zhang"],
        "tickets": {
            "received": 8,
            "resolved": 5,
            "open_at_end": 4,
            "first_response_median_s": 900,
            "first_response_mean_s": 2528.6,
            "reply_rate": 0.875,
            "reply_rate_parts": {"numerator": 7, "denominator": 8},
            "breached": 2,
            "fcr_rate": 0.6,
            "fcr_rate_parts": {"numerator": 3, "denominator": 5},
            "by_channel": {"email": 1, "online": 1, "phone": 4, "social": 1, "visit": 1},
            "by_category": {"complaint": 2, "inquiry": 3, "other": 1, "repair": 1, "suggestion": 1},
            "by_hour": [{"hour": f"{h:02d}:00", "tickets": n}
                        for h, n in zip(range(9, 18), (2, 1, 1, 0, 1, 1, 0, 1, 1))],
        },
        "callbacks": {
            "due": 6,
            "done": 4,
            "done_on_time": 3,
            "overdue": 4,
            "cancelled": 1,
            "failed": 0,
            "satisfaction": {"satisfied": 2, "neutral": 1, "dissatisfied": 1},
            "satisfaction_rate": 0.5,
            "satisfaction_rate_parts": {"numerator": 2, "denominator": 4},
            "overdue_items": [
                overdue_item(ids, "C7", "zhang", "new_customer", t("15:00", PREV), 0, 27.0),
                overdue_item(ids, "C3", "li", "complaint_followup", t("15:00"), 0, 3.0),
                overdue_item(ids, "C5", "zhang", "post_repair", t("17:00"), 1, 1.0),
                overdue_item(ids, "C9", "li", "complaint_followup", t("17:30"), 0, 0.5),
            ],
        },
        "buckets": {"demand": 3, "system": 2, "complaint": 2, "transfer": 1},
        "bucket_items": {
            "demand": [bucket_item(ids, "T2"), bucket_item(ids, "T7"), bucket_item(ids, "T9")],
            "system": [bucket_item(ids, "T3"), bucket_item(ids, "T7")],
            "complaint": [bucket_item(ids, "T4"), bucket_item(ids, "T5")],
            "transfer": [bucket_item(ids, "T6", "工程部")],
        },
        "deductions": expected_deductions(cs, ids, {"li", "zhang"}, as_of_shift_end=True),
        "handover": [
            handover_item(ids, "H0", PREV, "late", "zhang", "open", t("17:00", PREV)),
            handover_item(ids, "H3", D, "day", "zhang", "acked", t("16:00")),
            handover_item(ids, "H1", D, "day", "li", "open", t("17:30"), ticket="T6"),
        ],
        # Every agent the report mentions, with the full name reports show (SPEC section 17).
        "names": {"li": NAMES["li"], "zhang": NAMES["zhang"]},
        "dispatches": [],  # no department in this centre (test_dispatch.py counts them)
        "calls": NO_CALLS,
    }


def test_fixture_has_exactly_the_records_described(cs, centre):
    """Guard for the hand computations: no policy callback or stray record crept in."""
    callbacks = ok(cs([*at(REPORT_NOW), "callback", "list", "--json", "--limit", "100"])).json()
    assert sorted(c["id"] for c in callbacks) == sorted(centre[f"C{i}"] for i in range(1, 11))
    tickets = ok(cs([*at(REPORT_NOW), "ticket", "list", "--json", "--limit", "100"])).json()
    assert len(tickets) == 11
    statuses = {c["id"]: c["status"] for c in callbacks}
    assert statuses[centre["C10"]] == "failed" and statuses[centre["C8"]] == "cancelled"
    assert {statuses[centre[n]] for n in ("C3", "C5", "C7")} == {"pending"}


def test_shift_report_json_is_exactly_the_hand_computation(cs, validate, centre):
    doc = report_json(cs, validate, "shift", "--date", D, "--shift", "day")
    expected = expected_shift_report(cs, centre)
    for key in expected:  # key by key first, for a readable failure
        assert doc[key] == expected[key], key
    assert doc == expected
    check_rates(doc)
    # The same report by the shift's label, and with --format json.
    assert report_json(cs, validate, "shift", "--date", D, "--shift", "白班") == doc
    assert json.loads(report(cs, "shift", "--date", D, "--shift", "day", "--format", "json")) == doc


# =========================================================================== text, Markdown and HTML


# Each hand-computed figure of the 白班 report with its label, per language (values as the reports print them:
# 900 s is 15.0 minutes, 3/5 is 60.0%, 2/4 is 50.0%).
FIGURES = {
    "en": [("Received", "8"), ("Resolved", "5"), ("Open at end", "4"), ("SLA breaches", "2"),
           ("First-response median", "15.0 min"), ("First-contact resolution", "60.0% (3/5)"),
           ("Due", "6"), ("Done", "4"), ("Done on time", "3"), ("Overdue", "4"),
           ("Satisfied", "2"), ("Neutral", "1"), ("Dissatisfied", "1"), ("Satisfaction rate", "50.0% (2/4)")],
    "zh": [("受理", "8"), ("解决", "5"), ("结束时未结", "4"), ("超时", "2"),
           ("首次响应中位数", "15.0 分钟"), ("首次解决率", "60.0% (3/5)"),
           ("到期", "6"), ("完成", "4"), ("按时完成", "3"), ("逾期", "4"),
           ("满意", "2"), ("一般", "1"), ("不满意", "1"), ("满意率", "50.0% (2/4)")],
}
CHANNEL_COUNTS = {"en": [("email", "1"), ("online", "1"), ("phone", "4"), ("social media", "1"), ("visit", "1")],
                  "zh": [("邮件", "1"), ("在线", "1"), ("来电", "4"), ("社交媒体", "1"), ("来访", "1")]}
CATEGORY_COUNTS = {"en": [("complaint", "2"), ("inquiry", "3"), ("other", "1"), ("repair", "1"), ("suggestion", "1")],
                   "zh": [("投诉", "2"), ("咨询", "3"), ("其他", "1"), ("报修", "1"), ("建议", "1")]}
WORDS = {  # headings and labels that must appear in each language
    "en": ["Shift report", "Tickets", "Callbacks", "Overdue callbacks", "Issue buckets", "Deductions of the day",
           "Handover for the next shift", "On duty", "By channel", "By category"],
    "zh": ["值班日志", "工单", "回访", "逾期回访", "问题分类", "当日考核扣分", "交接事项", "值班人员", "按渠道", "按类别",
           "市场需求", "系统问题", "市场投诉", "转交问题"],
}
BUCKET_LABELS = {"en": {"demand": "Market demand", "system": "System problems", "complaint": "Market complaints",
                        "transfer": "Transferred"},
                 "zh": {"demand": "市场需求", "system": "系统问题", "complaint": "市场投诉", "transfer": "转交问题"}}
REASON_LABELS = {"en": {"new_customer": "new customer", "complaint_followup": "complaint follow-up",
                        "post_repair": "post-repair"},
                 "zh": {"new_customer": "新客户回访", "complaint_followup": "投诉回访", "post_repair": "维修回访"}}
# (callback, reason, agent, due date, due time, hours over at 18:00)
OVERDUE = [("C7", "new_customer", "zhang", PREV, "15:00", "27.0"), ("C3", "complaint_followup", "li", D, "15:00", "3.0"),
           ("C5", "post_repair", "zhang", D, "17:00", "1.0"), ("C9", "complaint_followup", "li", D, "17:30", "0.5")]
BUCKETS = {"demand": ("3", ["T2", "T7", "T9"]), "system": ("2", ["T3", "T7"]), "complaint": ("2", ["T4", "T5"]),
           "transfer": ("1", ["T6"])}
# (item, status at 18:00, agent, ticket)
HANDOVER_OPEN = [("H0", "open", "zhang", None), ("H3", "acked", "zhang", None), ("H1", "open", "li", "T6")]
# Reports show an item's status in words, and agents by name (SPEC section 17).
HANDOVER_STATUS = {"en": {"open": "open", "acked": "acked"}, "zh": {"open": "待处理", "acked": "已确认"}}
WORDS_PHONE = {"en": "Phone", "zh": "电话"}
NOT_IN_SHIFT = {"tickets": ["T0", "T1", "T10"], "handover": ["H2", "H4"]}


def figure_in(text: str, label: str, value: str) -> bool:
    """`label value` (or `label: value`) as a whole: 满意 does not match inside 不满意 or 满意率."""
    pattern = rf"(?<![\w-]){re.escape(label)}[ \t]*[:：]?[ \t]*{re.escape(value)}(?![\w.%])"
    return re.search(pattern, text) is not None


def line_with(text: str, needle: str, *also: str) -> str:
    """The one line holding `needle` (and every string in `also`)."""
    found = [line for line in text.splitlines() if needle in line and all(a in line for a in also)]
    assert len(found) == 1, (needle, also, found)
    return found[0]


def md_plain(text: str) -> str:
    """Markdown source as it reads: backslash escapes and &amp; undone."""
    return re.sub(r"\\([\\`*_{}\[\]<>()#+!|~-])", r"\1", text.replace("&amp;", "&"))


def md_tables(md: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every pipe table: (header cells, rows of cells), cells read as plain text."""
    def cells(line):
        return [md_plain(cell.strip()) for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]

    lines, tables, i = md.splitlines(), [], 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            header, rows, i = cells(lines[i]), [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            tables.append((header, rows))
        else:
            i += 1
    return tables


def md_figure(tables, label: str, value: str) -> bool:
    for header, rows in tables:
        if label in header:
            return rows[0][header.index(label)] == value
    return False


class HTMLDoc:
    """Text nodes in order, and table rows as lists of cell texts (a <br> inside a cell becomes a newline)."""

    def __init__(self, html: str):
        from html.parser import HTMLParser

        doc = self
        self.nodes: list[str] = []
        self.rows: list[list[str]] = []

        class Parser(HTMLParser):
            row = cell = None

            def handle_starttag(self, tag, attrs):
                if tag == "tr":
                    self.row = []
                elif tag in ("td", "th") and self.row is not None:
                    self.cell = []
                elif tag == "br" and self.cell is not None:
                    self.cell.append("\n")

            def handle_endtag(self, tag):
                if tag in ("td", "th") and self.cell is not None:
                    text = "".join(self.cell)
                    self.row.append("\n".join(" ".join(part.split()) for part in text.split("\n")).strip())
                    self.cell = None
                elif tag == "tr" and self.row is not None:
                    doc.rows.append(self.row)
                    self.row = None

            def handle_data(self, data):
                if self.cell is not None:
                    self.cell.append(data)
                text = " ".join(data.split())
                if text:
                    doc.nodes.append(text)

        parser = Parser(convert_charrefs=True)
        parser.feed(html)
        parser.close()

    def figure(self, label: str, value: str) -> bool:
        """`value` next to `label` (a figure box: <b>8</b><small>Received</small>), or both in one text node;
        a rate `60.0% (3/5)` may show its parts after the label: <b>60.0%</b><small>FCR (3/5)</small>."""
        pct, _, parts = value.partition(" ")
        nodes = self.nodes
        for i, node in enumerate(nodes):
            after = nodes[i + 1] if i + 1 < len(nodes) else ""
            if (node == value and after == label) or figure_in(node, label, value):
                return True
            if parts and node == pct and after == f"{label} {parts}":
                return True
        return False

    def row_starting(self, first: str) -> list[str]:
        found = [row for row in self.rows if row and row[0] == first]
        assert len(found) == 1, (first, found)
        return found[0]


def render(cs, fmt: str, lang: str, *extra) -> str:
    return report(cs, "shift", "--date", D, "--shift", "day", "--format", fmt, "--lang", lang, *extra)


def assert_no_full_phone(text: str):
    for _, phone in PHONES.values():
        assert phone not in text, phone


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_shift_report_text(cs, centre, lang):
    text = render(cs, "text", lang)
    for label, value in FIGURES[lang]:
        assert figure_in(text, label, value), (label, value)
    channel_line = line_with(text, WORDS[lang][8])
    category_line = line_with(text, WORDS[lang][9])
    for label, value in CHANNEL_COUNTS[lang]:
        assert figure_in(channel_line, label, value), (label, value)
    for label, value in CATEGORY_COUNTS[lang]:
        assert figure_in(category_line, label, value), (label, value)
    for word in WORDS[lang]:
        assert word in text, word
    on_duty = line_with(text, WORDS[lang][7])
    assert "白班" in text and NAMES["li"] in on_duty and NAMES["zhang"] in on_duty
    # The overdue callbacks, in full, with masked phones.
    for name, reason, agent, day, hhmm, hours in OVERDUE:
        customer, phone = PHONES[name]
        line = line_with(text, f"#{centre[name]} ", customer)
        for part in (customer, mask(phone), REASON_LABELS[lang][reason], NAMES[agent], day, hhmm, hours):
            assert part in line, (name, part, line)
    # The buckets: count, then every ticket with its id and summary — and no other ticket.
    for bucket, (count, names) in BUCKETS.items():
        line = line_with(text, BUCKET_LABELS[lang][bucket])
        assert figure_in(line, BUCKET_LABELS[lang][bucket], count), line
        for name in names:
            assert f"#{centre[name]} {SUMMARIES[name]}" in line, (bucket, name)
        assert len(re.findall(r"#\d+ ", line)) == len(names), line
    assert "工程部" in line_with(text, BUCKET_LABELS[lang]["transfer"])
    # The handover items, in full; the done one and the later one are not there.
    for name, status, agent, ticket in HANDOVER_OPEN:
        line = line_with(text, HANDOVER_TEXT[name], f"#{centre[name]}")
        assert f"#{centre[name]}" in line and HANDOVER_STATUS[lang][status] in line and NAMES[agent] in line, line
        if ticket:
            assert f"#{centre[ticket]}" in line.split(HANDOVER_TEXT[name])[1], line
    for name in NOT_IN_SHIFT["handover"]:
        assert HANDOVER_TEXT[name] not in text
    for name in NOT_IN_SHIFT["tickets"]:
        assert SUMMARIES[name] not in text
    # The deductions of li and zhang as of 18:00, with their points; zhao's (晚班) is not in the 白班 report,
    # and H0's handover entry is not there yet (the day was not over at 18:00).
    assert "上班做与工作无关的事" not in text and NAMES["zhao"] not in text
    assert figure_in(text, "服务态度恶劣遭投诉(投诉成立)", "-5") and "交接事项未完成" not in text
    assert len(re.findall(rf"^\s*({NAMES['li']}|{NAMES['zhang']}) \S+ -\d", text, re.M)) == 8
    assert_no_full_phone(text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_shift_report_markdown(cs, centre, lang):
    md = render(cs, "md", lang)
    tables = md_tables(md)
    for label, value in FIGURES[lang]:
        assert md_figure(tables, label, value), (label, value)
    plain = md_plain(md)
    for label, value in CHANNEL_COUNTS[lang]:
        assert figure_in(line_with(plain, WORDS[lang][8]), label, value), (label, value)
    for label, value in CATEGORY_COUNTS[lang]:
        assert figure_in(line_with(plain, WORDS[lang][9]), label, value), (label, value)
    for word in WORDS[lang]:
        assert word in plain, word
    assert re.search(r"^# 2026-11-20 白班 ", md, re.M)
    # The overdue callbacks as a table, one row each, phones masked.
    (overdue_header, overdue_rows), = [(h, rows) for h, rows in tables if "#" in h]
    assert [row[0] for row in overdue_rows] == [str(centre[name]) for name, *_ in OVERDUE]
    for (name, reason, agent, day, hhmm, hours), row in zip(OVERDUE, overdue_rows):
        customer, phone = PHONES[name]
        cells = "\t".join(row)
        for part in (customer, mask(phone), REASON_LABELS[lang][reason], NAMES[agent], day, hhmm, hours):
            assert part in cells, (name, part, row)
        assert row[overdue_header.index(WORDS_PHONE[lang])] == mask(phone)
    for bucket, (count, names) in BUCKETS.items():
        line = line_with(plain, f"**{BUCKET_LABELS[lang][bucket]}**")
        assert figure_in(line, BUCKET_LABELS[lang][bucket] + "**", count), line
        for name in names:
            assert f"#{centre[name]} {SUMMARIES[name]}" in line, (bucket, name)
        assert len(re.findall(r"#\d+ ", line)) == len(names), line
    for name, status, agent, ticket in HANDOVER_OPEN:
        line = line_with(plain, HANDOVER_TEXT[name], f"#{centre[name]}")
        assert f"#{centre[name]}" in line and f"[{HANDOVER_STATUS[lang][status]}]" in line and NAMES[agent] in line, line
        if ticket:
            assert f"#{centre[ticket]}" in line.split(HANDOVER_TEXT[name])[1], line
    for name in NOT_IN_SHIFT["handover"]:
        assert HANDOVER_TEXT[name] not in plain
    for name in NOT_IN_SHIFT["tickets"]:
        assert SUMMARIES[name] not in plain
    assert NAMES["zhao"] not in plain
    assert len(re.findall(rf"^- ({NAMES['li']}|{NAMES['zhang']}) \S+ −\d", plain, re.M)) == 8
    assert_no_full_phone(md)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_shift_report_html(cs, centre, lang):
    html = render(cs, "html", lang)
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in html
    assert "<style>" in html and "<svg" in html  # self-contained: inline CSS and chart
    assert not re.search(r"<(link|script)\b|src=", html, re.I)  # nothing loaded from outside
    doc = HTMLDoc(html)
    for label, value in FIGURES[lang]:
        assert doc.figure(label, value), (label, value)
    text = "\n".join(doc.nodes)
    for label, value in CHANNEL_COUNTS[lang]:
        assert figure_in(line_with(text, WORDS[lang][8]), label, value), (label, value)
    for label, value in CATEGORY_COUNTS[lang]:
        assert figure_in(line_with(text, WORDS[lang][9]), label, value), (label, value)
    for word in WORDS[lang]:
        assert word in text, word
    # Tickets per hour: one bar per hour of the window, labelled with its count.
    bars = re.findall(r"<title>(\d\d):00 (\d+)</title>", html)
    assert bars == [(f"{h:02d}", str(n)) for h, n in zip(range(9, 18), (2, 1, 1, 0, 1, 1, 0, 1, 1))]
    for name, reason, agent, day, hhmm, hours in OVERDUE:
        row = doc.row_starting(str(centre[name]))
        customer, phone = PHONES[name]
        for part in (customer, mask(phone), REASON_LABELS[lang][reason], NAMES[agent], hours):
            assert part in row, (name, part, row)
        assert any(day in cell and hhmm in cell for cell in row), row
    for bucket, (count, names) in BUCKETS.items():
        row = doc.row_starting(BUCKET_LABELS[lang][bucket])
        assert row[1] == count, row
        items = row[2].split("\n")
        assert [item.split(" → ")[0] for item in items] == [f"#{centre[n]} {SUMMARIES[n]}" for n in names], row
    assert doc.row_starting(BUCKET_LABELS[lang]["transfer"])[2].endswith("→ 工程部")
    for name, status, agent, ticket in HANDOVER_OPEN:
        row = doc.row_starting(str(centre[name])) if name != "H1" else [r for r in doc.rows if HANDOVER_TEXT[name] in r][0]
        assert HANDOVER_TEXT[name] in row and HANDOVER_STATUS[lang][status] in row and NAMES[agent] in row, row
        if ticket:
            assert f"#{centre[ticket]}" in row, row
    for name in NOT_IN_SHIFT["handover"]:
        assert HANDOVER_TEXT[name] not in text
    for name in NOT_IN_SHIFT["tickets"]:
        assert SUMMARIES[name] not in text
    assert NAMES["zhao"] not in text
    deduction_rows = [row for row in doc.rows if row and row[0] in (NAMES["li"], NAMES["zhang"])]
    assert len(deduction_rows) == 8  # as of 18:00: not H0's handover entry (the day was not over)
    assert sorted(row[2] for row in deduction_rows) == sorted(["1"] * 7 + ["5"])
    assert_no_full_phone(html)


def test_global_lang_applies_to_reports(cs, centre):
    text = ok(cs([*at(REPORT_NOW), "--lang", "zh", "report", "shift", "--date", D, "--shift", "day"])).stdout
    assert figure_in(text, "受理", "8") and "值班日志" in text
    assert "Received" not in text


# =========================================================================== ticket text is data, never markup


HOSTILE_SUMMARY = "<script>alert(1)</script> {{ 7*7 }} {% raw %}"
HOSTILE_HANDOVER = "<b>x</b> 请跟进"
HOSTILE_CUSTOMER = "<img src=x onerror=alert(2)>"


def hostile_centre(cs) -> dict:
    """li on 白班 of D; a ticket whose summary is HTML and template syntax (tagged demand, so it is listed),
    an overdue callback for a customer whose name is HTML, and a handover item with HTML in it."""
    ok(cs(["agent", "add", "li", "--name", NAMES["li"]]))
    ok(cs(["--as", "sup", "roster", "set", D, "day", "li"]))
    ticket = ok(cs([*at(t("10:00")), "ticket", "add", "--channel", "phone", "--category", "complaint",
                    "--summary", HOSTILE_SUMMARY, "--agent", "li", "--tag", "demand", "--department", "<i>IT</i>",
                    "--json"])).json()
    callback = ok(cs([*at(t("08:00")), "callback", "add", "--phone", "13812345678", "--customer", HOSTILE_CUSTOMER,
                      "--due", t("11:00"), "--agent", "li", "--json"])).json()
    handover = ok(cs([*at(t("17:00")), "handover", "add", HOSTILE_HANDOVER, "--agent", "li", "--json"])).json()
    return {"ticket": ticket["id"], "callback": callback["id"], "handover": handover["id"]}


def test_html_shows_ticket_text_literally(cs, validate):
    ids = hostile_centre(cs)
    doc = report_json(cs, validate, "shift", "--date", D, "--shift", "day", now=t("18:30"))
    assert doc["bucket_items"]["demand"] == [{"id": ids["ticket"], "summary": HOSTILE_SUMMARY, "department": "<i>IT</i>",
                                              "address": None}]
    assert doc["handover"][0]["text"] == HOSTILE_HANDOVER
    html = report(cs, "shift", "--date", D, "--shift", "day", "--format", "html", now=t("18:30"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "{{ 7*7 }}" in html and "{% raw %}" in html  # data, not template source: never evaluated
    assert not re.search(r"\b49\b", "\n".join(HTMLDoc(html).nodes))
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html and "<img" not in html
    assert "&lt;i&gt;IT&lt;/i&gt;" in html and "<i>IT</i>" not in html
    page = HTMLDoc(html)  # read back as text, every piece is there verbatim
    assert f"#{ids['ticket']} {HOSTILE_SUMMARY}" in page.row_starting(BUCKET_LABELS["en"]["demand"])[2]
    assert [str(ids["handover"]), NAMES["li"], "open", "", "", HOSTILE_HANDOVER, ""] in page.rows
    assert any(row[:3] == [str(ids["callback"]), HOSTILE_CUSTOMER, "138****5678"] for row in page.rows)


def test_markdown_and_text_show_ticket_text_literally(cs):
    ids = hostile_centre(cs)
    md = report(cs, "shift", "--date", D, "--shift", "day", "--format", "md", now=t("18:30"))
    # Every < is backslash-escaped (CommonMark shows \< as a literal <): no raw tag of any kind.
    assert "<script>" not in md and "<b>" not in md and "<i>" not in md
    assert not re.search(r"(?<!\\)<", md), re.findall(r".{0,20}(?<!\\)<.{0,20}", md)
    plain = md_plain(md)
    assert f"#{ids['ticket']} {HOSTILE_SUMMARY}" in plain
    assert HOSTILE_HANDOVER in plain and HOSTILE_CUSTOMER in plain
    assert "49" not in plain
    text = report(cs, "shift", "--date", D, "--shift", "day", "--format", "text", now=t("18:30"))
    assert f"#{ids['ticket']} {HOSTILE_SUMMARY}" in text
    assert HOSTILE_HANDOVER in text and HOSTILE_CUSTOMER in text
    assert "49" not in text


def test_user_template_gets_ticket_text_as_data(cs, tmp_path):
    hostile_centre(cs)
    template = tmp_path / "mine.j2"
    template.write_text("[{{ r.bucket_items.demand[0].summary }}]", "utf-8")
    args = ["shift", "--date", D, "--shift", "day", "--template", str(template)]
    assert report(cs, *args, "--format", "text", now=t("18:30")).strip() == f"[{HOSTILE_SUMMARY}]"
    html = report(cs, *args, "--format", "html", now=t("18:30"))
    assert html.strip() == "[&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} {% raw %}]"


# =========================================================================== day and month reports


def test_day_report_covers_the_whole_day(cs, validate, centre):
    """The day [D 00:00, D+1 00:00), made at 00:40:

    tickets.received: T1 … T10 = 10 (T0 is the day before).
    tickets.resolved: T1 T2 T3 T5 T8 and T9 (18:30) = 6; fcr T1 T2 T8 → 3/6 = 0.5.
    tickets.open_at_end: T4, T6, T7, T10 = 4.
    median: T1 600, T2 300, T3 1200, T4 3600, T5 600, T6 10800, T8 300, T9 900, T10 600
        sorted 300 300 600 600 [600] 900 1200 3600 10800 → 600 s; mean 18900 / 9 = 2100 s; replied 9 of 10 (T7).
    breached: T6, T7 = 2.  by_channel: phone T1 T2 T4 T7 T9 T10 = 6; by_category: inquiry T1 T2 T8 T9 T10 = 5.
    callbacks.due: C1 C2 C3 C4 C5 C6 C9 = 7 (C8 cancelled before its deadline); done on D: C1 C2 C4 C6 C9 = 5;
        on time C1 C4 C6 = 3;
        overdue at midnight: C7, C3, C5 = 3 (C9 was done at 18:30) — hours over 33.0, 9.0, 7.0;
        satisfaction 3 / 1 / 1 → 3/5 = 0.6.
    buckets as in the shift report (T1 and T10 are plain inquiries).
    deductions: all ten of the day (li, zhang and zhao are all rostered on D).
    handover at midnight: H0, H3, H1 and H4 (created 18:30, on the 晚班).
    """
    doc = report_json(cs, validate, "day", "--date", D)
    shift = expected_shift_report(cs, centre)
    expected = {
        **shift,
        "kind": "day", "shift": None, "start": t("00:00"), "end": "2026-11-21T00:00:00+08:00",
        "agents": ["li", "zhang", "zhao"],
        "names": {handle: NAMES[handle] for handle in ("li", "zhang", "zhao")},
        "tickets": {
            "received": 10, "resolved": 6, "open_at_end": 4, "first_response_median_s": 600,
            "first_response_mean_s": 2100.0, "reply_rate": 0.9, "reply_rate_parts": {"numerator": 9, "denominator": 10},
            "breached": 2,
            "fcr_rate": 0.5, "fcr_rate_parts": {"numerator": 3, "denominator": 6},
            "by_channel": {"email": 1, "online": 1, "phone": 6, "social": 1, "visit": 1},
            "by_category": {"complaint": 2, "inquiry": 5, "other": 1, "repair": 1, "suggestion": 1},
            "by_hour": [{"hour": f"{h:02d}:00", "tickets": {8: 1, 9: 2, 10: 1, 11: 1, 13: 1, 14: 1, 16: 1, 17: 1,
                                                             18: 1}.get(h, 0)} for h in range(24)],
        },
        "callbacks": {
            "due": 7, "done": 5, "done_on_time": 3, "overdue": 3, "cancelled": 1, "failed": 0,
            "satisfaction": {"satisfied": 3, "neutral": 1, "dissatisfied": 1},
            "satisfaction_rate": 0.6, "satisfaction_rate_parts": {"numerator": 3, "denominator": 5},
            "overdue_items": [
                overdue_item(centre, "C7", "zhang", "new_customer", t("15:00", PREV), 0, 33.0),
                overdue_item(centre, "C3", "li", "complaint_followup", t("15:00"), 0, 9.0),
                overdue_item(centre, "C5", "zhang", "post_repair", t("17:00"), 1, 7.0),
            ],
        },
        "deductions": expected_deductions(cs, centre, {"li", "zhang", "zhao"}),
        "handover": shift["handover"] + [handover_item(centre, "H4", D, "late", "zhao", "open", t("18:30"))],
    }
    for key in expected:
        assert doc[key] == expected[key], key
    assert doc == expected
    check_rates(doc)
    assert any(e["agent"] == "zhao" and e["fine"] == 10 for e in doc["deductions"])
    # Text and HTML of the day report carry the same figures.
    text = report(cs, "day", "--date", D, "--format", "text")
    for label, value in [("Received", "10"), ("Resolved", "6"), ("Open at end", "4"), ("First-response median", "10.0 min"),
                         ("First-contact resolution", "50.0% (3/6)"), ("Due", "7"), ("Done", "5"), ("Overdue", "3"),
                         ("Satisfaction rate", "60.0% (3/5)")]:
        assert figure_in(text, label, value), (label, value)
    assert "Daily report" in text and HANDOVER_TEXT["H4"] in text


def test_day_report_defaults_to_yesterday(cs, validate, centre):
    doc = report_json(cs, validate, "day")  # at 2026-11-21 00:40
    assert doc["date"] == D and doc["tickets"]["received"] == 10


def expected_month(cs, centre) -> dict:
    """November 2026, made at 2026-11-21 00:40 (so not complete).

    scores (base 100 − the month's points, every active agent, competition ranking of agents and leaders):
        zhao 100 with 10 yuan fines (rank 1), zhang 100 − 5 = 95 (rank 2), li 100 − 9 = 91 (rank 3); the
        supervisor sup 100 listed last, unranked.
    kpis: received T0 … T10 = 11; resolved 6; breached T6, T7 = 2 (T0's deadlines are next week);
        median: the day's nine waits plus T0 1200 → 300 300 600 600 [600 900] 1200 1200 3600 10800 → 750 s;
        mean (18900 + 1200) / 10 = 2010 s; replied 10 of 11 (T7) = 0.9091;
        fcr 3/6 = 0.5; callbacks due C1 … C10 but C8 (cancelled before its deadline) = 9; done C1 C2 C4 C6 C9 = 5;
        satisfaction 3/5 = 0.6.
    callbacks_by_reason, on the same base as callbacks_due (due in the month, less those cancelled before
    their deadline; on time ÷ due; satisfied ÷ done), in the reasons' order:
        complaint_followup C3 (pending), C9 (done late, satisfied): due 2, done 1, on time 0 → 1/2, 0/2, 1/1
        post_repair C2 (done late, neutral), C5 (pending):           due 2, done 1, on time 0 → 1/2, 0/2, 0/1
        new_customer C7 (pending), C10 (failed):                      due 2, done 0, failed 1  → 0/2, 0/2, none
        satisfaction C1 (satisfied), C4 (dissatisfied), C6 (satisfied), all on time → 3/3, 3/3, 2/3 = 0.6667
        (other: C8 was cancelled before its deadline, so no row)
    """
    def row(reason, due, done, failed, on_time, satisfied):
        def rate_pair(name, n, d):
            return {name: round(n / d, 4) if d else None, f"{name}_parts": {"numerator": n, "denominator": d}}
        return {"reason": reason, "due": due, "done": done, "failed": failed, "done_on_time": on_time,
                **rate_pair("completion_rate", done, due), **rate_pair("on_time_rate", on_time, due),
                **rate_pair("satisfaction_rate", satisfied, done)}

    def score(agent, points, fines, rank, role="agent"):
        return {"agent": agent, "name": NAMES[agent], "team": None, "role": role, "base": 100, "points": points,
                "fines": fines, "actions": [], "score": 100 - points, "rank": rank, "closed": False}

    return {
        "kind": "month", "month": "2026-11", "start": "2026-11-01T00:00:00+08:00",
        "end": "2026-12-01T00:00:00+08:00", "generated_at": "2026-11-21T00:40:00+08:00", "complete": False,
        "scores": [score("zhao", 0, 10, 1), score("zhang", 5, 0, 2), score("li", 9, 0, 3),
                   score("sup", 0, 0, None, "supervisor")],
        "kpis": {"received": 11, "resolved": 6, "breached": 2, "first_response_median_s": 750,
                 "first_response_mean_s": 2010.0, "reply_rate": 0.9091,
                 "reply_rate_parts": {"numerator": 10, "denominator": 11}, "fcr_rate": 0.5,
                 "fcr_rate_parts": {"numerator": 3, "denominator": 6}, "callbacks_due": 9, "callbacks_done": 5,
                 "satisfaction_rate": 0.6, "satisfaction_rate_parts": {"numerator": 3, "denominator": 5}},
        "callbacks_by_reason": [
            row("complaint_followup", 2, 1, 0, 0, 1),
            row("post_repair", 2, 1, 0, 0, 0),
            row("new_customer", 2, 0, 1, 0, 0),
            row("satisfaction", 3, 3, 0, 3, 2),
        ],
        "callbacks_by_reason_base": "due",
        "callbacks_by_policy": [],  # the fixture's policies are switched off: its callbacks are made by hand
        "visit_plans": [],
        "appeals": [],
        "names": {handle: NAMES[handle] for handle in ("li", "sup", "zhang", "zhao")},
        "dispatches": [],
        "calls": NO_CALLS,
    }


def test_month_report_json(cs, validate, centre):
    doc = report_json(cs, validate, "month", "--month", "2026-11")
    expected = expected_month(cs, centre)
    for key in expected:
        assert doc[key] == expected[key], key
    assert doc == expected
    check_rates(doc)
    assert doc["scores"] == ok(cs([*at(REPORT_NOW), "score", "--month", "2026-11", "--json"])).json()
    assert report_json(cs, validate, "month") == doc  # default: this month


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_month_report_formats(cs, centre, fmt):
    out = report(cs, "month", "--month", "2026-11", "--format", fmt, "--lang", "zh")
    plain = md_plain(out) if fmt == "md" else " ".join(HTMLDoc(out).nodes) if fmt == "html" else out
    assert "月度考核报告" in plain and "回访工作效果评估" in plain
    for agent, name, value in [("li", "李娜", "91"), ("zhang", "张伟", "95"), ("zhao", "赵敏", "100"), ("sup", "王主管", "100")]:
        assert name in plain and value in plain
    for text in ["66.7% (2/3)", "100.0% (3/3)", "50.0% (1/2)", "0.0% (0/2)", "12.5 分钟"]:
        assert text in plain, text
    for pct, parts in [("50.0%", "(3/6)"), ("60.0%", "(3/5)")]:  # the KPIs (HTML puts the parts under the label)
        assert (f"{pct} {parts}" in plain) if fmt != "html" else (pct in plain and parts in plain), (pct, parts)
    for label in ["投诉回访", "维修回访", "新客户回访", "满意度调查", "基数：本月到期的回访（截止前取消的不计）"]:
        assert label in plain, label


# =========================================================================== one agent, the default shift, files


def test_one_agents_shift_report(cs, validate, centre):
    """`--agent li`: li's own tickets, callbacks and deductions in 白班 of D.

    tickets.received: T2 T5 T7 T9 = 4; resolved in the window: T1 T2 T5 = 3, fcr T1 T2 → 2/3 = 0.6667;
        open at 18:00: T7 T9 = 2; median of T2 300, T5 600, T9 900 → 600 s; breached T7 = 1.
    callbacks: due C1 C3 C9 = 3 (C8 cancelled before its deadline); done C1 C6 = 2, both on time; overdue C3 C9 = 2; satisfied 2 → 2/2 = 1.0.
    buckets: demand T2 T7 T9 = 3, system T7 = 1, complaint T5 = 1, transfer 0 (T4 is zhang's ticket, about li).
    deductions: li's five entries.
    """
    doc = report_json(cs, validate, "shift", "--date", D, "--shift", "day", "--agent", "li")
    assert doc["agent"] == "li"
    tickets = doc["tickets"]
    assert {k: tickets[k] for k in ("received", "resolved", "open_at_end", "first_response_median_s", "breached",
                                    "fcr_rate", "fcr_rate_parts", "by_channel", "by_category")} == {
        "received": 4, "resolved": 3, "open_at_end": 2, "first_response_median_s": 600, "breached": 1,
        "fcr_rate": 0.6667, "fcr_rate_parts": {"numerator": 2, "denominator": 3},
        "by_channel": {"phone": 3, "visit": 1}, "by_category": {"complaint": 1, "inquiry": 2, "suggestion": 1}}
    callbacks = doc["callbacks"]
    assert {k: callbacks[k] for k in ("due", "done", "done_on_time", "overdue", "satisfaction", "satisfaction_rate",
                                      "satisfaction_rate_parts")} == {
        "due": 3, "done": 2, "done_on_time": 2, "overdue": 2,
        "satisfaction": {"satisfied": 2, "neutral": 0, "dissatisfied": 0},
        "satisfaction_rate": 1.0, "satisfaction_rate_parts": {"numerator": 2, "denominator": 2}}
    assert [c["id"] for c in callbacks["overdue_items"]] == ids_of(centre, "C3", "C9")
    assert doc["buckets"] == {"demand": 3, "system": 1, "complaint": 1, "transfer": 0}
    assert [t_["id"] for t_ in doc["bucket_items"]["demand"]] == ids_of(centre, "T2", "T7", "T9")
    assert doc["deductions"] == expected_deductions(cs, centre, {"li"}, as_of_shift_end=True)
    check_rates(doc)
    refused(cs([*at(REPORT_NOW), "report", "shift", "--date", D, "--shift", "day", "--agent", "nobody"]))


@pytest.mark.parametrize("now, day, shift", [
    ("2026-11-20T18:30+08:00", D, "day"),     # 白班 ended at 18:00, 晚班 still running
    ("2026-11-20T23:30+08:00", D, "late"),    # 晚班 ended at 23:00
    ("2026-11-20T09:30+08:00", PREV, "late"),  # nothing has ended today yet: last night's 晚班
    ("2026-11-21T00:40+08:00", D, "late"),
])
def test_default_shift_is_the_latest_that_ended(cs, validate, centre, now, day, shift):
    doc = report_json(cs, validate, "shift", now=now)
    assert (doc["date"], doc["shift"]["code"]) == (day, shift)
    assert doc["complete"] is True
    assert doc["end"] <= now.replace("+08:00", ":00+08:00")


def test_output_to_a_directory_uses_the_standard_name(cs, centre, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    args = ["shift", "--date", D, "--shift", "day", "--format", "html"]
    printed = report(cs, *args, "-o", str(out)).strip()
    target = out / "2026-11-20_白班_值班日志.html"
    assert printed == str(target) and target.is_file()
    assert target.read_text("utf-8") == report(cs, *args)
    mine = report(cs, *args, "--agent", "li", "-o", str(out)).strip()
    assert mine == str(out / "2026-11-20_白班_值班日志_李娜.html")
    assert (out / "2026-11-20_白班_值班日志_李娜.html").is_file()
    as_json = report(cs, "shift", "--date", D, "--shift", "day", "--json", "-o", str(out)).strip()
    assert as_json == str(out / "2026-11-20_白班_值班日志.json")
    assert json.loads((out / "2026-11-20_白班_值班日志.json").read_text("utf-8"))["tickets"]["received"] == 8


def test_output_to_a_file(cs, centre, tmp_path):
    target = tmp_path / "log.md"
    printed = report(cs, "shift", "--date", D, "--shift", "day", "--format", "md", "-o", str(target)).strip()
    assert printed == str(target)
    assert target.read_text("utf-8") == report(cs, "shift", "--date", D, "--shift", "day", "--format", "md")
    for kind in (["day", "--date", D], ["month", "--month", "2026-11"]):
        out = tmp_path / kind[0]
        out.mkdir()
        written = report(cs, *kind, "--format", "text", "-o", str(out)).strip()
        assert written.startswith(str(out)) and len(list(out.iterdir())) == 1


# =========================================================================== user templates and the sandbox


def test_user_template(cs, centre, tmp_path):
    template = tmp_path / "mine.j2"
    template.write_text("{{ r.tickets.received }} tickets", "utf-8")
    assert report(cs, "shift", "--date", D, "--shift", "day", "--template", str(template)).strip() == "8 tickets"
    template.write_text("{{ r.kpis.received }}/{{ r.scores | length }}", "utf-8")
    assert report(cs, "month", "--month", "2026-11", "--template", str(template)).strip() == "11/4"


UNSAFE_TEMPLATES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ r.__class__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
]


@pytest.mark.parametrize("source", UNSAFE_TEMPLATES)
def test_sandbox_refuses_attribute_escapes(cs, tmp_path, source):
    """Observed: the sandbox raises jinja2's SecurityError (or UndefinedError) and the command ends with exit
    status 1 and nothing on stdout — no Python internals leak. (It ends with a traceback rather than an
    `Error:` line; see test_broken_user_template_is_refused_with_an_error_line.)"""
    from jinja2.exceptions import SecurityError, UndefinedError

    template = tmp_path / "evil.j2"
    template.write_text(source, "utf-8")
    args = [*at(REPORT_NOW), "report", "shift", "--date", D, "--shift", "day", "--template", str(template)]
    try:
        result = cs(args)
    except (SecurityError, UndefinedError):
        return
    assert result.exit_code != 0, result
    assert "<class" not in result.stdout and "object" not in result.stdout and "os" not in result.stdout.split()
    assert "Error" in result.stderr


@pytest.mark.parametrize("source", ["{% if %}", "{{ r.no_such_field }}", "{{ ''.__class__.__mro__ }}"])
def test_broken_user_template_is_refused_with_an_error_line(cs, tmp_path, source):
    """SPEC §2: a refused operation exits non-zero with an `Error: ...` line on stderr, not a traceback."""
    template = tmp_path / "broken.j2"
    template.write_text(source, "utf-8")
    args = [*at(REPORT_NOW), "report", "shift", "--date", D, "--shift", "day", "--template", str(template)]
    try:
        result = cs(args)
    except Exception as exc:  # the in-process runner re-raises what escaped the CLI
        pytest.fail(f"`cs report shift --template` with {source!r} crashed with {type(exc).__name__}: {exc}"
                    " instead of exiting with an 'Error: ...' line")
    assert result.exit_code in (1, 2), result
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert any(line.startswith("Error: ") for line in result.stderr.splitlines()), result


# =========================================================================== an empty shift, and the schema's teeth


def test_empty_shift_report(cs, validate):
    doc = report_json(cs, validate, "shift", "--date", D, "--shift", "day")
    assert doc["tickets"]["received"] == 0 and doc["tickets"]["first_response_median_s"] is None
    assert doc["tickets"]["fcr_rate"] is None and doc["tickets"]["fcr_rate_parts"] == {"numerator": 0, "denominator": 0}
    assert doc["callbacks"]["satisfaction_rate"] is None
    assert doc["buckets"] == {"demand": 0, "system": 0, "complaint": 0, "transfer": 0}
    assert doc["handover"] == [] and doc["deductions"] == [] and doc["agents"] == []
    check_rates(doc)
    zh = report(cs, "shift", "--date", D, "--shift", "day", "--format", "text", "--lang", "zh")
    handover_part = zh.split("交接事项")[1]
    assert "无" in handover_part
    for fmt in ("md", "html"):
        out = report(cs, "shift", "--date", D, "--shift", "day", "--format", fmt, "--lang", "zh")
        assert "无" in out.split("交接事项")[1]


def test_report_schema_rejects_wrong_documents(cs, validate, centre):
    from conftest import schema_validator

    good = report_json(cs, validate, "shift", "--date", D, "--shift", "day")
    month = report_json(cs, validate, "month", "--month", "2026-11")
    checker = schema_validator("report")

    def bad(doc, edit):
        doc = json.loads(json.dumps(doc))
        edit(doc)
        assert not checker.is_valid(doc), edit

    bad(good, lambda d: d["tickets"].pop("fcr_rate_parts"))
    bad(good, lambda d: d["tickets"].__setitem__("received", "8"))
    bad(good, lambda d: d["tickets"].__setitem__("fcr_rate", 1.5))
    bad(good, lambda d: d["tickets"].__setitem__("fcr_rate_parts", {"numerator": 0, "denominator": 0}))
    bad(good, lambda d: d["callbacks"]["overdue_items"][0].__setitem__("customer_phone", "13600007777"))
    bad(good, lambda d: d["callbacks"]["satisfaction"].pop("neutral"))
    bad(good, lambda d: d["buckets"].__setitem__("other", 1))
    bad(good, lambda d: d.__setitem__("extra", 1))
    bad(good, lambda d: d.__setitem__("shift", None))
    bad(good, lambda d: d.__setitem__("start", "2026-11-20 09:00"))
    bad(good, lambda d: d["handover"][0].__setitem__("status", "done"))
    bad(good, lambda d: d.__setitem__("kind", "month"))
    bad(month, lambda d: d["kpis"].pop("satisfaction_rate_parts"))
    bad(month, lambda d: d["scores"][0].pop("rank"))
    bad(month, lambda d: d["callbacks_by_reason"][0].__setitem__("reason", "whatever"))
    bad(month, lambda d: d.__setitem__("kind", "day"))


def test_day_report_lists_every_deduction_of_the_day(cs, validate):
    """The day report is the whole day ("every shift's ... deductions"): an entry of the day must not vanish
    because its agent was not on the roster (rosters are optional: handover never needs one either)."""
    ok(cs(["agent", "add", "amy", "--name", "Amy"]))
    ok(cs([*at(t("08:00")), "callback", "add", "--phone", "13812345678", "--due", t("10:00"), "--agent", "amy"]))
    ok(cs([*at("2026-11-21T00:30+08:00"), "deductions", "run", "--date", D]))
    stored = ok(cs([*at(REPORT_NOW), "deductions", "list", "--date", D, "--json"])).json()
    assert [(e["agent"], e["rule"]) for e in stored] == [("amy", "callback_overdue")]
    doc = report_json(cs, validate, "day", "--date", D)
    assert doc["callbacks"]["overdue"] == 1  # the callback itself is in the day report ...
    assert [(e["ref_id"], e["agent"], e["rule"]) for e in doc["deductions"]] == [
        (stored[0]["ref_id"], "amy", "callback_overdue")]
