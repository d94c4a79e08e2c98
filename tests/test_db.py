"""The database layer: creation, permissions, migrations, refusals, backup, check, locking."""

import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from cs.core.errors import CSError
from cs.store import db as db_mod
from cs.store import migrations


def test_new_database_is_owner_only_wal_with_foreign_keys(tmp_path):
    path = tmp_path / "sub" / "cs.db"
    database = db_mod.connect(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert database.value("PRAGMA journal_mode") == "wal"
    assert database.value("PRAGMA foreign_keys") == 1
    assert database.value("PRAGMA busy_timeout") >= 5000
    assert database.schema_version() == len(migrations.MIGRATIONS)
    database.close()


def test_migrations_run_once_and_are_recorded(tmp_path):
    path = tmp_path / "cs.db"
    db_mod.connect(path).close()
    again = db_mod.connect(path)
    names = [row["name"] for row in again.all("SELECT name FROM _migrations ORDER BY version")]
    assert names == [step.__name__ for step in migrations.MIGRATIONS]
    again.close()


def test_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "cs.db"
    database = db_mod.connect(path)
    database.execute("INSERT INTO _migrations VALUES (999, 'm999_future', '2030-01-01T00:00:00Z')")
    database.close()
    with pytest.raises(CSError, match="newer than this cs understands"):
        db_mod.connect(path)


def test_migrations_are_checked_by_name_not_by_position(tmp_path):
    """A file that recorded the same migrations under other version numbers is up to date: nothing runs again."""
    path = tmp_path / "cs.db"
    db_mod.connect(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE _migrations SET version = version + 100")
    conn.close()
    database = db_mod.connect(path)  # a re-run of m001 would fail on CREATE TABLE config_versions
    assert database.schema_version() == len(migrations.MIGRATIONS)
    database.close()


def test_a_missing_migration_runs_even_when_later_ones_are_recorded(tmp_path, monkeypatch):
    path = tmp_path / "cs.db"
    db_mod.connect(path).close()

    def m000_forgotten(database):
        database.execute("CREATE TABLE forgotten (x)")

    monkeypatch.setattr(migrations, "MIGRATIONS", [m000_forgotten] + migrations.MIGRATIONS)
    database = db_mod.connect(path)
    assert database.value("SELECT COUNT(*) FROM sqlite_master WHERE name = 'forgotten'") == 1
    assert database.value("SELECT version FROM _migrations WHERE name = 'm000_forgotten'") == len(
        migrations.MIGRATIONS)
    database.close()


def test_an_unknown_migration_name_is_refused_even_at_a_low_version(tmp_path):
    path = tmp_path / "cs.db"
    db_mod.connect(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE _migrations SET name = 'm002_renamed_elsewhere' WHERE version = 2")
    conn.close()
    with pytest.raises(CSError, match="newer than this cs understands.*m002_renamed_elsewhere|m002_renamed_elsewhere"):
        db_mod.connect(path)


def test_a_failing_migration_leaves_nothing_behind(tmp_path, monkeypatch):
    path = tmp_path / "cs.db"
    db_mod.connect(path).close()

    def m999_broken(database):
        database.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS + [m999_broken])
    with pytest.raises(RuntimeError):
        db_mod.connect(path)
    check = sqlite3.connect(path)
    assert check.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None
    assert check.execute("SELECT MAX(version) FROM _migrations").fetchone()[0] == len(migrations.MIGRATIONS) - 1
    check.close()


def test_not_a_database_file_is_refused(cs, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    result = cs(["--db", str(junk), "ticket", "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "not a cs database" in result.stderr
    assert "Traceback" not in result.stderr
    assert junk.read_bytes() == b"this is not sqlite at all" * 100


def test_directory_as_database_is_refused(cs, tmp_path):
    result = cs(["--db", str(tmp_path), "agent", "list"])
    assert result.exit_code == 1 and "is a directory" in result.stderr


def test_db_info_reports_path_version_counts(cs, tmp_path):
    cs("agent add li --name 李娜")
    info = cs("db info --json").json()
    assert info["path"] == str((tmp_path / "cs.db").resolve())
    assert info["schema_version"] == len(migrations.MIGRATIONS)
    assert info["tables"]["agents"] == 1
    assert info["mode"] == "0o600"


def test_db_info_warns_when_others_can_read(cs, tmp_path):
    cs("agent list")
    os.chmod(tmp_path / "cs.db", 0o644)
    result = cs("db info --json")
    assert result.exit_code == 0
    assert "can be read by other users" in result.stderr


def test_backup_is_owner_only_complete_and_refuses_to_overwrite(cs, tmp_path):
    cs("agent add li --name 李娜")
    cs("ticket add --channel phone --category inquiry --summary 咨询积分")
    target = tmp_path / "backup.db"
    result = cs(["db", "backup", str(target)])
    assert result.exit_code == 0, result
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT summary FROM tickets").fetchall() == [("咨询积分",)]
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    again = cs(["db", "backup", str(target)])
    assert again.exit_code == 1 and "exists" in again.stderr
    assert cs(["db", "backup", str(target), "--force"]).exit_code == 0


def test_check_passes_on_a_healthy_database_and_fails_on_broken_foreign_keys(cs, tmp_path):
    assert cs("db check --json").json()["ok"] is True
    raw = sqlite3.connect(tmp_path / "cs.db")
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute(
        "INSERT INTO tickets (opened_at, channel, category, priority, status, summary, agent, first_response_due_at,"
        " resolve_due_at, created_by, updated_at) VALUES ('2026-11-20T01:00:00Z', 'phone', 'inquiry', 'normal',"
        " 'open', 'x', 'ghost', '2026-11-20T03:00:00Z', '2026-11-24T01:00:00Z', 't', '2026-11-20T01:00:00Z')"
    )
    raw.commit()
    raw.close()
    result = cs("db check --json")
    assert result.exit_code == 1
    assert result.json()["foreign_key_problems"][0]["table"] == "tickets"


def add_agent_while_locked(tmp_path, hold_seconds: float):
    """Run `cs agent add` in a subprocess while another process holds an exclusive lock for a while."""
    path = tmp_path / "cs.db"
    db_mod.connect(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None);"
         " c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(float(sys.argv[2]));"
         " c.execute('COMMIT')", str(path), str(hold_seconds)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        env = {**os.environ, "CS_DB": str(path)}
        return subprocess.run([sys.executable, "-m", "cs", "agent", "add", "li", "--name", "李娜"],
                              env=env, capture_output=True, text=True, timeout=60)
    finally:
        holder.kill()
        holder.wait()


def test_locked_database_exits_75(tmp_path):
    """Another process holds the write lock past the 5 s busy timeout: exit 75 so cron may retry."""
    result = add_agent_while_locked(tmp_path, 12)
    assert result.returncode == 75, result.stderr
    assert result.stderr.startswith("Error: ") and "locked" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_short_lock_is_waited_out(tmp_path):
    result = add_agent_while_locked(tmp_path, 1)
    assert result.returncode == 0, result.stderr
