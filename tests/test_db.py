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


def _damage(path) -> None:
    """Overwrite 8 KiB in the middle of the file: pages of tickets and their indexes."""
    import random

    size = os.path.getsize(path)
    with open(path, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(random.Random(16).randbytes(8192))


def _digest(path) -> str:
    import hashlib

    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_a_damaged_database_refuses_writes_until_a_sound_copy_is_restored(cs, tmp_path):
    """SPEC section 16: a damaged database gives one Error line, refuses writes and says to restore a backup;
    cs db check finds it, and lifts the refusal once a sound copy is back. No backup is taken of it."""
    desk = str(tmp_path / "desk.db")
    assert cs(["--db", desk, "demo"]).exit_code == 0
    assert cs(["--db", desk, "db", "backup", str(tmp_path / "good.db")]).exit_code == 0
    with sqlite3.connect(desk) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage(desk)
    checked = cs(["--db", desk, "db", "check", "--json"])
    assert checked.exit_code == 1 and checked.json()["ok"] is False
    assert "backup over it" in checked.stderr
    assert os.path.exists(desk + ".damaged")
    before = _digest(desk)
    write = cs(["--db", desk, "--as", "zhang", "ticket", "add", "--channel", "phone", "--phone", "13800000000",
                "--category", "inquiry", "--summary", "损坏后写入"])
    assert write.exit_code == 1 and write.stderr.count("Error:") == 1 and "Traceback" not in write.stderr
    assert "damaged" in write.stderr and "backup over it" in write.stderr
    assert _digest(desk) == before
    refused = cs(["--db", desk, "db", "backup", str(tmp_path / "copy.db")])
    assert refused.exit_code == 1 and "damaged" in refused.stderr
    assert not os.path.exists(tmp_path / "copy.db") and os.listdir(tmp_path).count("copy.db") == 0

    os.replace(tmp_path / "good.db", desk)
    for leftover in (desk + "-wal", desk + "-shm"):
        if os.path.exists(leftover):
            os.unlink(leftover)
    assert cs(["--db", desk, "db", "check", "--json"]).json()["ok"] is True
    assert not os.path.exists(desk + ".damaged")
    again = cs(["--db", desk, "--as", "zhang", "ticket", "add", "--channel", "phone", "--phone", "13800000000",
                "--category", "inquiry", "--summary", "恢复后写入"])
    assert again.exit_code == 0, again.stderr


def test_the_nightly_job_finds_damage_before_it_writes(cs, tmp_path):
    """A write that never touches the damaged pages would succeed: daily-deductions runs SQLite's quick_check
    first, so damage is found within a day, and from then on every write is refused."""
    desk = str(tmp_path / "desk.db")
    assert cs(["--db", desk, "demo"]).exit_code == 0
    with sqlite3.connect(desk) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage(desk)
    before = _digest(desk)
    job = cs(["--db", desk, "jobs", "run", "daily-deductions"])
    assert job.exit_code == 1 and job.stderr.count("Error:") == 1 and "damaged" in job.stderr, job.stderr
    assert os.path.exists(desk + ".damaged")
    later = cs(["--db", desk, "--as", "zhang", "agent", "update", "zhang", "--mobile", "13900000000"])
    assert later.exit_code == 1 and "damaged" in later.stderr
    with sqlite3.connect(desk) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert _digest(desk) == before


def test_the_damage_note_and_lock_files_never_follow_a_planted_link(cs, tmp_path):
    """Review of issue 16: in a shared directory a colleague could plant a link named like the damage note or a
    job's lock file; cs truncated or chmod-ed the file it pointed to. Now the link is refused and the file untouched."""
    desk = str(tmp_path / "desk.db")
    assert cs(["--db", desk, "demo"]).exit_code == 0
    victim = tmp_path / "precious.txt"
    victim.write_text("precious", "utf-8")
    victim.chmod(0o600)
    os.symlink(victim, desk + ".daily-deductions.lock")
    job = cs(["--db", desk, "jobs", "run", "daily-deductions"])
    assert job.exit_code == 1 and "symbolic link" in job.stderr and job.stderr.count("Error:") == 1
    os.symlink(victim, desk + ".damaged")  # the note's name: a damaged desk would write it
    with sqlite3.connect(desk) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage(desk)
    cs(["--db", desk, "db", "check"])
    assert victim.read_text("utf-8") == "precious" and stat.S_IMODE(victim.stat().st_mode) == 0o600


def test_a_stale_note_neither_blocks_a_new_desk_nor_a_restored_one(cs, tmp_path):
    """A note left beside a path whose file is gone does not stop `db init` there; a note beside a sound older
    backup copied over the desk is lifted by `cs db check`, which looks before migrating."""
    desk = str(tmp_path / "desk.db")
    (tmp_path / "desk.db.damaged").write_text("old news\n", "utf-8")
    created = cs(["--db", desk, "db", "init"])
    assert created.exit_code == 0, created.stderr
    assert not os.path.exists(desk + ".damaged")
    assert cs(["--db", desk, "--as", "x", "agent", "add", "li", "--name", "李娜"]).exit_code == 0

    older = str(tmp_path / "older.db")
    with pytest.MonkeyPatch.context() as patch:  # a desk made by the cs before the last migration
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:-1])
        db_mod.connect(older).close()
    os.replace(older, desk)  # the backup of an older cs, as restored
    (tmp_path / "desk.db.damaged").write_text("2026-11-30T10:00:00Z database disk image is malformed\n", "utf-8")
    refused_write = cs(["--db", desk, "ticket", "list"])
    assert refused_write.exit_code == 1 and "cs db check" in refused_write.stderr
    checked = cs(["--db", desk, "db", "check", "--json"])
    assert checked.exit_code == 0 and checked.json()["ok"] is True, checked.stderr
    assert not os.path.exists(desk + ".damaged")
    assert cs(["--db", desk, "ticket", "list"]).exit_code == 0  # migrated now


def test_the_note_is_found_through_any_spelling_of_the_path(cs, tmp_path):
    """Noted through a link, refused through the real name (and db info says so)."""
    desk = str(tmp_path / "desk.db")
    assert cs(["--db", desk, "demo"]).exit_code == 0
    link = str(tmp_path / "link.db")
    os.symlink(desk, link)
    with sqlite3.connect(desk) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage(desk)
    assert cs(["--db", link, "db", "check"]).exit_code == 1
    write = cs(["--db", desk, "--as", "zhou", "agent", "add", "zz", "--name", "Z"])
    assert write.exit_code == 1 and "damaged" in write.stderr
    info = cs(["--db", desk, "db", "info", "--json"])
    if info.exit_code == 0:  # the damage may keep even the row counts from being read
        assert info.json()["access"]["may_write"] is False
        assert any("damaged" in warning for warning in info.json()["warnings"])


def test_insert_rows_leaves_out_only_empty_columns_that_default_to_null(tmp_path):
    """The bulk insert drops a column from its INSERT when every row leaves it empty (binding None is slow in
    Python's sqlite3): what is stored must be what binding every column would have stored."""
    database = db_mod.connect(str(tmp_path / "t.db"))
    database.execute("CREATE TABLE sample (id INTEGER PRIMARY KEY, name TEXT, note TEXT, tags TEXT NOT NULL"
                     " DEFAULT '[]', kept TEXT DEFAULT 'x')")
    columns = ("id", "name", "note", "tags", "kept")
    database.insert_rows("sample", columns, [(1, "王", None, "[]", None), (2, None, None, '["a"]', "y")])
    assert [tuple(row) for row in database.all("SELECT * FROM sample ORDER BY id")] == [
        (1, "王", None, "[]", None), (2, None, None, '["a"]', "y")]  # `kept` has a default: its None is bound
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):  # not left out to take the default either
        database.insert_rows("sample", columns, [(3, "李", None, None, None)])
    database.insert_rows("sample", columns, [(None, "赵", None, "[]", None)])  # no id: the next rowid
    assert tuple(database.one("SELECT * FROM sample WHERE name = '赵'")) == (3, "赵", None, "[]", None)
    database.insert_rows("sample", columns, [])
    assert database.value("SELECT COUNT(*) FROM sample") == 3


def test_insert_rows_binds_everything_when_nothing_or_not_all_could_be_left_out(tmp_path):
    """Found by review: a batch whose every column was empty built `INSERT INTO t () VALUES ()`, a schema-qualified
    table broke PRAGMA table_info, and rows of another length were cut to the shortest."""
    database = db_mod.connect(str(tmp_path / "t.db"))
    database.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, note TEXT)")
    database.insert_rows("plain", ("id", "note"), [(None, None)])
    assert tuple(database.one("SELECT * FROM plain")) == (1, None)
    database.execute("CREATE TEMP TABLE scratch (a TEXT, b TEXT)")
    database.insert_rows("temp.scratch", ("a", "b"), [("x", None)])
    assert tuple(database.one("SELECT * FROM temp.scratch")) == ("x", None)
    for rows in ([(2, None), (3,)], [(2, None, "x")]):  # refused as executemany refuses them, nothing cut away
        with pytest.raises(sqlite3.ProgrammingError):
            database.insert_rows("plain", ("id", "note"), rows)


def test_a_desk_path_with_a_trailing_slash_is_the_file(cs, tmp_path):
    """Found by review: without pathlib, `--db desk.db/` made a folder desk.db and failed."""
    result = cs(["--db", f"{tmp_path}/desk.db/", "db", "init"])
    assert result.exit_code == 0, result.stderr
    assert os.path.isfile(tmp_path / "desk.db")
