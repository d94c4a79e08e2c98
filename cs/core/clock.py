"""Time for the desk: zones, storage format, durations, the working calendar and TIME arguments.

Nothing here reads the real clock or the environment: "now", the zone and the calendar are
always passed in (by the CLI layer), so history can be back-filled and tests are deterministic.
"""
from __future__ import annotations

import datetime
import functools
import re
import zoneinfo
from collections import namedtuple
from datetime import date, timedelta

from cs.core.errors import CSError
from cs.core.i18n import N_, _

UTC = datetime.timezone.utc
_DAY = timedelta(days=1)


# ---------------------------------------------------------------- zones

def get_zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (ValueError, KeyError, OSError, TypeError):
        # ZoneInfo rejects '', '../x' and absolute paths with ValueError and unknown keys with
        # KeyError; directories such as 'Asia' or non-zone files may surface as OSError.
        raise CSError(_("unknown time zone {name!r}; use an IANA name such as Asia/Shanghai")
                      .format(name=name)) from None


def _zone(tz) -> datetime.tzinfo:
    """Callers may pass a zone object or its IANA name."""
    return get_zone(tz) if isinstance(tz, str) else tz


# ---------------------------------------------------------------- storage and display

def _require_aware(dt: datetime.datetime) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt!r}: attach a time zone first")


def to_db(dt: datetime.datetime) -> str:
    _require_aware(dt)
    # isoformat (not strftime) so years < 1000 still get four digits.
    return dt.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def from_db(text: str | None) -> datetime.datetime | None:
    if text is None:
        return None
    dt = datetime.datetime.fromisoformat(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def to_display(value: datetime.datetime | str | None, tz) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _stored_for_display(value, tz)  # a listing shows thousands; many times repeat
    return _displayed(value, tz)


@functools.lru_cache(maxsize=8192)
def _stored_for_display(value: str, tz) -> str:
    return _displayed(from_db(value), tz)


def _displayed(dt: datetime.datetime, tz) -> str:
    _require_aware(dt)
    local = dt.astimezone(_zone(tz))
    if local.utcoffset().seconds % 60:
        # Historic local mean time (e.g. +08:05:43 before 1901) has no RFC 3339 form: show UTC.
        local = dt.astimezone(UTC)
    # the plain form when there is nothing below the second (every stored time): a third faster, same text
    return local.isoformat() if not local.microsecond else local.isoformat(timespec="seconds")


def day_bounds(d: date, tz) -> tuple[datetime.datetime, datetime.datetime]:
    return _local_instant(d, datetime.time(0), tz), _local_instant(d + _DAY, datetime.time(0), tz)


def local_date(dt: datetime.datetime, tz) -> date:
    _require_aware(dt)
    return dt.astimezone(_zone(tz)).date()


def _local_instant(d: date, t: datetime.time, tz) -> datetime.datetime:
    """Wall-clock d t in tz as an aware UTC instant. A time skipped by DST maps past the gap
    (fold=0 uses the pre-transition offset), so the result always exists."""
    return datetime.datetime.combine(d, t, tzinfo=_zone(tz)).astimezone(UTC)


# ---------------------------------------------------------------- durations

# The patterns below are texts: re compiles each on first use and keeps it (most commands parse no time at all, and
# compiling them at import cost every start; issue 22).
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_MAX_AMOUNT = 99999  # keeps day-by-day working-day walks and date arithmetic in range
_DURATION_RE = r"(?i)([+-]?)([0-9]{1,9})(wd|mo|m|h|d|w)"
_DURATION_HELP = N_("use a number and a unit m, h, d, w, wd or mo (e.g. 30m, 2h, 3d, 2wd, 1mo)")


# A plain namedtuple: made at import, where a dataclass or typing's NamedTuple (which compiles each annotation)
# costs every command a millisecond or more.
class Duration(namedtuple("Duration", "amount unit")):
    """`amount` (int) of `unit`: 'm' | 'h' | 'd' | 'w' | 'wd' | 'mo' (calendar months)."""
    __slots__ = ()

    @property
    def text(self) -> str:
        return f"{self.amount}{self.unit}"

    def seconds(self) -> int:
        if self.unit not in _UNIT_SECONDS:
            raise ValueError((_("{duration} counts calendar months and has no fixed length in seconds")
                              if self.unit == "mo" else
                              _("{duration} counts working days and has no fixed length in seconds"))
                             .format(duration=self.text))
        return self.amount * _UNIT_SECONDS[self.unit]


def parse_duration(text: str) -> Duration:
    m = re.fullmatch(_DURATION_RE, text.strip()) if isinstance(text, str) else None
    if not m:
        raise ValueError(_("bad duration {text!r}: {help}").format(text=text, help=_(_DURATION_HELP)))
    amount = int(m.group(2))
    if amount > _MAX_AMOUNT:
        raise ValueError(_("bad duration {text!r}: the number may be at most {limit}").format(text=text,
                                                                                             limit=_MAX_AMOUNT))
    if m.group(3).lower() == "mo" and amount > 1200:
        raise ValueError(_("bad duration {text!r}: at most 1200 months (a hundred years)").format(text=text))
    return Duration(-amount if m.group(1) == "-" else amount, m.group(3).lower())


# ---------------------------------------------------------------- working calendar

def _as_date(value) -> date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(_("bad date {value!r}: use YYYY-MM-DD").format(value=value)) from None


@functools.lru_cache(maxsize=1)
def _official_years() -> tuple[int, int]:
    """The first and last year the installed chinesecalendar has official data for."""
    from chinese_calendar.constants import holidays

    return min(holidays).year, max(holidays).year


class WorkCalendar:
    KINDS = ("cn", "mon-fri")

    def __init__(self, kind: str = "cn", extra_holidays=(), extra_workdays=(), warn=None):
        if kind not in self.KINDS:
            raise ValueError(_("unknown calendar {kind!r}: use cn or mon-fri").format(kind=kind))
        self.kind = kind
        self.extra_holidays = frozenset(_as_date(v) for v in extra_holidays)
        self.extra_workdays = frozenset(_as_date(v) for v in extra_workdays)
        clash = self.extra_holidays & self.extra_workdays
        if clash:
            raise ValueError(_("{day} is both an extra holiday and an extra workday").format(day=min(clash)))
        self._warn = warn
        self._no_data_years: set[int] = set()
        self._cache: dict[date, bool] = {}

    def is_workday(self, d: date) -> bool:
        if d not in self._cache:
            self._cache[d] = self._compute(d)
        return self._cache[d]

    def _compute(self, d: date) -> bool:
        if d in self.extra_workdays:
            return True
        if d in self.extra_holidays:
            return False
        if self.kind == "cn":
            years = _official_years()
            if years[0] <= d.year <= years[1]:
                import chinese_calendar  # lazy: loading its data tables is not free

                return chinese_calendar.is_workday(d)
            if d.year not in self._no_data_years:
                self._no_data_years.add(d.year)  # warn once per year
                if self._warn is not None:
                    self._warn(_("no official holiday data for {year}; counting Mon–Fri as working days (set"
                                 " extra_holidays in the config, or upgrade chinesecalendar)").format(year=d.year))
        return d.weekday() < 5

    def add_workdays(self, d: date, n: int) -> date:
        step = _DAY if n > 0 else -_DAY
        remaining = abs(n)
        while remaining:
            d += step
            if self.is_workday(d):
                remaining -= 1
        return d


def add_duration(start: datetime.datetime, dur: Duration | str, tz, cal: WorkCalendar | None) -> datetime.datetime:
    _require_aware(start)
    dur = parse_duration(dur) if isinstance(dur, str) else dur
    if dur.unit in ("m", "h", "w"):
        # Elapsed time: add in UTC, since aware arithmetic within one zone is wall-clock arithmetic.
        return start.astimezone(UTC) + timedelta(seconds=dur.seconds())
    tz = _zone(tz)
    local = start.astimezone(tz)
    if dur.unit == "d":
        day = local.date() + timedelta(days=dur.amount)
    elif dur.unit == "mo":
        from dateutil.relativedelta import relativedelta

        # Calendar months: 31 January + 1mo is 28 (or 29) February, as relativedelta clips to the month's end.
        day = local.date() + relativedelta(months=dur.amount)
    else:
        if cal is None:
            raise ValueError(_("{duration} counts working days: a working calendar is needed")
                             .format(duration=dur.text))
        day = cal.add_workdays(local.date(), dur.amount)
    # Same wall-clock time on the target day (a day is a calendar day, not 24 hours, under DST).
    return _local_instant(day, local.time(), tz).astimezone(tz)


# ---------------------------------------------------------------- the working clock

def working_seconds_between(a: datetime.datetime, b: datetime.datetime, tz, cal: WorkCalendar) -> int:
    _require_aware(a)
    _require_aware(b)
    if b <= a:
        return 0
    a, b = a.astimezone(UTC), b.astimezone(UTC)  # same-zone subtraction would ignore DST
    total = timedelta(0)
    d, last = local_date(a, tz), local_date(b, tz)
    while d <= last:
        if cal.is_workday(d):
            start, end = day_bounds(d, tz)
            overlap = min(end, b) - max(start, a)
            if overlap > timedelta(0):
                total += overlap
        d += _DAY
    return total // timedelta(seconds=1)  # sum exactly first, so sub-second parts cannot drift


def add_working_seconds(a: datetime.datetime, seconds: int, tz, cal: WorkCalendar) -> datetime.datetime:
    _require_aware(a)
    if seconds < 0:
        raise ValueError("working time can only be added forwards")
    if seconds == 0:
        return a
    remaining = timedelta(seconds=seconds)
    a = a.astimezone(UTC)  # same-zone addition would be wall-clock arithmetic
    d = local_date(a, tz)
    while True:
        if cal.is_workday(d):
            start, end = day_bounds(d, tz)
            seg_start = max(start, a)
            available = end - seg_start
            if remaining <= available:  # '<=': ending exactly at midnight is the earliest instant
                return seg_start + remaining
            if available > timedelta(0):
                remaining -= available
        d += _DAY


# ---------------------------------------------------------------- contact hours

_WINDOW_RE = r"([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})"


def _window_minutes(text) -> tuple[int, int]:
    m = re.fullmatch(_WINDOW_RE, text.replace(" ", "")) if isinstance(text, str) else None
    if not m:
        raise ValueError(_("bad contact-hours window {text!r}: use HH:MM-HH:MM, e.g. 09:00-12:00").format(text=text))
    h1, m1, h2, m2 = map(int, m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    # 24:00 is allowed only as an end, meaning midnight at the end of the day.
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60:
        raise ValueError(_("bad contact-hours window {text!r}: no such time of day").format(text=text))
    if start >= end:
        raise ValueError(_("bad contact-hours window {text!r}: the start must be before the end "
                           "(windows may not cross midnight)").format(text=text))
    return start, end


class ContactHours:
    def __init__(self, windows: list[str]):
        if isinstance(windows, str) or not windows:
            raise ValueError(_("contact hours need at least one window such as ['09:00-12:00']"))
        spans = sorted(_window_minutes(w) for w in windows)
        for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
            if s2 < e1:
                raise ValueError(_("contact-hours windows overlap: {first} and {second}").format(first=_fmt(s1, e1),
                                                                                                  second=_fmt(s2, e2)))
        self.spans = tuple(spans)  # minutes after local midnight, sorted, half-open

    @property
    def windows(self) -> list[str]:
        return [_fmt(s, e) for s, e in self.spans]

    def _instants(self, d: date, tz):
        for s, e in self.spans:
            yield _minute_instant(d, s, tz), _minute_instant(d, e, tz)

    def contains(self, dt: datetime.datetime, tz) -> bool:
        d = local_date(dt, tz)
        return any(start <= dt < end for start, end in self._instants(d, tz))

    def next_open(self, dt: datetime.datetime, tz, workdays_only: bool = False,
                  cal: WorkCalendar | None = None) -> datetime.datetime:
        if workdays_only and cal is None:
            raise ValueError("workdays_only needs a working calendar")
        tz = _zone(tz)
        d = local_date(dt, tz)
        for _attempt in range(3700):  # ten years without a usable day means the calendar is broken
            if not workdays_only or cal.is_workday(d):
                for start, end in self._instants(d, tz):
                    if start <= dt < end:
                        return dt
                    if start > dt:
                        return start.astimezone(tz)
            d += _DAY
        raise ValueError(_("no contact-hours window on a working day within ten years"))

    def close_of_day(self, d: date, tz) -> datetime.datetime:
        return _minute_instant(d, self.spans[-1][1], tz).astimezone(_zone(tz))


def _minute_instant(d: date, minutes: int, tz) -> datetime.datetime:
    days, minutes = divmod(minutes, 24 * 60)  # 24:00 is the next day's midnight
    return _local_instant(d + timedelta(days=days), datetime.time(minutes // 60, minutes % 60), tz)


def _fmt(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


# ---------------------------------------------------------------- service hours

def day_window_minutes(text, what: str = N_("service-hours window")) -> tuple[int, int]:
    """'HH:MM-HH:MM' as minutes after the local midnight of the day it starts on; a window whose end is
    not after its start runs past midnight into the next day ('17:30-08:30'); '00:00-24:00' is a whole day."""
    m = re.fullmatch(_WINDOW_RE, text.replace(" ", "")) if isinstance(text, str) else None
    if not m:
        raise ValueError(_("{text!r} is not a {what} like 09:00-23:00").format(text=text, what=_(what)))
    h1, m1, h2, m2 = map(int, m.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(_("{text!r} is not a {what}: {h1:02d}:{m1:02d} or {h2:02d}:{m2:02d} is not a time of day")
                         .format(text=text, what=_(what), h1=h1, m1=m1, h2=h2, m2=m2))
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        end += 24 * 60  # runs past midnight
    return start, end


class ServiceHours:
    """When the centre answers (服务时间), as half-open windows repeated every day (or every working day,
    counted by the day a window starts on). SLA clocks in minutes and hours run only inside them.

    Windows that overlap or touch, on one day or across midnight, count as one span of service.
    """

    MAX_DAYS = 3700  # ten years without a service window means the configuration is broken

    def __init__(self, windows, days: str = "every", calendar: WorkCalendar | None = None):
        if isinstance(windows, str) or not windows:
            raise ValueError(_("service hours need at least one window such as 09:00-23:00"))
        if days not in ("every", "workday"):
            raise ValueError(_("service days {days!r}: use every or workday").format(days=days))
        if days == "workday" and calendar is None:
            raise ValueError("service on working days needs a working calendar")
        self.spans = tuple(sorted(day_window_minutes(w) for w in windows))
        self.days = days
        self.calendar = calendar
        self._day_cache: dict = {}

    @property
    def windows(self) -> list[str]:
        return [_fmt(s, e) for s, e in self.spans]

    def _day(self, d: date, tz) -> list:
        """The windows that start on day d, as UTC instants (cached: SLA arithmetic asks for the same days)."""
        key = (d, str(tz))
        if key not in self._day_cache:
            if len(self._day_cache) > 4096:
                self._day_cache.clear()
            serves = self.days == "every" or self.calendar.is_workday(d)
            self._day_cache[key] = [(_minute_instant(d, s, tz), _minute_instant(d, e, tz))
                                    for s, e in self.spans] if serves else []
        return self._day_cache[key]

    def spans_from(self, moment: datetime.datetime, tz):
        """Service spans (start, end), merged, in order, for every span that ends after `moment`. Service that
        never closes (windows covering whole days) comes as contiguous day-long pieces."""
        _require_aware(moment)
        tz = _zone(tz)
        moment = moment.astimezone(UTC)
        d = local_date(moment, tz) - _DAY  # a window of the day before may run past midnight
        current, given_until = None, None
        for _day in range(self.MAX_DAYS):
            for start, end in self._day(d, tz):
                if given_until is not None:
                    start = max(start, given_until)  # the part already given as a piece
                    if end <= start:
                        continue
                if current is None:
                    current = [start, end]
                elif start <= current[1]:
                    current[1] = max(current[1], end)
                else:
                    if current[1] > moment:
                        yield current[0], current[1]
                    current = [start, end]
            if current is not None and current[1] - current[0] > 2 * _DAY and current[1] > moment:
                yield current[0], current[1]  # still open: give what is known, go on from its end
                given_until, current = current[1], None
            d += _DAY
        if current is not None and current[1] > moment:
            yield current[0], current[1]
        raise ValueError(_("no service hours within ten years: check [service] hours and days"))

    def contains(self, moment: datetime.datetime, tz) -> bool:
        start, _ = next(self.spans_from(moment, tz))
        return start <= moment

    def clock_start(self, moment: datetime.datetime, tz) -> datetime.datetime:
        """When an SLA clock started at `moment` begins to run: `moment` inside service hours, else the
        next opening."""
        start, _ = next(self.spans_from(moment, tz))
        return max(start, moment.astimezone(UTC))

    def add(self, moment: datetime.datetime, seconds: int, tz) -> datetime.datetime:
        """The earliest instant with `seconds` of service time after `moment`."""
        if seconds < 0:
            raise ValueError("service time can only be added forwards")
        remaining = timedelta(seconds=seconds)
        moment = moment.astimezone(UTC)
        for start, end in self.spans_from(moment, tz):
            begin = max(start, moment)
            if remaining <= end - begin:  # '<=': a deadline may fall exactly at closing time
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable")

    def seconds_between(self, a: datetime.datetime, b: datetime.datetime, tz) -> int:
        _require_aware(b)
        total = timedelta(0)
        if b > a:
            b = b.astimezone(UTC)
            for start, end in self.spans_from(a, tz):
                if start >= b:
                    break
                total += min(end, b) - max(start, a.astimezone(UTC))
        return total // timedelta(seconds=1)


# ---------------------------------------------------------------- the business day

class BusinessDays:
    """Which day a moment belongs to: the start date of the shift running then that started last; outside
    every shift, the calendar date. A night shift 17:30–08:30 that starts on D keeps 03:00 on D.

    `spans` are the shifts' windows in minutes after the midnight of their start day (an end past 24:00
    runs into the next day), as day_window_minutes gives them.
    """

    def __init__(self, spans):
        self.spans = tuple(sorted(spans))

    def of(self, moment: datetime.datetime, tz) -> date:
        _require_aware(moment)
        local = moment.astimezone(_zone(tz))
        today = local.date()
        minute = local.hour * 60 + local.minute + local.second / 60
        for day, offset in ((today, 0), (today - _DAY, 24 * 60)):  # shifts of today first: they started later
            at = minute + offset
            if any(start <= at < end for start, end in self.spans):
                return day
        return today

    def bounds(self, d: date, tz) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end) of the moments that belong to day d."""
        return self._start(d, tz), self._start(d + _DAY, tz)

    def _start(self, d: date, tz) -> datetime.datetime:
        """Where day d begins: its midnight, or later while a shift of the day before still runs and no
        shift of d has begun."""
        spill = max((end - 24 * 60 for start, end in self.spans if end > 24 * 60), default=0)
        first_own = min((start for start, end in self.spans), default=24 * 60)
        return _minute_instant(d, min(spill, first_own) if spill else 0, tz)

    def over_at(self, d: date, tz, grace: timedelta) -> datetime.datetime:
        """When day d is over: every shift that started on d has ended and its last moment has passed, plus
        the grace for late records."""
        last_shift_end = max((_minute_instant(d, end, tz) for start, end in self.spans), default=None)
        end = self.bounds(d, tz)[1]
        return max(filter(None, (last_shift_end, end))) + grace


# ---------------------------------------------------------------- TIME arguments

_TIME_HELP = N_("use ISO 8601 (2026-11-20, 2026-11-20T09:30[+08:00]), 2026/11/20 15:00, 2026年11月20日 下午3点, now, "
                "today/今天, yesterday/昨天, tomorrow/明天 [HH:MM], 前天, 后天, eod, eow, eom, or an offset like +30m, +2h, "
                "-1d, +2wd")
# What people write in China, on the command line and in sheets: 2026/11/20 15:00, 2026年11月20日 下午3点30分,
# 2026.11.20; a time of day as 15:00, 15：00, 3点, 下午3点半.
_CN_CLOCK = (r"(上午|中午|下午|晚上)?\s*([0-9]{1,2})\s*"
             r"(?:[:：时点]\s*(?:([0-9]{1,2})\s*分?|(半))?\s*(?:[:：]?\s*([0-9]{1,2})\s*秒?)?)")
_CN_DATE_RE = (r"\s*([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?"
               r"(?:\s*[T\s]?\s*" + _CN_CLOCK + r")?(?:\.[0-9]+)?\s*")
_CN_DAY_WORDS = {"前天": -2, "昨天": -1, "今天": 0, "明天": 1, "后天": 2}
_CN_DAY_RE = r"(前天|昨天|今天|明天|后天)(?:\s*" + _CN_CLOCK + r")?"


def _cn_clock(groups) -> datetime.time | None:
    """(part of day, hour, minute, 半, second) → a time of day; None when there is no such time."""
    part, hour, minute, half, second = groups
    if hour is None:
        return None
    hour, minute = int(hour), 30 if half else int(minute or 0)
    if part in ("下午", "晚上") and hour < 12:
        hour += 12
    if part == "中午" and hour < 11:
        hour += 12
    if hour > 23 or minute > 59 or int(second or 0) > 59:
        return None
    return datetime.time(hour, minute, int(second or 0))


def chinese_local_time(text: str) -> tuple[datetime.datetime, bool] | None:
    """A naive local datetime from `2026/11/18 9:05`, `2026年11月18日 下午3点`, `2026.11.18`, and whether it named
    a day only; None when the text is none of these (or names no such day)."""
    match = re.fullmatch(_CN_DATE_RE, text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups()[:3])
    clock = _cn_clock(match.groups()[3:8]) if match.group(5) is not None else datetime.time(0)
    if clock is None:
        return None
    try:
        return datetime.datetime.combine(datetime.date(year, month, day), clock), match.group(5) is None
    except ValueError:
        return None
# Gate what reaches fromisoformat: it also accepts week dates, basic formats and more.
_ISO_RE = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
           r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
           r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")
_CLOCK = r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
_DAY_WORDS = {"yesterday": -1, "today": 0, "tomorrow": 1}
_DAY_RE = r"(?a)(yesterday|today|tomorrow)(?:\s+" + _CLOCK + r")?"
_END_OF_23 = datetime.time(23, 59, 59)
_EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_LATEST = datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc)


def _clock(groups, text) -> datetime.time:
    h, m, s = int(groups[0]), int(groups[1]), int(groups[2] or 0)
    if h > 23 or m > 59 or s > 59:
        raise ValueError(_("cannot read {text!r} as a TIME: no such time of day (use HH:MM or HH:MM:SS)")
                         .format(text=text))
    return datetime.time(h, m, s)


class TimeSpec(namedtuple("TimeSpec", "text kind value date_only")):
    """A TIME argument, parsed for syntax only (no clock needed), resolved later. `kind`: 'iso' | 'now' | 'day' |
    'eod' | 'eow' | 'eom' | 'offset'; `value`: a datetime for 'iso', (day offset, time or None) for 'day', a
    Duration for 'offset'; `date_only`: a bool."""
    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> "TimeSpec":
        if not isinstance(text, str):
            raise ValueError(_("cannot read {text!r} as a TIME: {help}").format(text=text, help=_(_TIME_HELP)))
        t = text.strip().lower()
        if re.fullmatch(_ISO_RE, t.upper()):
            try:
                value = datetime.datetime.fromisoformat(t.upper())
            except ValueError:
                raise ValueError(_("cannot read {text!r} as a TIME: no such date or time; {help}")
                                 .format(text=text, help=_(_TIME_HELP))) from None
            if not 1970 <= value.year <= 9998:
                raise ValueError(_("cannot read {text!r} as a TIME: out of range; use a time from 1970 to 9998")
                                 .format(text=text))
            return cls(text, "iso", value, len(t) == 10)
        if t in ("now", "eod", "eow", "eom"):
            return cls(text, t, None, False)
        m = re.fullmatch(_DAY_RE, t)
        if m:
            clock = _clock(m.groups()[1:], text) if m.group(2) else None
            return cls(text, "day", (_DAY_WORDS[m.group(1)], clock), clock is None)
        m = re.fullmatch(_CLOCK, t)
        if m:  # a bare clock time means today
            return cls(text, "day", (0, _clock(m.groups(), text)), False)
        chinese = cls._chinese(text, t)
        if chinese is not None:
            return chinese
        m = re.fullmatch(_DURATION_RE, t)
        if m and m.group(1):  # the sign is required, so '2h' alone is not a TIME
            if int(m.group(2)) > _MAX_AMOUNT:
                raise ValueError(_("cannot read {text!r} as a TIME: an offset may be at most {limit} units")
                                 .format(text=text, limit=_MAX_AMOUNT))
            return cls(text, "offset", parse_duration(t), False)
        raise ValueError(_("cannot read {text!r} as a TIME: {help}").format(text=text, help=_(_TIME_HELP)))

    @classmethod
    def _chinese(cls, text: str, t: str) -> "TimeSpec | None":
        local = chinese_local_time(t)
        if local is not None:
            value, day_only = local
            if not 1970 <= value.year <= 9998:
                raise ValueError(_("cannot read {text!r} as a TIME: out of range; use a time from 1970 to 9998")
                                 .format(text=text))
            return cls(text, "iso", value, day_only)
        m = re.fullmatch(_CN_DAY_RE, t)
        if m:
            clock = _cn_clock(m.groups()[1:6]) if m.group(3) is not None else None
            if m.group(3) is not None and clock is None:
                raise ValueError(_("cannot read {text!r} as a TIME: no such time of day").format(text=text))
            return cls(text, "day", (_CN_DAY_WORDS[m.group(1)], clock), clock is None)
        m = re.fullmatch(_CN_CLOCK, t)
        if m and (m.group(1) or not re.fullmatch(_CLOCK, t)):  # 下午3点, 15点: today
            clock = _cn_clock(m.groups())
            if clock is None:
                raise ValueError(_("cannot read {text!r} as a TIME: no such time of day").format(text=text))
            return cls(text, "day", (0, clock), False)
        return None

    def resolve(self, now: datetime.datetime, tz, cal: WorkCalendar | None = None) -> datetime.datetime:
        _require_aware(now)
        tz = _zone(tz)
        try:
            moment = self._resolve(now, tz, cal).astimezone(tz)
        except OverflowError:
            raise ValueError(_("TIME {text!r} is out of range").format(text=self.text)) from None
        if not _EARLIEST <= moment.astimezone(UTC) < _LATEST:
            raise ValueError(_("TIME {text!r} is out of range: use a time from 1970 to 9998").format(text=self.text))
        return moment

    def _resolve(self, now, tz, cal):
        today = local_date(now, tz)
        if self.kind == "now":
            return now
        if self.kind == "iso":
            v = self.value
            return v if v.tzinfo else v.replace(tzinfo=tz)  # no offset = the centre's zone
        if self.kind == "day":
            offset, clock = self.value
            return _local_instant(today + timedelta(days=offset), clock or datetime.time(0), tz)
        if self.kind == "eod":
            return _local_instant(today, _END_OF_23, tz)
        if self.kind == "eow":  # ISO week: Monday..Sunday
            return _local_instant(today + timedelta(days=6 - today.weekday()), _END_OF_23, tz)
        if self.kind == "eom":
            import calendar

            last = calendar.monthrange(today.year, today.month)[1]
            return _local_instant(today.replace(day=last), _END_OF_23, tz)
        if self.value.unit == "wd" and cal is None:
            raise ValueError(_("TIME {text!r} counts working days: a working calendar is needed")
                             .format(text=self.text))
        return add_duration(now, self.value, tz, cal)


def parse_time(text: str, now: datetime.datetime, tz, cal: WorkCalendar | None = None) -> datetime.datetime:
    return TimeSpec.parse(text).resolve(now, tz, cal)
