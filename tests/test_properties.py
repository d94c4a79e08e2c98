"""Property tests (hypothesis) for the three parsers everything else leans on:

- TIME arguments (cs.clock): ISO date-times round-trip, +Nm/+Nh/+Nd/+Nw are plain arithmetic,
  +Nwd lands on a working day and grows with N, and no text makes the parser raise anything
  but ValueError (the CLI turns that into a usage error).
- Phone numbers (cs.customers): normalising is idempotent and yields 5-20 ASCII digits with the
  +86 / 0086 prefix gone, or refuses with CSError; masking keeps the length and the ends only.
- The configuration (cs.config): any valid document survives dump_toml -> parse_toml unchanged
  and validates; TOML-ish text either loads or is refused with CSError, never another exception.

Settings stay modest (max_examples 100-200, no deadline) so the file runs in seconds.
"""

from __future__ import annotations

import re
import string
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from cs.core import clock
from cs.core import config as config_mod
from cs.core.errors import CSError
from cs.desk.customers import mask_phone, normalise_phone

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZONES = [ZoneInfo(name) for name in ("Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata",
                                     "Pacific/Chatham", "America/St_Johns")]
CALENDAR = clock.WorkCalendar("cn")
MODEST = settings(max_examples=150, deadline=None)


# =========================================================================== TIME arguments

# Real instants only: a wall time in a DST gap (02:30 on a spring-forward night in New York) never happened,
# and PEP 495 makes it compare unequal to every time in another zone.
aware_instants = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9997, 12, 30),
                              timezones=st.sampled_from(ZONES)).map(
    lambda d: d.replace(microsecond=0).astimezone(timezone.utc).astimezone(d.tzinfo))
# "now" for offsets: far enough from the range ends that +99999 days stays inside it.
nows = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31),
                    timezones=st.sampled_from(ZONES)).map(lambda d: d.replace(microsecond=0))


def _offset_text(dt: datetime, style: str) -> str:
    offset = dt.utcoffset()
    if style == "Z" and offset == timedelta(0):
        return "Z"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{'' if style == 'compact' else ':'}{mins:02d}"


@MODEST
@given(moment=aware_instants, separator=st.sampled_from(["T", " ", "t"]),
       style=st.sampled_from(["colon", "compact", "Z"]), now=nows)
# Found by CI-like runs: an ambiguous wall time (China's summer time ended 1991-09-15 02:00), both folds.
@example(moment=datetime(1991, 9, 15, 1, 0, tzinfo=SHANGHAI), separator="T", style="colon",
         now=datetime(2000, 1, 1, tzinfo=SHANGHAI))
@example(moment=datetime(1991, 9, 15, 1, 0, fold=1, tzinfo=SHANGHAI), separator="T", style="colon",
         now=datetime(2000, 1, 1, tzinfo=SHANGHAI))
def test_any_iso_datetime_with_an_offset_round_trips(moment, separator, style, now):
    offset = moment.utcoffset()
    assume(offset.total_seconds() % 60 == 0)  # RFC 3339 offsets are whole minutes
    text = moment.strftime("%Y-%m-%d") + separator + moment.strftime("%H:%M:%S") + _offset_text(moment, style)
    parsed = clock.parse_time(text, now, SHANGHAI, CALENDAR)
    instant = _utc(moment)
    assert _utc(parsed) == instant
    assert parsed.tzinfo is not None
    # and it survives storage and display
    assert _utc(clock.from_db(clock.to_db(parsed))) == instant
    assert _utc(clock.parse_time(clock.to_display(parsed, SHANGHAI), now, SHANGHAI, CALENDAR)) == instant


def _utc(moment: datetime) -> datetime:
    """Instants compared in UTC: PEP 495 makes an ambiguous wall time (1991-09-15 01:00 in Shanghai, when
    China's summer time ended) unequal to every time in another zone, even the same instant."""
    return moment.astimezone(timezone.utc)


@MODEST
@given(local=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9997, 12, 30)),
       zone=st.sampled_from(ZONES), seconds=st.booleans(), now=nows)
def test_an_iso_datetime_without_offset_is_wall_clock_time_in_the_centre_zone(local, zone, seconds, now):
    local = local.replace(microsecond=0, second=local.second if seconds else 0)
    text = local.isoformat(timespec="seconds" if seconds else "minutes")
    parsed = clock.parse_time(text, now, zone, CALENDAR)
    assert parsed == local.replace(tzinfo=zone)


@MODEST
@given(day=st.dates(min_value=date(1970, 1, 2), max_value=date(9997, 12, 30)), zone=st.sampled_from(ZONES), now=nows)
def test_an_iso_date_is_the_start_of_that_day(day, zone, now):
    parsed = clock.parse_time(day.isoformat(), now, zone, CALENDAR)
    assert parsed.astimezone(zone).date() == day
    assert clock.TimeSpec.parse(day.isoformat()).date_only


def _wall_clock_plus(now: datetime, zone, days: int) -> datetime:
    """`days` calendar days later at the same wall-clock time in `zone` (a day is not 24 h under DST)."""
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=days), local.time(), tzinfo=zone)


UTC = timezone.utc
IN_RANGE = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


@MODEST
@given(now=nows, zone=st.sampled_from(ZONES), n=st.integers(0, 99_999), sign=st.sampled_from(["+", "-"]),
       unit=st.sampled_from(["m", "h", "d", "w", "M", "H", "D"]))
@example(now=datetime(2026, 3, 28, 2, 30, tzinfo=ZoneInfo("Europe/Berlin")), zone=ZoneInfo("Europe/Berlin"), n=1,
         sign="+", unit="d")  # the next day's 02:30 does not exist (DST starts)
@example(now=datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")), zone=ZoneInfo("Europe/Berlin"), n=60,
         sign="+", unit="m")  # 60 elapsed minutes across the gap: 03:30 local
@example(now=datetime(2000, 1, 1, tzinfo=SHANGHAI), zone=SHANGHAI, n=99_999, sign="-", unit="w")  # before 1970
def test_offsets_are_plain_arithmetic(now, zone, n, sign, unit):
    """+Nm/+Nh/+Nw are elapsed time (cs.clock.add_duration adds them in UTC); +Nd is the same
    wall-clock time N calendar days later. (In a zone with DST +7d and +1w can differ by the DST
    shift; the centres this is for, in China, have no DST.)"""
    amount = n if sign == "+" else -n
    unit_ = unit.lower()
    try:
        if unit_ in ("m", "h", "w"):
            expected = now.astimezone(UTC) + timedelta(minutes=amount * {"m": 1, "h": 60, "w": 7 * 24 * 60}[unit_])
        else:
            expected = _wall_clock_plus(now, zone, amount).astimezone(UTC)
        in_range = IN_RANGE[0] <= expected < IN_RANGE[1]
    except (OverflowError, ValueError):
        in_range = False
    if not in_range:
        with pytest.raises(ValueError, match="out of range"):
            clock.parse_time(f"{sign}{n}{unit}", now, zone, CALENDAR)
        return
    parsed = clock.parse_time(f"{sign}{n}{unit}", now, zone, CALENDAR)
    assert parsed.astimezone(UTC) == expected
    assert parsed.utcoffset() == parsed.astimezone(zone).utcoffset()  # shown in the centre's zone


def test_offset_examples():
    now = datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI)
    assert clock.parse_time("+90m", now, SHANGHAI) == datetime(2026, 11, 20, 11, 0, tzinfo=SHANGHAI)
    assert clock.parse_time("-1d", now, SHANGHAI) == datetime(2026, 11, 19, 9, 30, tzinfo=SHANGHAI)
    assert clock.parse_time("+2wd", now, SHANGHAI, CALENDAR) == datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)


wd_nows = st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(SHANGHAI)).map(lambda d: d.replace(microsecond=0))


@MODEST
@given(now=wd_nows, n=st.integers(1, 400), sign=st.sampled_from(["+", "-"]))
@example(now=datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI), n=1, sign="+")  # National Day week follows
@example(now=datetime(2026, 2, 13, 10, 0, tzinfo=SHANGHAI), n=1, sign="+")  # Spring Festival; 调休 Saturdays
def test_working_day_offsets_land_on_a_working_day_counting_exactly_n(now, n, sign):
    parsed = clock.parse_time(f"{sign}{n}wd", now, SHANGHAI, CALENDAR)
    local, start = parsed.astimezone(SHANGHAI), now.astimezone(SHANGHAI)
    assert CALENDAR.is_workday(local.date())
    assert local.time() == start.time()  # the same wall-clock time
    step = 1 if sign == "+" else -1
    between = [start.date() + timedelta(days=step * k) for k in range(1, abs((local.date() - start.date()).days) + 1)]
    assert sum(CALENDAR.is_workday(d) for d in between) == n  # exactly n working days walked, the last one landed on


@MODEST
@given(now=wd_nows, a=st.integers(0, 300), b=st.integers(0, 300))
def test_working_day_offsets_are_monotonic_in_n(now, a, b):
    assume(a != b)
    low, high = sorted((a, b))
    t_low = clock.parse_time(f"+{low}wd", now, SHANGHAI, CALENDAR)
    t_high = clock.parse_time(f"+{high}wd", now, SHANGHAI, CALENDAR)
    assert t_low < t_high
    assert clock.parse_time(f"-{high}wd", now, SHANGHAI, CALENDAR) < clock.parse_time(f"-{low}wd", now, SHANGHAI,
                                                                                       CALENDAR)


@MODEST
@given(now=st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(SHANGHAI)),
       n=st.integers(1, 60), holidays=st.lists(st.dates(date(2027, 1, 1), date(2030, 6, 1)), max_size=20))
def test_working_days_honour_extra_holidays_on_a_mon_fri_calendar(now, n, holidays):
    calendar = clock.WorkCalendar("mon-fri", extra_holidays=holidays)
    landed = clock.parse_time(f"+{n}wd", now, SHANGHAI, calendar).astimezone(SHANGHAI).date()
    assert landed.weekday() < 5 and landed not in set(holidays)


# Text that looks like a TIME more often than random text does.
time_pieces = st.sampled_from(["+", "-", "2026", "-11", "-20", "T", " ", ":", "09", "30", "00", ".5", "Z", "+08",
                               ":00", "wd", "d", "h", "m", "w", "now", "today", "tomorrow", "yesterday", "eod", "eow",
                               "eom", "99999", "100000", "0", "\x00", "\n", "２", "٣", "ⅷ", "¹", "T24:00", "9999",
                               "0000", "1969", "-W47", "x"])
time_like = st.lists(time_pieces, max_size=8).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=40), time_like), now=nows, zone=st.sampled_from(ZONES))
@example(text="9999-12-31T23:59:59-14:00", now=datetime(2026, 1, 1, tzinfo=SHANGHAI), zone=SHANGHAI)
@example(text="+99999w", now=datetime(2100, 1, 1, tzinfo=SHANGHAI), zone=SHANGHAI)
@example(text="1970-01-01T00:00:00+14:00", now=datetime(2026, 1, 1, tzinfo=SHANGHAI), zone=SHANGHAI)
@example(text="+99999wd", now=datetime(2026, 1, 1, tzinfo=SHANGHAI), zone=SHANGHAI)
def test_garbage_time_text_raises_only_value_error(text, now, zone):
    try:
        spec = clock.TimeSpec.parse(text)
    except ValueError:
        return
    try:
        moment = spec.resolve(now, zone, clock.WorkCalendar("mon-fri"))
    except ValueError:
        return
    assert moment.tzinfo is not None
    assert datetime(1970, 1, 1, tzinfo=timezone.utc) <= moment < datetime(9999, 1, 1, tzinfo=timezone.utc)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=20), time_like))
def test_durations_raise_only_value_error(text):
    try:
        duration = clock.parse_duration(text)
    except ValueError:
        return
    assert duration.unit in ("m", "h", "d", "w", "wd") and abs(duration.amount) <= 99_999


# =========================================================================== phones

ascii_digits = st.text(alphabet=string.digits, min_size=5, max_size=20)
separators = st.sampled_from(["", " ", "-", ".", "  ", " - "])


@st.composite
def formatted_phones(draw):
    """A valid number as people write it: digits in groups, separators, maybe (+86) in front."""
    digits = draw(ascii_digits)
    cuts = sorted(draw(st.lists(st.integers(1, len(digits) - 1), max_size=3, unique=True)))
    groups = [digits[i:j] for i, j in zip([0] + cuts, cuts + [len(digits)])]
    text = draw(separators).join(groups)
    if draw(st.booleans()):
        text = f"({groups[0]}){text[len(groups[0]):]}" if len(groups) > 1 else text
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "(+86) "]))
    return prefix + text, digits, bool(prefix)


@MODEST
@given(case=formatted_phones(), padding=st.sampled_from(["", " ", "\t", " \n"]))
def test_phone_normalising_yields_the_digits(case, padding):
    text, digits, prefixed = case
    expected = digits if prefixed or not digits.startswith("0086") else digits[4:]  # a leading 0086 is the prefix
    if len(expected) < 5:
        with pytest.raises(CSError):
            normalise_phone(padding + text + padding)
        return
    normalised = normalise_phone(padding + text + padding)
    assert re.fullmatch(r"[0-9]{5,20}", normalised), normalised
    assert normalised == expected  # separators and the +86 / 0086 prefix gone, every digit kept


@MODEST
@given(digits=ascii_digits, prefix=st.sampled_from(["+86", "0086"]))
def test_country_prefix_is_stripped_once(digits, prefix):
    assert normalise_phone(prefix + digits) == digits


@MODEST
@given(text=st.one_of(st.text(max_size=30), formatted_phones().map(lambda c: c[0])))
def test_phone_normalising_is_idempotent_or_refuses(text):
    try:
        once = normalise_phone(text)
    except CSError:
        return
    assert normalise_phone(once) == once


def _refused_or_ascii_digits(text):
    try:
        normalised = normalise_phone(text)
    except CSError:
        return
    assert re.fullmatch(r"[0-9]{5,20}", normalised), f"{text!r} normalised to {normalised!r}"


@MODEST
@given(text=st.text(st.one_of(st.characters(exclude_categories=("Nd",)), st.sampled_from(string.digits)), max_size=30))
def test_any_text_is_refused_with_cs_error_or_becomes_ascii_digits(text):
    """Other scripts' digits are left to the test below, so that this one stays deterministic."""
    _refused_or_ascii_digits(text)


@MODEST
@given(text=st.text(st.characters(categories=("Nd",)), min_size=5, max_size=20))
@example(text="１３８００１３８０００")  # full-width digits (全角), as typed with a Chinese IME
@example(text="١٣٨٠٠١٣٨٠٠٠")  # Arabic-Indic digits
def test_unicode_decimal_digits_are_refused_or_become_ascii_digits(text):
    """`\\d` matches every script's digits: a phone typed in full-width digits must not become a
    second customer whose number is not 0-9."""
    _refused_or_ascii_digits(text)


@MODEST
@given(digits=st.text(alphabet=string.digits, max_size=40),
       junk=st.text(alphabet=string.ascii_letters + "#*+/_", min_size=1, max_size=3))
def test_invalid_phones_are_refused_with_cs_error(digits, junk):
    if not 5 <= len(digits) <= 20:
        with pytest.raises(CSError):
            normalise_phone(digits)
    with pytest.raises(CSError):
        normalise_phone(digits[:3] + junk + digits[3:] + "0" * 5)


@MODEST
@given(phone=ascii_digits)
def test_masking_keeps_the_length_and_reveals_only_the_ends(phone):
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    shown = [c for c in masked if c != "*"]
    assert all(c in string.digits for c in shown)
    if len(phone) >= 8:
        assert masked[-4:] == phone[-4:] and masked[:3] == phone[:3]
        assert masked[3:-4] == "*" * (len(phone) - 7)
    else:  # a short service number: almost nothing shown
        assert len(shown) <= 2 and masked[-1] == phone[-1]
    assert masked != phone
    assert mask_phone(None) is None and mask_phone("") == ""


def test_masking_example_from_the_spec():
    assert mask_phone("13812345678") == "138****5678"


# =========================================================================== configuration

durations = st.builds(lambda n, unit: f"{n}{unit}", st.integers(0, 9999), st.sampled_from(["m", "h", "d", "w", "wd"]))
clock_durations = st.builds(lambda n, unit: f"{n}{unit}", st.integers(0, 9999), st.sampled_from(["m", "h", "d", "w"]))
codes = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
# Labels are free text: Chinese, quotes, backslashes, newlines, tabs and other control characters.
labels = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x7f"), min_size=1, max_size=12)
hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))


@st.composite
def contact_hours(draw):
    """1-3 ordered, non-overlapping windows inside one day."""
    points = sorted(draw(st.lists(st.integers(0, 24 * 60), min_size=2, max_size=6, unique=True)))
    windows = [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
    return [f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in windows]


def _unique_codes(items):
    seen = set()
    return [item for item in items if not (item["code"] in seen or seen.add(item["code"]))]


shift_entries = st.fixed_dictionaries({"code": codes, "label": labels, "start": hhmm, "end": hhmm})
policies = st.fixed_dictionaries(
    {"code": codes, "categories": st.lists(st.sampled_from(["inquiry", "complaint", "repair", "return", "suggestion",
                                                            "booking", "other"]), min_size=1, max_size=3),
     "within": durations},
    optional={"delay": durations, "sample": st.floats(0, 1), "method": st.sampled_from(["phone", "sms", "visit"]),
              "reason": st.sampled_from(["complaint_followup", "post_repair", "other"]), "vip_always": st.booleans()})
escalation_steps = st.lists(st.fixed_dictionaries({}, optional={"points": st.integers(0, 10), "fine": st.floats(0, 500),
                                                               "action": labels}).filter(bool), min_size=1, max_size=3)
rules = st.fixed_dictionaries(
    {"code": codes, "label": labels, "source": st.sampled_from(["callback_overdue", "first_response_late",
                                                                "complaint_upheld", "handover_unfinished",
                                                                "duty_missed", "manual"])},
    optional={"points": st.one_of(st.integers(0, 100), st.floats(0, 100)), "fine": st.integers(0, 1000),
              "escalation": escalation_steps, "window": st.sampled_from(["day", "week", "month", "year"])})
env_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,15}", fullmatch=True)
urls = st.builds(lambda host, path: f"https://{host}.example.com/{path}", st.from_regex(r"[a-z]{1,8}", fullmatch=True),
                 st.text(string.ascii_letters + string.digits + "?=&/", max_size=20))
channel_tables = st.fixed_dictionaries({}, optional={
    "webhook": st.fixed_dictionaries({"url": urls}, optional={"token_env": env_names, "timeout": st.integers(1, 60),
                                                              "retries": st.integers(0, 10)}),
    "dingtalk": st.fixed_dictionaries({"url": urls}, optional={"secret_env": env_names,
                                                               "max_bytes": st.integers(200, 20000)}),
    "feishu": st.fixed_dictionaries({"url": urls}, optional={"secret_env": env_names}),
    "email": st.fixed_dictionaries({"host": st.sampled_from(["smtp.example.com", "127.0.0.1"]),
                                    "sender": st.sampled_from(["cs@example.com", "客服 <cs@example.com>"])},
                                   optional={"port": st.integers(1, 65535), "starttls": st.booleans(),
                                             "user_env": env_names, "password_env": env_names}),
})


@st.composite
def valid_configs(draw):
    doc = draw(st.fixed_dictionaries({}, optional={
        "timezone": st.sampled_from(["Asia/Shanghai", "UTC", "Asia/Hong_Kong", "America/New_York"]),
        "calendar": st.sampled_from(["cn", "mon-fri"]),
        "extra_holidays": st.lists(st.dates(date(2026, 1, 1), date(2026, 6, 30)).map(date.isoformat), max_size=4,
                                   unique=True),
        "extra_workdays": st.lists(st.dates(date(2026, 7, 1), date(2026, 12, 31)).map(date.isoformat), max_size=4,
                                   unique=True),
        "contact_hours": contact_hours(),
        "sla": st.fixed_dictionaries({}, optional={p: st.fixed_dictionaries({}, optional={
            "first_response": durations, "resolve": durations}) for p in ("urgent", "high", "normal", "low")}),
        "shift": st.lists(shift_entries, max_size=3).map(_unique_codes),
        "callback": st.fixed_dictionaries({}, optional={"retry_after": durations, "max_attempts": st.integers(1, 20)}),
        "callback_policy": st.lists(policies, max_size=3).map(_unique_codes),
        "duty": st.lists(st.fixed_dictionaries({"code": codes, "label": labels},
                                               optional={"every": st.sampled_from(["day", "workday"])}),
                         max_size=3).map(_unique_codes),
        "scoring": st.fixed_dictionaries({"base": st.one_of(st.integers(0, 1000), st.floats(0, 1000))}),
        "rule": st.lists(rules, max_size=3).map(_unique_codes),
        "team": st.lists(st.fixed_dictionaries({"code": codes, "label": labels},
                                               optional={"channels": st.lists(codes, max_size=2)}),
                         max_size=2).map(_unique_codes),
    }))
    channels = draw(channel_tables)
    if channels or draw(st.booleans()):
        doc["channels"] = channels
        doc["alerts"] = draw(st.fixed_dictionaries(
            {"channels": st.lists(st.sampled_from(["stdout"] + sorted(channels)), max_size=3, unique=True)},
            optional={"escalate_after": clock_durations, "repeat_every": clock_durations, "alert_hours": contact_hours()
                      .map(lambda windows: windows[0])}))
    return doc


def _round_trips(doc):
    effective = config_mod.validate(doc)  # the generated documents are valid
    text = config_mod.dump_toml(doc)
    assert config_mod.parse_toml(text) == doc
    assert config_mod.parse_toml(config_mod.dump_toml(effective)) == effective  # what `cs config show` prints
    assert config_mod.validate(config_mod.parse_toml(text)) == effective


@settings(max_examples=150, deadline=None)
@given(doc=valid_configs())
@example(doc={"duty": [{"code": "d", "label": '引号"\\反斜杠\n换行\t\x00', "every": "day"}]})
def test_a_valid_configuration_round_trips_through_toml(doc):
    _round_trips(doc)


@pytest.mark.parametrize("label", ["a\x7fb", "\x7f"], ids=["DEL inside", "DEL alone"])
def test_a_label_with_a_del_character_round_trips_through_toml(label):
    """TOML forbids a raw U+007F in a string: dump_toml must escape it like the other control
    characters, or `cs config show` prints a file `cs config load` refuses."""
    _round_trips({"shift": [{"code": "x", "label": label, "start": "09:00", "end": "18:00"}]})


def test_the_defaults_round_trip_through_toml():
    assert config_mod.parse_toml(config_mod.dump_toml(config_mod.DEFAULTS)) == config_mod.DEFAULTS
    assert config_mod.validate({}) == config_mod.DEFAULTS


# TOML-ish text: real section names and keys, plausible and implausible values.
toml_keys = st.sampled_from(["calendar", "timezone", "contact_hours", "extra_holidays", "base",
                             "retry_after", "max_attempts", "first_response", "resolve", "code", "label", "start",
                             "end", "source", "points", "fine", "window", "within", "delay", "sample", "categories",
                             "channels", "escalate_after", "repeat_every", "alert_hours", "url", "secret_env",
                             "secret", "every", "action", "escalation", "port", "host", "sender", "x", '"quoted key"',
                             "a.b", "sla.urgent.resolve"])
# Non-finite numbers and extra_workdays (a day both holiday and workday) are left out here (they fail today: see
# test_an_accepted_configuration_is_one_that_works), so that this property stays deterministic.
toml_values = st.sampled_from(['"cn"', '"mon-fri"', '"lunar"', "1", "0", "-1", "1.5", "1e308", "-0.0", "true",
                               '"3d"', '"-3d"', '"99999wd"', '"100000h"', '"2wd"', '"09:00"', '"25:00"',
                               '"09:00-12:00"', '"12:00-09:00"', '"24:00-24:00"', '["09:00-12:00"]',
                               '["09:00-12:00", "11:00-13:00"]', "[]", "[1, 2]", '["complaint"]', '["gossip"]',
                               '"2026-02-30"', '["2026-10-10"]', '"Asia/Shanghai"', '"Mars/Base"', '""', '"\\u0000"',
                               '"https://example.com"', '"file:///etc/passwd"', '"manual"', '"month"', "{}",
                               "{ points = 1 }", "[{ fine = 10 }, { action = \"dismissal\" }]", "[{}]",
                               '"1979-05-27T07:32:00Z"', "1979-05-27", "0x10", '"""multi\nline"""', "'literal'",
                               '"x" "y"', ""])
toml_headers = st.sampled_from(["[sla]", "[sla.urgent]", "[sla.critical]", "[callback]", "[[callback_policy]]",
                                "[[shift]]", "[[duty]]", "[scoring]", "[[rule]]", "[[rule.escalation]]", "[alerts]",
                                "[channels]", "[channels.webhook]", "[channels.dingtalk]", "[channels.email]",
                                "[channels.slack]", "[[team]]", "[team]", "[[sla]]", "[calendar]", "[", "[[]]", ""])
toml_lines = st.one_of(toml_headers, st.builds(lambda k, v: f"{k} = {v}", toml_keys, toml_values),
                       st.text(max_size=10))
toml_ish = st.lists(toml_lines, max_size=12).map("\n".join)


def _loads_and_works_or_is_refused(text):
    try:
        document = config_mod.parse_toml(text, "centre.toml")
        effective = config_mod.validate(document)
    except CSError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip()  # one line, after `Error: `
        return
    # Accepted: the configuration must then work, i.e. build the pieces every command builds.
    context_zone = clock.get_zone(effective.get("timezone", "UTC"))
    calendar = clock.WorkCalendar(effective["calendar"], effective["extra_holidays"], effective["extra_workdays"])
    calendar.is_workday(date(2026, 10, 10))
    clock.ContactHours(effective["contact_hours"]).next_open(datetime(2026, 11, 20, 12, tzinfo=context_zone),
                                                             context_zone)
    import json

    json.dumps(effective, allow_nan=False)  # `cs config show --json` prints it as JSON


@settings(max_examples=200, deadline=None)
@given(text=toml_ish)
@example(text='[alerts]\nalert_hours = "24:00-24:00"')
@example(text='[[callback_policy]]\ncode = "p"\ncategories = ["repair"]\nwithin = "99999wd"')
def test_toml_ish_text_loads_or_is_refused_with_cs_error(text):
    _loads_and_works_or_is_refused(text)


@pytest.mark.parametrize("text", [
    'extra_holidays = ["2026-10-10"]\nextra_workdays = ["2026-10-10"]',
    "[scoring]\nbase = inf",
    "[scoring]\nbase = nan",
    '[[rule]]\ncode = "r"\nlabel = "R"\nsource = "manual"\npoints = inf',
], ids=["holiday and workday", "base inf", "base nan", "points inf"])
def test_an_accepted_configuration_is_one_that_works(text):
    """Found by the property above: documents the validator accepts but the calendar or the JSON
    output cannot use."""
    _loads_and_works_or_is_refused(text)
