"""A large centre in bulk: N people in teams and D days of a busy desk, written at database speed.

`cs demo --agents N --days D` builds it. cs/demo.py drives the real commands one call at a time,
which suits a tour of a hundred records; a year of a 500-seat centre holds millions. Here each
record's whole life is decided up front — a ticket's first response, pauses, resolution, verdict
and closure, the callbacks its resolution schedules and how they went — and written as prepared
tuples, a day per transaction, into a new database whose secondary indexes are dropped for the
build and created once at the end (history events and the full-text index are filled from the
ticket rows by SQL). For long builds a second process decides the days while this one writes them.
The rules are the real ones (SLA deadlines on the working clock, the working calendar, contact
hours, the callback policies and their sampling), computed on a table of the centre's local days in
epoch seconds rather than with datetime arithmetic; tests/test_generate.py checks the results
against cs.tickets and cs.callbacks. Every past day is then scored by the real cs.deductions code.

A day's records depend only on the seed and the date, not on how long the history is, so a week
and a year built with the same seed and `now` share their final week (what bench/bench_scale.py
compares). Ids do depend on the history, and with them which repairs the 50 % sample picks.

Local times assume the zone's UTC offset does not change within a day (true of the demo's
Asia/Shanghai); on a daylight-saving change day a wall-clock time may be off by the change.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from cs.core import clock, i18n
from cs.demo.hotline import CALL_COLUMNS, CALLS_PER_TICKET, day_calls
from cs.demo.tour import CATEGORY_WEIGHTS, CHANNEL_WEIGHTS, HANDOVER_TEXTS, RESOLUTIONS, SUMMARIES, SURNAMES, TITLES
from cs.desk import tickets
from cs.desk.callbacks import quota_selects
from cs.store.query import insert_sql

# --- what a centre's days look like --------------------------------------------------------------

# Arrivals per local hour: the morning peak at 10:00 and the afternoon one at 15:00, a lunch dip.
HOUR_WEIGHTS = {8: 2, 9: 7, 10: 12, 11: 10, 12: 6, 13: 6, 14: 9, 15: 12, 16: 10, 17: 8, 18: 6, 19: 5, 20: 4,
                21: 3, 22: 2}
# Volume by month: summer air-conditioner repairs, 618 and Double 11 shopping, a quiet Spring Festival.
MONTH_FACTORS = (0.95, 0.8, 1.0, 1.0, 1.0, 1.05, 1.1, 1.1, 1.0, 0.95, 1.15, 1.05)
WEEKEND_FACTOR, HOLIDAY_FACTOR, MAKEUP_DAY_FACTOR = 0.5, 0.35, 0.9
PRIORITY_WEIGHTS = {"low": 10, "normal": 70, "high": 15, "urgent": 5}
LIVE_CHANNELS = frozenset(("phone", "visit", "online"))  # answered while the customer waits
WRITTEN_CHANNELS = frozenset(("email", "letter", "social"))  # some come without a phone number
QUICK_CATEGORIES = frozenset(("inquiry", "booking", "other", "suggestion"))  # often settled in the call
REPEAT_SHARE = 0.3  # contacts from a customer seen before
ABOUT_AGENT_SHARE = 0.1  # complaints about an agent's service: those get a verdict (投诉成立/不成立)
LATE_CALLBACK_SHARE = 0.04
NEW_SLOTS_SHARE = 0.6  # of a day's volume, customer slots a later repeat contact may pick from

MORE_SUMMARIES = {
    "inquiry": ["咨询退款进度", "咨询停车卡办理流程", "询问维修费用标准", "咨询会员等级权益", "询问订单发货时间",
                "咨询电费充值方式", "询问门店地址", "咨询保修期限"],
    "complaint": ["投诉快递员态度差", "投诉退款迟迟不到账", "投诉物业保安不作为", "投诉商品与描述不符",
                  "投诉电话一直无人接听", "投诉装修噪音"],
    "repair": ["电梯故障停运", "卫生间漏水到楼下", "水管爆裂", "空调不制冷", "洗衣机无法脱水", "窗户关不严",
               "停车场道闸失灵"],
    "return": ["收到的商品破损要求换货", "七天无理由退货", "发错货申请更换"],
    "suggestion": ["建议延长客服热线时间", "建议增加在线客服入口", "建议小区增加垃圾分类指引"],
    "booking": ["预约家电清洗", "预约燃气安全检查", "预约搬家服务"],
    "other": ["咨询招聘信息", "反馈App闪退", "找回账号密码"],
}
NOTES = ["客户要求尽快处理", "已联系相关部门", "客户情绪激动,需安抚", "已电话告知处理进度", "等待工程部回复"]
PEND_REASONS = ["等待客户提供资料", "等待相关部门处理", "等待配件到货"]
CALL_NOTES = {"satisfied": ["客户表示满意", "问题已解决,客户认可"], "neutral": ["客户表示一般", "客户无其他意见"],
              "dissatisfied": ["客户仍有意见", "客户对处理时长不满"]}
DEPARTMENTS = ["工程部", "财务部", "物流部"]
GIVEN_NAMES = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建红文斌宇浩凯婷雪琳晨"
VIOLATION_RULES = (("off_task", 5), ("hygiene", 3), ("report_error", 1), ("rude_service", 1))
VIOLATION_NOTES = {"off_task": "上班玩手机", "hygiene": "工位不整洁", "report_error": "日报数据填错",
                   "rude_service": "通话中语气生硬"}
VIOLATION_CHANCE = 0.0015  # per agent per working day

TAG_CHOICES = ("[]", "[]", "[]", '["demand"]', '["system"]')  # suggestions and inquiries: the report buckets
# Event kinds in the order a ticket's history lists them when two share a second (created 0, responded 1,
# resolved 5, verdict 6 and closed 7 are derived from the ticket row in SQL: see _DERIVED_EVENTS).
NOTE_SEQ, PENDED_SEQ, RESUMED_SEQ, SATISFACTION_SEQ = 2, 3, 4, 8
OUTCOME_SCORES = {"satisfied": 5, "neutral": 3, "dissatisfied": 1}

CATEGORIES, CATEGORY_CUM = list(CATEGORY_WEIGHTS), list(itertools.accumulate(CATEGORY_WEIGHTS.values()))
CHANNELS, CHANNEL_CUM = list(CHANNEL_WEIGHTS), list(itertools.accumulate(CHANNEL_WEIGHTS.values()))
PRIORITIES, PRIORITY_CUM = list(PRIORITY_WEIGHTS), list(itertools.accumulate(PRIORITY_WEIGHTS.values()))

CALLBACK_COLUMNS = ("id", "ticket_id", "customer_name", "customer_phone", "reason", "method", "agent", "status",
                    "due_at", "not_before", "next_try_at", "attempts", "outcome", "score", "note", "policy",
                    "created_at", "created_by", "done_at", "ended_at", "updated_at")
# Tables the build fills row by row: their secondary indexes are created after the rows are in, but for
# those the build fills in key order, which grow at their end as cheaply as the table does.
BULK_TABLES = ("tickets", "ticket_events", "callbacks", "callback_events", "roster", "handovers", "violations",
               "calls")
APPEND_ORDERED_INDEXES = ("tickets_opened", "ticket_events_ticket", "callbacks_ticket", "callback_events_callback")
_EPOCH = date(1970, 1, 1)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


# --- the centre's days in epoch seconds ------------------------------------------------------------


class Timeline:
    """Local days from `first` on as UTC epoch seconds, with the working clock and contact hours on them.

    Day k is first + k days; `starts[k]` is its local midnight. The working clock counts only
    working days (cs.clock.add_working_seconds): `cum[k]` is the working time before day k, so a
    deadline on the working clock is one bisection. The table grows on demand.
    """

    def __init__(self, tz, calendar, first: date):
        self.tz = tz
        self.calendar = calendar
        self.first = first
        self.starts = [_epoch(clock.day_bounds(first, tz)[0])]
        self.work: list[bool] = []
        self.cum = [0]
        self._utc_base = self.starts[0] // 86400
        self._utc_days: list[str] = []
        self._clock_texts = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(86400)]
        self._extend(1)

    def _extend(self, days: int) -> None:
        for _ in range(days):
            day = self.first + timedelta(days=len(self.work))
            self.starts.append(_epoch(clock.day_bounds(day, self.tz)[1]))
            workday = self.calendar.is_workday(day)
            self.work.append(workday)
            self.cum.append(self.cum[-1] + (self.starts[-1] - self.starts[-2] if workday else 0))

    def start(self, k: int) -> int:
        # Grown only as far as asked: a day past the calendar's data makes it warn, and rightly only then.
        while k >= len(self.work):
            self._extend(k + 1 - len(self.work))
        return self.starts[k]

    def is_workday(self, k: int) -> bool:
        self.start(k)
        return self.work[k]

    def day_of(self, t: int) -> int:
        while t >= self.starts[-1]:
            self._extend(max(1, (t - self.starts[-1]) // 86400 + 1))
        return bisect.bisect_right(self.starts, t) - 1

    def date(self, k: int) -> date:
        return self.first + timedelta(days=k)

    def stamp(self, t: int) -> str:
        """The storage form 'YYYY-MM-DDTHH:MM:SSZ' (cs.clock.to_db) without building a datetime: the
        build writes about a dozen a ticket."""
        index = t // 86400 - self._utc_base
        if not 0 <= index < len(self._utc_days):
            self._cover_utc_day(t // 86400)
            index = t // 86400 - self._utc_base
        return self._utc_days[index] + self._clock_texts[t % 86400]

    def _cover_utc_day(self, day: int) -> None:
        if day < self._utc_base:
            self._utc_days[:0] = [_utc_prefix(d) for d in range(day, self._utc_base)]
            self._utc_base = day
        self._utc_days += [_utc_prefix(d) for d in range(self._utc_base + len(self._utc_days), day + 1)]

    def working_time(self, t: int) -> int:
        k = self.day_of(t)
        return self.cum[k] + (t - self.starts[k] if self.work[k] else 0)

    def working_after(self, t: int, seconds: int) -> int:
        """cs.clock.add_working_seconds: the earliest instant with `seconds` of working time after t."""
        if seconds <= 0:
            return t
        target = self.working_time(t) + seconds
        while target > self.cum[-1]:
            self._extend(max(1, (target - self.cum[-1]) // 86400 + 1))
        k = bisect.bisect_left(self.cum, target, 1) - 1
        return self.starts[k] + (target - self.cum[k])

    def workdays_after(self, k: int, count: int) -> int:
        while count > 0:
            k += 1
            if self.is_workday(k):
                count -= 1
        return k

    def after(self, t: int, duration: clock.Duration) -> int:
        """cs.clock.add_duration: elapsed time for m/h/w, the same wall-clock time for d and wd."""
        if duration.unit in ("m", "h", "w"):
            return t + duration.seconds()
        k = self.day_of(t)
        if duration.unit == "mo":
            from dateutil.relativedelta import relativedelta

            target = k + (self.date(k) + relativedelta(months=duration.amount) - self.date(k)).days
        else:
            target = k + duration.amount if duration.unit == "d" else self.workdays_after(k, duration.amount)
        return self.start(target) + (t - self.starts[k])

    # Service hours (cs.clock.ServiceHours): the SLA clocks in minutes and hours run only inside them.

    def set_service(self, spans_minutes, workdays_only: bool) -> None:
        self._service_spans = tuple((start * 60, end * 60) for start, end in spans_minutes)
        self._service_workdays_only = workdays_only
        self._service_days: dict[int, tuple] = {}

    def service_spans(self, k: int) -> tuple:
        """Day k's service as merged (start, end) seconds after its midnight, windows of the day before that run
        past midnight included."""
        if k not in self._service_days:
            length = self.start(k + 1) - self.start(k)
            found = []
            serves_prev = not self._service_workdays_only or self.calendar.is_workday(self.date(k - 1))
            serves = not self._service_workdays_only or self.is_workday(k)
            for start, end in self._service_spans:
                if end > 86400 and serves_prev:
                    found.append((0, min(end - 86400, length)))
                if serves:
                    found.append((start, min(end, length)))
            merged: list[list[int]] = []
            for start, end in sorted(found):
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._service_days[k] = tuple((start, end) for start, end in merged)
        return self._service_days[k]

    def service_after(self, t: int, seconds: int) -> int:
        """cs.clock.ServiceHours.add: the earliest instant with `seconds` of service time after t (with 0, the
        clock's start: t inside service hours, else the next opening)."""
        k, remaining = self.day_of(t), seconds
        for _ in range(3700):
            base = self.start(k)
            for start, end in self.service_spans(k):
                if base + end <= t:
                    continue
                begin = max(base + start, t)
                if remaining <= base + end - begin:
                    return begin + remaining
                remaining -= base + end - begin
            k += 1
        raise ValueError(i18n._("no service hours within ten years"))  # `_` is a loop variable in this module

    def service_between(self, a: int, b: int) -> int:
        """cs.clock.ServiceHours.seconds_between."""
        total, k = 0, self.day_of(a)
        while b > a and self.start(k) < b:
            base = self.start(k)
            total += sum(max(0, min(base + end, b) - max(base + start, a)) for start, end in self.service_spans(k))
            k += 1
        return total

    def next_open(self, t: int, spans) -> int:
        """cs.clock.ContactHours.next_open: t itself inside a span, else the next span's start."""
        k = self.day_of(t)
        since_midnight = t - self.starts[k]
        for span_start, span_end in spans:
            if since_midnight < span_start:
                return self.starts[k] + span_start
            if since_midnight < span_end:
                return t
        return self.start(k + 1) + spans[0][0]


def _utc_prefix(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).isoformat() + "T"


def _spans(windows) -> tuple:
    """Minute windows (cs.clock.ContactHours.spans) as seconds after local midnight."""
    return tuple((start * 60, end * 60) for start, end in windows)


def _minutes(hhmm: str) -> int:
    hours, minutes = map(int, hhmm.split(":"))
    return hours * 60 + minutes


# --- people -------------------------------------------------------------------------------------


@dataclass
class Team:
    label: str
    members: list[str]  # the leader first


@dataclass
class Staff:
    supervisor: str
    teams: list[Team]
    rows: list[tuple] = field(default_factory=list)  # agents table rows

    @cached_property
    def workers(self) -> list[str]:
        """Everybody who takes tickets: the teams' leaders and agents."""
        return [handle for team in self.teams for handle in team.members]


def _chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    return str(n)


def make_staff(rng: random.Random, count: int, team_size: int, created_at: str) -> Staff:
    """A supervisor and teams of about `team_size` (a leader and agents): `count` people in all."""
    width = max(3, len(str(count)))
    handles = [f"kf{n:0{width}d}" for n in range(1, count + 1)]
    workers = handles[1:]
    team_count = max(1, math.ceil(len(workers) / team_size))
    teams, position = [], 0
    for index in range(team_count):
        size = len(workers) // team_count + (1 if index < len(workers) % team_count else 0)
        teams.append(Team(f"{_chinese_number(index + 1)}组", workers[position:position + size]))
        position += size
    staff = Staff(handles[0], teams)
    roles = {handles[0]: ("supervisor", None)}
    for team in teams:
        for n, handle in enumerate(team.members):
            roles[handle] = ("leader" if n == 0 else "agent", team.label)
    for n, handle in enumerate(handles):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN_NAMES) for _ in range(rng.choice((1, 2))))
        role, team = roles[handle]
        extension = None if role == "supervisor" else str((8000 if count < 2000 else 80000) + n)
        staff.rows.append((handle, name, team, role, f"{handle}@example.com", f"139{n + 1:08d}", 1, created_at,
                           extension))
    return staff


def _customer(ordinal: int, slot: int, seed: int) -> tuple[str, str, int, int]:
    """The customer behind slot `slot` of day `ordinal`: phone, name, VIP, declines callbacks.

    A bijection of (day, slot) onto 11-digit mobile numbers (13x–18x), so a customer is the same
    person in every database built with the seed, and nothing about customers is kept in memory.
    """
    index = (ordinal % 40_000) * 131_072 + slot
    phone = 13_000_000_000 + (index * 1_000_003 + seed * 7_919) % 6_000_000_000
    mix = (index * 2_654_435_761 + seed) & 0xFFFFFFFF
    name = SURNAMES[mix % len(SURNAMES)] + TITLES[(mix >> 8) % 2]
    return str(phone), name, int((mix >> 12) % 100 < 2), int((mix >> 20) % 100 == 0)


# --- one day of the centre ------------------------------------------------------------------------


@dataclass
class DayRecords:
    tickets: list = field(default_factory=list)
    events: list = field(default_factory=list)  # ticket events not derivable from the ticket row
    customers: list = field(default_factory=list)
    callbacks: list = field(default_factory=list)
    callback_events: list = field(default_factory=list)
    roster: list = field(default_factory=list)
    handovers: list = field(default_factory=list)
    duties: list = field(default_factory=list)
    violations: list = field(default_factory=list)
    quota: list = field(default_factory=list)  # quota_customers rows: who each policy counted and selected
    calls: list = field(default_factory=list)  # call records, as `cs calls import` stores them

    def as_tuple(self) -> tuple:
        """The lists in field order, to send to another process (dataclasses.astuple deep-copies every row)."""
        return tuple(getattr(self, name) for name in self.__dataclass_fields__)


class Centre:
    """Decides every record of a day from the seed and the date; ids are handed out in order."""

    def __init__(self, ctx, staff: Staff, *, seed: int, per_agent: float, first: date):
        self.ctx = ctx
        self.staff = staff
        self.seed = seed
        self.per_agent = per_agent
        self.timeline = Timeline(ctx.tz, ctx.calendar, first - timedelta(days=1))
        self.now = _epoch(ctx.now)
        self.next_ticket = 1
        self.next_callback = 1
        self.next_handover = 1
        self._volumes: dict[int, int] = {}
        self._new_slots: dict[int, int] = {}  # day ordinal -> new customers that day so far
        # Callback quotas, as cs.desk.callbacks keeps them: (policy, month) -> {phone: selected}; phones seen.
        self._quota: dict[tuple, dict] = {}
        self._quota_chosen: dict[tuple, int] = {}
        self._phones_seen: set = set()
        self._sla = {priority: self._sla_of(priority) for priority in PRIORITY_WEIGHTS}
        self.contact = _spans(ctx.contact_hours.spans)
        self.timeline.set_service(ctx.service_hours.spans, ctx.service_hours.days == "workday")
        self.shifts = {shift["code"]: (shift, _minutes(shift["start"]), _minutes(shift["end"]))
                       for shift in ctx.config["shift"]}
        self.open_hours = self._open_hours()
        self.hours, self.hour_cum = self._arrival_hours()
        self.policies = [self._policy(p) for p in ctx.config["callback_policy"]]
        self.retry_after = clock.parse_duration(ctx.config["callback"]["retry_after"])
        self.max_attempts = ctx.config["callback"]["max_attempts"]
        self.summaries = {cat: SUMMARIES[cat] + MORE_SUMMARIES.get(cat, []) for cat in CATEGORY_WEIGHTS}
        self.team_of = {handle: team for team in staff.teams for handle in team.members}
        self.extension_of = {row[0]: row[8] for row in staff.rows}

    # configuration, prepared once

    def _sla_of(self, priority: str):
        """(first-response duration, its length on its clock, resolve duration, its length on its clock)"""
        first_response, resolve = tickets.sla(self.ctx.config, priority)
        return first_response, tickets.clock_seconds(first_response), resolve, tickets.clock_seconds(resolve)

    def _run(self, duration, t: int, seconds: int) -> int:
        """cs.desk.tickets.run_clock: service time for minutes and hours, working clock for working days."""
        if duration.unit in ("m", "h"):
            return self.timeline.service_after(t, seconds)
        if duration.unit == "wd":
            return self.timeline.working_after(t, seconds)
        return t + seconds

    def _measure(self, duration, a: int, b: int) -> int:
        """cs.desk.tickets.measure_clock."""
        if duration.unit in ("m", "h"):
            return self.timeline.service_between(a, b)
        if duration.unit == "wd":
            return self.timeline.working_time(b) - self.timeline.working_time(a)
        return max(0, b - a)

    def _policy(self, policy: dict) -> dict:
        return {**policy, "delay_d": clock.parse_duration(policy.get("delay", "1h")),
                "within_d": clock.parse_duration(policy["within"]),
                "categories": frozenset(policy.get("categories", CATEGORY_WEIGHTS))}

    def _deciding_policy(self, category: str, vip: bool, first_ever: bool):
        """cs.desk.callbacks: the first policy that applies decides."""
        return next((p for p in self.policies if category in p["categories"] and (vip or not p.get("vip_only"))
                     and (first_ever or not p.get("new_customers_only"))), None)

    def _quota_selects(self, policy: dict, phone: str, ticket_id: int, resolved: int, records) -> bool:
        month = self.timeline.date(self.timeline.day_of(resolved)).strftime("%Y-%m")
        counted = self._quota.setdefault((policy["code"], month), {})
        sample = policy.get("sample", 1.0)
        if phone in counted:
            return sample >= 1
        chosen = self._quota_chosen.get((policy["code"], month), 0)
        selected = sample >= 1 or quota_selects(len(counted) + 1, sample, chosen)
        counted[phone] = selected
        self._quota_chosen[(policy["code"], month)] = chosen + selected
        records.quota.append((policy["code"], month, phone, len(counted), int(selected), ticket_id,
                              self.timeline.stamp(resolved), sample, chosen + selected))
        return selected

    def _open_hours(self) -> tuple:
        """When somebody is on shift (seconds after midnight): responses and resolutions happen then."""
        spans = []
        for _, start, end in self.shifts.values():
            spans += [(start * 60, end * 60)] if end > start else [(start * 60, 86400), (0, end * 60)]
        merged = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return tuple(merged)

    def _arrival_hours(self):
        covered = [h for h in range(24) if any(s <= h * 3600 < e for s, e in self.open_hours)]
        return covered, list(itertools.accumulate(HOUR_WEIGHTS.get(h, 1) for h in covered))

    # volume

    def volume(self, day: date) -> int:
        """Tickets on `day` (a whole day), from the seed and the date alone."""
        ordinal = day.toordinal()
        if ordinal not in self._volumes:
            noise = random.Random(self.seed * 1_000_003 + ordinal).random()
            factor = self._day_factor(day) * MONTH_FACTORS[day.month - 1] * (0.92 + 0.16 * noise)
            self._volumes[ordinal] = round(len(self.staff.workers) * self.per_agent * factor)
        return self._volumes[ordinal]

    def _day_factor(self, day: date) -> float:
        workday = self.ctx.calendar.is_workday(day)
        weekend = day.weekday() >= 5
        if workday:
            return MAKEUP_DAY_FACTOR if weekend else 1.0
        return WEEKEND_FACTOR if weekend else HOLIDAY_FACTOR

    # the roster

    def roster(self, day: date) -> list[tuple[str, str]]:
        """(agent, shift) for everyone working `day`: two rest days a week each, teams swap shifts weekly."""
        codes = list(self.shifts)
        week = day.toordinal() // 7
        weekday = day.weekday()
        working = []
        for team_index, team in enumerate(self.staff.teams):
            for member_index, handle in enumerate(team.members):
                person = team_index * 31 + member_index
                if weekday in ((person * 3) % 7, (person * 3 + 1) % 7):
                    continue
                rotation = team_index if len(self.staff.teams) > 1 else member_index
                working.append((handle, codes[(rotation + week) % len(codes)]))
        return working

    def _by_hour(self, working) -> dict[int, list[str]]:
        """Who is on shift at each local hour; an hour nobody covers goes to anybody working that day."""
        everyone = [handle for handle, _ in working] or self.staff.workers
        by_hour = {}
        for hour in self.hours:
            minute = hour * 60
            on = [handle for handle, code in working
                  if self._covers(self.shifts[code][1], self.shifts[code][2], minute)]
            by_hour[hour] = on or everyone
        return by_hour

    @staticmethod
    def _covers(start: int, end: int, minute: int) -> bool:
        return start <= minute < end if end > start else minute >= start

    # a day

    def day(self, day: date) -> DayRecords:
        records = DayRecords()
        rng = random.Random(f"{self.seed}:{day.isoformat()}")
        k = (day - self.timeline.first).days
        working = self.roster(day)
        records.roster = [(day.isoformat(), code, handle, self.timeline.stamp(self.timeline.start(k) - 3 * 86400),
                           self.staff.supervisor) for handle, code in working]
        last_ticket = self._tickets(rng, day, k, working, records)
        self._shift_work(rng, day, k, working, last_ticket, records)
        records.calls = self._calls(day, k, working)
        return records

    def _calls(self, day: date, k: int, working) -> list[tuple]:
        """The hotline's call records: CALLS_PER_TICKET a ticket, at the same hours, to the agents on shift (their
        own random stream: the tickets are the same with calls or without)."""
        rng = random.Random(f"{self.seed}:calls:{day.isoformat()}")
        start = self.timeline.start(k)
        arrivals = sorted(start + hour * 3600 + int(rng.random() * 3600) for hour in rng.choices(
            self.hours, cum_weights=self.hour_cum, k=round(self.volume(day) * CALLS_PER_TICKET)))
        by_hour = self._by_hour(working)
        return day_calls(rng, arrivals, lambda t: by_hour.get((t - start) // 3600) or self.staff.workers,
                         self.extension_of, self.timeline.stamp, self.now)

    def _tickets(self, rng, day: date, k: int, working, records: DayRecords) -> dict:
        """The day's tickets, their lives and their callbacks; returns each agent's last ticket id."""
        now, start = self.now, self.timeline.start(k)
        count = self.volume(day)
        opened = sorted(start + hour * 3600 + int(rng.random() * 3600)
                        for hour in rng.choices(self.hours, cum_weights=self.hour_cum, k=count))
        categories = rng.choices(CATEGORIES, cum_weights=CATEGORY_CUM, k=count)
        channels = rng.choices(CHANNELS, cum_weights=CHANNEL_CUM, k=count)
        priorities = rng.choices(PRIORITIES, cum_weights=PRIORITY_CUM, k=count)
        by_hour = self._by_hour(working)
        random_ = rng.random
        last_ticket = {}
        self._new_slots[day.toordinal()] = 0
        for i, t in enumerate(opened):
            if t > now - 60:
                break
            on_shift = by_hour.get((t - start) // 3600) or self.staff.workers
            agent = on_shift[int(random_() * len(on_shift))]
            last_ticket[agent] = self.next_ticket
            person = self._person(random_, day, channels[i], t, records)
            self._ticket(rng, self.next_ticket, t, categories[i], channels[i], priorities[i], agent, person, records)
            self.next_ticket += 1
        return last_ticket

    def _person(self, random_, day: date, channel: str, t: int, records: DayRecords) -> tuple:
        """Who got in touch: a new customer, one seen before (30 %), or a letter without a phone number."""
        ordinal = day.toordinal()
        if channel in WRITTEN_CHANNELS and random_() < 0.3:
            return None, SURNAMES[int(random_() * len(SURNAMES))] + TITLES[int(random_() * 2)], 0, 1
        if random_() < REPEAT_SHARE:
            earlier = ordinal - min(400, 1 + int(-30 * math.log(1.0 - random_())))  # mostly the last weeks
            slot = int(random_() * max(1, int(self.volume(date.fromordinal(earlier)) * NEW_SLOTS_SHARE)))
            person = _customer(earlier, slot, self.seed)
            if slot < self._new_slots.get(earlier, 0):
                return person  # already in the customers table
        else:
            person = _customer(ordinal, self._new_slots[ordinal], self.seed)
            self._new_slots[ordinal] += 1
        stamp = self.timeline.stamp(t)
        records.customers.append((person[0], person[1], person[2], person[3], stamp, stamp))
        return person

    def _plan(self, random_, t: int, channel: str, category: str, response_due: int, resolve, resolve_s: int) -> tuple:
        """When the ticket is answered, paused, resumed and resolved, were nothing cut short by now:
        (responded, settled in the first contact, pend, resume, paused working seconds, resolved)."""
        timeline, open_hours = self.timeline, self.open_hours
        # Live channels are answered at once; written ones within the SLA, a few late; off-hours wait.
        if channel in LIVE_CHANNELS and random_() < 0.97:
            responded = t + int(random_() * 180)
        else:
            fraction = 1.05 + random_() if random_() < 0.07 else random_() ** 2 * 0.9
            responded = timeline.next_open(t + int(fraction * (response_due - t)), open_hours)
        if channel in LIVE_CHANNELS and category in QUICK_CATEGORIES and random_() < 0.55:
            return responded, True, None, None, 0, responded + 60 + int(random_() * 840)
        pend = resume = None
        paused = 0
        if random_() < 0.08:
            pend = responded + 600 + int(random_() * 3000)
            resume = pend + 1800 + int(random_() ** 2 * 2 * 86400)  # minutes to days for the customer
            paused = self._measure(resolve, pend, resume)
        # Resolved within the SLA on the working clock mostly, 7 % late; off-hours wait for a shift.
        fraction = 1.0 + random_() * 0.8 if random_() < 0.07 else 0.03 + random_() ** 2 * 0.9
        resolved = timeline.next_open(self._run(resolve, timeline.service_after(t, 0), int(fraction * resolve_s) + paused),
                                      open_hours)
        return responded, False, pend, resume, paused, max(resolved, (resume or responded) + 300)

    def _ticket(self, rng, ticket_id, t, category, channel, priority, agent, person, records) -> None:
        """One ticket's life from `t` on, cut at now: the row, its extra events and its callbacks."""
        timeline, stamp, now, random_ = self.timeline, self.timeline.stamp, self.now, rng.random
        phone, name, vip, declines = person
        first_response, response_s, resolve, resolve_s = self._sla[priority]
        clock_start = timeline.service_after(t, 0)
        response_due = self._run(first_response, clock_start, response_s)
        events = records.events
        responded, quick, pend, resume, paused, resolved = self._plan(random_, t, channel, category, response_due,
                                                                      resolve, resolve_s)
        status, pending_since, paused_s, resolve_due = "open", None, 0, self._run(resolve, clock_start, resolve_s)
        first_response_at = resolved_at = closed_at = verdict = verdict_at = resolution = None
        updated = t
        if responded <= now:
            status, first_response_at, updated = "in_progress", responded, responded
            if random_() < 0.2 and responded + 120 <= now:
                updated = responded + 120
                events.append((ticket_id, stamp(updated), NOTE_SEQ, agent, "note", None, None,
                               NOTES[int(random_() * len(NOTES))]))
            if pend is not None and pend <= now:
                events.append((ticket_id, stamp(pend), PENDED_SEQ, agent, "pended", "in_progress", "pending",
                               PEND_REASONS[int(random_() * len(PEND_REASONS))]))
                status, pending_since, updated = "pending", pend, max(updated, pend)
                if resume <= now:
                    events.append((ticket_id, stamp(resume), RESUMED_SEQ, agent, "resumed", "pending",
                                   "in_progress", None))
                    status, pending_since, paused_s, updated = "in_progress", None, paused, max(updated, resume)
                    resolve_due = self._run(resolve, clock_start, resolve_s + paused)
        if resolved <= now and status == "in_progress":
            status, resolved_at, updated = "resolved", resolved, max(updated, resolved)
            resolution = RESOLUTIONS[category]
        workers = self.staff.workers
        about = None
        if category == "complaint" and random_() < ABOUT_AGENT_SHARE:
            about = workers[int(random_() * len(workers))]
        if resolved_at is not None:
            if about is not None and resolved + 3600 <= now:
                verdict = "upheld" if random_() < 1 / 3 else "rejected"
                verdict_at = resolved + 3600
                updated = max(updated, verdict_at)
            if random_() < 0.7:
                closing = timeline.next_open(resolved + 86400 + int(random_() * 2 * 86400), self.open_hours)
                if closing <= now:
                    status, closed_at, updated = "closed", closing, max(updated, closing)
        satisfaction = None
        first_ever = phone is not None and phone not in self._phones_seen
        if phone is not None:
            self._phones_seen.add(phone)
        policy = self._deciding_policy(category, vip, first_ever) if phone is not None else None
        if resolved_at is not None and policy is not None and not declines:
            done = self._callback(rng, policy, ticket_id, resolved, agent, phone, name, vip, records)
            if done is not None:
                satisfaction = OUTCOME_SCORES[done[1]]
                updated = max(updated, done[0])
                events.append((ticket_id, stamp(done[0]), SATISFACTION_SEQ, agent, "satisfaction", None,
                               None, str(satisfaction)))
        tags = TAG_CHOICES[int(random_() * len(TAG_CHOICES))] if category in ("suggestion", "inquiry") else "[]"
        department = DEPARTMENTS[int(random_() * len(DEPARTMENTS))] if category in ("repair", "return") else None
        summaries = self.summaries[category]
        fcr = 1 if quick and resolved_at is not None and resolved - t < 3600 else 0
        records.tickets.append((
            ticket_id, stamp(t), channel, category, priority, status, summaries[int(random_() * len(summaries))], None,
            name, phone, agent, department, about, verdict, verdict_at and stamp(verdict_at), tags,
            first_response_at and stamp(first_response_at), stamp(response_due), resolved_at and stamp(resolved_at),
            stamp(resolve_due), pending_since and stamp(pending_since), paused_s, closed_at and stamp(closed_at),
            resolution, fcr, satisfaction, agent, stamp(updated), None, None, None))

    def _callback(self, rng, policy, ticket_id, resolved, agent, phone, name, vip, records):
        """The policy's callback for a ticket resolved at `resolved`, worked as agents do; returns
        (done at, outcome) when the customer was reached."""
        chosen = self._quota_selects(policy, phone, ticket_id, resolved, records)
        if not chosen and not (vip and policy.get("vip_always", self.ctx.config["callback"].get("vip_always", True))):
            return None
        timeline, stamp, now, random_ = self.timeline, self.timeline.stamp, self.now, rng.random
        callback_id = self.next_callback
        self.next_callback += 1
        not_before = timeline.next_open(timeline.after(resolved, policy["delay_d"]), self.contact)
        due = self._deadline(resolved, policy["within_d"])
        events = records.callback_events
        events.append((callback_id, stamp(resolved), agent, "created", None, f"policy {policy['code']}"))
        status, attempts, outcome, note, done_at, ended_at, updated = "pending", 0, None, None, None, None, resolved
        next_try = not_before
        forgotten = due >= now - 7 * 86400 and random_() < 0.1
        if random_() < 0.01 and not_before <= now:
            status, ended_at, updated, next_try = "cancelled", not_before, not_before, None
            events.append((callback_id, stamp(not_before), agent, "cancelled", None, "客户表示无需回访"))
        elif not forgotten:
            late = random_() < LATE_CALLBACK_SHARE
            fraction = 0.9 + random_() * 0.6 if late else random_() ** 2 * 0.85
            call = timeline.next_open(not_before + int(fraction * max(0, due - not_before)), self.contact)
            while call <= now:
                if random_() < 0.25:
                    attempts += 1
                    result = "no_answer" if random_() < 0.7 else "busy"
                    events.append((callback_id, stamp(call), agent, "attempt", result,
                                   "无人接听" if result == "no_answer" else "占线"))
                    updated = call
                    if attempts >= self.max_attempts:
                        status, ended_at, next_try = "failed", call, None
                        break
                    next_try = timeline.next_open(timeline.after(call, self.retry_after), self.contact)
                    call = next_try
                    continue
                outcome = rng.choices(("satisfied", "neutral", "dissatisfied"), (70, 20, 10))[0]
                note = rng.choice(CALL_NOTES[outcome])
                status, done_at, ended_at, updated, next_try = "done", call, call, call, None
                events.append((callback_id, stamp(call), agent, "done", outcome, note))
                break
        records.callbacks.append((
            callback_id, ticket_id, name, phone, policy.get("reason", "other"), policy.get("method", "phone"), agent,
            status, stamp(due), stamp(not_before), next_try and stamp(next_try), attempts, outcome, None, note,
            policy["code"], stamp(resolved), agent, done_at and stamp(done_at), ended_at and stamp(ended_at),
            stamp(updated)))
        return (done_at, outcome) if status == "done" else None

    def _deadline(self, start: int, within: clock.Duration) -> int:
        """cs.callbacks.deadline: `wd` ends with the contact hours of the n-th working day after."""
        if within.unit == "wd":
            k = self.timeline.workdays_after(self.timeline.day_of(start), within.amount)
            return self.timeline.start(k) + self.contact[-1][1]
        return self.timeline.after(start, within)

    # handovers, duties and violations

    def _shift_work(self, rng, day: date, k: int, working, last_ticket: dict, records: DayRecords) -> None:
        timeline, stamp, now = self.timeline, self.timeline.stamp, self.now
        start = timeline.start(k)
        next_morning = timeline.start(k + 1) + 10 * 3600
        # Duties given to everyone at work (on the duty's shift when it names one); the bulk centre has no rota.
        duties = [duty for duty in self.ctx.config["duty"] if duty.get("assign", "all") == "all"
                  and (duty.get("every", "day") == "day" or timeline.is_workday(k))]
        teams_on = {}
        for handle, code in working:
            teams_on.setdefault((self.team_of[handle].label, code), []).append(handle)
            shift_end = start + self._shift_end_s(code)
            for duty in duties:
                if duty.get("shift", code) != code:
                    continue
                done = shift_end - 600 - int(rng.random() * 3000)
                if rng.random() < 0.96 and done <= now:
                    records.duties.append((day.isoformat(), duty["code"], handle, stamp(done), None, handle))
            if rng.random() < VIOLATION_CHANCE:
                self._violation(rng, day, handle, start + self.shifts[code][1] * 60, shift_end, records)
        for (team_label, code), members in teams_on.items():
            # Each team's shift files its memo (seed 001): an item for the next shift, else "无"; a few forget.
            created = start + self._shift_end_s(code) - 300 - int(rng.random() * 900)
            memo = rng.random()
            if created > now or memo >= 0.97:
                continue
            if memo < 0.35:
                self._handover(rng, day, code, created, next_morning, members, last_ticket, records)
            else:
                owner = rng.choice(members)
                records.handovers.append((self.next_handover, stamp(created), day.isoformat(), code, owner, "无",
                                          None, "done", owner, stamp(created), stamp(created), None, owner))
                self.next_handover += 1

    def _handover(self, rng, day, code, created, next_morning, members, last_ticket, records) -> None:
        """An item for the next shift: read the next morning and mostly done then; some take days (a
        handover_unfinished deduction), and only the last week's are still open."""
        stamp, now = self.timeline.stamp, self.now
        owner = rng.choice(members)
        ticket_id = last_ticket.get(owner) if rng.random() < 0.5 else None
        chance = rng.random()
        done = next_morning + 3600 if chance < 0.8 else next_morning + int((1 + chance * 6) * 86400)
        status, acked_by, acked_at, done_at, note = "open", None, None, None, None
        if done <= now:
            status, acked_by, acked_at, done_at, note = "done", owner, next_morning, done, "已处理"
        elif next_morning <= now and chance < 0.9:
            status, acked_by, acked_at = "acked", owner, next_morning
        records.handovers.append((self.next_handover, stamp(created), day.isoformat(), code, owner,
                                  rng.choice(HANDOVER_TEXTS), ticket_id, status, acked_by,
                                  acked_at and stamp(acked_at), done_at and stamp(done_at), note, owner))
        self.next_handover += 1

    def _shift_end_s(self, code: str) -> int:
        _, start, end = self.shifts[code]
        return (end if end > start else end + 24 * 60) * 60

    def _violation(self, rng, day, handle, shift_start, shift_end, records) -> None:
        at = shift_start + int(rng.random() * (shift_end - shift_start))
        if at > self.now:
            return
        rule = rng.choices([r for r, _ in VIOLATION_RULES], [w for _, w in VIOLATION_RULES])[0]
        team = self.team_of[handle]
        recorder = team.members[0] if team.members[0] != handle else self.staff.supervisor
        records.violations.append((handle, rule, self.timeline.stamp(at), VIOLATION_NOTES[rule],
                                   self.timeline.stamp(min(at + 600, self.now)), recorder))


# --- writing in bulk -------------------------------------------------------------------------------

_DERIVED_EVENTS = """
INSERT INTO ticket_events (ticket_id, at, actor, kind, from_status, to_status, text)
SELECT ticket_id, at, actor, kind, from_status, to_status, text FROM (
    SELECT id AS ticket_id, opened_at AS at, 0 AS seq, created_by AS actor, 'created' AS kind,
           NULL AS from_status, 'open' AS to_status, summary AS text
      FROM tickets WHERE id BETWEEN :first AND :last
    UNION ALL
    SELECT id, first_response_at, 1, agent, 'responded', 'open', 'in_progress', NULL
      FROM tickets WHERE id BETWEEN :first AND :last AND first_response_at IS NOT NULL
       AND (resolved_at IS NULL OR first_response_at < resolved_at)
    UNION ALL
    SELECT id, resolved_at, 5, agent, 'resolved',
           CASE WHEN first_response_at < resolved_at THEN 'in_progress' ELSE 'open' END, 'resolved', resolution
      FROM tickets WHERE id BETWEEN :first AND :last AND resolved_at IS NOT NULL
    UNION ALL
    SELECT id, verdict_at, 6, agent, 'verdict', NULL, NULL, verdict
      FROM tickets WHERE id BETWEEN :first AND :last AND verdict_at IS NOT NULL
    UNION ALL
    SELECT id, closed_at, 7, agent, 'closed', 'resolved', 'closed', NULL
      FROM tickets WHERE id BETWEEN :first AND :last AND closed_at IS NOT NULL
    UNION ALL
    SELECT ticket_id, at, seq, actor, kind, from_status, to_status, text FROM temp.generated_events
) ORDER BY ticket_id, at, seq
"""
# What the ticket_notes_fts trigger would have written: each note on its own line after the first.
_SEARCH_INDEX = """
INSERT INTO ticket_fts (rowid, summary, detail, notes)
SELECT t.id, t.summary, COALESCE(t.detail, ''), COALESCE(n.notes, '')
  FROM tickets t LEFT JOIN (SELECT ticket_id, group_concat(char(10) || text, '') AS notes
                              FROM temp.generated_events WHERE kind = 'note' GROUP BY ticket_id) n
    ON n.ticket_id = t.id
 WHERE t.id BETWEEN :first AND :last
"""


class BulkWriter:
    """A new database in bulk mode: no secondary indexes, no notes trigger, no journal on disk."""

    def __init__(self, db):
        self.db = db
        self.saved = []

    def __enter__(self):
        db = self.db
        tables = ", ".join(f"'{name}'" for name in BULK_TABLES)
        kept = ", ".join(f"'{name}'" for name in APPEND_ORDERED_INDEXES)
        self.saved = db.all(f"SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN"
                            f" ({tables}) AND ((type = 'index' AND name NOT IN ({kept}))"
                            f" OR (type = 'trigger' AND name = 'ticket_notes_fts'))")
        for row in self.saved:
            db.execute(f"DROP {row['type'].upper()} {row['name']}")
        # A new file: a failure half-way is thrown away, so the build skips what protects a live one.
        for pragma in ("foreign_keys = OFF", "journal_mode = MEMORY", "synchronous = OFF", "temp_store = MEMORY",
                       "cache_size = -262144", "threads = 2"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("CREATE TEMP TABLE generated_events (ticket_id INTEGER, at TEXT, seq INTEGER, actor TEXT,"
                   " kind TEXT, from_status TEXT, to_status TEXT, text TEXT)")
        return self

    def write(self, records: DayRecords) -> None:
        db = self.db
        with db.transaction():
            db.executemany("INSERT INTO customers (phone, name, vip, no_callback, created_at, updated_at)"
                           " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (phone) DO NOTHING", records.customers)
            db.executemany(insert_sql("tickets", tickets.COLUMNS), records.tickets)
            db.executemany(insert_sql("temp.generated_events", ("ticket_id", "at", "seq", "actor", "kind",
                                                                 "from_status", "to_status", "text")),
                           records.events)
            if records.tickets:
                span = {"first": records.tickets[0][0], "last": records.tickets[-1][0]}
                db.execute(_DERIVED_EVENTS, span)
                db.execute(_SEARCH_INDEX, span)
            db.execute("DELETE FROM temp.generated_events")
            db.executemany(insert_sql("callbacks", CALLBACK_COLUMNS), records.callbacks)
            db.executemany("INSERT INTO callback_events (callback_id, at, actor, kind, result, note)"
                           " VALUES (?, ?, ?, ?, ?, ?)", records.callback_events)
            db.executemany("INSERT INTO roster (date, shift, agent, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
                           records.roster)
            db.executemany(insert_sql("handovers", ("id", "created_at", "date", "shift", "agent", "text", "ticket_id",
                                                     "status", "acked_by", "acked_at", "done_at", "note",
                                                     "created_by")), records.handovers)
            db.executemany("INSERT INTO duty_records (date, duty, agent, done_at, note, created_by)"
                           " VALUES (?, ?, ?, ?, ?, ?)", records.duties)
            db.executemany("INSERT INTO violations (agent, rule, at, note, created_at, created_by)"
                           " VALUES (?, ?, ?, ?, ?, ?)", records.violations)
            db.executemany("INSERT INTO quota_customers (policy, month, phone, k, selected, ticket_id, at, sample,"
                           " chosen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", records.quota)
            db.executemany(insert_sql("calls", CALL_COLUMNS), records.calls)

    def __exit__(self, *exc):
        db = self.db
        if db.conn.in_transaction:  # interrupted half-way through a day's write
            db.conn.execute("ROLLBACK")
        db.execute("DROP TABLE IF EXISTS temp.generated_events")
        if exc[0] is None:
            with db.transaction():
                for row in self.saved:
                    db.execute(row["sql"])
        for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON", "temp_store = DEFAULT",
                       "cache_size = -2000", "threads = 0"):
            db.execute(f"PRAGMA {pragma}")
        return False


# --- the whole build -------------------------------------------------------------------------------

PIPELINE_FROM_DAYS = 30  # shorter builds take a second or two: not worth a second process


def generated_days(centre: Centre, dates: list[date], *, pipeline: bool | None = None):
    """Each date's records, in order. Deciding them is about a third of the build and SQLite's writing them
    the rest, so for long builds on Linux with two cores a forked child decides them while this process
    writes the ones before (1.4 times the rate on the development machine). The child is the only
    generator either way, so the records and their ids are the same."""
    import os
    import sys

    if pipeline is None:
        pipeline = (sys.platform.startswith("linux") and (os.cpu_count() or 1) >= 2
                    and len(dates) >= PIPELINE_FROM_DAYS)
    return _from_child(centre, dates) if pipeline else (centre.day(day) for day in dates)


def _from_child(centre: Centre, dates: list[date]):
    import marshal
    import multiprocessing

    from cs.core.errors import CSError

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_generate_into, args=(centre, dates, sender, receiver), daemon=True)
    child.start()
    sender.close()
    try:
        for _ in dates:
            try:
                data = receiver.recv_bytes()
            except EOFError:
                raise CSError(i18n._("the demo generator's second process stopped; see its error above")) from None
            yield DayRecords(*marshal.loads(data))
    finally:
        receiver.close()
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()


def _generate_into(centre: Centre, dates: list[date], sender, receiver) -> None:
    """The child's side. It inherited this process's database connection and never touches it. Ctrl-C reaches the
    whole process group: the parent decides (it removes the half-built desk), so the child ignores it, and ends
    quietly when the parent stops listening."""
    import marshal
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    receiver.close()  # the parent's end: once the parent closes it, sending fails and this process ends
    try:
        for day in dates:
            sender.send_bytes(marshal.dumps(centre.day(day).as_tuple()))
        sender.close()
    except OSError:  # the parent closed the pipe: it was interrupted or failed, and says so itself
        pass



def build(ctx, *, agents: int, days: int, seed: int = 2026, per_agent: float = 10.0, team_size: int = 10,
          score: bool = True, pipeline: bool | None = None, progress=None) -> dict:
    """Fill a new, empty database (configuration already saved) with `agents` people and `days` days
    before today, plus today until now. Returns counts and timings."""
    from cs.scoring import deductions

    begun = time.perf_counter()
    today = clock.local_date(ctx.now, ctx.tz)
    first = today - timedelta(days=days)
    created_at = clock.to_db(datetime.combine(first - timedelta(days=30), datetime.min.time(), ctx.tz))
    staff = make_staff(random.Random(seed), agents, team_size, created_at)
    centre = Centre(ctx, staff, seed=seed, per_agent=per_agent, first=first)
    with ctx.db.transaction():
        ctx.db.executemany(insert_sql("agents", ("handle", "name", "team", "role", "email", "mobile", "active",
                                                  "created_at", "extension")), staff.rows)
    dates = [first + timedelta(days=offset) for offset in range(days + 1)]
    with BulkWriter(ctx.db) as writer:
        for done, records in enumerate(generated_days(centre, dates, pipeline=pipeline), start=1):
            writer.write(records)
            if progress:
                progress(done, len(dates))
    built = time.perf_counter()
    scored_days = 0
    if score:
        for offset in range(days):
            with ctx.db.transaction():
                deductions.run(ctx, first + timedelta(days=offset))
            scored_days += 1
    scored = time.perf_counter()
    counts = {name: ctx.db.value(f"SELECT COUNT(*) FROM {name}")
              for name in ("tickets", "ticket_events", "callbacks", "callback_events", "customers", "roster",
                           "handovers", "duty_records", "violations", "deductions", "calls")}
    summary = {"agents": agents, "teams": len(staff.teams), "days": days, "seed": seed, **counts,
               "build_s": round(built - begun, 3), "score_s": round(scored - built, 3),
               "scored_days": scored_days}
    with ctx.db.transaction():
        ctx.db.audit(ctx.now_db, ctx.actor, "demo.generate", "demo", None, None,
                     {key: summary[key] for key in ("agents", "days", "seed", "tickets", "callbacks")})
    return summary
