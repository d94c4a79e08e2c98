"""Files cs writes (issue 16, SPEC section 16): never through a symbolic link, never half-written, and a
full disk or a read-only directory is one `Error:` line. The full-disk cases run on a real 2 MiB tmpfs
where the suite runs as root (CI does), and are skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers_tickets import add_ticket, ok, refused


@pytest.fixture
def desk(cs):
    ok(cs(["agent", "add", "li", "--name", "李娜"]))
    ok(cs(["roster", "set", "2026-11-20", "day", "li"]))
    add_ticket(cs, "来电咨询")
    return cs


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file a planted link points at (in the issue: the live database)."""
    path = tmp_path / "precious.db"
    path.write_bytes(b"the database")
    return path


WRITERS = {
    "report": lambda target: ["--now", "2026-11-20T18:05", "report", "shift", "--format", "html", "-o", str(target)],
    "listing": lambda target: ["ticket", "list", "--format", "csv", "-o", str(target)],
    "workbook": lambda target: ["ticket", "list", "--format", "xlsx", "-o", str(target)],
    "export": lambda target: ["ticket", "export", "-o", str(target)],
    "backup": lambda target: ["db", "backup", str(target), "--force"],
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_no_file_is_written_through_a_symbolic_link(desk, tmp_path, victim, writer):
    link = tmp_path / f"out-{writer}"
    link.symlink_to(victim)
    result = refused(desk(WRITERS[writer](link)))
    assert "symbolic link" in result.stderr
    assert victim.read_bytes() == b"the database" and link.is_symlink()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_file_is_replaced_whole_and_stays_owner_only(desk, tmp_path, writer):
    target = tmp_path / f"out-{writer}"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    ok(desk(WRITERS[writer](target)))
    assert target.read_bytes() != b"old" and target.stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_the_shift_reports_job_refuses_a_link_named_like_its_report(desk, tmp_path, victim):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "2026-11-20_白班_值班日志.html").symlink_to(victim)
    result = desk(["--now", "2026-11-20T18:30", "jobs", "run", "shift-reports", "--out", str(out)])
    assert result.exit_code == 1 and "symbolic link" in result.stderr and "Traceback" not in result.stderr
    assert victim.read_bytes() == b"the database"


def test_a_read_only_directory_is_one_error_line(desk, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes whatever the directory's mode (test_a_read_only_file_system_... covers root)")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = refused(desk(WRITERS["listing"](locked / "x.csv")))
    assert "permission denied" in result.stderr


# --------------------------------------------------------------------------- a full disk (root: a real tmpfs)


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a 2 MiB tmpfs (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_a_read_only_file_system_is_one_error_line(desk, small_disk):
    done = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot remount the tmpfs read-only here: {done.stderr.decode(errors='replace').strip()}")
    result = refused(desk(WRITERS["listing"](small_disk / "x.csv")))
    assert "the file system is read-only" in result.stderr


def _fill(cs, tickets: int) -> None:
    import json

    rows = "".join(json.dumps({"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry",
                               "summary": f"来电 {n} " + "咨询内容" * 40}, ensure_ascii=False) + "\n"
                   for n in range(tickets))
    source = Path(os.environ["CS_DB"]).parent / "many.jsonl"
    source.write_text(rows, encoding="utf-8")
    ok(cs(["ticket", "import", str(source)]))


def test_a_full_disk_leaves_the_old_file_and_no_part_file(desk, small_disk):
    _fill(desk, 6000)  # about 3 MiB of JSONL: more than the disk holds
    target = small_disk / "tickets.jsonl"
    target.write_text("yesterday's export\n", encoding="utf-8")
    result = refused(desk(WRITERS["export"](target)))
    assert "the disk is full" in result.stderr
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"
    assert [p.name for p in small_disk.iterdir()] == ["tickets.jsonl"]


def test_a_backup_onto_a_full_disk_is_one_error_line(desk, small_disk):
    _fill(desk, 6000)
    result = refused(desk(["db", "backup", str(small_disk / "cs-backup.db")]))
    assert "the disk is full" in result.stderr
    assert list(small_disk.iterdir()) == []


# --------------------------------------------------------------------------- a missing desk


@pytest.mark.parametrize("argv", [["ticket", "list"], ["jobs", "run", "daily-deductions"], ["report", "month"],
                                  ["db", "info"], ["deductions", "run"]])
def test_reads_and_jobs_refuse_a_missing_desk_and_create_nothing(cs, tmp_path, argv):
    """A mistyped CS_DB in cron must fail loudly, not succeed on a new empty desk."""
    typo = tmp_path / "typo.bd"
    result = refused(cs(["--db", str(typo)] + argv))
    assert f"no desk at {typo}" in result.stderr and "cs db init" in result.stderr
    assert not typo.exists()


def test_a_write_or_db_init_creates_a_desk_and_says_so(cs, tmp_path):
    created = cs(["--db", str(tmp_path / "new.db"), "ticket", "add", "--channel", "phone", "--category",
                  "inquiry", "--summary", "第一张工单"])
    assert created.exit_code == 0 and f"created a new desk at {tmp_path / 'new.db'}" in created.stderr
    init = ok(cs(["--db", str(tmp_path / "init.db"), "db", "init", "--timezone", "Asia/Shanghai"]))
    assert init.stdout.strip() == str(tmp_path / "init.db") and "created a new desk" in init.stderr
    again = refused(cs(["--db", str(tmp_path / "init.db"), "db", "init"]))
    assert "exists at" in again.stderr


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_nothing_is_written_over_the_desk_itself(desk, writer):
    database = Path(os.environ["CS_DB"])
    before = database.read_bytes()[:100]
    result = refused(desk(WRITERS[writer](database)))
    assert "the desk's own database file" in result.stderr or "the database itself" in result.stderr
    assert database.read_bytes()[:100] == before and ok(desk(["ticket", "list", "--json"])).json()
