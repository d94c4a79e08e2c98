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
ANSWERED_WORDS = {"answered", "接通", "已接通", "已接", "接听", "已接听", "应答", "已应答", "人工接听", "成功"}
NOT_ANSWERED_WORDS = {"no answer", "abandoned", "missed", "busy", "failed", "未接", "未接通", "未接听", "未应答",
                      "无应答", "无人接听", "放弃", "呼损", "漏接", "挂断", "客户挂断", "排队放弃", "占线", "失败", "忙"}
FORMATS = ("asterisk", "freeswitch", "sheet")
BATCH = 5000
MAX_ERRORS = 100
MAX_FIELD = 1 << 20  # a CDR field is short; a bigger one is a broken file, refused as such
_HEADER_SEARCH_ROWS = 10
_ASTERISK_ID = re.compile(r"\d+\.\d+")  # Asterisk's uniqueid: epoch seconds and a sequence number
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


def from_asterisk(zone, fields: list[str], extensions: dict) -> dict:
    if len(fields) < 16:
        raise BadRecord(_("{count} fields; Asterisk's Master.csv has 16 to 18").format(count=len(fields)))
    record = dict(zip(ASTERISK[:16], fields))
    # loguniqueid adds the 17th field and loguserfield the last: with only one of them on, 17 fields hold either.
    extra = [field.strip() for field in fields[16:18]]
    uniqueid = extra[0] if extra and (len(extra) == 2 or _ASTERISK_ID.fullmatch(extra[0])) else ""
    peer = _PEER.match(record["dstchannel"].strip())
    # A person answered when the switch says ANSWERED and the call was bridged to a channel: Queue() or an IVR
    # answering (no destination channel) is the switch, and the caller who hangs up there abandoned the call.
    up = (record["disposition"].strip().upper() == "ANSWERED" and _seconds(record["billsec"]) > 0
          and peer is not None)
    return {"uniqueid": uniqueid or _content_id(fields),
            "caller": record["src"].strip() or None,
            "extension": peer.group(1) if peer else None,
            "started_at": _local(zone, record["start"], "start"),
            "answered_at": _local(zone, record["answer"], "answer") if up else None,
            "ended_at": _local(zone, record["end"], "end")}


def from_freeswitch(zone, fields: list[str], extensions: dict) -> dict:
    record = dict(zip(FREESWITCH, fields))
    if "billsec" not in record:
        raise BadRecord(_("{count} fields; FreeSWITCH's cdr_csv default template has 15").format(count=len(fields)))
    # cdr_csv logs the caller's leg (legs = a): destination_number is what the caller dialled, an agent's extension
    # only when put straight through. A person answered when the call was bridged (bleg_uuid) or that extension
    # answered; the IVR or a queue answering alone is the switch.
    destination = record["destination_number"].strip()
    bridged = bool((record.get("bleg_uuid") or "").strip()) or destination in extensions
    up = bool(record["answer_stamp"].strip()) and _seconds(record["billsec"]) > 0 and bridged
    return {"uniqueid": (record.get("uuid") or "").strip() or _content_id(fields),
            "caller": record["caller_id_number"].strip() or None,
            "extension": destination if destination in extensions else None,
            "started_at": _local(zone, record["start_stamp"], "start_stamp"),
            "answered_at": _local(zone, record["answer_stamp"], "answer_stamp") if up else None,
            "ended_at": _local(zone, record["end_stamp"], "end_stamp")}


def sheet_columns(header: list[str]) -> dict | None:
    """column index -> field, from a sheet's header (unknown columns are ignored: a CDR export has many); None
    when the row names fewer than two known columns (a title row above the header)."""
    known = {alias: field for field, aliases in HEADERS.items() for alias in aliases}
    columns = {index: known[name.strip()] for index, name in enumerate(header) if name.strip() in known}
    return columns if len(columns) >= 2 else None


def _required_columns(columns: dict | None) -> dict:
    missing = [HEADERS[field][0] for field in ("started", "answered", "ended")
               if field not in (columns or {}).values()]
    if missing:
        raise CSError(_("the sheet has no column for {fields}; a sheet of calls needs 开始时间, 应答时间 (empty for a"
                        " call not answered) and 结束时间").format(fields=", ".join(missing)))
    return columns


def from_sheet(zone, fields: list[str], columns: dict, extensions: dict) -> dict:
    record = {field: fields[index] if index < len(fields) else "" for index, field in columns.items()}
    answered = _local(zone, record.get("answered"), "应答时间")
    result = (record.get("result") or "").strip().lower()
    if result in NOT_ANSWERED_WORDS:
        answered = None  # the sheet says the call was not answered, whatever else it holds
    elif result and result not in ANSWERED_WORDS:
        raise BadRecord(_("结果 {value!r} is neither answered (接通, 已接听 …) nor not answered (未接, 放弃 …)").format(
            value=record["result"].strip()))
    elif result and answered is None:
        raise BadRecord(_("结果 says {value!r} but the call has no 应答时间").format(value=record["result"].strip()))
    started = _local(zone, record["started"], "开始时间")
    number = (record.get("uniqueid") or "").strip()
    return {"uniqueid": f"{number}@{started}" if number else _content_id(fields),  # sheets number rows per file
            "caller": (record.get("caller") or "").strip() or None,
            "extension": (record.get("extension") or "").strip() or None,
            "started_at": started,
            "answered_at": answered,
            "ended_at": _local(zone, record["ended"], "结束时间")}


def import_stream(ctx, binary, *, fmt: str | None = None, dry_run: bool = False, utc: bool = False) -> dict:
    """Read every record and store the new ones in one transaction; nothing when a record is bad. `utc`: times
    without an offset are UTC (Asterisk's usegmtime=yes), not the centre's. A CSV that is not UTF-8 is read
    again as GB18030 when it can be."""
    from cs.desk import agents as agents_mod

    agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, _("importing call records"))
    start = _position(binary)
    try:
        return _import(ctx, binary, fmt, dry_run, utc, None)
    except _NotUtf8:
        if start is None:
            raise CSError(_("the file is not UTF-8 text; save it as UTF-8 CSV")) from None
        binary.seek(start)
        return _import(ctx, binary, fmt, dry_run, utc, "gb18030")


def _position(binary) -> int | None:
    try:
        return binary.tell() if binary.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _import(ctx, binary, fmt, dry_run: bool, utc: bool, encoding: str | None) -> dict:
    extensions = {row["extension"]: row["handle"] for row in ctx.db.all(
        "SELECT handle, extension FROM agents WHERE extension IS NOT NULL")}
    result = {"imported": 0, "updated": 0, "skipped": 0, "dry_run": dry_run, "format": None, "errors": [],
              "error_count": 0, "unknown_extensions": []}
    zone = clock.UTC if utc else ctx.tz
    unknown: set = set()
    batch: dict = {}
    try:
        with ctx.db.transaction():
            try:
                result["format"], columns, rows = _rows(binary, fmt, encoding)
                read = {"asterisk": from_asterisk, "freeswitch": from_freeswitch}.get(result["format"])
                for line, fields in rows:
                    try:
                        record = (read(zone, fields, extensions) if read
                                  else from_sheet(zone, fields, columns, extensions))
                        _check(record)
                    except BadRecord as exc:
                        result["error_count"] += 1
                        if len(result["errors"]) < MAX_ERRORS:
                            result["errors"].append({"line": line, "message": str(exc)})
                        continue
                    record["agent"] = extensions.get(record["extension"])
                    if record["extension"] and record["agent"] is None:
                        unknown.add(record["extension"])
                    _fold(batch, record)
                    if len(batch) >= BATCH:
                        _write(ctx, batch, result)
                _write(ctx, batch, result)
            except UnicodeDecodeError:
                raise _NotUtf8 from None
            except csv.Error as exc:
                raise CSError(_("not valid CSV: {error}").format(error=exc)) from None
            if result["error_count"] or dry_run:
                raise _Undo
    except _Undo:
        if result["error_count"]:
            result["imported"] = result["updated"] = 0
    result["unknown_extensions"] = sorted(unknown)
    return result


class _NotUtf8(Exception):
    pass


def _fold(batch: dict, record: dict) -> None:
    """Several records of one call (Asterisk writes a CDR a leg: the queue's, each agent's rung) are one call:
    from its first start to its last end, answered if any leg was, by the leg that answered first."""
    earlier = batch.get(record["uniqueid"])
    batch[record["uniqueid"]] = record if earlier is None else _merged(earlier, record)


def _merged(call: dict, leg: dict) -> dict:
    merged = {**call, "started_at": min(call["started_at"], leg["started_at"]),
              "ended_at": max(call["ended_at"], leg["ended_at"])}
    if leg["answered_at"] is not None and (call["answered_at"] is None or leg["answered_at"] < call["answered_at"]):
        merged.update(answered_at=leg["answered_at"], extension=leg["extension"], agent=leg["agent"])
    elif merged["agent"] is None and leg["agent"] is not None and (call["answered_at"] is None
                                                                   or leg["answered_at"] == call["answered_at"]):
        merged.update(extension=leg["extension"], agent=leg["agent"])  # rung at an agent, or now a known extension
    return merged


def _rows(binary, fmt: str | None, encoding: str | None) -> tuple:
    """(format, a sheet's columns or None, the (line, fields) of each record): a workbook's first sheet, or CSV
    whose first line tells its format. A sheet's header may sit below a title row."""
    if binary.peek(4)[:4] == b"PK\x03\x04":  # a workbook is a zip file
        from cs.exchange import sheets

        known = {alias for aliases in HEADERS.values() for alias in aliases}
        try:
            table = sheets.xlsx_table(sheets.seekable(binary), known.__contains__)
        except sheets.FileError as exc:
            raise CSError(str(exc)) from None
        return "sheet", _required_columns(sheet_columns(table.columns)), (
            (line, [_cell_text(cell) for cell in cells]) for line, cells in table.rows)
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.TextIOWrapper(binary, encoding=encoding or _encoding(binary), errors="strict",
                                         newline=""))
    records = ((line, fields) for line, fields in enumerate(reader, start=1) if any(f.strip() for f in fields))
    first = next(records, None)
    if first is None:
        return fmt, None, iter(())
    fmt = fmt or detect(first[1])
    if fmt != "sheet":
        return fmt, None, itertools.chain([first], records)
    header = first
    for _attempt in range(_HEADER_SEARCH_ROWS):
        if sheet_columns(header[1]) is not None:
            break
        header = next(records, header)
    return fmt, _required_columns(sheet_columns(header[1])), records


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


_FIELDS = ("uniqueid", "caller", "extension", "agent", "started_at", "answered_at", "ended_at")
_LOOKUP = 500


def _write(ctx, batch: dict, result: dict) -> None:
    """Store a batch of calls: new ones inserted, those the desk has merged with it (a later leg, an answer, an
    agent for an extension registered since); a call that changes nothing is skipped."""
    if not batch:
        return
    stored = {}
    ids = list(batch)
    for chunk in range(0, len(ids), _LOOKUP):
        part = ids[chunk:chunk + _LOOKUP]
        stored.update((row["uniqueid"], dict(row)) for row in ctx.db.all(
            f"SELECT {', '.join(_FIELDS)} FROM calls WHERE uniqueid IN ({', '.join('?' * len(part))})", part))
    new, changed = [], []
    for uniqueid, record in batch.items():
        before = stored.get(uniqueid)
        if before is None:
            new.append(tuple(record[field] for field in _FIELDS) + (ctx.now_db,))
            continue
        merged = _merged(before, record)
        if merged == before:
            result["skipped"] += 1
        else:
            changed.append((merged["extension"], merged["agent"], merged["started_at"], merged["answered_at"],
                            merged["ended_at"], uniqueid))
    ctx.db.executemany(f"INSERT INTO calls ({', '.join(_FIELDS)}, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", new)
    ctx.db.executemany("UPDATE calls SET extension = ?, agent = ?, started_at = ?, answered_at = ?, ended_at = ?"
                       " WHERE uniqueid = ?", changed)
    result["imported"] += len(new)
    result["updated"] += len(changed)
    batch.clear()
