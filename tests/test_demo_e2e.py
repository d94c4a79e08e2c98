"""`cs demo` and the installed `cs` run in a subprocess, the way people, cron and scripts run it."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

CS = shutil.which("cs")


def run(*args, env=None, input=None):
    command = [CS] if CS else [sys.executable, "-m", "cs"]
    return subprocess.run(command + list(args), capture_output=True, text=True, env={**os.environ, **(env or {})},
                          input=input, timeout=120)


def test_demo_builds_a_centre_and_shows_a_tour(tmp_path):
    target = tmp_path / "demo.db"
    result = run("demo", "--db", str(target))
    assert result.returncode == 0, result.stderr
    assert "Demo centre built" in result.stdout and "Try it yourself" in result.stdout
    env = {"CS_DB": str(target)}
    tickets = json.loads(run("ticket", "list", "--json", env=env).stdout)
    assert len(tickets) > 50
    assert {t["status"] for t in tickets} >= {"in_progress", "resolved", "closed"}
    assert any(t["breached"] for t in tickets) and not all(t["breached"] for t in tickets)
    assert any(t["verdict"] == "upheld" for t in tickets)
    agents = json.loads(run("agent", "list", "--json", env=env).stdout)
    assert {a["role"] for a in agents} == {"agent", "leader", "supervisor"}
    assert json.loads(run("db", "check", "--json", env=env).stdout)["ok"] is True
    # Yesterday's hotline, per shift and per agent: each answered call at an agent's extension.
    assert "Yesterday's hotline" in result.stdout and "By agent" in result.stdout
    yesterday = re.search(r"cs calls stats --date (\S+)\)", result.stdout).group(1)
    calls = json.loads(run("calls", "stats", "--date", yesterday, "--json", env=env).stdout)
    assert calls["offered"] >= 10 and 0.5 < calls["answer_rate"] <= 1
    assert {row["agent"] for row in calls["by_agent"]} - {None} <= {a["handle"] for a in agents if a["extension"]}


def test_demo_is_deterministic_for_a_given_now(tmp_path):
    env = {"CS_NOW": "2026-11-20T18:00+08:00"}
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    assert run("demo", "--db", str(first), env=env).returncode == 0
    assert run("demo", "--db", str(second), env=env).returncode == 0
    dump = [run("ticket", "export", "--format", "jsonl", env={**env, "CS_DB": str(p)}).stdout for p in (first, second)]
    assert dump[0] == dump[1] and dump[0].count("\n") > 50


def test_demo_never_overwrites_a_database_with_tickets(tmp_path):
    target = tmp_path / "real.db"
    env = {"CS_DB": str(target)}
    run("ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "真实数据", env=env)
    result = run("demo", env=env)
    assert result.returncode == 1 and "already holds 1 tickets" in result.stderr
    assert len(json.loads(run("ticket", "list", "--json", env=env).stdout)) == 1


def test_default_demo_goes_to_its_own_file(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path), "CS_DB": ""}
    assert run("demo", env=env).returncode == 0
    assert (tmp_path / "cs" / "demo.db").exists() and not (tmp_path / "cs" / "cs.db").exists()
    assert run("demo", env=env).returncode == 0  # the demo file is rebuilt, not refused


def test_installed_cs_full_cycle_with_pipes(tmp_path):
    env = {"CS_DB": str(tmp_path / "cs.db"), "CS_NOW": "2026-11-20T09:30+08:00", "CS_TZ": "Asia/Shanghai",
           "CS_AGENT": "li"}
    assert run("agent", "add", "li", "--name", "李娜", env=env).stdout == "li\n"
    added = run("ticket", "add", "--channel", "来电", "--category", "投诉", "--summary", "空调漏水没人管",
                "--phone", "13800138000", env=env)
    assert added.returncode == 0 and added.stdout == "1\n" and added.stderr == ""
    assert run("ticket", "respond", "1", env=env).returncode == 0
    resolved = json.loads(run("ticket", "resolve", "1", "--resolution", "已维修", "--json",
                              env={**env, "CS_NOW": "2026-11-20T10:00+08:00"}).stdout)
    assert resolved["status"] == "resolved" and resolved["breached"] is False
    exported = run("ticket", "export", "--format", "jsonl", env=env).stdout
    other = {**env, "CS_DB": str(tmp_path / "other.db")}
    run("agent", "add", "li", "--name", "李娜", env=other)
    imported = run("ticket", "import", "-", "--format", "jsonl", env=other, input=exported)
    assert imported.returncode == 0, imported.stderr
    assert "imported 1 ticket" in imported.stderr
    assert json.loads(run("ticket", "show", "1", "--json", env=other).stdout)["summary"] == "空调漏水没人管"


def test_the_process_ends_quickly_yet_leaves_everything_finished(tmp_path):
    """cs ends with os._exit (issue 22: tearing the interpreter down cost more than many commands' work): the desk
    must still be closed (its WAL checkpointed into the file, nothing left for a copy of the .db to miss), every
    line of a long listing written, exit codes kept, and a reader that stops early is no error."""
    env = {"CS_DB": str(tmp_path / "cs.db"), "CS_NOW": "2026-11-20T09:30+08:00", "CS_TZ": "Asia/Shanghai",
           "CS_AGENT": "li", "CS_LANG": "en"}
    run("agent", "add", "li", "--name", "李娜", env=env)
    rows = "".join(json.dumps({"opened_at": f"2026-11-19T{9 + n % 10:02d}:{n % 60:02d}:00+08:00", "channel": "phone",
                               "category": "inquiry", "summary": f"第{n}号咨询"}) + "\n" for n in range(3000))
    assert run("ticket", "import", "-", "--format", "jsonl", env=env, input=rows).returncode == 0
    wal = tmp_path / "cs.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    listed = run("ticket", "list", "--format", "csv", env=env)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 3001
    assert run("ticket", "show", "99999", env=env).returncode == 1 and run("nosuch", env=env).returncode == 2
    command = [CS] if CS else [sys.executable, "-m", "cs"]
    piped = subprocess.run(["bash", "-c", "set -o pipefail; " + " ".join(command) + " ticket list --format csv | head -1"],
                           capture_output=True, text=True, env={**os.environ, **env}, timeout=60)
    assert piped.returncode == 0 and piped.stdout.startswith("id,") and "Error" not in piped.stderr
    closed = subprocess.run(["bash", "-c", " ".join(command) + " --version >&-; echo $?"], capture_output=True,
                            text=True, env={**os.environ, **env}, timeout=60)  # cron may start a job so
    assert closed.stdout == "0\n" and "Traceback" not in closed.stderr, closed


def test_user_mistakes_never_show_a_traceback(tmp_path):
    env = {"CS_DB": str(tmp_path / "cs.db")}
    for args, code in [
        (["ticket", "add", "--channel", "pigeon", "--category", "inquiry", "--summary", "x"], 2),
        (["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", " "], 1),
        (["ticket", "show", "99"], 1),
        (["ticket", "list", "--since", "someday"], 2),
        (["--tz", "Mars/Base", "ticket", "list"], 2),
        (["ticket", "list", "--sort", "colour"], 2),
        (["config", "set", "contact_hours", "all day"], 1),
        (["--now", "yesterday-ish", "ticket", "list"], 2),
    ]:
        result = run(*args, env=env)
        assert result.returncode == code, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stdout == ""
        assert result.stderr.strip().splitlines()[-1].startswith("Error:"), (args, result.stderr)


def test_version_and_help_do_not_touch_the_database(tmp_path):
    env = {"CS_DB": str(tmp_path / "never.db")}
    assert run("--version", env=env).stdout.startswith("cs, version")
    assert "ticket" in run("--help", env=env).stdout
    assert not (tmp_path / "never.db").exists()


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
def test_cs_format_environment_sets_the_default(tmp_path, fmt):
    env = {"CS_DB": str(tmp_path / "cs.db"), "CS_FORMAT": fmt}
    run("agent", "add", "li", "--name", "李娜", env=env)
    out = run("agent", "list", env=env).stdout
    assert ("handle" in out.splitlines()[0]) if fmt != "jsonl" else json.loads(out)["handle"] == "li"


def test_demo_has_a_roster_duties_handovers_and_scores(tmp_path):
    env = {"CS_NOW": "2026-11-20T16:00+08:00", "CS_TZ": "Asia/Shanghai", "CS_DB": str(tmp_path / "demo.db")}
    assert run("demo", "--db", str(tmp_path / "demo.db"), env=env).returncode == 0
    now = json.loads(run("shift", "now", "--json", env=env).stdout)
    assert {row["shift"] for row in now} == {"day", "late"} and all(row["agents"] for row in now)
    duties = json.loads(run("duty", "list", "--date", "yesterday", "--json", env=env).stdout)
    assert duties and any(row["done"] for row in duties)
    assert json.loads(run("handover", "list", "--open", "--json", env=env).stdout)
    scores = json.loads(run("score", "--json", env=env).stdout)
    assert len(scores) == 9 and any(row["points"] > 0 for row in scores)
    assert any(row["fines"] == 40 for row in scores)  # off task twice: 10 + 30 yuan


def test_the_tour_shows_a_days_kaohe_with_its_seed_lines(tmp_path):
    """Issue 17: a newcomer sees the duty rota, the memo rule and a second offence at once, each with its seed."""
    env = {"CS_NOW": "2026-11-21T09:00+08:00", "CS_TZ": "Asia/Shanghai"}
    result = run("demo", "--db", str(tmp_path / "demo.db"), env=env)
    assert result.returncode == 0, result.stderr
    tour = result.stdout
    assert "A day's 考核, with the seed line behind each rule (cs deductions explain zhang --date 2026-11-16)" in tour
    for line in ("duty clean_store (打扫门店卫生区域) not done on 2026-11-16 (值日表: their turn)",
                 "依据 000: 打扫门店卫生区域(按值日表双方协调)未打扫一次扣1分",
                 "day shift of 2026-11-16 (09:00–18:00) ended with no memo",
                 "依据 001: 客服值班人员在当班期间无论是否有事情未来得及处理,都必须填写备忘录",
                 "上班做与工作无关的事 (off_task): 0 points, fine 30"):
        assert line in tour, line
    env["CS_DB"] = str(tmp_path / "demo.db")
    assert json.loads(run("roster", "check", "--month", "2026-11", "--json", env=env).stdout) == []
    memos = json.loads(run("handover", "list", "--date", "2026-11-15", "--json", env=env).stdout)
    assert memos and all(m["nothing_left"] or m["party"] for m in memos)


def test_the_readmes_day_of_kaohe_is_what_the_demo_gives(tmp_path):
    """The README's "A day's 考核" is this demo's output, word for word (explain and the month's scores)."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    env = {"CS_NOW": "2026-11-21T09:00+08:00", "CS_TZ": "Asia/Shanghai", "CS_DB": str(tmp_path / "demo.db"),
           "COLUMNS": "120"}
    assert run("demo", env=env).returncode == 0
    for argv in (("deductions", "explain", "zhang", "--date", "2026-11-16"), ("score", "--month", "2026-11")):
        shown = run(*argv, env=env).stdout.rstrip("\n")
        assert f"$ cs {' '.join(argv)}\n{shown}\n" in readme, shown


def test_a_closed_pipe_ends_quietly_with_exit_0(tmp_path):
    """Issue 19 (section 17): `cs ... | head -1` exited 1. The reader closing the pipe is success, and nothing is
    said about it."""
    env = {**os.environ, "CS_DB": str(tmp_path / "demo.db")}
    assert run("demo", env=env).returncode == 0
    command = ([CS] if CS else [sys.executable, "-m", "cs"]) + ["ticket", "list", "--limit", "500", "--json"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout.readline().strip() == b"["
    proc.stdout.close()  # as `head -1` does
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""


def test_the_demo_has_a_engineering_department_with_dispatches_in_every_state(tmp_path):
    """Issue 20: `cs demo` includes a 工程部 with dispatches sent, accepted and done (some late)."""
    env = {"CS_NOW": "2026-11-20T18:30+08:00", "CS_TZ": "Asia/Shanghai", "CS_DB": str(tmp_path / "demo.db")}
    shown = run("demo", env=env)
    assert shown.returncode == 0 and "cs dispatch list --open" in shown.stdout
    departments = {d["code"]: d for d in json.loads(run("dept", "list", "--json", env=env).stdout)}
    assert departments["eng"]["name"] == "工程部" and departments["eng"]["head"] == "wang"
    listed = json.loads(run("dispatch", "list", "--json", env=env).stdout)
    assert {d["status"] for d in listed} == {"sent", "accepted", "done"}
    assert {d["status"] for d in listed if d["department"] == "eng"} >= {"sent", "accepted", "done"}
    assert any(d["overdue"] for d in listed) and any(not d["overdue"] for d in listed)
