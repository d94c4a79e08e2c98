"""Tests for cs.clock: TIME arguments, durations, the working calendar and clock, contact hours."""
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs.core.clock import (
    UTC,
    ContactHours,
    Duration,
    TimeSpec,
    WorkCalendar,
    add_duration,
    add_working_seconds,
    day_bounds,
    from_db,
    get_zone,
    local_date,
    parse_duration,
    parse_time,
    to_db,
    to_display,
    working_seconds_between,
)
from cs.core.errors import CSError

SH = get_zone("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=SH)  # a Friday
CAL = WorkCalendar("cn")


def sh(*args):
    return datetime(*args, tzinfo=SH)


# ---------------------------------------------------------------- TIME forms

@pytest.mark.parametrize("text, expected, date_only", [
    ("2026-11-20", sh(2026, 11, 20), True),
    ("2026-11-21T09:30", sh(2026, 11, 21, 9, 30), False),
    ("2026-11-21 09:30", sh(2026, 11, 21, 9, 30), False),
    ("2026-11-21T09:30:15", sh(2026, 11, 21, 9, 30, 15), False),
    ("2026-11-21T09:30+08:00", sh(2026, 11, 21, 9, 30), False),
    ("2026-11-21T01:30Z", sh(2026, 11, 21, 9, 30), False),
    ("2026-11-21t01:30z", sh(2026, 11, 21, 9, 30), False),
    ("2026-11-21T09:30-05:00", sh(2026, 11, 21, 22, 30), False),
    ("now", NOW, False),
    (" NOW ", NOW, False),
    ("today", sh(2026, 11, 20), True),
    ("yesterday", sh(2026, 11, 19), True),
    ("tomorrow", sh(2026, 11, 21), True),
    ("Tomorrow 10:00", sh(2026, 11, 21, 10), False),
    ("today 9:30", sh(2026, 11, 20, 9, 30), False),
    ("yesterday 23:15:07", sh(2026, 11, 19, 23, 15, 7), False),
    ("10:00", sh(2026, 11, 20, 10), False),
    ("eod", sh(2026, 11, 20, 23, 59, 59), False),
    ("eow", sh(2026, 11, 22, 23, 59, 59), False),
    ("EOM", sh(2026, 11, 30, 23, 59, 59), False),
    ("+30m", sh(2026, 11, 20, 10, 0), False),
    ("+2h", sh(2026, 11, 20, 11, 30), False),
    ("+3d", sh(2026, 11, 23, 9, 30), False),
    ("-1d", sh(2026, 11, 19, 9, 30), False),
    ("+1w", sh(2026, 11, 27, 9, 30), False),
    ("+2wd", sh(2026, 11, 24, 9, 30), False),  # Fri + 2 working days skips the weekend
    ("-1wd", sh(2026, 11, 19, 9, 30), False),
])
def test_time_forms_resolve_exactly(text, expected, date_only):
    spec = TimeSpec.parse(text)
    assert spec.date_only is date_only
    assert spec.text == text
    got = spec.resolve(NOW, SH, CAL)
    assert got.tzinfo is not None
    assert got == expected
    assert parse_time(text, NOW, SH, CAL) == expected


def test_time_in_other_zone_uses_that_zone():
    ny = get_zone("America/New_York")
    assert parse_time("today", NOW, ny) == datetime(2026, 11, 19, tzinfo=ny)  # 09:30 CST = 20:30 EST the day before
    assert parse_time("2026-11-20T09:30", NOW, "UTC") == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_eow_on_sunday_and_eom_in_february():
    sunday = sh(2026, 11, 22, 12)
    assert parse_time("eow", sunday, SH) == sh(2026, 11, 22, 23, 59, 59)
    assert parse_time("eom", sh(2028, 2, 10), SH) == sh(2028, 2, 29, 23, 59, 59)


@pytest.mark.parametrize("text", [
    "", "   ", "tomorow", "2026-13-01", "2026-02-30", "2026-11-20T25:00", "25:00", "10:61",
    "2h", "+2x", "+ 2h", "today10:00", "next week", "2026-W47-5", "20261120", "+100000d",
    "2026-11-20T09:30+24:00",
])
def test_bad_time_raises_value_error_naming_accepted_forms(text):
    with pytest.raises(ValueError) as info:
        TimeSpec.parse(text)
    message = str(info.value)
    assert repr(text) in message
    assert "TIME" in message


def test_bad_time_message_lists_forms():
    with pytest.raises(ValueError, match=r"cannot read 'tomorow' as a TIME: use ISO 8601 .*2026年11月20日 下午3点, now, "
                                         r"today/今天, yesterday/昨天, tomorrow/明天 \[HH:MM\], 前天, 后天, eod, eow, eom,"
                                         r" or an offset like \+30m"):
        parse_time("tomorow", NOW, SH)


@pytest.mark.parametrize("text, expected", [
    ("明天", "2026-11-21T00:00:00+08:00"), ("明天 15:00", "2026-11-21T15:00:00+08:00"),
    ("后天下午3点", "2026-11-22T15:00:00+08:00"), ("昨天 上午9点半", "2026-11-19T09:30:00+08:00"),
    ("2026年12月3日", "2026-12-03T00:00:00+08:00"), ("2026/12/03 15:00", "2026-12-03T15:00:00+08:00"),
    ("2026.12.03", "2026-12-03T00:00:00+08:00"), ("2026年12月3日 下午3点30分", "2026-12-03T15:30:00+08:00"),
    ("下午3点半", "2026-11-20T15:30:00+08:00"), ("15点", "2026-11-20T15:00:00+08:00"),
])
def test_chinese_time_words_and_formats(text, expected):
    """Issue 19 (section 17): the command line reads 明天, 2026年12月3日 and 2026/12/03 15:00 as the importer does."""
    assert parse_time(text, NOW, SH).isoformat() == expected


@pytest.mark.parametrize("text", ["2026/13/03", "明天 25:00", "下午13点70分", "2026年2月30日"])
def test_chinese_times_that_are_no_time_are_refused(text):
    with pytest.raises(ValueError, match="as a TIME"):
        parse_time(text, NOW, SH)


def test_wd_offset_without_calendar_is_refused():
    spec = TimeSpec.parse("+2wd")  # parsing needs no calendar
    with pytest.raises(ValueError, match="working calendar"):
        spec.resolve(NOW, SH)


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="naive"):
        parse_time("now", datetime(2026, 11, 20, 9, 30), SH)


def test_resolve_out_of_range_is_value_error():
    with pytest.raises(ValueError, match="out of range"):
        parse_time("9999-12-31T23:00-05:00", NOW, SH)


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.text(),
    st.from_regex(r"\A[+-]?[0-9]{1,7}(m|h|d|w|wd|x)\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?)?\Z"),
    st.from_regex(r"\A(today|tomorrow|yesterday) [0-9]{1,2}:[0-9]{2}\Z"),
))
def test_timespec_parse_only_raises_value_error(text):
    try:
        spec = TimeSpec.parse(text)
    except ValueError:
        return
    try:  # what parses must also resolve or refuse cleanly
        result = spec.resolve(NOW, SH, CAL)
    except ValueError:
        return
    assert result.tzinfo is not None


# ---------------------------------------------------------------- storage, display, zones

def test_to_db_and_from_db_round_trip():
    dt = sh(2026, 11, 20, 9, 30, 15, 987654)
    text = to_db(dt)
    assert text == "2026-11-20T01:30:15Z"  # UTC, microseconds dropped
    back = from_db(text)
    assert back == dt.replace(microsecond=0)
    assert back.utcoffset() == timedelta(0)
    assert from_db(None) is None
    assert to_db(back) == text


def test_to_db_refuses_naive():
    with pytest.raises(ValueError):
        to_db(datetime(2026, 11, 20, 9, 30))


def test_to_display():
    assert to_display("2026-11-20T01:30:00Z", SH) == "2026-11-20T09:30:00+08:00"
    assert to_display(sh(2026, 11, 20, 9, 30, 0, 500), SH) == "2026-11-20T09:30:00+08:00"
    assert to_display(datetime(2026, 11, 20, 1, 30, tzinfo=timezone.utc), "Asia/Shanghai") == "2026-11-20T09:30:00+08:00"
    assert to_display(None, SH) is None
    assert from_db(to_display("2026-11-20T01:30:00Z", SH)) == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("name", ["Foo/Bar", "", "../x", "/etc/localtime", "Asia", "asia\\shanghai"])
def test_get_zone_rejects_bad_names(name):
    with pytest.raises(CSError, match="unknown time zone .*use an IANA name such as Asia/Shanghai"):
        get_zone(name)


def test_get_zone_and_system_zone():
    from cs.cli.environment import system_zone_name

    assert str(get_zone("Asia/Shanghai")) == "Asia/Shanghai"
    get_zone(system_zone_name())  # whatever the machine says must be a usable zone


def test_system_zone_prefers_valid_tz_env(monkeypatch):
    from cs.cli.environment import system_zone_name

    monkeypatch.setenv("TZ", "Europe/Paris")
    assert system_zone_name() == "Europe/Paris"
    monkeypatch.setenv("TZ", "Not/AZone")
    assert system_zone_name() != "Not/AZone"


def test_day_bounds_and_local_date():
    start, end = day_bounds(date(2026, 11, 20), SH)
    assert start == datetime(2026, 11, 19, 16, tzinfo=UTC)
    assert end - start == timedelta(hours=24)
    assert local_date(datetime(2026, 11, 19, 16, 0, tzinfo=UTC), SH) == date(2026, 11, 20)
    assert local_date(datetime(2026, 11, 19, 15, 59, tzinfo=UTC), SH) == date(2026, 11, 19)
    ny = get_zone("America/New_York")
    start, end = day_bounds(date(2026, 3, 8), ny)  # spring forward: a 23-hour day
    assert end - start == timedelta(hours=23)


# ---------------------------------------------------------------- durations

@pytest.mark.parametrize("text, amount, unit, canonical", [
    ("15m", 15, "m", "15m"), ("4h", 4, "h", "4h"), ("3d", 3, "d", "3d"), ("1w", 1, "w", "1w"),
    ("2wd", 2, "wd", "2wd"), ("+2wd", 2, "wd", "2wd"), ("-1d", -1, "d", "-1d"), ("2H", 2, "h", "2h"),
])
def test_parse_duration_good(text, amount, unit, canonical):
    d = parse_duration(text)
    assert d == Duration(amount, unit)
    assert d.text == canonical


@pytest.mark.parametrize("text", ["2x", "", "h", "2", " 2 h", "2.5h", "--1d", "1d2h", "٣d", "100000m"])
def test_parse_duration_bad(text):
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_parse_duration_bad_message():
    with pytest.raises(ValueError) as info:
        parse_duration("2x")
    assert str(info.value) == ("bad duration '2x': use a number and a unit m, h, d, w, wd or mo "
                               "(e.g. 30m, 2h, 3d, 2wd, 1mo)")


def test_duration_seconds():
    assert Duration(30, "m").seconds() == 1800
    assert Duration(2, "h").seconds() == 7200
    assert Duration(-1, "d").seconds() == -86400
    assert Duration(1, "w").seconds() == 7 * 86400
    with pytest.raises(ValueError):
        Duration(2, "wd").seconds()


def test_add_duration_days_keep_wall_clock_across_dst():
    ny = get_zone("America/New_York")
    start = datetime(2026, 3, 7, 10, tzinfo=ny)
    assert add_duration(start, "1d", ny, CAL) == datetime(2026, 3, 8, 10, tzinfo=ny)
    assert add_duration(start, "24h", ny, CAL) == datetime(2026, 3, 8, 11, tzinfo=ny)


def test_add_duration_wd_over_national_day():
    got = add_duration(sh(2026, 9, 30, 10), "+1wd", SH, CAL)
    assert got == sh(2026, 10, 8, 10)
    assert add_duration(sh(2026, 10, 8, 10), Duration(-1, "wd"), SH, CAL) == sh(2026, 9, 30, 10)
    with pytest.raises(ValueError):
        add_duration(sh(2026, 9, 30, 10), "1wd", SH, None)


# ---------------------------------------------------------------- working calendar

def test_national_day_2026():
    cal = WorkCalendar("cn")
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.is_workday(date(2026, 10, 10))  # Saturday make-up workday (调休)
    assert not cal.is_workday(date(2026, 10, 3))
    assert cal.add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert cal.add_workdays(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert cal.add_workdays(date(2026, 10, 8), 2) == date(2026, 10, 10)


def test_mon_fri_ignores_holidays():
    cal = WorkCalendar("mon-fri")
    assert cal.is_workday(date(2026, 10, 8))
    assert not cal.is_workday(date(2026, 10, 10))
    assert cal.is_workday(date(2026, 10, 1))  # a holiday, but a Thursday


@pytest.mark.parametrize("kind", ["cn", "mon-fri"])
def test_extra_days_override_both_kinds(kind):
    cal = WorkCalendar(kind, extra_holidays=[date(2026, 10, 8), "2026-11-20"],
                       extra_workdays=["2026-10-03", date(2026, 11, 21)])
    assert not cal.is_workday(date(2026, 10, 8))
    assert not cal.is_workday(date(2026, 11, 20))
    assert cal.is_workday(date(2026, 10, 3))
    assert cal.is_workday(date(2026, 11, 21))


def test_calendar_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown calendar"):
        WorkCalendar("gregorian")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        WorkCalendar(extra_holidays=["2026-13-01"])
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(extra_holidays=["2026-10-03"], extra_workdays=["2026-10-03"])


def test_fallback_year_warns_once_and_counts_mon_fri():
    warnings = []
    cal = WorkCalendar("cn", warn=warnings.append)
    assert cal.is_workday(date(2027, 1, 4))  # Monday
    assert not cal.is_workday(date(2027, 1, 2))  # Saturday
    assert cal.is_workday(date(2027, 10, 1))  # would be National Day, but no data: a Friday
    assert cal.add_workdays(date(2027, 1, 1), 5) == date(2027, 1, 8)
    assert len(warnings) == 1
    assert "no official holiday data for 2027" in warnings[0]
    assert "Mon–Fri" in warnings[0]
    cal.is_workday(date(2028, 1, 3))
    assert len(warnings) == 2 and "2028" in warnings[1]
    assert not WorkCalendar("mon-fri", warn=warnings.append).is_workday(date(2027, 1, 2))
    assert len(warnings) == 2  # mon-fri never needs official data


def test_fallback_without_warn_callback_is_silent():
    assert WorkCalendar("cn").is_workday(date(2030, 1, 7))


# ---------------------------------------------------------------- working clock

H = 3600


def test_working_clock_friday_to_tuesday():
    assert add_working_seconds(sh(2026, 11, 20, 10), 48 * H, SH, CAL) == sh(2026, 11, 24, 10)
    assert working_seconds_between(sh(2026, 11, 20, 10), sh(2026, 11, 24, 10), SH, CAL) == 48 * H


def test_working_clock_from_saturday():
    assert add_working_seconds(sh(2026, 11, 21, 10), 24 * H, SH, CAL) == sh(2026, 11, 24, 0)
    assert working_seconds_between(sh(2026, 11, 21, 10), sh(2026, 11, 23, 0), SH, CAL) == 0


def test_working_clock_across_national_day():
    # Sep 30 12:00 -> 12h left that day; then Oct 1-7 are holidays; Oct 8 from 00:00.
    assert add_working_seconds(sh(2026, 9, 30, 12), 24 * H, SH, CAL) == sh(2026, 10, 8, 12)
    assert working_seconds_between(sh(2026, 9, 30, 12), sh(2026, 10, 9, 0), SH, CAL) == 36 * H


def test_working_clock_edges():
    a = sh(2026, 11, 20, 10)
    assert add_working_seconds(a, 0, SH, CAL) == a
    assert working_seconds_between(a, a, SH, CAL) == 0
    assert working_seconds_between(a, a - timedelta(hours=5), SH, CAL) == 0
    with pytest.raises(ValueError):
        add_working_seconds(a, -1, SH, CAL)


def test_working_clock_long_span_is_fast():
    a = sh(2024, 1, 1)
    b = add_working_seconds(a, 500 * 86400, SH, CAL)
    assert working_seconds_between(a, b, SH, CAL) == 500 * 86400
    assert date(2025, 12, 1) < local_date(b, SH) < date(2026, 3, 1)


@settings(max_examples=200, deadline=None)
@given(
    naive=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)),
    s=st.integers(min_value=0, max_value=60 * 86400),
    zone=st.sampled_from(["Asia/Shanghai", "America/New_York", "UTC"]),
    fold=st.integers(0, 1),
)
def test_working_clock_round_trip(naive, s, zone, fold):
    tz = get_zone(zone)
    a = naive.replace(tzinfo=tz, fold=fold)  # 'a' in the centre zone itself, DST edges included
    t = add_working_seconds(a, s, tz, CAL)
    assert t >= a
    assert working_seconds_between(a, t, tz, CAL) == s
    if s > 0:  # earliest: one second earlier is not enough
        assert working_seconds_between(a, t - timedelta(seconds=1), tz, CAL) < s


# ---------------------------------------------------------------- contact hours

HOURS = ContactHours(["09:00-12:00", "14:00-21:00"])


@pytest.mark.parametrize("when, expected", [
    (sh(2026, 11, 20, 15), sh(2026, 11, 20, 15)),
    (sh(2026, 11, 20, 12, 30), sh(2026, 11, 20, 14)),
    (sh(2026, 11, 20, 20, 30), sh(2026, 11, 20, 20, 30)),
    (sh(2026, 11, 20, 21, 30), sh(2026, 11, 21, 9)),
    (sh(2026, 11, 20, 21), sh(2026, 11, 21, 9)),
    (sh(2026, 11, 20, 12), sh(2026, 11, 20, 14)),
    (sh(2026, 11, 20, 3), sh(2026, 11, 20, 9)),
    (sh(2026, 11, 20, 9), sh(2026, 11, 20, 9)),
])
def test_next_open(when, expected):
    assert HOURS.next_open(when, SH) == expected


def test_contains_boundaries():
    assert HOURS.contains(sh(2026, 11, 20, 15), SH)
    assert HOURS.contains(sh(2026, 11, 20, 9), SH)
    assert HOURS.contains(sh(2026, 11, 20, 11, 59, 59), SH)
    assert not HOURS.contains(sh(2026, 11, 20, 12), SH)
    assert not HOURS.contains(sh(2026, 11, 20, 21), SH)
    assert not HOURS.contains(sh(2026, 11, 20, 8, 59), SH)
    assert HOURS.contains(datetime(2026, 11, 20, 7, tzinfo=UTC), SH)  # 15:00 in Shanghai


def test_next_open_workdays_only():
    friday_late = sh(2026, 11, 20, 21, 30)
    assert HOURS.next_open(friday_late, SH, workdays_only=True, cal=CAL) == sh(2026, 11, 23, 9)
    assert HOURS.next_open(sh(2026, 9, 30, 22), SH, workdays_only=True, cal=CAL) == sh(2026, 10, 8, 9)
    with pytest.raises(ValueError):
        HOURS.next_open(friday_late, SH, workdays_only=True)


def test_close_of_day():
    assert HOURS.close_of_day(date(2026, 11, 20), SH) == sh(2026, 11, 20, 21)
    assert ContactHours(["08:00-24:00"]).close_of_day(date(2026, 11, 20), SH) == sh(2026, 11, 21)


def test_windows_are_normalised():
    assert ContactHours(["14:00-21:00", "9:00-12:00"]).windows == ["09:00-12:00", "14:00-21:00"]
    assert ContactHours(["09:00-12:00", "12:00-13:00"]).contains(sh(2026, 11, 20, 12), SH)


@pytest.mark.parametrize("windows, fragment", [
    (["9-12"], "HH:MM-HH:MM"),
    (["09:00-25:00"], "no such time"),
    (["12:00-09:00"], "before the end"),
    (["09:00-09:00"], "before the end"),
    (["22:00-02:00"], "before the end"),
    (["09:00-12:00", "11:00-13:00"], "overlap"),
    ([], "at least one"),
    ("09:00-12:00", "at least one"),
    ([9], "HH:MM-HH:MM"),
])
def test_bad_windows_rejected(windows, fragment):
    with pytest.raises(ValueError, match=fragment):
        ContactHours(windows)


def test_import_is_cheap():
    import subprocess
    import sys
    code = "import sys, cs.core.clock; print('chinese_calendar' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_working_clock_counts_real_seconds_on_dst_days():
    ny = get_zone("America/New_York")
    cal = WorkCalendar("mon-fri", extra_workdays=["2026-03-08"])  # spring-forward Sunday made a workday
    midnight = datetime(2026, 3, 8, tzinfo=ny)
    assert working_seconds_between(midnight, datetime(2026, 3, 9, tzinfo=ny), ny, cal) == 23 * H
    assert add_working_seconds(midnight, 23 * H, ny, cal) == datetime(2026, 3, 9, tzinfo=ny)
    assert add_working_seconds(datetime(2026, 3, 8, 1, tzinfo=ny), H, ny, cal) == datetime(2026, 3, 8, 3, tzinfo=ny)
