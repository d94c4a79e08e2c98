"""What every import shares: reading JSON, JSONL, CSV and xlsx sources as records, and the all-or-nothing result.

JSON and JSONL are read incrementally (a one-line JSON array too), sheets through cs.sheets; each
source yields (line or sheet row, record) pairs that an importer checks field by field. Errors
name the line (a sheet's own row) and, for sheets, the column the bad value came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import N_, _
from cs.core.labels import LABELS
from cs.exchange import sheets
from cs.exchange.sheets import FileError, decoded_lines

MAX_ERRORS_KEPT = 100
TOO_DEEP = N_("nested too deeply to be a record")
MAX_ITEM_CHARS = 16 * 1024 * 1024
PREVIEW_ROWS = 5


class RowError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class SkipRow(Exception):
    """A good row that is already on the desk (SPEC section 17): left out, and said, while the rest import."""

    def __init__(self, message: str, ticket_id: int | None = None):
        super().__init__(message)
        self.message = message
        self.ticket_id = ticket_id


# --- reading the file ---------------------------------------------------------------------

_SUFFIXES = ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"), (".csv", "csv"), (".xlsx", "xlsx"),
             (".xlsm", "xlsx"))


def detect_format(source: str, stream, fmt: str | None) -> str:
    if fmt:
        return fmt
    lowered = source.lower()
    if lowered.endswith((".xls", ".et", ".numbers", ".ods")):
        raise CSError(_("{source}: this spreadsheet format cannot be read; save it as .xlsx or CSV and import that")
                      .format(source=source))
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
    raise CSError(_("cannot tell the format of {source}; give --format json, jsonl, csv or xlsx").format(source=source))


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
            raise FileError(line, _("not UTF-8 text; save the file as UTF-8")) from None
        self.lines += raw.count(b"\n")
        return text


def iter_rows(binary, fmt: str, kind: "SheetKind", options=None, info: dict | None = None):
    """Yield (line or sheet row number, record) pairs; malformed records yield (line, RowError).

    For CSV and xlsx, `info` receives the table read (sheet, encoding, header row, column plan).
    """
    if options is not None and options.encoding and fmt != "csv":
        raise CSError((_("--encoding is for CSV files; this is {format} (UTF-8 always)") if fmt != "xlsx"
                       else _("--encoding is for CSV files; this is {format} (a workbook)")).format(format=fmt))
    if fmt == "json":
        yield from _iter_json_array(_ChunkReader(binary), kind.noun)
    elif fmt == "jsonl":
        yield from _iter_jsonl(decoded_lines(binary))
    else:
        yield from _iter_sheet(binary, fmt, kind, options or SheetOptions(), info if info is not None else {})


def _iter_jsonl(stream):
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowError("(line)", _("not valid JSON: {error} at column {column}").format(
                error=exc.msg, column=exc.colno))
            continue
        except RecursionError:
            yield number, RowError("(line)", _(TOO_DEEP))
            continue
        yield number, item


# What a JSON import must be, by the kind of record (translated where shown).
_ARRAY_OF = {"ticket": N_("a JSON import must be an array of ticket objects"),
             "callback": N_("a JSON import must be an array of callback objects")}


def _iter_json_array(stream, noun: str, chunk_size: int = 1 << 16):
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
        raise FileError(line, _(_ARRAY_OF.get(noun, "a JSON import must be an array of {noun} objects")).format(
            noun=noun))
    pos += 1
    expect_item = True
    while True:
        skip_space()
        if pos >= len(buffer):
            raise FileError(line, _("the JSON array is not closed with ]"))
        if buffer[pos] == "]":
            return
        if not expect_item:
            if buffer[pos] != ",":
                raise FileError(line, _("expected , or ] between items, found {found!r}").format(found=buffer[pos]))
            pos += 1
            expect_item = True
            continue
        while True:
            try:
                item, end = decoder.raw_decode(buffer, pos)
                break
            except json.JSONDecodeError as exc:
                if eof or len(buffer) - pos > MAX_ITEM_CHARS:
                    raise FileError(line + buffer.count("\n", pos, exc.pos),
                                    _("not valid JSON: {error}").format(error=exc.msg)) from None
                fill()
            except RecursionError:
                raise FileError(line, _(TOO_DEEP)) from None
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
    encoding: str | None = None  # a CSV file's, when detection is not wanted
    date_order: str = "ymd"  # how a date with the year last reads (11/18/2026): mdy, dmy, or refused (ymd)

    @classmethod
    def parse(cls, fields, *, sheet=None, maps=(), values=(), defaults=(), encoding=None,
              date_order="ymd") -> "SheetOptions":
        return cls(sheet=sheet, maps=sheets.parse_pairs(maps, "--map", fields, allow_empty=True),
                   value_maps=sheets.parse_value_maps(values, fields),
                   defaults=sheets.parse_pairs(defaults, "--default", fields, allow_empty=False), encoding=encoding,
                   date_order=date_order)


@dataclass
class SheetKind:
    """What a sheet of one kind of record holds: its fields, the headers people give them, which fields
    several columns may feed (times, texts), which keep number cells as numbers, and a last touch per row."""

    noun: str
    fields: tuple
    headers: dict
    joinable: frozenset
    numeric: frozenset
    times: frozenset = frozenset()  # fields holding a moment: dates year first, clocks on 24 hours (in_date_order)
    finish: object = None  # (record, plan, options) -> record

    def __post_init__(self):
        self.known = {sheets.header_key(name) for name in (*self.fields, *self.headers)}

    def known_header(self, text: str) -> bool:
        return sheets.header_key(text) in self.known


def headers_for(fields, aliases_by_field: dict) -> dict:
    """header -> field: the given aliases and our own column labels (zh and en), so an export comes back in."""
    headers = {alias: name for name, aliases in aliases_by_field.items() for alias in aliases}
    headers.update({label: name for name in fields for label in LABELS.get(name, ())})
    return headers


def _iter_sheet(binary, fmt, kind: SheetKind, options: SheetOptions, info: dict):
    table = _open_table(binary, fmt, options, kind.known_header)
    if not table.columns:
        return
    plan = _plan_columns(table, options, kind, info)
    records = _sheet_records(table, plan, options, csv_cells=fmt == "csv", kind=kind)
    if kind.finish is None:
        yield from records
    else:
        yield from ((number, record if isinstance(record, RowError) else kind.finish(record, plan, options))
                    for number, record in records)


def _open_table(binary, fmt: str, options: SheetOptions, known_header):
    if fmt == "xlsx":
        return sheets.xlsx_table(binary, known_header, options.sheet)
    if options.sheet is not None:
        raise CSError(_("--sheet is for .xlsx workbooks; a CSV file has one table"))
    return sheets.csv_table(binary, known_header, options.encoding)


def _plan_columns(table, options: SheetOptions, kind: SheetKind, info: dict) -> sheets.ColumnPlan:
    """The column plan, shown in `info` even when a column is unknown (the dry run lists what was understood)."""
    try:
        plan = sheets.ColumnPlan.build(table.columns, field_names=kind.fields, aliases=kind.headers,
                                       maps=options.maps, joinable=kind.joinable.__contains__)
        info.update(table=_describe_table(table, plan), plan=plan)
        plan.require_known()
    except CSError as exc:
        raise FileError(table.header_row, str(exc)) from None
    return plan


def _sheet_records(table, plan, options: SheetOptions, csv_cells: bool, kind: SheetKind):
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
            if name not in kind.numeric and isinstance(value, (int, float)) and not isinstance(value, bool):
                record[name] = str(sheets.whole_number_text(value))
        try:
            for name in kind.times & record.keys():
                record[name] = sheets.in_date_order(record[name], options.date_order)
        except ValueError as exc:
            yield number, RowError(name, str(exc))
            continue
        yield number, sheets.translate_values(record, options.value_maps, options.defaults)


def _describe_table(table, plan) -> dict:
    return {"sheet": table.sheet, "encoding": table.encoding, "header_row": table.header_row,
            "columns": plan.mapping()}


# --- values ---------------------------------------------------------------------------------


def stored_time(key: str, value, tz) -> str:
    """A time field as stored (UTC): ISO 8601, what sheets hold (2026/11/18 9:05, 2026年11月18日 9时5分, Excel
    dates), naive ones in the centre's zone."""
    parsed = None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    if parsed is None:
        parsed = sheets.sheet_time(value)
    if parsed is None:
        shown = sheets.one_line(value) if isinstance(value, str) else value  # two cells joined: shown on one line
        raise RowError(key, _("{value!r} is not a time such as 2026-11-20T09:30:00+08:00, 2026/11/20 9:30 or"
                              " 2026年11月20日 9时30分").format(value=shown))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        stored = clock.to_db(parsed)
    except (ValueError, OverflowError):
        stored = ""
    if not "1970" <= stored < "9999":
        raise RowError(key, _("{value!r} is out of range: use a time from 1970 to 9998").format(value=value))
    return stored


class AgentNames:
    """An agent field's value: a handle, or the name of exactly one agent (sheets say 张三, not zhangsan)."""

    def __init__(self, db):
        self.db = db
        self.handles = {row["handle"] for row in db.all("SELECT handle FROM agents")}
        self._names = None

    def __call__(self, key, value):
        value = sheets.whole_number_text(value)
        if isinstance(value, str):
            value = value.strip()
            if value in self.handles:
                return value
            handles = self._by_name().get(value, [])
            if len(handles) == 1:
                return handles[0]
            if len(handles) > 1:
                raise RowError(key, _("{count} agents are called {value!r} ({handles}); say which with --value"
                                      " {field}:{value}=HANDLE").format(count=len(handles), value=value,
                                                                       handles=", ".join(handles), field=key))
        raise RowError(key, _("unknown agent {value!r}; add it with 'cs agent add' first, or name its handle with"
                              " --value {field}:{value}=HANDLE").format(value=value, field=key))

    def _by_name(self) -> dict:
        if self._names is None:
            self._names = {}
            for row in self.db.all("SELECT handle, name FROM agents ORDER BY handle"):
                self._names.setdefault(row["name"], []).append(row["handle"])
        return self._names


def positive_int(value, key, *, zero: bool = False):
    """A whole number above 0 (from 0 with `zero`) and below 2^63, given as a number or its digits."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise RowError(key, _("{value!r} is not a whole number").format(value=value))
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise RowError(key, _("{value!r} is not a whole number").format(value=value)) from None
    lowest = 0 if zero else 1
    if not lowest <= number < 2**63 or str(number) != str(value).strip() and not isinstance(value, int):
        raise RowError(key, _("{value!r} is not a whole number from {lowest} below 2^63").format(value=value,
                                                                                            lowest=lowest))
    return number


def boolean(value, key):
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "是"):
        return True
    if text in ("false", "0", "no", "否", ""):
        return False
    raise RowError(key, _("{value!r} is not true or false").format(value=value))


# --- the result -----------------------------------------------------------------------------


class Outcome:
    """An import's result as `--json` prints it: counts, the first errors, the table read, a preview."""

    def __init__(self, dry_run: bool, info: dict):
        self.info = info
        self.result = {"imported": 0, "dry_run": dry_run, "errors": [], "error_count": 0, "skipped": 0,
                       "skipped_rows": []}

    def skip(self, line, skipped: SkipRow):
        self.result["skipped"] += 1
        if len(self.result["skipped_rows"]) < MAX_ERRORS_KEPT:
            self.result["skipped_rows"].append({"line": line, "ticket_id": skipped.ticket_id,
                                                "message": skipped.message})

    def fail(self, line, name, message):
        self.result["error_count"] += 1
        if len(self.result["errors"]) < MAX_ERRORS_KEPT:
            self.result["errors"].append(error_entry(self.info, line, name, message))

    @property
    def failed(self) -> bool:
        return bool(self.result["error_count"])

    def finish(self) -> dict:
        if self.failed:
            self.result["imported"] = 0
        if "table" in self.info:
            self.result["table"] = self.info["table"]
        return self.result


class Rollback(Exception):
    """Raised inside the import's transaction to undo it: a bad row, or a dry run."""


def run(ctx, binary, kind: SheetKind, *, source: str, fmt, dry_run: bool, options, check, write, batch_size: int,
        show, begin=None, finish=None) -> dict:
    """Read, check and write every record in one transaction, all or nothing.

    `check(record)` returns the row to store (raising RowError); `write(ctx, batch, outcome)` stores a batch of
    (line, row) and returns how many it wrote; `show(ctx, ids)` reads the first rows back for a dry run's
    preview. Once a row is bad nothing will be kept: the rest are still checked, so every bad line is named.
    `begin(ctx)` and `finish(ctx)` run inside the transaction, before the first row and after the last one written
    (not after a bad row: the transaction is undone, and with it whatever `begin` did).
    """
    import io

    from cs.desk import agents as agents_mod

    # Imported records carry their own agents, times and verdicts: bringing history in is a leader's task.
    agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, N_("importing records"))
    if not hasattr(binary, "peek"):
        binary = io.BufferedReader(binary)
    fmt = detect_format(source, binary, fmt)
    info: dict = {}
    outcome = Outcome(dry_run, info)
    first_ids: list = []
    try:
        with ctx.db.transaction():
            if begin is not None:
                begin(ctx)
            batch = []

            def flush():
                if batch and not outcome.failed:
                    outcome.result["imported"] += write(ctx, batch, outcome)
                batch.clear()

            try:
                for line, row in iter_rows(binary, fmt, kind, options, info):
                    try:
                        if isinstance(row, RowError):
                            raise row
                        checked = check(row)
                        if len(first_ids) < PREVIEW_ROWS:
                            first_ids.append(checked["id"])
                        batch.append((line, checked))
                    except RowError as exc:
                        outcome.fail(line, exc.field, exc.message)
                    except SkipRow as skipped:
                        outcome.skip(line, skipped)
                    if len(batch) >= batch_size:
                        flush()
                flush()
            except FileError as exc:
                outcome.fail(exc.line, "(file)", str(exc))
            if finish is not None and not outcome.failed:
                finish(ctx)
            if dry_run and not outcome.failed:
                outcome.result["preview"] = show(ctx, first_ids)
            if outcome.failed or dry_run:
                raise Rollback
            ctx.db.audit(ctx.now_db, ctx.actor, f"{kind.noun}.import", kind.noun, None, None,
                         {"source": source, "imported": outcome.result["imported"]})
    except Rollback:
        pass
    return outcome.finish()


def open_source(path: str):
    try:
        return open(path, "rb")
    except OSError as exc:
        from cs.core.files import os_reason

        raise CSError(_("cannot read {path}: {error}").format(path=path, error=os_reason(exc))) from None


def error_entry(info: dict, line: int, name: str, message: str) -> dict:
    """One bad row: its line (a sheet's own row number), the field, and for sheets the column(s) it came from."""
    entry = {"line": line, "field": name, "message": message}
    plan = info.get("plan")
    column = plan.columns_of(name) if plan is not None else None
    if column:
        entry["column"] = column
    elif plan is not None and message == _("required"):
        entry["message"] = _("required, and the sheet has no column for it: name one with --map 'COLUMN={field}'"
                             " or give every row a value with --default {field}=VALUE").format(field=name)
    return entry
