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
import operator
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from cs import clock, customers, sheets
from cs.errors import CSError
from cs.labels import LABELS
from cs.sheets import FileError, decoded_lines
from cs.tickets import FIELD_CHECKS, FIELDS, clean_tags, clean_text, due_times, index_for_search

BATCH = 1000
MAX_ERRORS_KEPT = 100
MAX_ITEM_CHARS = 16 * 1024 * 1024

_INSERT = (
    "INSERT INTO tickets (id, opened_at, channel, category, priority, status, summary, detail, customer_name,"
    " customer_phone, agent, department, about_agent, verdict, verdict_at, tags, first_response_at,"
    " first_response_due_at, resolved_at, resolve_due_at, pending_since, closed_at, resolution, fcr,"
    " satisfaction, created_by, updated_at, paused_s) VALUES (:id, :opened_at, :channel, :category, :priority, :status,"
    " :summary, :detail, :customer_name, :customer_phone, :agent, :department, :about_agent, :verdict,"
    " :verdict_at, :tags, :first_response_at, :first_response_due_at, :resolved_at, :resolve_due_at,"
    " :pending_since, :closed_at, :resolution, :fcr, :satisfaction, :created_by, :updated_at, :paused_s)"
)


# The same statement with ? placeholders: binding tuples is cheaper than dicts on bulk inserts.
_COLUMNS = re.findall(r":(\w+)", _INSERT)
_INSERT_POSITIONAL = re.sub(r":\w+", "?", _INSERT)
_AS_TUPLE = operator.itemgetter(*_COLUMNS)


class RowError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# --- reading the file ---------------------------------------------------------------------

_SUFFIXES = ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"), (".csv", "csv"), (".xlsx", "xlsx"),
             (".xlsm", "xlsx"))


def detect_format(source: str, stream, fmt: str | None) -> str:
    if fmt:
        return fmt
    lowered = source.lower()
    if lowered.endswith((".xls", ".et", ".numbers", ".ods")):
        raise CSError(f"{source}: this spreadsheet format cannot be read; save it as .xlsx or CSV and import that")
    for suffix, name in _SUFFIXES:
        if lowered.endswith(suffix):
            return name
    if stream.peek(4)[:4] == b"PK\x03\x04":
        return "xlsx"  # a workbook is a zip file
    first = _peek_non_space(stream)
    if first == "[":
        return "json"
    if first == "{":
        return "jsonl"
    raise CSError(f"cannot tell the format of {source}; give --format json, jsonl, csv or xlsx")


def _peek_non_space(stream) -> str:
    while True:
        chunk = stream.peek(64) if hasattr(stream, "peek") else b""
        text = chunk.lstrip(b"\xef\xbb\xbf \t\r\n")
        if text or not chunk:
            return text[:1].decode("ascii", "replace")
        stream.read(len(chunk))


class _ChunkReader:
    """read(n) of decoded text in fixed-size chunks, for the JSON array parser.

    Reading by chunks, not lines, keeps memory flat for a minified array on a single line; a bad
    byte is reported at the line it is on.
    """

    def __init__(self, binary, chunk_size: int = 1 << 16):
        import codecs

        self.binary = binary
        self.chunk_size = chunk_size
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.lines = 1

    def read(self, size: int) -> str:
        raw = self.binary.read(max(size, self.chunk_size))
        try:
            text = self.decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            line = self.lines + raw[: max(exc.start, 0)].count(b"\n")
            raise FileError(line, "not UTF-8 text; save the file as UTF-8") from None
        self.lines += raw.count(b"\n")
        return text


def iter_rows(binary, fmt: str, sheet_options=None, info: dict | None = None):
    """Yield (line or sheet row number, record) pairs; malformed records yield (line, RowError).

    For CSV and xlsx, `info` receives the table read (sheet, encoding, header row, column plan).
    """
    if fmt == "json":
        yield from _iter_json_array(_ChunkReader(binary))
    elif fmt == "jsonl":
        yield from _iter_jsonl(decoded_lines(binary))
    else:
        yield from _iter_sheet(binary, fmt, sheet_options or SheetOptions(), info if info is not None else {})


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


@dataclass
class SheetOptions:
    """What the user says about a sheet: which one, columns to fields, values to codes, defaults."""

    sheet: str | None = None
    maps: dict = field(default_factory=dict)
    value_maps: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, fields, *, sheet=None, maps=(), values=(), defaults=()) -> "SheetOptions":
        return cls(sheet=sheet, maps=sheets.parse_pairs(maps, "--map", fields, allow_empty=True),
                   value_maps=sheets.parse_value_maps(values, fields),
                   defaults=sheets.parse_pairs(defaults, "--default", fields, allow_empty=False))


def open_table(binary, fmt: str, options: SheetOptions, known_header):
    if fmt == "xlsx":
        return sheets.xlsx_table(binary, known_header, options.sheet)
    if options.sheet is not None:
        raise CSError("--sheet is for .xlsx workbooks; a CSV file has one table")
    return sheets.csv_table(binary, known_header)


def plan_columns(table, options: SheetOptions, fields, aliases, joinable, info: dict) -> sheets.ColumnPlan:
    """The column plan, shown in `info` even when a column is unknown (the dry run lists what was understood)."""
    try:
        plan = sheets.ColumnPlan.build(table.columns, field_names=fields, aliases=aliases, maps=options.maps,
                                       joinable=joinable)
        info.update(table=describe_table(table, plan), plan=plan)
        plan.require_known()
    except CSError as exc:
        raise FileError(table.header_row, str(exc)) from None
    return plan


def sheet_records(table, plan, options: SheetOptions, csv_cells: bool, numeric_fields):
    """(row number, record) for each data row of a table, with the user's value maps and defaults.

    A number cell in a text field (a phone, a name, an agent's number) is its text: 13800138000, not 1.38e10.
    """
    for number, cells in table.rows:
        if csv_cells:
            cells = [_csv_cell(cell) for cell in cells]
        try:
            record = plan.record(cells)
        except ValueError as exc:
            yield number, RowError("(line)", str(exc))
            continue
        for name, value in record.items():
            if name not in numeric_fields and isinstance(value, (int, float)) and not isinstance(value, bool):
                record[name] = str(sheets.whole_number_text(value))
        yield number, sheets.translate_values(record, options.value_maps, options.defaults)


def describe_table(table, plan) -> dict:
    return {"sheet": table.sheet, "encoding": table.encoding, "header_row": table.header_row,
            "columns": plan.mapping()}


def _iter_sheet(binary, fmt, options: SheetOptions, info: dict):
    table = open_table(binary, fmt, options, _known_ticket_header)
    if not table.columns:
        return
    plan = plan_columns(table, options, FIELDS, TICKET_HEADERS, _joinable, info)
    records = sheet_records(table, plan, options, csv_cells=fmt == "csv",
                            numeric_fields=_TIME_FIELDS | {"id", "satisfaction", "fcr"})
    if "status" in plan.fields.values() or "status" in options.defaults:
        yield from records
    else:
        yield from ((number, _with_inferred_status(record)) for number, record in records)


def _with_inferred_status(record):
    """A sheet without a status column says a ticket was finished by holding a resolution (or the time it was
    resolved or closed); without a time of its own, it was resolved when it was recorded."""
    if isinstance(record, RowError):
        return record
    if record.get("closed_at") is not None:
        record["status"] = "closed"
    elif record.get("resolved_at") is not None or record.get("resolution") is not None:
        record["status"] = "resolved"
    if "status" in record and record.get("resolved_at") is None and record.get("opened_at") is not None:
        record["resolved_at"] = record["opened_at"]
    return record


# Headers of the 来访来电咨询投诉记录表 centres keep, and our own table labels, -> ticket fields.
TICKET_HEADERS = {
    **{alias: "opened_at" for alias in (
        "日期", "时间", "来电时间", "来访时间", "来电日期", "来访日期", "受理日期", "登记时间", "登记日期",
        "接待时间", "反映时间", "投诉时间", "报修时间", "发生时间")},
    **{alias: "customer_name" for alias in (
        "客户姓名", "姓名", "业主", "业主姓名", "客户名称", "来电人", "来访人", "联系人", "投诉人", "报修人",
        "来电客户")},
    **{alias: "customer_phone" for alias in (
        "联系电话", "手机", "手机号", "手机号码", "电话号码", "联系方式", "来电号码", "客户电话")},
    **{alias: "category" for alias in ("类型", "事项类型", "问题类型", "分类", "事项类别", "问题类别", "来电类型")},
    **{alias: "summary" for alias in (
        "内容", "问题描述", "事由", "来电内容", "来访内容", "来访事由", "反映内容", "投诉内容", "报修内容", "主要内容",
        "诉求", "事项", "咨询内容", "问题")},
    **{alias: "detail" for alias in ("详细情况", "情况说明", "备注", "详细内容")},
    **{alias: "resolution" for alias in (
        "处理情况", "处理意见", "答复内容", "解决方案", "处理措施", "回复内容", "处理结果及回复")},
    **{alias: "agent" for alias in (
        "接待人", "记录人", "经办人", "处理人", "接听人", "值班人", "客服", "坐席", "受理客服", "登记人")},
    **{alias: "channel" for alias in ("方式", "来源", "来电方式", "受理方式", "反映方式", "受理渠道")},
    **{alias: "priority" for alias in ("紧急程度",)},
    **{alias: "status" for alias in ("处理状态", "工单状态")},
    **{alias: "department" for alias in ("责任部门", "部门", "转办部门")},
    **{alias: "resolved_at" for alias in ("处理时间", "完成时间", "办结时间", "解决日期")},
    **{alias: "satisfaction" for alias in ("客户评价", "满意程度")},
    **{alias: "id" for alias in ("工单号", "工单编号")},
    # Our own column labels (zh, en), so an exported workbook comes back in.
    **{label: name for name in FIELDS for label in LABELS.get(name, ())},
}
_TIME_FIELDS = {"opened_at", "first_response_at", "first_response_due_at", "resolved_at", "resolve_due_at",
                "closed_at", "updated_at"}
_KNOWN_HEADERS = {sheets.header_key(name) for name in (*FIELDS, *TICKET_HEADERS)}


def _joinable(name: str) -> bool:
    return name in _TIME_FIELDS or name in ("summary", "detail", "resolution")


def _known_ticket_header(text: str) -> bool:
    return sheets.header_key(text) in _KNOWN_HEADERS


# --- checking one row ---------------------------------------------------------------------


class RowChecker:
    def __init__(self, ctx):
        self.ctx = ctx
        self.agents = {row["handle"] for row in ctx.db.all("SELECT handle FROM agents")}
        self._names = None
        self._due_memo: dict = {}
        self.converters = self._converters()
        self.template = {column: None for column in _COLUMNS}
        self.template.update(priority="normal", status="open", tags="[]", fcr=0, paused_s=0)

    def implied_pause(self, opened: str, resolve_due: str, priority: str) -> int:
        """Working seconds a given deadline lies beyond the SLA: time the ticket spent pending.

        Export does not carry the pause, and a later priority change recomputes the deadline
        from opened_at + SLA + pause, so the pause is recovered from the deadline itself.
        """
        from cs.tickets import sla, working_seconds

        allowed = working_seconds(sla(self.ctx.config, priority)[1])
        worked = clock.working_seconds_between(clock.from_db(opened), clock.from_db(resolve_due), self.ctx.tz,
                                               self.ctx.calendar)
        return max(0, worked - allowed)

    def due_times(self, opened: str, priority: str):
        """Deadlines for (opening time, priority), remembered: sheets repeat times to the minute."""
        key = (opened, priority)
        if key not in self._due_memo:
            if len(self._due_memo) > 50_000:
                self._due_memo.clear()  # bounded: memory stays flat on any file
            self._due_memo[key] = due_times(self.ctx, clock.from_db(opened), priority)
        return self._due_memo[key]

    # One converter per field, (key, value) -> stored value; only fields present in a row are visited.

    def _time(self, key, value):
        parsed = None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
        if parsed is None:
            parsed = sheets.sheet_time(value)
        if parsed is None:
            raise RowError(key, f"{value!r} is not a time such as 2026-11-20T09:30:00+08:00, 2026/11/20 9:30 or"
                                " 2026年11月20日 9时30分")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.ctx.tz)
        try:
            stored = clock.to_db(parsed)
        except (ValueError, OverflowError):
            stored = ""
        if not "1970" <= stored < "9999":
            raise RowError(key, f"{value!r} is out of range: use a time from 1970 to 9998")
        return stored

    def _agent(self, key, value):
        """A handle, or the name of exactly one agent (sheets say 张三, not zhangsan)."""
        value = sheets.whole_number_text(value)
        if isinstance(value, str):
            value = value.strip()
            if value in self.agents:
                return value
            handles = self._agent_names().get(value, [])
            if len(handles) == 1:
                return handles[0]
            if len(handles) > 1:
                raise RowError(key, f"{len(handles)} agents are called {value!r} ({', '.join(handles)}); "
                                    f"say which with --value {key}:{value}=HANDLE")
        raise RowError(key, f"unknown agent {value!r}; add it with 'cs agent add' first, or name its handle with"
                            f" --value {key}:{value}=HANDLE")

    def _agent_names(self) -> dict:
        if self._names is None:
            self._names = {}
            for row in self.ctx.db.all("SELECT handle, name FROM agents ORDER BY handle"):
                self._names.setdefault(row["name"], []).append(row["handle"])
        return self._names

    @staticmethod
    def _shared(check):
        """A check of cs.tickets for one text field, reporting its refusal against the row."""

        def convert(key, value):
            if key == "customer_phone" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # a JSON number is a fine phone number
            if not isinstance(value, str):
                raise RowError(key, "must be text")
            try:
                return check(value)
            except CSError as exc:
                raise RowError(key, str(exc)) from None

        return convert

    def _converters(self) -> dict:
        converters = {key: self._shared(check) for key, check in FIELD_CHECKS.items()}
        converters.update({
            "id": lambda key, value: _positive_int(sheets.whole_number_text(value), key),
            "opened_at": self._time,
            "agent": self._agent,
            "about_agent": self._agent,
            "created_by": self._shared(lambda value: clean_text(value, "created_by", 200)),
            "tags": lambda key, value: json.dumps(_tags(value), ensure_ascii=False) if value else "[]",
            "first_response_at": self._time,
            "first_response_due_at": self._time,
            "resolved_at": self._time,
            "resolve_due_at": self._time,
            "closed_at": self._time,
            "fcr": lambda key, value: 1 if _boolean(value, key) else 0,
            "breached": lambda key, value: None,  # derived: recomputed from the facts
            "satisfaction": lambda key, value: _satisfaction(value),
            "updated_at": self._time,
        })
        return converters

    def check(self, row) -> dict:
        if type(row) is not dict:
            raise RowError("(line)", "each record must be an object with ticket fields")
        out = dict(self.template)
        converters = self.converters
        for key, value in row.items():
            converter = converters.get(key)
            if converter is None:
                raise RowError(key, "unknown field; fields are those 'cs ticket export' writes")
            if value is not None:
                out[key] = converter(key, value)
        for key in ("opened_at", "channel", "category", "summary"):
            if out[key] is None:
                raise RowError(key, "required")
        out["created_by"] = out["created_by"] or self.ctx.actor
        out["updated_at"] = out["updated_at"] or self.ctx.now_db
        self._deadlines(out)
        self._consistency(out)
        return out

    def _deadlines(self, out):
        if out["first_response_due_at"] and out["resolve_due_at"]:
            out["paused_s"] = self.implied_pause(out["opened_at"], out["resolve_due_at"], out["priority"])
            return
        first_due, resolve_due = self.due_times(out["opened_at"], out["priority"])
        out["first_response_due_at"] = out["first_response_due_at"] or first_due
        if out["resolve_due_at"]:
            out["paused_s"] = self.implied_pause(out["opened_at"], out["resolve_due_at"], out["priority"])
        else:
            out["resolve_due_at"] = resolve_due

    def _consistency(self, out):
        opened, status = out["opened_at"], out["status"]
        if opened > self.ctx.now_db:
            raise RowError("opened_at", "is in the future; records describe what has happened")
        for key in ("first_response_at", "resolved_at", "closed_at"):
            if out[key] is not None and out[key] < opened:
                raise RowError(key, "is before opened_at")
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
        if out["verdict"]:
            if out["category"] != "complaint":
                raise RowError("verdict", "only complaints take a verdict")
            out["verdict_at"] = out["resolved_at"] or opened
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
    if not 0 < number < 2**63 or str(number) != str(value).strip() and not isinstance(value, int):
        raise RowError(key, f"{value!r} is not a positive whole number below 2^63")
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


# How sheets write a satisfaction rating in words.
_SATISFACTION_WORDS = {"非常满意": 5, "很满意": 5, "满意": 4, "比较满意": 4, "基本满意": 3, "一般": 3,
                       "不满意": 2, "不太满意": 2, "非常不满意": 1, "很不满意": 1}


def _satisfaction(value):
    if value is None:
        return None
    if isinstance(value, str) and value.strip() in _SATISFACTION_WORDS:
        return _SATISFACTION_WORDS[value.strip()]
    value = sheets.whole_number_text(value)
    number = _positive_int(value, "satisfaction")
    if not 1 <= number <= 5:
        raise RowError("satisfaction", "must be 1 to 5")
    return number


# --- the import ---------------------------------------------------------------------------


def import_stream(ctx, binary, *, source: str, fmt: str | None = None, dry_run: bool = False,
                  options: SheetOptions | None = None) -> dict:
    """Import tickets from an open binary stream (a file, or stdin when `source` is '-')."""
    if not hasattr(binary, "peek"):
        binary = io.BufferedReader(binary)
    fmt = detect_format(source, binary, fmt)
    info: dict = {}
    return _import_rows(ctx, iter_rows(binary, fmt, options, info), dry_run=dry_run, source=source, info=info)


def import_file(ctx, path: str, *, fmt: str | None = None, dry_run: bool = False,
                options: SheetOptions | None = None) -> dict:
    try:
        binary = open(path, "rb")
    except OSError as exc:
        raise CSError(f"cannot read {path}: {exc.strerror}") from None
    with binary:
        return import_stream(ctx, binary, source=path, fmt=fmt, dry_run=dry_run, options=options)


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


PREVIEW_ROWS = 5


def _import_rows(ctx, rows, *, dry_run: bool, source: str, info: dict) -> dict:
    # A bulk insert touches index pages all over the file: keep them in memory (64 MiB).
    ctx.db.execute("PRAGMA cache_size = -65536")
    checker = RowChecker(ctx)
    result = {"imported": 0, "dry_run": dry_run, "errors": [], "error_count": 0}
    ids = _IdAllocator(ctx.db)
    first_ids = info.setdefault("first_ids", [])

    def fail(line, field, message):
        result["error_count"] += 1
        if len(result["errors"]) < MAX_ERRORS_KEPT:
            result["errors"].append(error_entry(info, line, field, message))

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
                        if len(first_ids) < PREVIEW_ROWS:
                            first_ids.append(checked["id"])
                        batch.append((line, checked))
                    except RowError as exc:
                        fail(line, exc.field, exc.message)
                    if len(batch) >= BATCH:
                        _write_batch(ctx, batch, result, fail)
                        batch = []
                _write_batch(ctx, batch, result, fail)
            except FileError as exc:
                fail(exc.line, "(file)", str(exc))
            if dry_run and not result["error_count"]:
                result["preview"] = _preview(ctx, info)
            if result["error_count"] or dry_run:
                raise _Rollback
            ctx.db.audit(ctx.now_db, ctx.actor, "ticket.import", "ticket", None, None,
                         {"source": source, "imported": result["imported"]})
    except _Rollback:
        pass
    if result["error_count"]:
        result["imported"] = 0
    if "table" in info:
        result["table"] = info["table"]
    return result


def error_entry(info: dict, line: int, name: str, message: str) -> dict:
    """One bad row: its line (a sheet's own row number), the field, and for sheets the column(s) it came from."""
    entry = {"line": line, "field": name, "message": message}
    plan = info.get("plan")
    column = plan.columns_of(name) if plan is not None else None
    if column:
        entry["column"] = column
    elif plan is not None and message == "required":
        entry["message"] = (f"required, and the sheet has no column for it: name one with --map 'COLUMN={name}'"
                            f" or give every row a value with --default {name}=VALUE")
    return entry


def _preview(ctx, info: dict) -> list[dict]:
    """The first imported tickets exactly as stored (read back inside the dry run's transaction)."""
    from cs.tickets import get

    first = info.get("first_ids", [])
    return [get(ctx, ticket_id) for ticket_id in first[:PREVIEW_ROWS]]


def _write_batch(ctx, batch, result, fail) -> None:
    if not batch or result["error_count"]:
        # Once a row is bad nothing will be kept; keep checking rows, skip the writes.
        return
    rows = [row for _, row in batch]
    customers.upsert_many(ctx.db, [(r["customer_phone"], r["customer_name"], r["opened_at"])
                                   for r in rows if r["customer_phone"]])
    ctx.db.execute("SAVEPOINT batch")
    try:
        ctx.db.executemany(_INSERT_POSITIONAL, map(_AS_TUPLE, rows))
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
