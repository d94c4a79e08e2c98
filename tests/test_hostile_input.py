"""Hostile input (SPEC §2): every bad value is refused cleanly and writes nothing.

For each option kind a corpus of bad values: malformed ones (a bad TIME, an unknown enum code,
an id that is not a positive integer below 2^63) are usage errors, exit 2; well-formed values
that are not acceptable (a time in the future, an unknown agent, a phone with 3 digits, a
1 MB summary, a broken import file or configuration) are refusals, exit 1. Either way:
a `Error: ...` line on stderr, no traceback (the `cs` fixture re-raises any exception that is
not SystemExit), nothing on stdout, and the database exactly as before (every row of every
table, the audit trail included). For the `--db` cases the file's bytes and mtime are compared.

Every test starts from a copy of one seeded centre (two agents, two tickets, a policy callback,
a handover item, a violation and its deduction), so ids 1 exist and 999999 does not.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

SEED_NOW = "2026-11-20T09:30:00+08:00"
MISSING = "999999"
TICKET_ADD = ["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "hostile"]

SEED = [
    ["agent", "add", "ann", "--name", "Ann", "--team", "A", "--mobile", "13900000001"],
    ["agent", "add", "lee", "--name", "Lee", "--team", "A", "--role", "leader"],
    ["roster", "set", "2026-11-20", "day", "ann", "lee"],
    # ticket 1: an open complaint about ann
    ["ticket", "add", "--channel", "phone", "--category", "complaint", "--summary", "空调漏水三天无人处理",
     "--phone", "13800138000", "--customer", "王先生", "--about", "ann", "--opened-at", "2026-11-20T09:00"],
    # ticket 2: a resolved complaint; its resolution schedules callback 1
    ["ticket", "add", "--channel", "visit", "--category", "complaint", "--summary", "second",
     "--phone", "13800138001", "--opened-at", "2026-11-20T09:05"],
    ["ticket", "resolve", "2", "--resolution", "done", "--at", "2026-11-20T09:10"],
    ["handover", "add", "call 王先生 back", "--ticket", "1"],
    ["violation", "add", "ann", "hygiene", "--at", "2026-11-19T10:00"],
    ["deductions", "run", "--date", "2026-11-19"],
]


# =========================================================================== fixtures and helpers


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The seeded centre, built once per module."""
    from cs.cli import cli

    root = tmp_path_factory.mktemp("hostile-seed")
    path = root / "seed.db"
    env = {"CS_DB": str(path), "CS_NOW": SEED_NOW, "CS_TZ": "Asia/Shanghai", "CS_AGENT": "ann", "CS_LANG": "en",
           "CS_FORMAT": None, "XDG_DATA_HOME": str(root / "xdg")}
    for argv in SEED:
        result = CliRunner().invoke(cli, argv, env=env)
        assert result.exit_code == 0, (argv, result.output, result.exception)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM callbacks").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM deductions").fetchone()[0] == 1
    return path


@pytest.fixture
def desk(template):
    """A fresh copy of the seeded centre at $CS_DB; returns its path."""
    target = Path(os.environ["CS_DB"])
    shutil.copy2(template, target)
    return target


def snapshot(path) -> dict:
    """Every row of every table (the audit trail and the search index included) and the schema."""
    conn = sqlite3.connect(path)
    try:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        state = {"_schema": sorted(row[0] or "" for row in conn.execute("SELECT sql FROM sqlite_master"))}
        for name in names:
            state[name] = sorted(repr(tuple(row)) for row in conn.execute(f'SELECT * FROM "{name}"'))
        return state
    finally:
        conn.close()


def assert_refused(result, codes=(1,), *, quiet_stdout=True):
    """Exit code as expected, an `Error` line on stderr, no traceback, nothing on stdout."""
    text = result.stdout + result.stderr
    assert result.exit_code in codes, result
    assert "Traceback" not in text, result
    assert result.exception is None or isinstance(result.exception, SystemExit), result
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors, f"no 'Error' line on stderr: {result!r}"
    assert all(len(line) > len("Error: ") + 5 for line in errors), result
    if quiet_stdout:
        assert result.stdout == "", result


def refused_writing_nothing(cs, db_path, argv, codes=(1,), *, quiet_stdout=True, input=None):
    before = snapshot(db_path)
    result = cs(argv, input=input)
    assert_refused(result, codes, quiet_stdout=quiet_stdout)
    after = snapshot(db_path)
    changed = [name for name in before if before[name] != after.get(name)]
    assert not changed and before.keys() == after.keys(), f"{argv[:6]} changed {changed}"
    return result


def crossed(commands: dict, values: list, full: tuple, sample: list) -> list:
    """Every value for the commands named in `full`, a sample of them for the others: the whole
    corpus exercises the shared parser once, the sample shows each command uses it."""
    return [pytest.param(name, value, id=f"{name}-{_label(value)}")
            for name in commands for value in (values if name in full else sample)]


def _label(value) -> str:
    text = repr(value)
    return text if len(text) <= 30 else f"{text[:20]}...len{len(value)}"


# =========================================================================== TIME arguments

BAD_TIMES = [
    "2026-13-01", "2026-02-30", "2026-11-20T24:00", "2026-11-20T09:61", "2026-11-20T09:30+99:00",
    "yesterdayy", "tomorow", "tomorrow 25:00", "now now", "eom+1",
    "+5x", "5d", "++5d", "+", "-", "+1000000d", "+99999999999999999999h", "+2h30m",
    "", "   ", "\x00", "2026-11-20\x00", "\x1b[2J",
    "9999999-01-01", "0000-01-01", "1969-12-31", "2026-W47-5", "20261120", "２０２６-１１-２０",
    "1" * 100_000,
]

# Each TIME option in a command that would write (or, for --since, read) if the value were good.
TIME_OPTIONS = {
    "--now": lambda t: ["--now", t] + TICKET_ADD,
    "--opened-at": lambda t: TICKET_ADD + ["--opened-at", t],
    "--due": lambda t: ["callback", "add", "--phone", "13800138000", "--due", t],
    "--at": lambda t: ["ticket", "respond", "1", "--at", t],
    "--since": lambda t: ["ticket", "list", "--since", t],
    "--to": lambda t: ["callback", "reschedule", "1", "--to", t, "--note", "asked"],
}


@pytest.mark.parametrize("option, value", crossed(TIME_OPTIONS, BAD_TIMES, ("--now", "--opened-at"),
                                                   ["2026-13-01", "yesterdayy", "+5x", "", "\x00", "9999999-01-01",
                                                    "1" * 100_000]))
def test_malformed_time_is_a_usage_error(cs, desk, option, value):
    result = refused_writing_nothing(cs, desk, TIME_OPTIONS[option](value), codes=(2,))
    assert option in result.stderr or "TIME" in result.stderr


# Well-formed TIMEs that name an unacceptable moment: refusals (exit 1).
UNACCEPTABLE_TIMES = [
    ("opened in the future", TICKET_ADD + ["--opened-at", "tomorrow"]),
    ("opened an hour ahead", TICKET_ADD + ["--opened-at", "+1h"]),
    ("opened before 1970 by offset", ["--now", "1970-01-01T08:30+08:00"] + TICKET_ADD + ["--opened-at", "-1d"]),
    ("response before the ticket was opened", ["ticket", "respond", "1", "--at", "2026-11-19"]),
    ("response in the future", ["ticket", "respond", "1", "--at", "+1h"]),
    ("resolution in the future", ["ticket", "resolve", "1", "--resolution", "x", "--at", "eod"]),
    ("callback due in the past", ["callback", "add", "--phone", "13800138000", "--due", "yesterday"]),
    ("callback due now", ["callback", "add", "--phone", "13800138000", "--due", "now"]),
    # refused after the new customer was upserted: the whole command must roll back
    ("callback for a new customer due in the past", ["callback", "add", "--phone", "13911112222", "--customer", "新客户",
                                                     "--due", "yesterday"]),
    ("callback due past the year 9998", ["--now", "9998-12-31T23:00", "callback", "add", "--phone", "13800138000",
                                         "--due", "+99999d"]),
    ("callback due at the very end of time", ["callback", "add", "--phone", "13800138000",
                                              "--due", "9998-12-31T23:59:59-14:00"]),
    ("reschedule into the past", ["callback", "reschedule", "1", "--to", "yesterday", "--note", "x"]),
    ("violation in the future", ["violation", "add", "ann", "hygiene", "--at", "tomorrow"]),
    ("clock out of range", ["--now", "9998-12-31", "time", "+99999w"]),
]


@pytest.mark.parametrize("argv", [argv for _, argv in UNACCEPTABLE_TIMES], ids=[n for n, _ in UNACCEPTABLE_TIMES])
def test_unacceptable_time_is_refused(cs, desk, argv):
    refused_writing_nothing(cs, desk, argv, codes=(1,))


# =========================================================================== enumerations

BAD_CODES = ["fax", "", "   ", "\x00", "phone;DROP TABLE tickets", "来电话", "1", "x" * 10_000]

ENUM_OPTIONS = {
    "--channel": lambda v: ["ticket", "add", "--channel", v, "--category", "inquiry", "--summary", "s"],
    "--category": lambda v: ["ticket", "add", "--channel", "phone", "--category", v, "--summary", "s"],
    "--priority": lambda v: TICKET_ADD + ["--priority", v],
    "--outcome": lambda v: ["callback", "done", "1", "--outcome", v],
    "--result": lambda v: ["callback", "attempt", "1", "--result", v],
    "--reason": lambda v: ["callback", "add", "--phone", "13800138000", "--due", "+3d", "--reason", v],
    "--method": lambda v: ["callback", "add", "--phone", "13800138000", "--due", "+3d", "--method", v],
    "--role": lambda v: ["agent", "add", "bob", "--name", "Bob", "--role", v],
    "verdict": lambda v: ["ticket", "verdict", "1", v],
    "--status": lambda v: ["ticket", "list", "--status", v],
    "--format": lambda v: ["ticket", "list", "--format", v],
    "report --format": lambda v: ["report", "day", "--format", v],
    "export --format": lambda v: ["ticket", "export", "--format", v],
    "--lang": lambda v: ["--lang", v] + TICKET_ADD,
    "jobs run NAME": lambda v: ["jobs", "run", v],
}


@pytest.mark.parametrize("option, value", crossed(ENUM_OPTIONS, BAD_CODES, ("--channel", "--outcome"),
                                                   ["fax", "", "x" * 10_000]))
def test_unknown_enum_code_is_a_usage_error(cs, desk, option, value):
    refused_writing_nothing(cs, desk, ENUM_OPTIONS[option](value), codes=(2,))


BAD_SORTS = ["bogus", "", ",", "-", "id;DROP TABLE tickets", "id DESC", "-opened_at,nope", "summary", "rowid",
             "1", "opened_at) --"]
SORTED_LISTS = {name: None for name in ["ticket", "callback", "customer", "agent", "handover", "violation",
                                         "deductions"]}


@pytest.mark.parametrize("group, value", crossed(SORTED_LISTS, BAD_SORTS, ("ticket",), ["bogus", "id;DROP TABLE tickets"]))
def test_unknown_sort_field_is_a_usage_error(cs, desk, group, value):
    refused_writing_nothing(cs, desk, [group, "list", "--sort", value], codes=(2,))


@pytest.mark.parametrize("group, value", crossed(SORTED_LISTS, ["0", "-1", "abc", "1.5", "", str(2**63), str(2**70)],
                                                  ("ticket",), ["0", str(2**63)]))
def test_bad_limit_is_a_usage_error(cs, desk, group, value):
    """--limit is a positive count; a number SQLite cannot hold is malformed too, not a crash."""
    refused_writing_nothing(cs, desk, [group, "list", "--limit", value], codes=(2,))


@pytest.mark.parametrize("argv", [
    ["--tz", "Mars/Olympus_Mons", "ticket", "list"],
    ["--tz", "", "ticket", "list"],
    ["--tz", "../../../etc/passwd", "ticket", "list"],
    ["--tz", "Asia", "ticket", "list"],
    ["score", "--month", "2026-13"],
    ["score", "--month", "November"],
    ["score", "--month", "99999-01"],
    ["violation", "list", "--month", ""],
    ["report", "month", "--month", "2026-00"],
], ids=lambda argv: " ".join(argv[:4]))
def test_malformed_zone_or_month_is_a_usage_error(cs, desk, argv):
    refused_writing_nothing(cs, desk, argv, codes=(2,))


# =========================================================================== record ids

BAD_IDS = ["0", "-1", "abc", "1.5", "0x1", "", " ", str(2**63), str(2**70)]
ID_COMMANDS = {
    "ticket show": lambda i: ["ticket", "show", i],
    "ticket respond": lambda i: ["ticket", "respond", i],
    "ticket close": lambda i: ["ticket", "close", i],
    "ticket note": lambda i: ["ticket", "note", i, "text"],
    "callback done": lambda i: ["callback", "done", i, "--outcome", "satisfied"],
    "callback cancel": lambda i: ["callback", "cancel", i, "--reason", "asked"],
    "callback add --ticket": lambda i: ["callback", "add", "--ticket", i, "--due", "+3d"],
    "handover ack": lambda i: ["handover", "ack", i],
    "handover add --ticket": lambda i: ["handover", "add", "text", "--ticket", i],
    "deductions void": lambda i: ["deductions", "void", i, "--reason", "mistake"],
}


@pytest.mark.parametrize("command, value", crossed(ID_COMMANDS, BAD_IDS, ("ticket show", "callback done"),
                                                    ["0", "abc", str(2**70)]))
def test_malformed_id_is_a_usage_error(cs, desk, command, value):
    refused_writing_nothing(cs, desk, ID_COMMANDS[command](value), codes=(2,))


@pytest.mark.parametrize("command", list(ID_COMMANDS))
def test_unknown_id_is_refused(cs, desk, command):
    result = refused_writing_nothing(cs, desk, ID_COMMANDS[command](MISSING), codes=(1,))
    assert MISSING in result.stderr and "not found" in result.stderr


# =========================================================================== phones

BAD_PHONES = ["123", "1234", "1" * 21, "abc", "138-0013-800a", "📞13800138000", "+86", "0086", "+1 555 0100",
              "13800138000\x00", "13800138000;--", "138 0013 8000 ext 5", "\u202e0083100831"]
PHONE_COMMANDS = {
    "ticket add --phone": lambda p: TICKET_ADD + ["--phone", p],
    "ticket update --phone": lambda p: ["ticket", "update", "1", "--phone", p],
    "callback add --phone": lambda p: ["callback", "add", "--phone", p, "--due", "+3d"],
    "customer set": lambda p: ["customer", "set", p, "--vip"],
    "customer show": lambda p: ["customer", "show", p],
    "agent add --mobile": lambda p: ["agent", "add", "bob", "--name", "Bob", "--mobile", p],
    "ticket list --phone": lambda p: ["ticket", "list", "--phone", p],
}


@pytest.mark.parametrize("command, phone", crossed(PHONE_COMMANDS, BAD_PHONES, ("ticket add --phone",),
                                                    ["123", "1" * 21, "📞13800138000", "+86"]))
def test_bad_phone_is_refused(cs, desk, command, phone):
    refused_writing_nothing(cs, desk, PHONE_COMMANDS[command](phone), codes=(1, 2))


@pytest.mark.parametrize("phone", ["１３８００１３８０００", "١٣٨٠٠١٣٨٠٠٠", "+86 １３８-００１３-８０００"], ids=_label)
def test_non_ascii_digits_are_refused_or_read_as_the_same_number(cs, desk, phone):
    """Full-width (全角) or Arabic-Indic digits: either refused, or the same customer as 13800138000,
    never a second customer record whose 'digits' are not 0-9."""
    before = snapshot(desk)
    result = cs(TICKET_ADD + ["--phone", phone, "--json"])
    assert "Traceback" not in result.stderr
    if result.exit_code != 0:
        assert_refused(result, (1, 2))
        assert snapshot(desk) == before
        return
    assert result.json()["customer_phone"] == "13800138000", result


# =========================================================================== text fields

MB = 1_000_000
TEXT_CASES = [
    ("1 MB summary", TICKET_ADD[:-1] + ["x" * MB]),
    ("1 MB summary of Chinese", TICKET_ADD[:-1] + ["漏" * MB]),
    ("empty summary", TICKET_ADD[:-1] + [""]),
    ("blank summary", TICKET_ADD[:-1] + [" \t "]),
    ("NUL in summary", TICKET_ADD[:-1] + ["a\x00b"]),
    ("escape sequence in summary", TICKET_ADD[:-1] + ["a\x1b[31mred"]),
    ("DEL in summary", TICKET_ADD[:-1] + ["a\x7fb"]),
    ("bell in summary", TICKET_ADD[:-1] + ["\x07"]),
    ("1 MB detail", TICKET_ADD + ["--detail", "d" * MB]),
    ("NUL in detail", TICKET_ADD + ["--detail", "x\x00"]),
    ("customer name of 201 characters", TICKET_ADD + ["--customer", "名" * 201]),
    ("control character in customer name", TICKET_ADD + ["--customer", "王\x08先生"]),
    ("department of 1 MB", TICKET_ADD + ["--department", "D" * MB]),
    ("tag with a space", TICKET_ADD + ["--tag", "a b"]),
    ("tag with a comma", TICKET_ADD + ["--tag", "a,b"]),
    ("tag with a semicolon", TICKET_ADD + ["--tag", "a;b"]),
    ("1 MB note", ["ticket", "note", "1", "n" * MB]),
    ("empty note", ["ticket", "note", "1", ""]),
    ("NUL in note", ["ticket", "note", "1", "\x00"]),
    ("1 MB resolution", ["ticket", "resolve", "1", "--resolution", "r" * MB]),
    ("blank resolution", ["ticket", "resolve", "1", "--resolution", "  "]),
    ("1 MB handover", ["handover", "add", "h" * MB]),
    ("empty handover", ["handover", "add", ""]),
    ("1 MB callback note", ["callback", "add", "--phone", "13800138000", "--due", "+3d", "--note", "c" * MB]),
    ("1 MB violation note", ["violation", "add", "ann", "hygiene", "--note", "v" * MB]),
    ("1 MB reschedule note", ["callback", "reschedule", "1", "--to", "+5d", "--note", "r" * MB]),
    ("blank cancel reason", ["callback", "cancel", "1", "--reason", " "]),
    ("blank void reason", ["deductions", "void", "1", "--reason", ""]),
    ("handle with a space", ["agent", "add", "a b", "--name", "A"]),
    ("handle of 65 characters", ["agent", "add", "h" * 65, "--name", "A"]),
    ("empty handle", ["agent", "add", "", "--name", "A"]),
    ("empty agent name", ["agent", "add", "bob", "--name", " "]),
    ("not an e-mail address", ["agent", "add", "bob", "--name", "Bob", "--email", "bob-at-example"]),
    ("existing handle", ["agent", "add", "ann", "--name", "Ann again"]),
    ("unknown agent", TICKET_ADD + ["--agent", "nobody"]),
    ("unknown agent named by an injection", TICKET_ADD + ["--agent", "ann' OR '1'='1"]),
    ("unknown --about", TICKET_ADD + ["--about", "nobody"]),
    ("unknown manual rule", ["violation", "add", "ann", "no_such_rule"]),
    ("an automatic rule as a violation", ["violation", "add", "ann", "callback_overdue"]),
    ("unknown shift", ["roster", "set", "2026-11-20", "night", "ann"]),
    ("unknown agent on the roster", ["roster", "set", "2026-11-20", "day", "nobody"]),
    ("unknown duty", ["duty", "done", "no_such_duty"]),
    ("unknown customer", ["customer", "show", "13999999999"]),
    ("empty customer name", ["customer", "set", "13800138000", "--name", " "]),
    ("nothing to update", ["ticket", "update", "1"]),
    ("closing an open ticket", ["ticket", "close", "1"]),
    ("assign to an unknown agent", ["ticket", "assign", "1", "nobody"]),
]


@pytest.mark.parametrize("argv", [argv for _, argv in TEXT_CASES], ids=[name for name, _ in TEXT_CASES])
def test_unacceptable_text_or_name_is_refused(cs, desk, argv):
    refused_writing_nothing(cs, desk, argv, codes=(1,))


LONG = "长" * 2500 + "x" * 2500
LONG_CASES = [
    ("an unknown agent", TICKET_ADD + ["--agent", LONG]),
    ("an unknown status", ["ticket", "list", "--status", LONG]),
    ("an unknown duty", ["duty", "done", LONG]),
    ("an unknown configuration key", ["config", "set", LONG, "1"]),
    ("a bad TIME", ["ticket", "list", "--since", LONG]),
    ("a bad global --now", ["--now", LONG, "ticket", "list"]),
    ("a bad id", ["ticket", "show", "9" * 5000]),
    ("a bad phone", ["customer", "show", "1" * 5000]),
]


@pytest.mark.parametrize("argv", [argv for _, argv in LONG_CASES], ids=[name for name, _ in LONG_CASES])
def test_a_value_echoed_in_an_error_is_cut_to_200_characters(cs, desk, argv):
    """SPEC section 16: values echoed in errors are cut to 200 characters (and say how long they were)."""
    result = refused_writing_nothing(cs, desk, argv, codes=(1, 2))
    error = next(line for line in result.stderr.splitlines() if line.startswith("Error"))
    assert len(error) < 600, error
    assert "(5000 characters)" in error or LONG not in error, error


def test_an_apostrophe_in_a_path_is_not_taken_for_a_quote(cs, tmp_path):
    """Review of issue 16: a path with an apostrophe (O'Reilly) paired with the quote of the suggested command, and
    the cut mangled the message's own text. A value of normal length is shown whole."""
    folder = tmp_path / "O'Reilly 物业管理有限公司" / ("深圳分公司客服部" * 4)
    missing = folder / "typo.bd"
    result = cs(["--db", str(missing), "ticket", "list"])
    assert result.exit_code == 1
    assert f"create one with 'cs db init --db {missing}'" in result.stderr, result.stderr
    assert "characters)" not in result.stderr


def test_an_import_error_cuts_the_value_it_repeats(cs, desk, tmp_path):
    """An import row's error repeats the cell: a category of 600 characters is cut to 200."""
    source = tmp_path / "calls.csv"
    source.write_text("opened_at,channel,category,summary,customer_phone\n"
                      f"2026-11-19 10:00,phone,{'x' * 600},来电,13800000000\n", "utf-8")
    result = refused_writing_nothing(cs, desk, ["ticket", "import", str(source)], codes=(1,), quiet_stdout=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors and all(len(line) < 600 for line in errors), errors
    assert "(600 characters)" in errors[0]


def test_the_limits_are_where_the_code_puts_them(cs, desk):
    """The refusals above are limits, not blanket bans: 1000 characters of summary and 100 000 of
    detail are accepted (cs.tickets.MAX_SUMMARY / MAX_TEXT)."""
    result = cs(TICKET_ADD[:-1] + ["漏" * 1000, "--detail", "d" * 100_000, "--json"])
    assert result.exit_code == 0, result
    assert len(result.json()["summary"]) == 1000 and len(result.json()["detail"]) == 100_000
    assert cs(TICKET_ADD[:-1] + ["漏" * 1001]).exit_code == 1


# Invalid UTF-8 on a command line reaches Python as lone surrogates (os.fsdecode's surrogateescape):
# `cs ticket add --summary $'\xff'` passes "\udcff". SQLite cannot store them.
SURROGATE_CASES = [
    ("summary", TICKET_ADD[:-1] + ["bad\udcffbyte"]),
    ("lone high surrogate in summary", TICKET_ADD[:-1] + ["\ud800"]),
    ("detail", TICKET_ADD + ["--detail", "\udcfe\udcff"]),
    ("customer name", TICKET_ADD + ["--customer", "王\udcff"]),
    ("note", ["ticket", "note", "1", "\udcff"]),
    ("handover", ["handover", "add", "\udcff"]),
    ("agent handle", ["agent", "add", "\udcff", "--name", "X"]),
    ("actor (--as)", ["--as", "\udcff", "ticket", "note", "1", "hello"]),
    ("search term", ["ticket", "list", "--search", "\udcff"]),
    ("config value", ["config", "set", "rule.0.label", "\udcff"]),
]


@pytest.mark.parametrize("argv", [argv for _, argv in SURROGATE_CASES], ids=[name for name, _ in SURROGATE_CASES])
def test_invalid_utf8_from_the_command_line_is_refused_not_a_crash(cs, desk, argv):
    refused_writing_nothing(cs, desk, argv, codes=(1, 2))


@pytest.mark.parametrize("argv", [
    ["ticket", "add", "--channel", "ph\none", "--category", "inquiry", "--summary", "s"],
    TICKET_ADD + ["--phone", "138\r\nError: forged"],
    TICKET_ADD + ["--agent", "no\nbody"],
    ["config", "get", "no\nkey"],
], ids=["enum", "phone", "agent", "config key"])
def test_an_echoed_value_cannot_break_the_one_line_error(cs, desk, argv):
    """The refused value is quoted in the message; a newline in it must not split the message
    (or forge a second `Error:` line)."""
    result = refused_writing_nothing(cs, desk, argv, codes=(1, 2))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr


def test_search_with_fts_syntax_and_control_characters_is_harmless(cs, desk):
    for term in ['"', "*", "NEAR(a b)", "summary:x", "a OR b", "^漏水", "(", "'; --"]:
        result = cs(["ticket", "list", "--search", term, "--json"])
        assert result.exit_code == 0, (term, result)
        assert result.json() == [] or all("漏水" in t["summary"] for t in result.json())


@pytest.mark.parametrize("term", ["a\x00b", "a\x01b"])
def test_search_with_a_control_character_is_refused_cleanly(cs, desk, term):
    """No indexed text holds control characters; a NUL (in-process only: argv cannot carry one) would end
    SQLite's query string. Refused with one line, never a crash."""
    result = cs(["ticket", "list", "--search", term, "--json"])
    assert result.exit_code == 1, result
    assert "Traceback" not in result.stderr and result.stderr.startswith("Error: the search text")


# =========================================================================== import files

GOOD_ROW = '{"opened_at": "2026-11-20T09:00:00+08:00", "channel": "phone", "category": "inquiry", "summary": "x"'


def _row(extra: str = "") -> str:
    return GOOD_ROW + (", " + extra if extra else "") + "}"


IMPORT_FILES = [
    # (name, file name, bytes)
    ("truncated JSON", "t.json", ("[" + GOOD_ROW).encode()),
    ("JSON object, not an array", "t.json", _row().encode()),
    ("JSON scalar", "t.json", b"42"),
    ("unclosed array", "t.json", ("[" + _row()).encode()),
    ("missing comma", "t.json", ("[" + _row() + _row() + "]").encode()),
    ("array of numbers", "t.json", b"[1, 2, 3]"),
    ("array of null", "t.json", b"[null]"),
    ("array of arrays", "t.json", b"[[1]]"),
    ("empty JSON file", "t.json", b""),
    ("unknown field", "t.json", ("[" + _row('"colour": "red"') + "]").encode()),
    ("missing summary", "t.json", b'[{"opened_at": "2026-11-20T09:00:00+08:00", "channel": "phone", "category": "inquiry"}]'),
    ("channel is a number", "t.json", ("[" + _row('"channel": 5') + "]").encode()),
    ("unknown channel", "t.json", ("[" + _row('"channel": "fax"') + "]").encode()),
    ("opened_at is a number", "t.json", ("[" + _row('"opened_at": 5') + "]").encode()),
    ("opened_at month 13", "t.json", ("[" + _row('"opened_at": "2026-13-01T00:00:00+08:00"') + "]").encode()),
    ("opened_at in the future", "t.json", ("[" + _row('"opened_at": "2030-01-01T00:00:00+08:00"') + "]").encode()),
    ("opened_at in year 1", "t.json", ("[" + _row('"opened_at": "0001-01-01T00:00:00+14:00"') + "]").encode()),
    ("id text", "t.json", ("[" + _row('"id": "abc"') + "]").encode()),
    ("id zero", "t.json", ("[" + _row('"id": 0') + "]").encode()),
    ("id negative", "t.json", ("[" + _row('"id": -1') + "]").encode()),
    ("id 2^70", "t.json", ("[" + _row(f'"id": {2**70}') + "]").encode()),
    ("id true", "t.json", ("[" + _row('"id": true') + "]").encode()),
    ("id NaN", "t.json", ("[" + _row('"id": NaN') + "]").encode()),
    ("id already used", "t.json", ("[" + _row('"id": 1') + "]").encode()),
    ("satisfaction 9", "t.json", ("[" + _row('"satisfaction": 9') + "]").encode()),
    ("fcr maybe", "t.json", ("[" + _row('"fcr": "maybe"') + "]").encode()),
    ("tags a number", "t.json", ("[" + _row('"tags": 5') + "]").encode()),
    ("tags nested", "t.json", ("[" + _row('"tags": [[1]]') + "]").encode()),
    ("phone letters", "t.json", ("[" + _row('"customer_phone": "abc"') + "]").encode()),
    ("phone a float", "t.json", ("[" + _row('"customer_phone": 1e30') + "]").encode()),
    ("unknown agent", "t.json", ("[" + _row('"agent": "nobody"') + "]").encode()),
    ("NUL in summary", "t.json", ("[" + _row('"summary": "a\\u0000b"') + "]").encode()),
    ("1 MB summary", "t.json", ("[" + _row('"summary": "' + "x" * MB + '"') + "]").encode()),
    ("resolved without resolved_at", "t.json", ("[" + _row('"status": "resolved"') + "]").encode()),
    ("verdict on an inquiry", "t.json", ("[" + _row('"verdict": "upheld"') + "]").encode()),
    ("invalid UTF-8 in JSON", "t.json", ("[" + GOOD_ROW + ', "detail": "').encode() + b"\xff\xfe" + b'"}]'),
    ("good row then a bad one", "t.json", ("[" + _row() + ", " + _row('"channel": "fax"') + "]").encode()),
    ("JSONL with a broken line", "t.jsonl", (_row() + "\n{broken\n").encode()),
    ("JSONL with a number", "t.jsonl", b"42\n"),
    ("JSONL with invalid UTF-8", "t.jsonl", _row().encode() + b"\n\xc3\x28\n"),
    ("JSONL with a string", "t.jsonl", b'"just text"\n'),
    ("CSV with an unknown column", "t.csv", b"opened_at,channel,category,summary,colour\n2026-11-20T09:00,phone,inquiry,x,red\n"),
    ("CSV with an extra cell", "t.csv", b"opened_at,channel,category,summary\n2026-11-20T09:00,phone,inquiry,x,extra\n"),
    ("CSV with invalid UTF-8", "t.csv", b"opened_at,channel,category,summary\n2026-11-20T09:00,phone,inquiry,\xff\n"),
    ("CSV with a NUL", "t.csv", b"opened_at,channel,category,summary\n2026-11-20T09:00,phone,inquiry,a\x00b\n"),
    ("CSV with a bad time", "t.csv", b"opened_at,channel,category,summary\nyesterday,phone,inquiry,x\n"),
    ("CSV of random bytes", "t.csv", bytes(range(256)) * 16),
    ("JSON of random bytes", "t.json", bytes(range(255, -1, -1)) * 16),
    ("binary file, no extension", "blob", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
    ("a SQLite database as JSONL", "t.jsonl", b"SQLite format 3\x00" + b"\x00" * 100),
]


@pytest.mark.parametrize("file_name, content", [(f, d) for _, f, d in IMPORT_FILES], ids=[n for n, _, _ in IMPORT_FILES])
def test_bad_import_file_writes_nothing(cs, desk, tmp_path, file_name, content):
    path = tmp_path / file_name
    path.write_bytes(content)
    # stdout may carry the import result (--json) or the column plan of a sheet: not checked here.
    refused_writing_nothing(cs, desk, ["ticket", "import", str(path)], codes=(1,), quiet_stdout=False)
    refused_writing_nothing(cs, desk, ["ticket", "import", str(path), "--dry-run", "--json"], codes=(1,),
                            quiet_stdout=False)
    assert path.read_bytes() == content


PATHOLOGICAL_JSON = [
    ("deeply nested JSON array", "[" + "[" * 100_000 + "]" * 100_000 + "]"),
    ("deeply nested JSON value in a field", "[" + GOOD_ROW + ', "detail": ' + '{"a":' * 50_000 + "1" + "}" * 50_000 + "}]"),
    ("id too large for an integer (1e400)", "[" + _row('"id": 1e400') + "]"),
    ("satisfaction of 1e400", "[" + _row('"satisfaction": 1e400') + "]"),
    ("lone surrogate escape in the summary", "[" + _row('"summary": "\\ud800"') + "]"),
    ("lone surrogate escape in the customer name", "[" + _row('"customer_name": "\\udcff"') + "]"),
]


@pytest.mark.parametrize("content", [c for _, c in PATHOLOGICAL_JSON], ids=[n for n, _ in PATHOLOGICAL_JSON])
def test_pathological_json_is_refused_not_a_crash(cs, desk, tmp_path, content):
    path = tmp_path / "t.json"
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    refused_writing_nothing(cs, desk, ["ticket", "import", str(path)], codes=(1,), quiet_stdout=False)


def test_deeply_nested_jsonl_is_refused_not_a_crash(cs, desk, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    refused_writing_nothing(cs, desk, ["ticket", "import", str(path)], codes=(1,), quiet_stdout=False)


def test_import_of_garbage_from_stdin_writes_nothing(cs, desk):
    refused_writing_nothing(cs, desk, ["ticket", "import", "-"], codes=(1,), input=b"\x00\x01garbage",
                            quiet_stdout=False)
    refused_writing_nothing(cs, desk, ["ticket", "import", "-", "--format", "json"], codes=(1,), input=b"[{",
                            quiet_stdout=False)


@pytest.mark.parametrize("file_name", ["empty.jsonl", "empty.csv", "blank.jsonl"])
def test_an_empty_import_file_imports_no_ticket(cs, desk, tmp_path, file_name):
    """An empty JSONL or CSV file holds no records: refused, or an import of nothing. Either way no
    ticket, customer or search entry appears."""
    path = tmp_path / file_name
    path.write_bytes(b"" if file_name.startswith("empty") else b"\n \n\t\n")
    before = snapshot(desk)
    result = cs(["ticket", "import", str(path)])
    assert result.exit_code in (0, 1), result
    assert "Traceback" not in result.stderr
    after = snapshot(desk)
    for table in ("tickets", "customers", "ticket_events", "ticket_fts", "callbacks"):
        assert after[table] == before[table], table


@pytest.mark.parametrize("argv", [
    ["ticket", "import", "/nonexistent/tickets.json"],
    ["ticket", "import", "."],
    ["config", "load", "/nonexistent/centre.toml"],
    ["config", "load", "."],
], ids=["import missing", "import directory", "config missing", "config directory"])
def test_missing_or_directory_file_is_refused(cs, desk, argv):
    refused_writing_nothing(cs, desk, argv, codes=(1, 2))


# =========================================================================== configuration (TOML)

BAD_TOML = [
    ("unclosed table header", "[alerts\nchannels = []\n"),
    ("missing value", "calendar =\n"),
    ("unterminated string", 'calendar = "cn\n'),
    ("duplicate key", 'calendar = "cn"\ncalendar = "mon-fri"\n'),
    ("bare words", "this is not toml\n"),
    ("JSON instead of TOML", '{"calendar": "cn"}\n'),
    ("surrogate escape", '[[duty]]\ncode = "x"\nlabel = "\\ud800"\n'),
    ("calendar is a number", "calendar = 5\n"),
    ("unknown calendar", 'calendar = "lunar"\n'),
    ("contact_hours a string", 'contact_hours = "09:00-12:00"\n'),
    ("contact_hours empty", "contact_hours = []\n"),
    ("contact_hours backwards", 'contact_hours = ["12:00-09:00"]\n'),
    ("contact_hours overlapping", 'contact_hours = ["09:00-12:00", "11:00-13:00"]\n'),
    ("contact_hours 99:99", 'contact_hours = ["99:99-99:99"]\n'),
    ("scoring base a string", '[scoring]\nbase = "100"\n'),
    ("scoring base negative", "[scoring]\nbase = -1\n"),
    ("max_attempts zero", "[callback]\nmax_attempts = 0\n"),
    ("max_attempts fractional", "[callback]\nmax_attempts = 1.5\n"),
    ("max_attempts huge", "[callback]\nmax_attempts = 1000000\n"),
    ("negative retry_after", '[callback]\nretry_after = "-2h"\n'),
    ("retry_after without unit", '[callback]\nretry_after = "2"\n'),
    ("retry_after too large", '[callback]\nretry_after = "999999h"\n'),
    ("negative SLA", '[sla.normal]\nresolve = "-1wd"\n'),
    ("SLA as a number", "[sla.urgent]\nfirst_response = 15\n"),
    ("unknown priority", '[sla.critical]\nresolve = "1h"\n'),
    ("negative escalate_after", '[alerts]\nescalate_after = "-1h"\n'),
    ("escalate_after in working days", '[alerts]\nescalate_after = "1wd"\n'),
    ("alert_hours backwards", '[alerts]\nalert_hours = "22:00-08:00"\n'),
    ("alert channel without its table", '[alerts]\nchannels = ["webhook"]\n'),
    ("unknown alert channel", '[alerts]\nchannels = ["pigeon"]\n'),
    ("unknown top-level key", "colour = 1\n"),
    ("unknown nested key", "[callback]\nretries = 3\n"),
    ("unknown channel table", '[channels.slack]\nurl = "https://example.com"\n'),
    ("webhook without url", "[channels.webhook]\ntimeout = 5\n"),
    ("webhook url not http", '[channels.webhook]\nurl = "file:///etc/passwd"\n'),
    ("literal dingtalk secret", '[channels.dingtalk]\nurl = "https://example.com"\nsecret = "SEC123"\n'),
    ("literal SMTP password", '[channels.email]\nhost = "mail"\nsender = "a@b.c"\npassword = "hunter2"\n'),
    ("secret_env not a variable name", '[channels.dingtalk]\nurl = "https://example.com"\nsecret_env = "$(reboot)"\n'),
    ("unknown time zone", 'timezone = "Mars/Olympus_Mons"\n'),
    ("time zone as a path", 'timezone = "../../etc/passwd"\n'),
    ("empty time zone", 'timezone = ""\n'),
    ("holiday 2026-02-30", 'extra_holidays = ["2026-02-30"]\n'),
    ("holiday not a date", 'extra_holidays = ["soon"]\n'),
    ("shift 25:00", '[[shift]]\ncode = "x"\nlabel = "X"\nstart = "25:00"\nend = "26:00"\n'),
    ("shift without a label", '[[shift]]\ncode = "x"\nstart = "09:00"\nend = "10:00"\n'),
    ("shift code twice", '[[shift]]\ncode = "x"\nlabel = "X"\nstart = "09:00"\nend = "10:00"\n'
                         '[[shift]]\ncode = "x"\nlabel = "Y"\nstart = "10:00"\nend = "11:00"\n'),
    ("shift code with a space", '[[shift]]\ncode = "a b"\nlabel = "X"\nstart = "09:00"\nend = "10:00"\n'),
    ("policy for an unknown category", '[[callback_policy]]\ncode = "p"\ncategories = ["gossip"]\nwithin = "3d"\n'),
    ("policy sample above 1", '[[callback_policy]]\ncode = "p"\ncategories = ["repair"]\nwithin = "3d"\nsample = 2\n'),
    ("rule with an unknown source", '[[rule]]\ncode = "r"\nlabel = "R"\nsource = "vibes"\n'),
    ("rule with negative points", '[[rule]]\ncode = "r"\nlabel = "R"\nsource = "manual"\npoints = -5\n'),
    ("rule with an empty escalation step", '[[rule]]\ncode = "r"\nlabel = "R"\nsource = "manual"\nescalation = [{}]\n'),
    ("duty every fortnight", '[[duty]]\ncode = "d"\nlabel = "D"\nevery = "fortnight"\n'),
    ("team without a code", '[[team]]\nlabel = "A"\n'),
]


@pytest.mark.parametrize("text", [t for _, t in BAD_TOML], ids=[n for n, _ in BAD_TOML])
def test_bad_configuration_file_is_refused(cs, desk, tmp_path, text):
    path = tmp_path / "centre.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    refused_writing_nothing(cs, desk, ["config", "load", str(path)], codes=(1,))
    refused_writing_nothing(cs, desk, ["config", "load", "--dry-run", str(path)], codes=(1,))


@pytest.mark.parametrize("content", [
    b'calendar = "\xff\xfe"\n',
    'label = "caf\xe9"\n'.encode("latin-1"),
    'calendar = "cn"\n'.encode("utf-16"),
    bytes(range(256)) * 8,
    b'calendar = "cn"\x00\n',
], ids=["invalid UTF-8", "Latin-1", "UTF-16", "random bytes", "NUL byte"])
def test_configuration_file_that_is_not_utf8_text_is_refused(cs, desk, tmp_path, content):
    path = tmp_path / "centre.toml"
    path.write_bytes(content)
    refused_writing_nothing(cs, desk, ["config", "load", str(path)], codes=(1,))


@pytest.mark.parametrize("text", [
    "a = " + "[" * 5000 + "]" * 5000 + "\n",
    "a = " + "{b=" * 3000 + "1" + "}" * 3000 + "\n",
], ids=["arrays", "inline tables"])
def test_deeply_nested_toml_is_refused_not_a_crash(cs, desk, tmp_path, text):
    path = tmp_path / "centre.toml"
    path.write_text(text, encoding="utf-8")
    refused_writing_nothing(cs, desk, ["config", "load", str(path)], codes=(1,))


@pytest.mark.parametrize("key, value", [
    ("nope", "1"),
    ("a..b", "1"),
    ("", "1"),
    ("sla.urgent.resolve; DROP", "1h"),
    ("x" * 10_000, "1"),
    ("shift.99", "{}"),
    ("shift.99999999999999999999999.code", "x"),
    ("calendar", "5"),
    ("calendar", "lunar"),
    ("callback.max_attempts", "0"),
    ("callback.max_attempts", "1e400"),
    ("callback.retry_after", "soon"),
    ("contact_hours", '["25:00-26:00"]'),
    ("alerts.escalate_after", "1wd"),
    ("alerts.channels", '["webhook"]'),
    ("channels.dingtalk", '{url = "https://example.com", secret = "SEC123"}'),
    ("timezone", "Mars/Olympus_Mons"),
    ("sla.normal.resolve", "[1, 2]"),
], ids=lambda v: v if len(v) < 30 else f"{v[:10]}...")
def test_bad_config_set_is_refused(cs, desk, key, value):
    refused_writing_nothing(cs, desk, ["config", "set", "--", key, value], codes=(1,))


@pytest.mark.parametrize("key, value", [("scoring.base", "inf"), ("scoring.base", "nan"), ("scoring.base", "-inf"),
                                        ("rule.0.points", "+inf"), ("rule.0.fine", "nan")])
def test_non_finite_numbers_are_refused_in_the_configuration(cs, desk, key, value):
    """TOML has inf and nan; the configuration has no use for them, and JSON cannot carry them
    (`cs score --json` would print `Infinity`, which no JSON parser reads)."""
    refused_writing_nothing(cs, desk, ["config", "set", "--", key, value], codes=(1,))


def test_a_holiday_that_is_also_a_workday_is_refused_at_load(cs, desk, tmp_path):
    """The working calendar refuses a day that is both an extra holiday and an extra workday; the
    configuration must be refused when loaded, not accepted and then break every later command."""
    path = tmp_path / "centre.toml"
    path.write_text('extra_holidays = ["2026-10-10"]\nextra_workdays = ["2026-10-10"]\n', encoding="utf-8")
    refused_writing_nothing(cs, desk, ["config", "load", str(path)], codes=(1,))
    assert cs(TICKET_ADD).exit_code == 0


# =========================================================================== the database file


def _file_state(path: Path):
    return path.read_bytes(), path.stat().st_mtime_ns


DB_COMMANDS = [["ticket", "list"], TICKET_ADD, ["db", "info"], ["db", "check"], ["config", "show"],
               ["jobs", "run", "overdue-alerts"]]


@pytest.mark.parametrize("kind", ["random bytes", "text", "truncated cs database", "garbage after a SQLite header"])
@pytest.mark.parametrize("argv", DB_COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_a_file_that_is_not_a_cs_database_is_refused_and_untouched(cs, template, tmp_path, kind, argv):
    path = tmp_path / "not-a-db.db"
    if kind == "random bytes":
        path.write_bytes(os.urandom(8192))
    elif kind == "text":
        path.write_text("name,phone\n王先生,13800138000\n" * 200, encoding="utf-8")
    elif kind == "truncated cs database":
        path.write_bytes(template.read_bytes()[:12288])
    else:
        path.write_bytes(b"SQLite format 3\x00" + os.urandom(4080))
    before = _file_state(path)
    result = cs(["--db", str(path)] + argv)
    assert_refused(result, (1,))
    assert str(path) in result.stderr
    assert _file_state(path) == before


@pytest.mark.parametrize("argv", DB_COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_a_directory_as_the_database_is_refused(cs, tmp_path, argv):
    directory = tmp_path / "a-directory.db"
    directory.mkdir()
    assert_refused(cs(["--db", str(directory)] + argv), (1,))
    assert list(directory.iterdir()) == []


def test_a_database_path_that_cannot_be_created_is_refused(cs, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_refused(cs(["--db", str(blocker / "cs.db"), "ticket", "list"]), (1,))
    assert_refused(cs(["--db", "/proc/no-such-process/cs.db", "ticket", "list"]), (1,))


@pytest.mark.parametrize("argv", DB_COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_a_database_of_a_newer_schema_is_refused_and_untouched(cs, desk, argv):
    with sqlite3.connect(desk) as conn:
        newest = conn.execute("SELECT MAX(version) FROM _migrations").fetchone()[0]
        conn.execute("INSERT INTO _migrations VALUES (?, 'm999_from_the_future', '2030-01-01T00:00:00Z')",
                     (newest + 1,))
    conn.close()
    before = snapshot(desk)
    result = cs(["--db", str(desk)] + argv)
    assert_refused(result, (1,))
    assert "newer" in result.stderr and str(newest + 1) in result.stderr
    assert snapshot(desk) == before
