"""Call records in (SPEC section 19): Asterisk's cdr-csv, FreeSWITCH's cdr_csv, and sheets with headers.

Asterisk writes `Master.csv` without a header, one call a line, in the order cdr_csv documents: accountcode, src,
dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition,
amaflags, and with loguniqueid and loguserfield on, uniqueid and userfield. FreeSWITCH's cdr_csv default template
is caller_id_name, caller_id_number, destination_number, context, start_stamp, answer_stamp, end_stamp, duration,
billsec, hangup_cause, uuid, bleg_uuid, accountcode, read_codec, write_codec. A sheet, CSV (UTF-8, or GB18030 as
Excel saves it in China) or an .xlsx workbook's first sheet, names its columns (主叫, 开始时间, 应答时间, 结束时间, 坐席/分机, 结果, 编号).

Times without an offset are the centre's, or UTC with --utc (Asterisk's cdr.conf `usegmtime=yes`). A call is answered when the switch says so and it was up for a second
or more. The agent is the one whose extension took the call (`cs agent update HANDLE --extension EXT`). The import
is one transaction, all or nothing, and a record already imported (by its unique id; by its contents for a file
that has none) is skipped: importing a file again adds nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
from datetime import datetime

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import _

ASTERISK = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata", "start",
            "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "userfield")
FREESWITCH = ("caller_id_name", "caller_id_number", "destination_number", "context", "start_stamp", "answer_stamp",
              "end_stamp", "duration", "billsec", "hangup_cause", "uuid", "bleg_uuid", "accountcode", "read_codec",
              "write_codec")
HEADERS = {
    "caller": ("主叫", "主叫号码", "来电号码", "客户电话", "caller"),
    "started": ("开始时间", "呼入时间", "来电时间", "started_at", "start"),
    "answered": ("应答时间", "接听时间", "answered_at", "answer"),
    "ended": ("结束时间", "挂机时间", "ended_at", "end"),
    "extension": ("坐席/分机", "坐席", "分机", "分机号", "extension"),
    "result": ("结果", "呼叫结果", "状态", "result"),
    "uniqueid": ("编号", "呼叫编号", "唯一标识", "uniqueid", "id"),
}
ANSWERED_WORDS = {"answered", "接通", "已接通", "已接", "应答", "已应答"}
FORMATS = ("asterisk", "freeswitch", "sheet")
BATCH = 5000
MAX_ERRORS = 100
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?")
_PEER = re.compile(r"^[A-Za-z0-9]+/([^-@/;]+)")


class BadRecord(Exception):
    pass


def detect(first_row: list[str]) -> str:
    """The format of a file from its first line."""
    if len(first_row) >= 16 and _STAMP.fullmatch(first_row[9].strip()):
        return "asterisk"
    if len(first_row) >= 11 and _STAMP.fullmatch(first_row[4].strip()):
        return "freeswitch"
    return "sheet"


def _local(zone, text: str | None, what: str):
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1) if " " in value else value)
    except ValueError:
        from cs.exchange import sheets

        moment = sheets.sheet_time(value)
        if moment is None:
            raise BadRecord(_("{what}: {value!r} is not a time such as 2026-11-20 09:30:05").format(
                what=what, value=value)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return clock.to_db(moment)


def _seconds(text: str | None) -> int:
    try:
        return int(float(text or 0))
    except ValueError:
        raise BadRecord(_("{value!r} is not a number of seconds").format(value=text)) from None


def _content_id(fields: list[str]) -> str:
    """A record without a unique id is named by its contents: the same line imported twice is the same call."""
    return "sha1:" + hashlib.sha1("\x1f".join(fields).encode()).hexdigest()


def from_asterisk(zone, fields: list[str]) -> dict:
    record = dict(zip(ASTERISK, fields))
    if "end" not in record:
        raise BadRecord(_("{count} fields; Asterisk's Master.csv has 16 to 18").format(count=len(fields)))
    up = record.get("disposition", "").strip().upper() == "ANSWERED" and _seconds(record.get("billsec")) > 0
    peer = _PEER.match(record.get("dstchannel", "").strip())
    return {"uniqueid": (record.get("uniqueid") or "").strip() or _content_id(fields),
            "caller": record["src"].strip() or None,
            "extension": peer.group(1) if peer else None,  # the agent's channel; a queue's dst names nobody
            "started_at": _local(zone, record["start"], "start"),
            "answered_at": _local(zone, record["answer"], "answer") if up else None,
            "ended_at": _local(zone, record["end"], "end")}


def from_freeswitch(zone, fields: list[str]) -> dict:
    record = dict(zip(FREESWITCH, fields))
    if "billsec" not in record:
        raise BadRecord(_("{count} fields; FreeSWITCH's cdr_csv default template has 15").format(count=len(fields)))
    up = bool(record["answer_stamp"].strip()) and _seconds(record["billsec"]) > 0
    return {"uniqueid": (record.get("uuid") or "").strip() or _content_id(fields),
            "caller": record["caller_id_number"].strip() or None,
            "extension": record["destination_number"].strip() or None,
            "started_at": _local(zone, record["start_stamp"], "start_stamp"),
            "answered_at": _local(zone, record["answer_stamp"], "answer_stamp") if up else None,
            "ended_at": _local(zone, record["end_stamp"], "end_stamp")}


def sheet_columns(header: list[str]) -> dict:
    """column index -> field, from a sheet's header (unknown columns are ignored: a CDR export has many)."""
    known = {alias: field for field, aliases in HEADERS.items() for alias in aliases}
    columns = {index: known[name.strip()] for index, name in enumerate(header) if name.strip() in known}
    missing = [HEADERS[field][0] for field in ("started", "ended") if field not in columns.values()]
    if missing:
        raise CSError(_("the sheet has no column for {fields}; name them 开始时间 and 结束时间").format(
            fields=", ".join(missing)))
    return columns


def from_sheet(zone, fields: list[str], columns: dict) -> dict:
    record = {field: fields[index] if index < len(fields) else "" for index, field in columns.items()}
    answered = _local(zone, record.get("answered"), "应答时间")
    result = (record.get("result") or "").strip().lower()
    if result and result not in ANSWERED_WORDS:
        answered = None  # the sheet says the call was not answered, whatever else it holds
    return {"uniqueid": (record.get("uniqueid") or "").strip() or _content_id(fields),
            "caller": (record.get("caller") or "").strip() or None,
            "extension": (record.get("extension") or "").strip() or None,
            "started_at": _local(zone, record["started"], "开始时间"),
            "answered_at": answered,
            "ended_at": _local(zone, record["ended"], "结束时间")}


def import_stream(ctx, binary, *, fmt: str | None = None, dry_run: bool = False, utc: bool = False) -> dict:
    """Read every record and store the new ones in one transaction; nothing when a record is bad. `utc`: times
    without an offset are UTC (Asterisk's usegmtime=yes), not the centre's."""
    from cs.desk import agents as agents_mod

    agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, _("importing call records"))
    extensions = {row["extension"]: row["handle"] for row in ctx.db.all(
        "SELECT handle, extension FROM agents WHERE extension IS NOT NULL")}
    result = {"imported": 0, "skipped": 0, "dry_run": dry_run, "format": None, "errors": [], "error_count": 0,
              "unknown_extensions": []}
    zone = clock.UTC if utc else ctx.tz
    unknown: set = set()
    batch: list[tuple] = []
    try:
        with ctx.db.transaction():
            try:
                result["format"], columns, rows = _rows(binary, fmt)
                for line, fields in rows:
                    try:
                        record = (from_asterisk(zone, fields) if result["format"] == "asterisk"
                                  else from_freeswitch(zone, fields) if result["format"] == "freeswitch"
                                  else from_sheet(zone, fields, columns))
                        _check(record)
                    except BadRecord as exc:
                        result["error_count"] += 1
                        if len(result["errors"]) < MAX_ERRORS:
                            result["errors"].append({"line": line, "message": str(exc)})
                        continue
                    agent = extensions.get(record["extension"])
                    if record["extension"] and agent is None:
                        unknown.add(record["extension"])
                    batch.append((record["uniqueid"], record["caller"], record["extension"], agent,
                                  record["started_at"], record["answered_at"], record["ended_at"], ctx.now_db))
                    if len(batch) >= BATCH:
                        _write(ctx, batch, result)
                _write(ctx, batch, result)
            except UnicodeDecodeError:
                raise CSError(_("the file is not UTF-8 text; save it as UTF-8 CSV")) from None
            if result["error_count"] or dry_run:
                raise _Undo
    except _Undo:
        if result["error_count"]:
            result["imported"] = 0
    result["unknown_extensions"] = sorted(unknown)
    return result


def _rows(binary, fmt: str | None) -> tuple:
    """(format, a sheet's columns or None, the (line, fields) of each record): a workbook's first sheet, or CSV
    whose first line tells its format."""
    if binary.peek(4)[:4] == b"PK\x03\x04":  # a workbook is a zip file
        from cs.exchange import sheets

        known = {alias for aliases in HEADERS.values() for alias in aliases}
        table = sheets.xlsx_table(sheets.seekable(binary), known.__contains__)
        return "sheet", sheet_columns(table.columns), (
            (line, [_cell_text(cell) for cell in cells]) for line, cells in table.rows)
    reader = csv.reader(io.TextIOWrapper(binary, encoding=_encoding(binary), errors="strict", newline=""))
    records = ((line, fields) for line, fields in enumerate(reader, start=1) if any(f.strip() for f in fields))
    first = next(records, None)
    if first is None:
        return fmt, None, iter(())
    fmt = fmt or detect(first[1])
    if fmt == "sheet":
        return fmt, sheet_columns(first[1]), records
    return fmt, None, itertools.chain([first], records)


def _encoding(binary) -> str:
    """UTF-8 (a BOM or not), or GB18030 when the first block is not UTF-8: a sheet saved as CSV by Excel in China,
    whose Chinese header shows it at once. Switches write UTF-8."""
    head = binary.peek(65536)[:65536]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not merely a character cut at the block's end
            return "gb18030"
    return "utf-8-sig"


def _cell_text(cell) -> str:
    """A workbook's cell as a CSV would hold it: 8001 not 8001.0, times as 2026-11-19 09:00:00."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    return str(cell).strip()


class _Undo(Exception):
    """Raised inside the import's transaction to roll it back: a bad record, or a dry run."""


def _check(record: dict) -> None:
    if record["started_at"] is None or record["ended_at"] is None:
        raise BadRecord(_("a call needs its start and end times"))
    if record["ended_at"] < record["started_at"]:
        raise BadRecord(_("the call ends before it starts"))
    if record["answered_at"] is not None and not record["started_at"] <= record["answered_at"] <= record["ended_at"]:
        raise BadRecord(_("the call is answered outside its start and end"))


def _write(ctx, batch: list[tuple], result: dict) -> None:
    if not batch:
        return
    before = ctx.db.conn.total_changes
    ctx.db.executemany("INSERT OR IGNORE INTO calls (uniqueid, caller, extension, agent, started_at, answered_at,"
                       " ended_at, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
    added = ctx.db.conn.total_changes - before
    result["imported"] += added
    result["skipped"] += len(batch) - added
    batch.clear()
