"""Looking after the database file: info, online backup, integrity check."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from cs.core.errors import CSError
from cs.core.i18n import _

TABLES = ("agents", "customers", "tickets", "ticket_events", "callbacks", "callback_events", "roster", "handovers",
          "duty_records", "violations", "deductions", "config_versions", "audit")


def info(db) -> dict:
    path = Path(db.path)
    size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    existing = {row[0] for row in db.all("SELECT name FROM sqlite_master WHERE type = 'table'")}
    from cs.store.migrations import MIGRATIONS

    return {
        "path": str(path.resolve()),
        "size_bytes": size,
        "schema_version": db.schema_version(),
        "schema_version_supported": len(MIGRATIONS),
        "journal_mode": db.value("PRAGMA journal_mode"),
        "mode": oct(stat.S_IMODE(path.stat().st_mode)),
        "tables": {name: db.value(f"SELECT COUNT(*) FROM {name}") for name in TABLES if name in existing},
        "warnings": _permission_warnings(path) + _damage_warnings(path),
    }


def _damage_warnings(path: Path) -> list[str]:
    from cs.store.db import damage_marker

    marker = damage_marker(path)
    if not os.path.exists(marker):
        return []
    with open(marker, encoding="utf-8", errors="replace") as note:
        found = " ".join(note.read().split())[:200]
    return [_("the database was found damaged ({found}); writes are refused until a good backup is copied over it and"
              " cs db check passes").format(found=found)]


def _permission_warnings(path: Path) -> list[str]:
    from cs.core import files

    mode = stat.S_IMODE(path.stat().st_mode)
    if files.group_shared(path.parent):  # a team's desk: the group may, others may not
        if mode & stat.S_IRWXO:
            return [_("{path} can be read by users outside its group (mode {mode}); run: chmod 660 {path}")
                    .format(path=path, mode=oct(mode))]
        return []
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return [_("{path} can be read by other users (mode {mode}); run: chmod 600 {path}").format(path=path,
                                                                                                 mode=oct(mode))]
    return []


def backup(db, target: str, *, force: bool = False) -> int:
    """SQLite's online backup API: a consistent snapshot even while other processes write."""
    import tempfile

    from cs.core import files

    target_path = Path(target)
    files.check_target(target_path)
    if target_path.resolve() == Path(db.path).resolve():
        raise CSError(_("the backup path is the database itself; choose another file"))
    if target_path.exists() and not force:
        raise CSError(_("{path} exists; choose a new file or pass --force to replace it").format(path=target))
    try:
        target_path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{target_path.name}.", suffix=".part", dir=target_path.parent)
    except OSError as exc:
        raise files.describe_os_error(exc, target) from None
    os.close(fd)  # owner-only, as mkstemp makes it
    destination = sqlite3.connect(temporary)
    try:
        db.conn.backup(destination)
        pages = destination.execute("PRAGMA page_count").fetchone()[0]
        # A copy of a damaged file would be restored one day as if it were sound.
        problems = _quick_check(destination)
        if problems:
            from cs.store.db import mark_damaged

            mark_damaged(db.path, problems)
            raise CSError(_("the database {path} is damaged ({problems}); the backup was not written: keep the"
                            " last good backup, and copy it over the database").format(path=db.path, problems=problems))
        # The copy is a standalone file: no -wal beside it.
        destination.execute("PRAGMA journal_mode = DELETE")
        destination.close()
        files.refuse_link(target_path)
        os.replace(temporary, target_path)  # the backup appears whole, or the old one stays
    except BaseException as exc:
        destination.close()
        for leftover in (temporary, f"{temporary}-journal", f"{temporary}-wal", f"{temporary}-shm"):
            Path(leftover).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise files.describe_os_error(exc, target) from None
        if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
            raise CSError(_("cannot write {path}: the disk is full; free some space and run it again")
                          .format(path=target)) from None
        raise
    return pages


def _quick_check(conn) -> str | None:
    """SQLite's quick_check (about 0.5 s for a year of a 100-seat centre, 390 MB): None when sound."""
    try:
        found = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if found == ["ok"] else "; ".join(found)[:200]


def refuse_if_damaged(db) -> None:
    """The nightly job's look at the file: a damaged one is noted (writes refused from now on) and refused."""
    from cs.store.db import mark_damaged, refuse_writes_if_damaged

    problems = _quick_check(db.conn)
    if problems:
        mark_damaged(db.path, problems)
    refuse_writes_if_damaged(db.path)


def check(db) -> dict:
    """SQLite's integrity and foreign-key checks. A damaged file is a finding, not an error: it is noted beside
    the database so that writes are refused until a check passes (a restored backup, say)."""
    from cs.store.db import clear_damage_marker, mark_damaged

    try:
        integrity = [row[0] for row in db.all("PRAGMA integrity_check")]
        foreign = [{"table": row[0], "rowid": row[1], "parent": row[2]}
                   for row in db.all("PRAGMA foreign_key_check")]
    except sqlite3.DatabaseError as exc:
        integrity, foreign = [str(exc)], []
    ok = integrity == ["ok"] and not foreign
    if integrity == ["ok"]:
        clear_damage_marker(db.path)
    else:  # foreign-key problems alone are reported, not a damaged file
        mark_damaged(db.path, "; ".join(integrity)[:200])
    return {"ok": ok, "integrity": integrity, "foreign_key_problems": foreign}
