"""crontab.example: every entry is valid cron syntax and runs a cs command that exists."""

import re
import shlex
from pathlib import Path

import pytest

from cs.cli import cli

CRONTAB = Path(__file__).resolve().parent.parent / "crontab.example"
RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
ENV_LINE = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def entries():
    for line in CRONTAB.read_text("utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and not ENV_LINE.match(stripped):
            yield stripped


def valid_field(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        bounds = base.split("-")
        if len(bounds) > 2 or not all(b.isdigit() and low <= int(b) <= high for b in bounds):
            return False
    return True


def test_crontab_has_entries_and_the_environment_cron_needs():
    text = CRONTAB.read_text("utf-8")
    assert list(entries())
    for variable in ("CS_DB=", "MAILTO=", "CS_TZ="):
        assert re.search(rf"^{variable}", text, re.M), variable


@pytest.mark.parametrize("entry", list(entries()))
def test_each_entry_is_valid_cron_and_names_a_real_cs_command(entry):
    fields = entry.split(None, 5)
    assert len(fields) == 6, entry
    for field, (low, high) in zip(fields[:5], RANGES):
        assert valid_field(field, low, high), (field, entry)
    command = fields[5]
    # cron turns a bare % into a newline: every % must be escaped.
    assert not re.search(r"(?<!\\)%", command), entry
    words = shlex.split(command.split("&&")[0])
    assert words[0] == "cs"
    group = cli.get_command(None, words[1])
    assert group is not None, words[1]
    assert words[2] in group.commands, words[2]


def test_the_validator_rejects_bad_fields():
    assert not valid_field("60", 0, 59)
    assert not valid_field("*/0", 0, 59)
    assert not valid_field("1-2-3", 0, 23)
    assert valid_field("*/10", 0, 59) and valid_field("1,15,30", 0, 59) and valid_field("1-5", 0, 7)
