"""Ticket import: JSON array, JSONL or CSV with the ticket JSON field names, streamed and all-or-nothing.

Rows are validated and inserted in batches inside one transaction; any bad row turns the
transaction into a rollback, so a file with one bad line writes nothing. Memory stays flat: the
file is read incrementally (a JSON array too) and only one batch is held at a time. `--dry-run`
runs the very same inserts and rolls them back, so it also finds id conflicts.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from datetime import datetime

from cs import clock, customers
from cs.enums import CATEGORIES, CHANNELS, PRIORITIES, STATUSES, VERDICTS, normalise
from cs.errors import CSError
from cs.tickets import FIELDS, MAX_SUMMARY, clean_tags, clean_text, due_times, index_for_search

BATCH = 1000
MAX_ERRORS_KEPT = 100
MAX_ITEM_CHARS = 16 * 1024 * 1024
DERIVED = {"breached"}  # accepted (export writes it) but recomputed from facts

_INSERT = (
    "INSERT INTO tickets (id, opened_at, channel, category, priority, status, summary, detail, customer_name,"
    " customer_phone, agent, department, about_agent, verdict, verdict_at, tags, first_response_at,"
    " first_response_due_at, resolved_at, resolve_due_at, pending_since, closed_at, resolution, fcr,"
    " satisfaction, created_by, updated_at, paused_s) VALUES (:id, :opened_at, :channel, :category, :priority, :status,"
    " :summary, :detail, :customer_name, :customer_phone, :agent, :department, :about_agent, :verdict,"
    " :verdict_at, :tags, :first_response_at, :first_response_due_at, :resolved_at, :resolve_due_at,"
    " :pending_since, :closed_at, :resolution, :fcr, :satisfaction, :created_by, :updated_at, :paused_s)"
)


class RowError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class FileError(Exception):
    """The file itself cannot be read further (broken JSON structure, bad encoding, bad header)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


# --- reading the file ---------------------------------------------------------------------


def detect_format(source: str, stream, fmt: str | None) -> str:
    if fmt:
        return fmt
    lowered = source.lower()
    for suffix, name in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"), (".csv", "csv")):
        if lowered.endswith(suffix):
            return name
    first = _peek_non_space(stream)
    if first == "[":
        return "json"
    if first == "{":
        return "jsonl"
    raise CSError(f"cannot tell the format of {source}; give --format json, jsonl or csv")


def _peek_non_space(stream) -> str:
    while True:
        chunk = stream.peek(64) if hasattr(stream, "peek") else b""
        text = chunk.lstrip(b"\xef\xbb\xbf \t\r\n")
        if text or not chunk:
            return text[:1].decode("ascii", "replace")
        stream.read(len(chunk))


def decoded_lines(binary):
    """Text lines of a UTF-8 file (a BOM is dropped); a bad byte is a FileError naming its line."""
    for number, raw in enumerate(binary, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileError(number, f"not UTF-8 text (byte {exc.start + 1} of the line); save the file as UTF-8") from None


class _LineReader:
    """read(n) over decoded lines, for the JSON array parser."""

    def __init__(self, lines):
        self.lines = lines

    def read(self, size: int) -> str:
        parts, total = [], 0
        for line in self.lines:
            parts.append(line)
            total += len(line)
            if total >= size:
                break
        return "".join(parts)


def iter_rows(binary, fmt: str):
    """Yield (line number, dict) pairs; malformed records yield (line, RowError)."""
    lines = decoded_lines(binary)
    if fmt == "jsonl":
        yield from _iter_jsonl(lines)
    elif fmt == "json":
        yield from _iter_json_array(_LineReader(lines))
    else:
        yield from _iter_csv(lines)


def _iter_jsonl(stream):
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowError("(line)", f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        yield number, item


def _iter_json_array(stream, chunk_size: int = 1 << 16):
    decoder = json.JSONDecoder()
    buffer, pos, line, eof = "", 0, 1, False

    def fill():
        nonlocal buffer, pos, eof
        more = stream.read(chunk_size)
        eof = not more
        buffer, pos = buffer[pos:] + more, 0

    def skip_space():
        nonlocal pos, line
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n":
                line += buffer[pos] == "\n"
                pos += 1
            if pos < len(buffer) or eof:
                return
            fill()

    fill()
    skip_space()
    if pos >= len(buffer) or buffer[pos] != "[":
        raise FileError(line, "a JSON import must be an array of ticket objects")
    pos += 1
    expect_item = True
    while True:
        skip_space()
        if pos >= len(buffer):
            raise FileError(line, "the JSON array is not closed with ]")
        if buffer[pos] == "]":
            return
        if not expect_item:
            if buffer[pos] != ",":
                raise FileError(line, f"expected , or ] between items, found {buffer[pos]!r}")
            pos += 1
            expect_item = True
            continue
        while True:
            try:
                item, end = decoder.raw_decode(buffer, pos)
                break
            except json.JSONDecodeError as exc:
                if eof or len(buffer) - pos > MAX_ITEM_CHARS:
                    raise FileError(line + buffer.count("\n", pos, exc.pos), f"not valid JSON: {exc.msg}") from None
                fill()
        yield line, item
        line += buffer.count("\n", pos, end)
        pos = end
        expect_item = False


def _csv_cell(value: str):
    """'' is a missing value; "'=..." is how export neutralised a formula-like cell: undo it."""
    if value == "":
        return None
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return value[1:]
    return value


def _iter_csv(stream):
    reader = csv.DictReader(stream)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise FileError(1, f"not valid CSV: {exc}") from None
    if not header:
        return
    unknown = [name for name in header if name not in FIELDS]
    if unknown:
        raise FileError(1, f"unknown column(s) {', '.join(map(repr, unknown))}; columns are the ticket JSON fields")
    start = 2
    try:
        for row in reader:
            if None in row:
                yield start, RowError("(line)", "more cells than header columns")
            else:
                yield start, {key: _csv_cell(value) for key, value in row.items()}
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileError(reader.line_num, f"not valid CSV: {exc}") from None


# --- checking one row ---------------------------------------------------------------------


class RowChecker:
    def __init__(self, ctx):
        self.ctx = ctx
        self.agents = {row["handle"] for row in ctx.db.all("SELECT handle FROM agents")}
        self._due_memo: dict = {}

    def implied_pause(self, opened, resolve_due, priority) -> int:
        """Working seconds a given deadline lies beyond the SLA: time the ticket spent pending.

        Export does not carry the pause, and a later priority change recomputes the deadline
        from opened_at + SLA + pause, so the pause is recovered from the deadline itself.
        """
        from cs.tickets import sla, working_seconds

        allowed = working_seconds(sla(self.ctx.config, priority)[1])
        return max(0, clock.working_seconds_between(opened, resolve_due, self.ctx.tz, self.ctx.calendar) - allowed)

    def due_times(self, opened, priority):
        """Deadlines for (opening time, priority), remembered: sheets repeat times to the minute."""
        key = (opened, priority)
        if key not in self._due_memo:
            if len(self._due_memo) > 50_000:
                self._due_memo.clear()  # bounded: memory stays flat on any file
            self._due_memo[key] = due_times(self.ctx, opened, priority)
        return self._due_memo[key]

    def time(self, row, key, required=False):
        value = row.get(key)
        if value is None:
            if required:
                raise RowError(key, "required")
            return None
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise RowError(key, f"{value!r} is not an ISO 8601 time such as 2026-11-20T09:30:00+08:00") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.ctx.tz)
        return parsed

    def enum(self, row, key, table, default=None):
        value = row.get(key)
        if value is None:
            if default is None:
                raise RowError(key, "required")
            return default
        try:
            return normalise(str(value), table, key)
        except CSError as exc:
            raise RowError(key, str(exc)) from None

    def text(self, row, key, limit=100_000, required=False):
        value = row.get(key)
        if value is not None and not isinstance(value, str):
            raise RowError(key, "must be text")
        try:
            return clean_text(value, key, limit, required)
        except CSError as exc:
            raise RowError(key, str(exc)) from None

    def agent(self, row, key):
        value = row.get(key)
        if value is None:
            return None
        if value not in self.agents:
            raise RowError(key, f"unknown agent {value!r}; add it with 'cs agent add' first")
        return value

    def check(self, row) -> dict:
        if not isinstance(row, dict):
            raise RowError("(line)", "each record must be an object with ticket fields")
        unknown = sorted(set(row) - set(FIELDS))
        if unknown:
            raise RowError(unknown[0], "unknown field; fields are those 'cs ticket export' writes")
        opened = self.time(row, "opened_at", required=True)
        out = {
            "id": _positive_int(row.get("id"), "id"),
            "opened_at": clock.to_db(opened),
            "channel": self.enum(row, "channel", CHANNELS),
            "category": self.enum(row, "category", CATEGORIES),
            "priority": self.enum(row, "priority", PRIORITIES, "normal"),
            "status": self.enum(row, "status", STATUSES, "open"),
            "summary": self.text(row, "summary", MAX_SUMMARY, required=True),
            "detail": self.text(row, "detail"),
            "customer_name": self.text(row, "customer_name", 200),
            "customer_phone": _phone(row.get("customer_phone")),
            "agent": self.agent(row, "agent"),
            "department": self.text(row, "department", 200),
            "about_agent": self.agent(row, "about_agent"),
            "resolution": self.text(row, "resolution"),
            "tags": json.dumps(_tags(row.get("tags")), ensure_ascii=False),
            "fcr": 1 if _boolean(row.get("fcr"), "fcr") else 0,
            "satisfaction": _satisfaction(row.get("satisfaction")),
            "created_by": self.text(row, "created_by", 200) or self.ctx.actor,
        }
        self._times(row, out, opened)
        out["verdict"] = self.enum(row, "verdict", VERDICTS, "") or None
        if out["verdict"] and out["category"] != "complaint":
            raise RowError("verdict", "only complaints take a verdict")
        out["verdict_at"] = (out["resolved_at"] or out["opened_at"]) if out["verdict"] else None
        return out

    def _times(self, row, out, opened):
        times = {key: self.time(row, key) for key in ("first_response_at", "resolved_at", "closed_at", "updated_at",
                                                       "first_response_due_at", "resolve_due_at")}
        first_due = resolve_due = None
        if times["first_response_due_at"] is None or times["resolve_due_at"] is None:
            first_due, resolve_due = self.due_times(opened, out["priority"])
        for key, value in times.items():
            if value is not None and key != "updated_at" and value < opened and not key.endswith("due_at"):
                raise RowError(key, "is before opened_at")
            out[key] = clock.to_db(value) if value is not None else None
        if out["resolve_due_at"] is None:
            out["resolve_due_at"], out["paused_s"] = resolve_due, 0
        else:
            out["paused_s"] = self.implied_pause(opened, times["resolve_due_at"], out["priority"])
        out["first_response_due_at"] = out["first_response_due_at"] or first_due
        out["updated_at"] = out["updated_at"] or self.ctx.now_db
        status = out["status"]
        if status in ("resolved", "closed") and not out["resolved_at"]:
            raise RowError("resolved_at", f"required when status is {status}")
        if status == "closed" and not out["closed_at"]:
            raise RowError("closed_at", "required when status is closed")
        if status not in ("resolved", "closed") and (out["resolved_at"] or out["closed_at"]):
            raise RowError("status", f"is {status} but the row has resolved_at or closed_at")
        if status == "open" and out["first_response_at"]:
            raise RowError("status", "is open but the row has first_response_at; an answered ticket is in_progress")
        if status in ("resolved", "closed") and not out["first_response_at"]:
            out["first_response_at"] = out["resolved_at"]
        # An exported pending ticket's resolve_due_at was projected to the moment of export, so its
        # pause starts again now.
        out["pending_since"] = self.ctx.now_db if status == "pending" else None


def _positive_int(value, key):
    if value is None:
        return None
    if isinstance(value, bool):
        raise RowError(key, f"{value!r} is not a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RowError(key, f"{value!r} is not a whole number") from None
    if number <= 0 or str(number) != str(value).strip() and not isinstance(value, int):
        raise RowError(key, f"{value!r} is not a positive whole number")
    return number


def _phone(value):
    if value is None:
        return None
    try:
        return customers.normalise_phone(str(value))
    except CSError as exc:
        raise RowError("customer_phone", str(exc)) from None


def _tags(value):
    if value is None:
        return []
    items = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise RowError("tags", "must be a list of text (in CSV: separated by ;)")
    try:
        return clean_tags(t for t in items if t.strip())
    except CSError as exc:
        raise RowError("tags", str(exc)) from None


def _boolean(value, key):
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "是"):
        return True
    if text in ("false", "0", "no", "否", ""):
        return False
    raise RowError(key, f"{value!r} is not true or false")


def _satisfaction(value):
    if value is None:
        return None
    number = _positive_int(value, "satisfaction")
    if not 1 <= number <= 5:
        raise RowError("satisfaction", "must be 1 to 5")
    return number


# --- the import ---------------------------------------------------------------------------


def _open_source(source: str):
    if source == "-":
        return sys.stdin.buffer
    try:
        return open(source, "rb")
    except OSError as exc:
        raise CSError(f"cannot read {source}: {exc.strerror}") from None


def import_file(ctx, source: str, *, fmt: str | None = None, dry_run: bool = False) -> dict:
    binary = _open_source(source)
    try:
        if not hasattr(binary, "peek"):
            binary = io.BufferedReader(binary)
        fmt = detect_format(source, binary, fmt)
        return _import_rows(ctx, iter_rows(binary, fmt), dry_run=dry_run, source=source)
    finally:
        if binary is not sys.stdin.buffer:
            binary.close()


class _Rollback(Exception):
    pass


class _IdAllocator:
    """Ids for rows that bring none: after the highest id in the database or given so far.

    Assigned here rather than by SQLite so a whole batch can be indexed for search at once.
    """

    def __init__(self, db):
        self.next_id = (db.value("SELECT MAX(id) FROM tickets") or 0) + 1

    def assign(self, given):
        if given is not None:
            self.next_id = max(self.next_id, given + 1)
            return given
        self.next_id += 1
        return self.next_id - 1


def _import_rows(ctx, rows, *, dry_run: bool, source: str) -> dict:
    checker = RowChecker(ctx)
    result = {"imported": 0, "dry_run": dry_run, "errors": [], "error_count": 0}
    ids = _IdAllocator(ctx.db)

    def fail(line, field, message):
        result["error_count"] += 1
        if len(result["errors"]) < MAX_ERRORS_KEPT:
            result["errors"].append({"line": line, "field": field, "message": message})

    try:
        with ctx.db.transaction():
            batch = []
            try:
                for line, row in rows:
                    try:
                        if isinstance(row, RowError):
                            raise row
                        checked = checker.check(row)
                        checked["id"] = ids.assign(checked["id"])
                        batch.append((line, checked))
                    except RowError as exc:
                        fail(line, exc.field, exc.message)
                    if len(batch) >= BATCH:
                        _write_batch(ctx, batch, result, fail)
                        batch = []
                _write_batch(ctx, batch, result, fail)
            except FileError as exc:
                fail(exc.line, "(file)", str(exc))
            if result["error_count"] or dry_run:
                raise _Rollback
            ctx.db.audit(ctx.now_db, ctx.actor, "ticket.import", "ticket", None, None,
                         {"source": source, "imported": result["imported"]})
    except _Rollback:
        pass
    if result["error_count"]:
        result["imported"] = 0
    return result


def _write_batch(ctx, batch, result, fail) -> None:
    if not batch or result["error_count"]:
        # Once a row is bad nothing will be kept; keep checking rows, skip the writes.
        return
    rows = [row for _, row in batch]
    ctx.db.executemany(
        "INSERT INTO customers (phone, name, created_at, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (phone) DO UPDATE SET name = COALESCE(customers.name, excluded.name)",
        [(r["customer_phone"], r["customer_name"], r["opened_at"], r["opened_at"]) for r in rows if r["customer_phone"]],
    )
    ctx.db.execute("SAVEPOINT batch")
    try:
        ctx.db.executemany(_INSERT, rows)
    except sqlite3.IntegrityError:
        # executemany stops at the clash with the rows before it written: undo them first.
        ctx.db.execute("ROLLBACK TO batch")
        ctx.db.execute("RELEASE batch")
        _find_conflicts(ctx, batch, fail)
        return
    ctx.db.execute("RELEASE batch")
    index_for_search(ctx.db, [(r["id"], r["summary"], r["detail"]) for r in rows])
    result["imported"] += len(rows)


def _find_conflicts(ctx, batch, fail) -> None:
    """A batch failed as a whole: say which lines clash (the transaction rolls back anyway)."""
    for line, row in batch:
        try:
            ctx.db.execute("SAVEPOINT one_row")
            ctx.db.execute(_INSERT, row)
            ctx.db.execute("RELEASE one_row")
        except sqlite3.IntegrityError as exc:
            ctx.db.execute("ROLLBACK TO one_row")
            ctx.db.execute("RELEASE one_row")
            field = "id" if "UNIQUE" in str(exc) or "PRIMARY" in str(exc) else "(row)"
            message = f"ticket id {row['id']} is already used (in the database or earlier in this file)"
            fail(line, field, message if field == "id" else str(exc))
