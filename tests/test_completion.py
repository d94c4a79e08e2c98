"""Shell completion (issue 9): scripts for bash, zsh and fish; handles, shift, rule, duty and job names from the
database; a missing database completes nothing and is not created."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.shell_completion import BashComplete

from cs.cli import cli


def complete(words: str, incomplete: str = "") -> list[str]:
    return [item.value for item in BashComplete(cli, {}, "cs", "_CS_COMPLETE").get_completions(words.split(), incomplete)]


@pytest.fixture
def centre(cs):
    for handle, name in (("zhou", "周敏"), ("wang", "王芳"), ("li", "李强")):
        assert cs(["agent", "add", handle, "--name", name]).exit_code == 0
    assert cs(["agent", "deactivate", "li"]).exit_code == 0


@pytest.mark.parametrize("words", ["ticket list --agent", "ticket add --about", "callback list --agent",
                                   "violation add", "deductions explain", "agent show", "roster set 2026-11-20 day",
                                   "report shift --agent", "handover add --agent", "duty done clean --agent"])
def test_agent_options_complete_active_handles(centre, words):
    assert complete(words) == ["wang", "zhou"]


def test_completion_filters_by_what_was_typed(centre):
    assert complete("ticket list --agent", "zh") == ["zhou"]


def test_shift_duty_rule_and_job_names_complete(centre):
    assert complete("roster set 2026-11-20") == ["day", "late"]
    assert complete("report shift --shift") == ["day", "late"]
    assert complete("duty done") == []  # the default configuration has no duties
    # Only manual rules can be recorded as violations.
    assert complete("violation add zhou") == ["report_error", "hygiene", "rude_service", "off_task", "negative_talk"]
    assert complete("jobs run") == ["overdue-alerts", "daily-deductions", "shift-reports"]


def test_configured_codes_follow_the_database(cs):
    night = '[{code = "night", label = "夜班", start = "22:00", end = "06:00"}]'
    assert cs(["config", "set", "shift", night]).exit_code == 0
    assert cs(["config", "set", "duty", '[{code = "log", label = "值班记录", every = "day"}]']).exit_code == 0
    assert complete("roster set 2026-11-20") == ["night"]
    assert complete("duty done") == ["log"]


def test_a_missing_database_completes_nothing_and_is_not_created(tmp_path, monkeypatch):
    missing = tmp_path / "none.db"
    monkeypatch.setenv("CS_DB", str(missing))
    assert complete("ticket list --agent") == []
    assert not missing.exists()


def test_the_database_named_on_the_command_line_is_used(cs, tmp_path, monkeypatch):
    other = tmp_path / "other.db"
    assert cs(["--db", str(other), "agent", "add", "chen", "--name", "陈静"]).exit_code == 0
    assert complete(f"--db {other} ticket list --agent") == ["chen"]


@pytest.mark.parametrize("shell,marker", [("bash", "complete -o nosort -F _cs_completion cs"),
                                          ("zsh", "compdef _cs_completion cs"),
                                          ("fish", "complete --no-files --command cs")])
def test_completion_scripts(shell, marker):
    result = subprocess.run([sys.executable, "-m", "cs", "completion", shell], capture_output=True, text=True,
                            check=True)
    assert marker in result.stdout and "_CS_COMPLETE" in result.stdout
