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
    cs_part = next(part for part in command.split("&&") if part.strip().startswith("cs "))
    words = shlex.split(cs_part)
    group = cli.get_command(None, words[1])
    assert group is not None, words[1]
    assert words[2] in group.commands, words[2]
    if words[1:3] == ["jobs", "run"]:
        from jobs.runner import names

        assert words[3] in names(), words[3]


def test_every_job_is_scheduled():
    from jobs.runner import names

    scheduled = " ".join(entries())
    for job in names():
        assert f"cs jobs run {job}" in scheduled, job
    assert "cs db backup" in scheduled


def test_the_validator_rejects_bad_fields():
    assert not valid_field("60", 0, 59)
    assert not valid_field("*/0", 0, 59)
    assert not valid_field("1-2-3", 0, 23)
    assert valid_field("*/10", 0, 59) and valid_field("1,15,30", 0, 59) and valid_field("1-5", 0, 7)
