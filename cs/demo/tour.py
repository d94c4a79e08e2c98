"""A ready demo centre: two teams, a supervisor, customers and a week of tickets in every state.

Everything is generated from a fixed seed relative to `now`, so the same `now` gives the same centre.
"""

from __future__ import annotations

import random
from datetime import timedelta

from cs.core import clock
from cs.desk import agents, callbacks, customers, flows, shifts, tickets
from cs.scoring import deductions, violations

AGENTS = [
    ("zhou", "周敏", "一组", "supervisor"),
    ("wang", "王芳", "一组", "leader"),
    ("li", "李娜", "一组", "agent"),
    ("zhang", "张伟", "一组", "agent"),
    ("liu", "刘洋", "一组", "agent"),
    ("chen", "陈静", "二组", "leader"),
    ("yang", "杨磊", "二组", "agent"),
    ("zhao", "赵丽", "二组", "agent"),
    ("huang", "黄强", "二组", "agent"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
TITLES = ("先生", "女士")

SUMMARIES = {
    "inquiry": ["咨询会员积分怎么兑换", "询问物业费缴纳方式", "咨询快递几天能到", "问发票怎么开", "咨询营业时间"],
    "complaint": ["投诉客服态度恶劣", "投诉维修师傅迟到两小时", "投诉电梯噪音扰民", "投诉收费不透明", "投诉送货损坏未处理"],
    "repair": ["空调漏水需要上门维修", "厨房下水道堵塞", "门禁卡失灵", "热水器不出热水", "楼道灯不亮"],
    "return": ["申请退换尺码不合适的衣服", "商品有质量问题要求退货", "退款一周未到账"],
    "suggestion": ["建议增加周末服务时间", "建议小区增设快递柜", "建议App支持发票下载"],
    "booking": ["预约周六上门安装", "预约下周一看房", "预约保养服务"],
    "other": ["来电找不到负责人", "询问失物招领"],
}
RESOLUTIONS = {
    "inquiry": "已电话解答,客户表示清楚",
    "complaint": "已向客户致歉并说明整改措施",
    "repair": "已派维修师傅上门处理完毕",
    "return": "已办理退换货",
    "suggestion": "已记录并转交相关部门",
    "booking": "已确认预约时间",
    "other": "已转接相关负责人",
}
CATEGORY_WEIGHTS = {"inquiry": 40, "complaint": 12, "repair": 22, "return": 8, "suggestion": 6, "booking": 8,
                    "other": 4}
CHANNEL_WEIGHTS = {"phone": 55, "visit": 12, "online": 18, "email": 5, "sms": 4, "letter": 1, "social": 5}
DEMO_CONFIG = {
    "timezone": "Asia/Shanghai",
    # Seed 000's duties, each with its own points: the store's cleaning by the 值日表 (one agent a day, in turn),
    # yesterday's pressure-test cards by the day shift, and the cash table by everyone at work on a working day.
    "duty": [
        {"code": "clean_store", "label": "打扫门店卫生区域", "every": "day", "points": 1, "assign": "rota",
         "rota": ["wang", "li", "zhang", "liu"], "seed": "000: 打扫门店卫生区域(按值日表双方协调)未打扫一次扣1分"},
        {"code": "pressure_cards", "label": "统计昨天试压卡", "every": "workday", "points": 2, "shift": "day",
         "assign": "all", "seed": "000: 每天昨天统计试压卡 未完成扣2分"},
        {"code": "cash_table", "label": "上缴金额表", "every": "workday", "points": 1,
         "seed": "000: 上缴金额表延时、错误一项扣1分"},
    ],
}
# The bulk centre (cs demo --agents N) has generated staff: no 值日表 of the tour's names.
BULK_CONFIG = {**DEMO_CONFIG, "duty": [duty for duty in DEMO_CONFIG["duty"] if duty.get("assign") != "rota"]}
# The day the tour's 考核 shows: zhang's turn on the 值日表, missed; his shift leaves no memo; his second off-task.
EXAMPLE_AGENT = "zhang"
HANDOVER_TEXTS = ["客户明早来电询问维修进度,请回复", "退款申请已提交财务,等待审批", "投诉客户要求主管回电",
                  "系统故障已报IT,待修复后通知客户"]


def build(ctx, *, days: int = 7, seed: int = 2026) -> dict:
    """Fill an empty database; returns counts of what was made."""
    rng = random.Random(seed)
    for number, (handle, name, team, role) in enumerate(AGENTS):
        # The supervisor is added first (anyone may while none exists); she then appoints the rest.
        actor = ctx.actor if role == "supervisor" else AGENTS[0][0]
        agents.add(ctx.db, handle, at=ctx.now_db, actor=actor, name=name, team=team, role=role,
                   email=f"{handle}@example.com", mobile=f"1390000{len(handle):02d}{ord(handle[0]) % 100:02d}",
                   extension=None if role == "supervisor" else str(8000 + number))
    people = _customers(ctx, rng)
    made = [_ticket(ctx, rng, people, moment) for moment in _arrivals(ctx, rng, days)]
    _work_callbacks(ctx, rng)
    today = clock.local_date(ctx.now, ctx.tz)
    past_days = [today - timedelta(days=back) for back in range(days, 0, -1)]
    example = example_day(ctx, past_days)
    for day in past_days + [today]:
        _shift_day(ctx, rng, day, example)
    _violations(ctx, past_days, example)
    for day in past_days:
        deductions.run(ctx, day)
    dispatched = _departments(ctx, random.Random(seed + 18))  # its own stream: the rest of the centre is unchanged
    calls = _calls(ctx, random.Random(seed + 21), past_days + [today])
    count = ctx.db.value("SELECT COUNT(*) FROM callbacks")
    return {"agents": len(AGENTS), "customers": len(people), "tickets": len(made), "callbacks": count,
            "example_day": example, "dispatches": dispatched, "calls": calls}


def _calls(ctx, rng, days) -> int:
    """The hotline's call records (as `cs calls import` stores them), to the agents rostered on each shift."""
    from datetime import datetime

    from cs.demo.hotline import CALL_COLUMNS, day_calls
    from cs.store.query import insert_sql

    extensions = {row["handle"]: row["extension"] for row in ctx.db.all("SELECT handle, extension FROM agents")}
    workers = [handle for handle, extension in extensions.items() if extension]
    hours = [9, 9, 10, 10, 10, 11, 11, 13, 14, 14, 15, 15, 15, 16, 16, 17, 19, 20, 21, 22]
    rows = []
    for day in days:
        windows = [(shifts.window(ctx, shift, day), shifts.rostered(ctx, day, shift["code"]))
                   for shift in ctx.config["shift"]]
        start = int(clock.day_bounds(day, ctx.tz)[0].timestamp())
        count = rng.randint(30, 45) if ctx.calendar.is_workday(day) else rng.randint(10, 16)
        arrivals = sorted(start + 3600 * rng.choice(hours) + rng.randrange(3600) for _ in range(count))

        def on_duty(t, windows=windows):
            moment = datetime.fromtimestamp(t, clock.UTC)
            return [h for window, people in windows if window.start <= moment < window.end for h in people] or workers

        rows += day_calls(rng, arrivals, on_duty, extensions,
                          lambda t: clock.to_db(datetime.fromtimestamp(t, clock.UTC)), int(ctx.now.timestamp()))
    ctx.db.executemany(insert_sql("calls", CALL_COLUMNS), rows)
    return len(rows)


# The departments of the demo (seed 004: 不能處理的事件當天交部門負責人): code, name, head, contact.
DEPARTMENTS = [("eng", "工程部", "wang", "liu"), ("finance", "财务部", "chen", None), ("logistics", "物流部", "chen", None)]


def _departments(ctx, rng) -> int:
    """The departments, and a dispatch for each ticket sent to one, in every state: done on time and late,
    accepted and working, sent and waiting, and sent and forgotten past its deadline."""
    from cs.desk import dispatch

    supervisor = replace_actor(ctx, AGENTS[0][0])
    for code, name, head, contact in DEPARTMENTS:
        dispatch.add_department(supervisor, code, name=name, head=head, contact=contact)
    codes = {name: (code, head) for code, name, head, _contact in DEPARTMENTS}
    rows = ctx.db.all("SELECT id, opened_at, department, status FROM tickets WHERE department IS NOT NULL ORDER BY id")
    for row in rows:
        code, head = codes[row["department"]]
        sent = clock.from_db(row["opened_at"]) + timedelta(minutes=rng.choice([10, 20, 40]))
        if sent >= ctx.now:
            continue
        made = dispatch.open_dispatch(ctx, row["id"], code, sent_at=sent)
        worker = replace_actor(ctx, head)
        accept_at = sent + timedelta(minutes=rng.choice([10, 25, 90]))
        if row["status"] in ("resolved", "closed") or rng.random() < 0.5:
            if accept_at < ctx.now:
                dispatch.accept(worker, made["id"], at=accept_at)
                done_at = accept_at + timedelta(hours=rng.choice([2, 5, 30]))
                if row["status"] in ("resolved", "closed") and done_at < ctx.now:
                    dispatch.done(worker, made["id"], at=done_at, note="已处理完毕")
    return ctx.db.value("SELECT COUNT(*) FROM dispatches")


def _customers(ctx, rng) -> list[tuple[str, str]]:
    people = []
    for n in range(40):
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        name = rng.choice(SURNAMES) + rng.choice(TITLES)
        people.append((phone, name))
    for phone, name in people[:4]:
        customers.set_flags(ctx.db, phone, at=ctx.now_db, actor=ctx.actor, display=ctx.display, name=name, vip=True)
    customers.set_flags(ctx.db, people[4][0], at=ctx.now_db, actor=ctx.actor, display=ctx.display,
                        name=people[4][1], no_callback=True)
    return people


def _arrivals(ctx, rng, days: int):
    """Ticket arrival times over the past `days` days: busier on working days and at 10:00 and 15:00."""
    tz = ctx.tz
    today = clock.local_date(ctx.now, tz)
    hours = [9, 10, 10, 11, 11, 13, 14, 15, 15, 16, 17, 19, 20]
    moments = []
    for back in range(days, -1, -1):
        day = today - timedelta(days=back)
        count = rng.randint(14, 22) if ctx.calendar.is_workday(day) else rng.randint(5, 9)
        start, _ = clock.day_bounds(day, tz)
        for _ in range(count):
            moment = start + timedelta(hours=rng.choice(hours), minutes=rng.randrange(60))
            if moment < ctx.now - timedelta(minutes=5):
                moments.append(moment)
    return sorted(moments)


def _pick(rng, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ticket(ctx, rng, people, opened) -> dict:
    category = _pick(rng, CATEGORY_WEIGHTS)
    phone, name = rng.choice(people)
    handle = rng.choice([a[0] for a in AGENTS if a[3] != "supervisor"])
    priority = rng.choices(["low", "normal", "high", "urgent"], weights=[10, 70, 15, 5])[0]
    tags = rng.choice([[], [], [], ["demand"], ["system"]]) if category in ("suggestion", "inquiry") else []
    about = rng.choice([a[0] for a in AGENTS if a[3] == "agent"]) if category == "complaint" else None
    department = rng.choice(["工程部", "财务部", "物流部"]) if category in ("repair", "return") else None
    ticket = tickets.add(ctx, channel=_pick(rng, CHANNEL_WEIGHTS), category=category,
                         summary=rng.choice(SUMMARIES[category]), customer=name, phone=phone, priority=priority,
                         agent=handle, department=department, about=about, tags=tags, opened_at=opened)
    _progress(ctx, rng, ticket, opened, category)
    return ticket


def _progress(ctx, rng, ticket, opened, category) -> None:
    """Move the ticket along as a real desk would: most are answered fast, older ones are done."""
    age = ctx.now - opened
    ticket_id = ticket["id"]
    respond_at = opened + timedelta(minutes=rng.choice([2, 5, 8, 15, 30, 45, 90, 180]))
    if respond_at >= ctx.now:
        return
    tickets.respond(ctx, ticket_id, at=respond_at)
    note_at, pend_at = respond_at + timedelta(minutes=3), respond_at + timedelta(minutes=10)
    if rng.random() < 0.25 and note_at < ctx.now:
        tickets.note(ctx, ticket_id, rng.choice(["客户要求尽快处理", "已联系相关部门", "客户情绪激动,需安抚"]),
                     at=note_at)
    if age < timedelta(hours=6) or rng.random() < 0.12:
        if rng.random() < 0.4 and pend_at < ctx.now:
            tickets.pend(ctx, ticket_id, reason="等待客户提供资料", at=pend_at)
        return
    resolve_at = respond_at + timedelta(hours=rng.choice([0.2, 0.5, 1, 3, 8, 26, 50]))
    if resolve_at >= ctx.now:
        return
    flows.resolve_ticket(ctx, ticket_id, RESOLUTIONS[category], fcr=resolve_at - opened < timedelta(hours=1),
                    at=resolve_at)
    if category == "complaint":
        tickets.verdict(replace_actor(ctx, AGENTS[0][0]), ticket_id, rng.choice(["upheld", "rejected", "rejected"]),
                        at=min(resolve_at + timedelta(hours=1), ctx.now))
    if age > timedelta(days=3) and rng.random() < 0.7:
        tickets.close(ctx, ticket_id, at=min(resolve_at + timedelta(days=1), ctx.now))


def _work_callbacks(ctx, rng) -> None:
    """Most policy callbacks get made (some late), some ring out, some are forgotten and go overdue."""
    rows = ctx.db.all("SELECT id, not_before FROM callbacks WHERE status = 'pending' ORDER BY id")
    for row in rows:
        call_at = clock.from_db(row["not_before"]) + timedelta(hours=rng.choice([0.5, 2, 5, 20, 30, 80]))
        call_at = callbacks.callable_from(ctx, call_at)
        if call_at >= ctx.now:
            continue
        chance = rng.random()
        if chance < 0.6:
            outcome = rng.choices(["satisfied", "neutral", "dissatisfied"], weights=[70, 20, 10])[0]
            flows.complete_callback(ctx, row["id"], outcome, note=rng.choice(["客户表示满意", "问题已解决", "客户仍有意见"]),
                           at=call_at)
        elif chance < 0.75:
            callbacks.attempt(ctx, row["id"], rng.choice(["no_answer", "busy"]), at=call_at)


def _teams() -> list[list[str]]:
    return [[a[0] for a in AGENTS if a[2] == team and a[3] != "supervisor"] for team in ("一组", "二组")]


def _at_work(day) -> list[list[str]]:
    """The roster follows its own rules (seed 001: 做六休一; 每月四天休息; 值晚班客服第二天不适合上全白班): 一组 on
    the day shift, 二组 on the late one, and each agent off one day a week, on a different weekday from the rest
    of the team."""
    return [[handle for index, handle in enumerate(team) if (day.toordinal() + index) % 7 != 0] for team in _teams()]


def example_day(ctx, past_days):
    """The latest past day (not the first) that is EXAMPLE_AGENT's turn to clean the store, or None."""
    rota = next(duty for duty in ctx.config["duty"] if duty["code"] == "clean_store")
    turns = [day for day in past_days[1:]
             if shifts.rota_turn(rota, day, {h for team in _at_work(day) for h in team}) == EXAMPLE_AGENT]
    return turns[-1] if turns else None


def _shift_day(ctx, rng, day, example=None) -> None:
    """Team 一组 on the day shift and 二组 on the late one (see _at_work); duties, and a memo at each shift's
    end: items left (with 事发时间 and 当事人) or "无". On the example day the example agent misses his 值日 and
    his shift files no memo."""
    teams = _at_work(day)
    supervisor = replace_actor(ctx, AGENTS[0][0])  # the supervisor sets the roster
    shifts.set_roster(supervisor, day, "day", teams[0])
    shifts.set_roster(supervisor, day, "late", teams[1])
    day_over = clock.day_bounds(day, ctx.tz)[1] <= ctx.now
    for record in shifts.duty_status(ctx, day):
        missed = day == example and record["agent"] == EXAMPLE_AGENT and record["duty"] == "clean_store"
        if record["agent"] and day_over and not missed and rng.random() < 0.9:
            _on_day(ctx, day, "17:30", lambda c: shifts.duty_done(replace_actor(c, record["agent"]), record["duty"],
                                                                  agent=record["agent"], day=day))
    for team, shift in zip(teams, ("day", "late")):
        end = "17:50" if shift == "day" else "22:50"
        if _local(ctx, day, end) >= ctx.now or (day == example and EXAMPLE_AGENT in team):
            continue  # not over yet, or the example's forgotten memo (handover_missing)
        owner = rng.choice(team)
        if rng.random() < 0.35:
            _on_day(ctx, day, end, lambda c: shifts.add_nothing_left(replace_actor(c, owner)))
            continue
        party = rng.choice(SURNAMES) + rng.choice(TITLES)
        item = _on_day(ctx, day, end, lambda c: shifts.add_handover(
            c, rng.choice(HANDOVER_TEXTS), owner=owner, party=party, occurred_at=_local(ctx, day, "15:40")))
        if day_over and rng.random() < 0.75:
            _on_day(ctx, day + timedelta(days=1), "10:00", lambda c: shifts.done_handover(c, item["id"], "已处理"))


def _local(ctx, day, hhmm):
    from datetime import datetime, time

    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), ctx.tz)


def _on_day(ctx, day, hhmm, action):
    """Do `action` as if at that local time (handovers and duties take their time from the clock)."""
    moment = _local(ctx, day, hhmm)
    if moment >= ctx.now:
        return None
    return action(ctx.replace(now=moment.astimezone(clock.UTC)))


def _violations(ctx, past_days, example) -> None:
    """A supervisor's records: the example agent twice off task (10 then 30 yuan: the second offence on the example
    day), one untidy desk."""
    if len(past_days) < 3:
        return
    supervisor = replace_actor(ctx, AGENTS[0][0])
    second = example or past_days[-2]
    first = next(day for day in past_days if day < second)
    for day, agent, rule in ((first, EXAMPLE_AGENT, "off_task"), (second, EXAMPLE_AGENT, "off_task"),
                             (past_days[-3], "zhao", "hygiene")):
        violations.add_violation(supervisor, agent, rule, at=_local(ctx, day, "15:20"),
                                 note="上班玩手机" if rule == "off_task" else "工位不整洁")


def replace_actor(ctx, actor):
    return ctx.replace(actor=actor)
