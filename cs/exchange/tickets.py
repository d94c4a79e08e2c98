"""Ticket import: JSON array, JSONL, CSV or an .xlsx sheet (JSON field names, or the Chinese headers of a
来访来电记录表), streamed and all-or-nothing. Reading the sources is cs.importing's; this is the checking.

Rows are validated and inserted in batches inside one transaction; any bad row turns the
transaction into a rollback, so a file with one bad line writes nothing. Memory stays flat: the
file is read incrementally (a JSON array too) and only one batch is held at a time. `--dry-run`
runs the very same inserts and rolls them back, so it also finds id conflicts.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import sqlite3

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import _
from cs.core.text import clean_tags, clean_text
from cs.desk import customers
from cs.desk.tickets import COLUMNS, FIELD_CHECKS, FIELDS, INSERT_SQL, due_times, index_for_search
from cs.exchange import importing, sheets
from cs.exchange.importing import (
    AgentNames,
    RowError,
    SheetKind,
    SheetOptions,
    boolean,
    headers_for,
    positive_int,
    stored_time,
)

BATCH = 1000

# Binding tuples is cheaper than dicts.
_AS_TUPLE = operator.itemgetter(*COLUMNS)


def _sheet_row(record, plan, options):
    """A sheet's row as the checks take it: its 住处 read into building, unit and room, and its status inferred."""
    return _with_inferred_status(_with_address(record), plan, options)


_ADDRESS = re.compile(r"\s*(?P<building>[^\s]+?(?:号楼|栋|幢|座|楼))\s*(?:(?P<unit>[^\s单元]+?)\s*单元)?"
                      r"\s*(?P<room>[0-9A-Za-z-]+?)\s*(?:室|号|房)?\s*")


def _with_address(record):
    """A 住处 column (3栋2单元301, 5号楼1203室) read into building, unit and room, where the sheet has no such
    columns of its own; one that does not read so is kept whole as the building."""
    address = record.pop("address", None)
    if address is None or any(record.get(key) for key in ("building", "unit", "room")):
        return record
    text = sheets.whole_number_text(address)
    match = _ADDRESS.fullmatch(str(text))
    if match:
        record.update({key: value for key, value in match.groupdict().items() if value})
    else:
        record["building"] = str(text).strip()
    return record


def _with_inferred_status(record, plan, options):
    """A sheet without a status column says a ticket was finished by holding a resolution (or the time it was
    resolved or closed); without a time of its own, it was resolved when it was recorded."""
    if "status" in plan.fields.values() or "status" in options.defaults:
        return record
    if record.get("closed_at") is not None:
        record["status"] = "closed"
    elif record.get("resolved_at") is not None or record.get("resolution") is not None:
        record["status"] = "resolved"
    if "status" in record and record.get("resolved_at") is None and record.get("opened_at") is not None:
        record["resolved_at"] = record["opened_at"]
    return record


# Headers of the 来访来电咨询投诉记录表 centres keep -> ticket fields (our own labels are added).
_HEADERS = {
    "opened_at": ("日期", "时间", "来电时间", "来访时间", "来电日期", "来访日期", "受理日期", "登记时间", "登记日期",
                  "接待时间", "反映时间", "投诉时间", "报修时间", "发生时间"),
    "customer_name": ("客户姓名", "姓名", "业主", "业主姓名", "客户名称", "来电人", "来访人", "联系人", "投诉人",
                      "报修人", "来电客户"),
    "customer_phone": ("联系电话", "手机", "手机号", "手机号码", "电话号码", "联系方式", "来电号码", "客户电话"),
    "category": ("类型", "事项类型", "问题类型", "分类", "事项类别", "问题类别", "来电类型"),
    "summary": ("内容", "问题描述", "事由", "来电内容", "来访内容", "来访事由", "反映内容", "投诉内容", "报修内容",
                "主要内容", "诉求", "事项", "咨询内容", "问题"),
    "detail": ("详细情况", "情况说明", "备注", "详细内容"),
    "resolution": ("处理情况", "处理意见", "答复内容", "解决方案", "处理措施", "回复内容", "处理结果及回复"),
    "agent": ("接待人", "记录人", "经办人", "处理人", "接听人", "值班人", "客服", "坐席", "受理客服", "登记人"),
    "channel": ("方式", "来源", "来电方式", "受理方式", "反映方式", "受理渠道"),
    "priority": ("紧急程度",),
    "status": ("处理状态", "工单状态"),
    "department": ("责任部门", "部门", "转办部门"),
    "resolved_at": ("处理时间", "完成时间", "办结时间", "解决日期"),
    "satisfaction": ("客户评价", "满意程度"),
    "id": ("工单号", "工单编号"),
    "building": ("楼栋", "楼号", "栋号", "楼宇"),
    "unit": ("单元", "单元号"),
    "room": ("房号", "门牌号", "房间号", "室号"),
    "address": ("住处", "住址", "地址", "房屋地址", "业主住址"),
}
SHEET_FIELDS = (*FIELDS, "address")  # a sheet may give the 住处 whole (read by _with_address)
_TIME_FIELDS = frozenset({"opened_at", "first_response_at", "first_response_due_at", "resolved_at", "resolve_due_at",
                          "closed_at", "updated_at"})
TICKET_SHEET = SheetKind(
    noun="ticket", fields=SHEET_FIELDS, headers=headers_for(SHEET_FIELDS, _HEADERS),
    joinable=_TIME_FIELDS | {"summary", "detail", "resolution"},
    numeric=_TIME_FIELDS | {"id", "satisfaction", "fcr"}, times=_TIME_FIELDS, finish=_sheet_row,
)


# --- checking one row ---------------------------------------------------------------------


class RowChecker:
    def __init__(self, ctx):
        self.ctx = ctx
        self.agent = AgentNames(ctx.db)
        self._due_memo: dict = {}
        self._time_memo: dict = {}
        self.converters = self._converters()
        self.template = dict.fromkeys(COLUMNS)
        self.template.update(priority="normal", status="open", tags="[]", fcr=0, paused_s=0)

    def implied_pause(self, opened: str, resolve_due: str, priority: str) -> int:
        """Seconds of the resolve clock a given deadline lies beyond the SLA: time the ticket spent pending.

        Export does not carry the pause, and a later priority change recomputes the deadline
        from the clock's start + SLA + pause, so the pause is recovered from the deadline itself.
        """
        from cs.desk.tickets import clock_seconds, clock_start, measure_clock, sla

        resolve = sla(self.ctx.config, priority)[1]
        start = clock_start(self.ctx, clock.from_db(opened))
        worked = measure_clock(self.ctx, resolve, start, clock.from_db(resolve_due))
        return max(0, worked - clock_seconds(resolve))

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
        """Remembered per text: a sheet's times repeat to the minute, and parsing is most of a row's checks."""
        if type(value) is not str:
            return stored_time(key, value, self.ctx.tz)
        stored = self._time_memo.get(value)
        if stored is None:
            if len(self._time_memo) > 50_000:
                self._time_memo.clear()  # bounded: memory stays flat on any file
            stored = self._time_memo[value] = stored_time(key, value, self.ctx.tz)
        return stored

    @staticmethod
    def _shared(check):
        """A check of cs.tickets for one text field, reporting its refusal against the row."""

        def convert(key, value):
            if key == "customer_phone" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # a JSON number is a fine phone number
            if not isinstance(value, str):
                raise RowError(key, _("must be text"))
            try:
                return check(value)
            except CSError as exc:
                raise RowError(key, str(exc)) from None

        return convert

    @staticmethod
    def _remembered(convert):
        """A converter for values that repeat (a customer's phone, a channel): each text checked once."""
        memo: dict = {}

        def remembered(key, value):
            try:
                return memo[value]  # one lookup for the usual case: a value seen before
            except (KeyError, TypeError):  # new, or a list or dict (refused by the check)
                pass
            if type(value) is not str:
                return convert(key, value)
            if len(memo) > 50_000:
                memo.clear()  # bounded: memory stays flat on any file
            memo[value] = stored = convert(key, value)
            return stored

        return remembered

    def _converters(self) -> dict:
        converters = {key: self._shared(check) for key, check in FIELD_CHECKS.items()}
        for key in ("channel", "category", "priority", "status", "customer_phone", "customer_name", "department"):
            converters[key] = self._remembered(converters[key])
        converters.update({
            "id": lambda key, value: positive_int(sheets.whole_number_text(value), key),
            "opened_at": self._time,
            "agent": self.agent,
            "about_agent": self.agent,
            "created_by": self._shared(lambda value: clean_text(value, "created_by", 200)),
            "tags": lambda key, value: json.dumps(_tags(value), ensure_ascii=False) if value else "[]",
            "first_response_at": self._time,
            "first_response_due_at": self._time,
            "resolved_at": self._time,
            "resolve_due_at": self._time,
            "closed_at": self._time,
            "fcr": lambda key, value: 1 if boolean(value, key) else 0,
            "breached": lambda key, value: None,  # derived: recomputed from the facts
            "satisfaction": lambda key, value: _satisfaction(value),
            "updated_at": self._time,
        })
        return converters

    def check(self, row) -> dict:
        if type(row) is not dict:
            raise RowError("(line)", _("each record must be an object with ticket fields"))
        out = dict(self.template)
        converters = self.converters
        for key, value in row.items():
            converter = converters.get(key)
            if converter is None:
                raise RowError(key, _("unknown field; fields are those 'cs ticket export' writes"))
            if value is not None:
                out[key] = converter(key, value)
        for key in ("opened_at", "channel", "category", "summary"):
            if out[key] is None:
                raise RowError(key, _("required"))
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
            raise RowError("opened_at", _("is in the future; records describe what has happened"))
        for key in ("first_response_at", "resolved_at", "closed_at"):
            if out[key] is not None and out[key] < opened:
                raise RowError(key, _("is before opened_at"))
        if status in ("resolved", "closed") and not out["resolved_at"]:
            raise RowError("resolved_at", _("required when status is {status}").format(status=status))
        if status == "closed" and not out["closed_at"]:
            raise RowError("closed_at", _("required when status is closed"))
        if status not in ("resolved", "closed") and (out["resolved_at"] or out["closed_at"]):
            raise RowError("status", _("is {status} but the row has resolved_at or closed_at").format(status=status))
        if status == "open" and out["first_response_at"]:
            raise RowError("status", _("is open but the row has first_response_at; an answered ticket is in_progress"))
        if status in ("resolved", "closed") and not out["first_response_at"]:
            out["first_response_at"] = out["resolved_at"]
        if out["verdict"]:
            if out["category"] != "complaint":
                raise RowError("verdict", _("only complaints take a verdict"))
            out["verdict_at"] = out["resolved_at"] or opened
        # An exported pending ticket's resolve_due_at was projected to the moment of export, so its
        # pause starts again now.
        out["pending_since"] = self.ctx.now_db if status == "pending" else None


def _tags(value):
    if value is None:
        return []
    items = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise RowError("tags", _("must be a list of text (in CSV: separated by ;)"))
    try:
        return clean_tags(t for t in items if t.strip())
    except CSError as exc:
        raise RowError("tags", str(exc)) from None


# How sheets write a satisfaction rating in words.
_SATISFACTION_WORDS = {"非常满意": 5, "很满意": 5, "满意": 4, "比较满意": 4, "基本满意": 3, "一般": 3,
                       "不满意": 2, "不太满意": 2, "非常不满意": 1, "很不满意": 1}


def _satisfaction(value):
    if value is None:
        return None
    if isinstance(value, str) and value.strip() in _SATISFACTION_WORDS:
        return _SATISFACTION_WORDS[value.strip()]
    value = sheets.whole_number_text(value)
    number = positive_int(value, "satisfaction")
    if not 1 <= number <= 5:
        raise RowError("satisfaction", _("must be 1 to 5"))
    return number


# --- the import ---------------------------------------------------------------------------


def import_stream(ctx, binary, *, source: str, fmt: str | None = None, dry_run: bool = False,
                  options: SheetOptions | None = None, allow_duplicates: bool = False) -> dict:
    """Import tickets from an open binary stream (a file, or stdin when `source` is '-'). A row that is a ticket
    the desk has already (the same time, phone, channel and summary: the same sheet imported twice) or a row
    repeated in the file is skipped and reported, unless `allow_duplicates`: importing a file again adds nothing."""
    checker, ids = RowChecker(ctx), _IdAllocator(ctx.db)
    deferred = _DeferredIndexes()
    duplicates = None if allow_duplicates else _DuplicateFinder(ctx.db, deferred.ready_for_lookups)

    def check(row):
        checked = checker.check(row)
        if duplicates is not None:
            duplicates.skip_if_stored(checked)
        checked["id"] = ids.assign(checked["id"])
        return checked

    # A bulk insert touches index pages all over the file: keep them in memory (64 MiB).
    ctx.db.execute("PRAGMA cache_size = -65536")
    return importing.run(ctx, binary, TICKET_SHEET, source=source, fmt=fmt, dry_run=dry_run, options=options,
                         check=check, write=functools.partial(_write_batch, deferred=deferred,
                                                             named=_NamedPhones()),
                         batch_size=BATCH, show=_preview, begin=deferred.begin, finish=deferred.finish)


class _DeferredIndexes:
    """An import into an empty desk (a centre's history coming in) builds the tickets' secondary indexes and the
    full-text index once, after the rows: one sort each beats updating nine B-trees and the search index row by
    row. The two the duplicate check reads (LOOKUP) are built as soon as it must ask the database (a repeat far
    down the file), and kept up from then on. It all happens inside the import's transaction, decided after it
    has the write lock (another import may have filled the desk while this one waited), so an import that fails
    leaves the indexes as they were."""

    LOOKUP = ("tickets_opened", "tickets_phone")

    def __init__(self):
        self.saved: list = []
        self.active = False
        self.db = None

    def begin(self, ctx) -> None:
        self.active = ctx.db.one("SELECT 1 FROM tickets LIMIT 1") is None
        if not self.active:
            return
        self.db = ctx.db
        self.saved = [tuple(row) for row in ctx.db.all(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets' AND sql IS NOT NULL")]
        for name, _sql in self.saved:
            ctx.db.execute(f'DROP INDEX "{name}"')

    def ready_for_lookups(self) -> None:
        """Before the duplicate check asks the database: its two indexes, over the rows written so far."""
        if not self.active:
            return
        for name, sql in [entry for entry in self.saved if entry[0] in self.LOOKUP]:
            self.db.execute(sql)
            self.saved.remove((name, sql))

    def finish(self, ctx) -> None:
        if not self.active:
            return
        for _name, sql in self.saved:
            ctx.db.execute(sql)
        self.saved = []
        ctx.db.execute("INSERT INTO ticket_fts (rowid, summary, detail, notes)"
                       " SELECT id, summary, COALESCE(detail, ''), '' FROM tickets")


def import_file(ctx, path: str, **kwargs) -> dict:
    with importing.open_source(path) as binary:
        return import_stream(ctx, binary, source=path, **kwargs)


class _DuplicateFinder:
    """The same record twice: a row whose opened_at, phone, channel, summary, customer name and agent match a
    ticket already stored, or a row checked shortly before in this file (the rows not written yet; those written
    are in the database by then, in the same transaction). The name and the agent count too: a sheet of dates
    without phones lists different visitors with the same words.

    Asking the database row by row was most of an import's time. A row opened after every ticket stored before the
    import (a first import, or this week's sheet) can only repeat a row of this file: a fixed-size Bloom filter of
    the file's rows answers "certainly not" for almost all of them, and the database is asked only on a "maybe"."""

    def __init__(self, db, before_lookup=lambda: None):
        import collections

        self.db = db
        self.before_lookup = before_lookup  # the lookup indexes may still be waiting for the end of the import
        self.recent: collections.OrderedDict = collections.OrderedDict()
        self.latest_before = _UNREAD  # read at the first row, inside the import's transaction
        self.seen = bytearray(_BLOOM_BYTES)  # the same size for any file: memory stays flat

    def skip_if_stored(self, row) -> None:
        opened, phone, channel, summary, name, agent = key = (
            row["opened_at"], row["customer_phone"], row["channel"], row["summary"], row["customer_name"], row["agent"])
        if key in self.recent:
            raise importing.SkipRow(_("the same as an earlier row of this file (time, phone, channel, summary,"
                                      " customer and agent)"))
        one, two, three = _bloom_bits(key)
        seen = self.seen
        maybe = (seen[one >> 3] & (1 << (one & 7)) and seen[two >> 3] & (1 << (two & 7))
                 and seen[three >> 3] & (1 << (three & 7)))
        if self.latest_before is _UNREAD:
            self.latest_before = self.db.value("SELECT MAX(opened_at) FROM tickets")
        if maybe or not (self.latest_before is None or opened > self.latest_before):
            found = self._stored(opened, phone, channel, summary, name, agent)
            if found is not None:
                raise importing.SkipRow(_("ticket {id} is already this record (time, phone, channel, summary,"
                                          " customer and agent)").format(id=found), ticket_id=found)
        for bit in (one, two, three):
            seen[bit >> 3] |= 1 << (bit & 7)
        self.recent[key] = True
        if len(self.recent) > 2 * BATCH:
            self.recent.popitem(last=False)

    def _stored(self, opened, phone, channel, summary, name, agent):
        """Through tickets_phone when the row has a phone (a date-only sheet puts a whole day on one opened_at),
        else tickets_opened: the two indexes an import into an empty desk builds before its first lookup."""
        self.before_lookup()
        same = "channel = ? AND summary = ? AND customer_name IS ? AND agent IS ?"
        if phone is not None:
            return self.db.value("SELECT id FROM tickets INDEXED BY tickets_phone WHERE customer_phone = ?"
                                 " AND opened_at = ? AND " + same + " LIMIT 1",
                                 (phone, opened, channel, summary, name, agent))
        return self.db.value("SELECT id FROM tickets INDEXED BY tickets_opened WHERE opened_at = ?"
                             " AND customer_phone IS NULL AND " + same + " LIMIT 1",
                             (opened, channel, summary, name, agent))


_UNREAD = object()
_BLOOM_BYTES = 1 << 23  # 67 million bits: for a million rows, about one "maybe" in 20,000 is false


def _bloom_bits(key) -> tuple[int, int, int]:
    """Three bit positions of a row's key (from its hash: the filter lives and dies with this process)."""
    h = hash(key) & 0xFFFFFFFFFFFFFFFF
    mask = _BLOOM_BYTES * 8 - 1
    return h & mask, (h >> 21) & mask, ((h >> 42) ^ (h * 0x9E3779B1)) & mask


class _IdAllocator:
    """Ids for rows that bring none: after the highest id in the database or given so far.

    Assigned here rather than by SQLite so a whole batch can be indexed for search at once.
    """

    def __init__(self, db):
        self.db, self.next_id = db, None  # read at the first row, inside the import's transaction

    def assign(self, given):
        if self.next_id is None:
            self.next_id = (self.db.value("SELECT MAX(id) FROM tickets") or 0) + 1
        if given is not None:
            self.next_id = max(self.next_id, given + 1)
            return given
        self.next_id += 1
        return self.next_id - 1


def _preview(ctx, ids) -> list[dict]:
    from cs.desk.tickets import get

    return [get(ctx, ticket_id) for ticket_id in ids]


class _NamedPhones:
    """Phones this import has already written with a name: writing such a customer again changes nothing (the
    first name stays, and with it the time it was given), so a caller who rings every day is written once. The
    last 20,000 are remembered: memory stays flat."""

    KEPT = 20_000

    def __init__(self):
        import collections

        self.recent: collections.OrderedDict = collections.OrderedDict()

    def needed(self, rows) -> list[tuple]:
        contacts = []
        for row in rows:
            phone = row["customer_phone"]
            if phone is None or phone in self.recent:
                continue
            contacts.append((phone, row["customer_name"], row["opened_at"]))
            if row["customer_name"]:
                self.recent[phone] = True
                if len(self.recent) > self.KEPT:
                    self.recent.popitem(last=False)
        return contacts


def _write_batch(ctx, batch, outcome, deferred: _DeferredIndexes | None = None,
                 named: _NamedPhones | None = None) -> int:
    """Insert checked rows; the number written, or 0 with the clashing lines reported."""
    rows = [row for _, row in batch]
    customers.upsert_many(ctx.db, (named or _NamedPhones()).needed(rows))
    ctx.db.execute("SAVEPOINT batch")
    try:
        ctx.db.insert_rows("tickets", COLUMNS, list(map(_AS_TUPLE, rows)))
    except sqlite3.IntegrityError:
        # executemany stops at the clash with the rows before it written: undo them first.
        ctx.db.execute("ROLLBACK TO batch")
        ctx.db.execute("RELEASE batch")
        _find_conflicts(ctx, batch, outcome.fail)
        return 0
    ctx.db.execute("RELEASE batch")
    if deferred is None or not deferred.active:  # else the import is indexed for search at its end
        index_for_search(ctx.db, [(r["id"], r["summary"], r["detail"]) for r in rows])
    customers.give_addresses(ctx.db, rows)
    return len(rows)


def _find_conflicts(ctx, batch, fail) -> None:
    """A batch failed as a whole: say which lines clash (the transaction rolls back anyway)."""
    for line, row in batch:
        try:
            ctx.db.execute("SAVEPOINT one_row")
            ctx.db.execute(INSERT_SQL, row)
            ctx.db.execute("RELEASE one_row")
        except sqlite3.IntegrityError as exc:
            ctx.db.execute("ROLLBACK TO one_row")
            ctx.db.execute("RELEASE one_row")
            field = "id" if "UNIQUE" in str(exc) or "PRIMARY" in str(exc) else "(row)"
            message = _("ticket id {id} is already used (in the database or earlier in this file)").format(id=row["id"])
            fail(line, field, message if field == "id" else str(exc))
