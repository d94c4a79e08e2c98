"""The SQLite file: opening it safely (owner-only, WAL, busy timeout, foreign keys), transactions, the
audit trail, and SQLite's low-level failures said in words. The schema comes from store.migrations."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3

from cs.core.errors import CSError, DatabaseLocked
from cs.core.i18n import _
from cs.store.paths import default_path  # noqa: F401 (cs.store.db.default_path, as before)

BUSY_TIMEOUT_S = 5.0


class Database:
    """One connection in autocommit mode; `transaction()` groups a command's writes."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path
        self.session = None  # who is writing and when, set by the CLI once it knows (see Session)
        self._null_defaults: dict[str, frozenset] = {}

    def execute(self, sql: str, params=()):
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows):
        return self.conn.executemany(sql, rows)

    def insert_rows(self, table: str, columns, rows: list[tuple]) -> None:
        """INSERT `rows` (tuples in `columns` order) into `table`, leaving out the columns that are None in every
        row and default to NULL, so what is stored is the same: Python's sqlite3 binds a None at three times the
        cost of a text (it looks for an adapter first), and imported rows leave most optional fields empty (half
        the time of an import's inserts)."""
        if not rows:
            return
        from cs.store.query import insert_sql

        if set(map(len, rows)) != {len(columns)}:  # rows of other lengths: sqlite3 refuses them as it always did
            self.conn.executemany(insert_sql(table, columns), rows)
            return
        by_column = list(zip(*rows))
        omittable = self._null_default_columns(table)
        keep = [i for i, values in enumerate(by_column)
                if columns[i] not in omittable or values.count(None) != len(values)]
        if len(keep) == len(columns) or not keep:  # nothing to leave out, or nothing left: all bound as given
            self.conn.executemany(insert_sql(table, columns), rows)
            return
        self.conn.executemany(insert_sql(table, [columns[i] for i in keep]), zip(*(by_column[i] for i in keep)))

    def _null_default_columns(self, table: str) -> frozenset:
        if table not in self._null_defaults:
            schema, _dot, name = table.rpartition(".")  # temp.x: PRAGMA temp.table_info(x)
            pragma = f"PRAGMA {schema}.table_info({name})" if schema else f"PRAGMA table_info({name})"
            self._null_defaults[table] = frozenset(row[1] for row in self.conn.execute(pragma) if row[4] is None)
        return self._null_defaults[table]

    def tuples(self, sql: str, params=()):
        """Rows as plain tuples, in the SELECT's order: a long listing reads them by position, where sqlite3.Row
        compares a name with each column's to find one."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params)

    def one(self, sql: str, params=()):
        return self.conn.execute(sql, params).fetchone()

    def value(self, sql: str, params=()):
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def all(self, sql: str, params=()):
        return self.conn.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE so a writer waits for the lock up front instead of failing mid-way."""
        if self.conn.in_transaction:
            yield self
            return
        if self.session is not None and self.session.refusal:
            raise CSError(self.session.refusal)
        refuse_writes_if_damaged(self.path)
        try:
            # Inside the try: an interrupt (Ctrl-C, a second SIGTERM) landing just after BEGIN still rolls back.
            with translate_errors(self.path):
                self.conn.execute("BEGIN IMMEDIATE")
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            with translate_errors(self.path):
                self.conn.execute("COMMIT")

    def audit(self, at: str, actor: str, action: str, entity: str, entity_id, before=None, after=None):
        """Record a change: the business actor and time, and the session's OS login and real clock. Every
        write passes here, so a back-dated write is caught here too."""
        session = self.session
        backdated = session is not None and session.is_backdated(at)
        if backdated and not session.may_backdate:
            raise CSError(session.backdate_refusal)
        if session is not None and session.enforced and session.is_postdated(at):
            raise CSError(_("{actor} may not record changes dated after the real clock ({at}); record them when they"
                            " happen").format(actor=actor, at=at))
        self.conn.execute(
            "INSERT INTO audit (at, actor, action, entity, entity_id, before, after, os_user, recorded_at, backdated)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (at, actor, action, entity, None if entity_id is None else str(entity_id),
             _json_or_none(before), _json_or_none(after), session and session.os_user,
             session and session.recorded_at, int(backdated)),
        )

    def schema_version(self) -> int:
        """How many migrations this file has had (each is recorded by name in _migrations)."""
        return self.value("SELECT COUNT(*) FROM _migrations")

    def close(self):
        self.conn.close()


class Session:
    """Who writes and when, beside the business actor and time: the OS login, the real clock, whether
    writing is allowed at all (an unmapped login reads only), and the back-dating rule."""

    def __init__(self, os_user: str, recorded_at: str, *, backdate_limit_s: int, may_backdate: bool,
                 refusal: str | None = None, backdate_refusal: str = "", enforced: bool = False):
        self.enforced = enforced
        self.os_user = os_user
        self.recorded_at = recorded_at
        self.backdate_limit_s = backdate_limit_s
        self.may_backdate = may_backdate
        self.refusal = refusal
        self.backdate_refusal = backdate_refusal
        self.earliest: str | None = None  # the earliest business time (--now, --at) this command uses

    def note(self, business_time: str) -> None:
        if self.earliest is None or business_time < self.earliest:
            self.earliest = business_time

    def is_postdated(self, at: str) -> bool:
        """Dated after the real clock by more than the limit: a record of what has not happened yet."""
        from datetime import datetime, timedelta

        limit = datetime.fromisoformat(self.recorded_at.replace("Z", "+00:00")) + timedelta(seconds=self.backdate_limit_s)
        return at > limit.strftime("%Y-%m-%dT%H:%M:%SZ")

    def is_backdated(self, at: str) -> bool:
        from datetime import datetime, timedelta

        earliest = min(filter(None, (at, self.earliest)))
        limit = datetime.fromisoformat(self.recorded_at.replace("Z", "+00:00")) - timedelta(seconds=self.backdate_limit_s)
        return earliest < limit.strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_or_none(value):
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def describe_error(exc: Exception, path) -> CSError | None:
    """The user-facing form of SQLite's low-level failures, or None for a genuine bug."""
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        if "locked" in text or "busy" in text:
            return DatabaseLocked(
                _("the database {path} stayed locked for more than {seconds:g} s; try again shortly")
                .format(path=path, seconds=BUSY_TIMEOUT_S)
            )
        if "unable to open" in text or "readonly" in text or "read-only" in text:
            return CSError(_("cannot open the database {path} ({error}); check the path and its permissions")
                           .format(path=path, error=text))
        return None
    if isinstance(exc, sqlite3.DatabaseError) and "malformed" in text:
        mark_damaged(path, text)
        return CSError(_("the database {path} is damaged ({error}): writes are refused; copy your last good backup"
                         " over it and run cs db check").format(path=path, error=text))
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return CSError(_("{path} is not a cs database ({error}); point --db or CS_DB at a cs database or a new file")
                       .format(path=path, error=text))
    return None


def damage_marker(path) -> str:
    """The note beside a database found damaged: while it exists, writes are refused (cs db check clears it).
    Beside the real file, so that every spelling of the path (a link, a relative path) finds the same note."""
    return f"{os.path.realpath(path)}.damaged"


def clear_damage_marker(path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(damage_marker(path))


def mark_damaged(path, what: str) -> None:
    """Leave the note, best effort (a read-only directory cannot take it; the error is still said)."""
    if not os.path.isfile(str(path)):
        return
    from datetime import datetime, timezone

    from cs.core import files

    try:
        fd = files.open_desk_file(damage_marker(path), os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "w", encoding="utf-8") as note:
            note.write(f"{datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')} {' '.join(what.split())}\n")
    except (OSError, CSError):
        pass


def refuse_writes_if_damaged(path) -> None:
    marker = damage_marker(path)
    if os.path.exists(marker):
        try:
            with open(marker, encoding="utf-8") as note:
                found = " ".join(note.read().split())[:200]
        except OSError:
            found = ""
        raise CSError(_("the database {path} was found damaged ({found}): writes are refused; copy your last good"
                        " backup over it and run cs db check (it lifts the refusal once the file is sound)")
                      .format(path=path, found=found or _("see cs db check")))


@contextlib.contextmanager
def translate_errors(path):
    try:
        yield
    except sqlite3.DatabaseError as exc:
        described = describe_error(exc, path)
        if described is None:
            raise
        raise described from exc


def _create_private_file(path: str) -> None:
    """Create the database owner-only (or the group's too in a group-shared directory) before SQLite opens it:
    its -wal and -shm files copy the mode."""
    from cs.core import files

    try:
        os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
        fd = files.open_desk_file(path, os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    except OSError as exc:
        raise CSError(_("cannot create the database {path}: {error}; check --db or CS_DB")
                      .format(path=path, error=files.os_reason(exc))) from None
    os.close(fd)
    clear_damage_marker(path)  # a note left from a file that is no longer there


def _spelled_as_pathlib_did(path: str) -> str:
    """`desk.db/` and `./desk.db` as `desk.db`: no trailing slash (which would make the file's folder), no '.'
    parts, no doubled slashes; '..' kept, as pathlib keeps it (pathlib itself costs every command 3 ms)."""
    if path == ":memory:" or not path:
        return path
    text = "/".join(part for part in path.split("/") if part not in ("", "."))
    return ("/" + text if path.startswith("/") else text) or "."


def connect(path, migrate: bool = True) -> Database:
    """Open (creating if needed) the database at `path`, migrated to this version's schema."""
    path = _spelled_as_pathlib_did(os.fspath(path))
    if path != ":memory:":
        if os.path.isdir(path):
            raise CSError(_("{path} is a directory; --db needs a database file").format(path=path))
        _create_private_file(path)
    with translate_errors(path):
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        db = Database(conn, path)
        from cs.store import migrations

        if migrate:
            migrations.migrate(db)
        else:
            migrations.refuse_newer(db)
    return db
