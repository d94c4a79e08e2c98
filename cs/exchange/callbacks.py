"""Callback import: the 回访记录 sheets centres keep (customer, phone, due or done time, outcome, note), and the
JSON, JSONL and CSV that `cs callback list` writes. All or nothing, like the ticket import.

A row with an outcome (满意/一般/不满意) records a callback that was made: status done, done at its
回访时间. A row without one is a callback still owed: status pending, due at its 应回访时间. Imported
rows keep their history's times; they are not moved into contact hours (that is for new promises).
"""

from __future__ import annotations

from cs.core.errors import CSError
from cs.core.i18n import N_, _
from cs.core.text import MAX_TEXT, clean_text
from cs.core.vocabulary import CALLBACK_STATUSES, METHODS, OUTCOMES, REASONS, normalise
from cs.desk import customers
from cs.exchange import importing, sheets
from cs.exchange.importing import AgentNames, RowError, SheetKind, SheetOptions, headers_for, positive_int, stored_time

BATCH = 500

FIELDS = ("id", "ticket_id", "customer_name", "customer_phone", "reason", "method", "agent", "status", "due_at",
          "not_before", "next_try_at", "attempts", "outcome", "score", "note", "policy", "created_at", "done_at",
          "overdue")
# Fields of `callback list` output the import decides itself: a new id, and what follows from status and times.
_DERIVED = ("id", "overdue", "next_try_at")

_HEADERS = {
    "customer_name": ("客户姓名", "姓名", "业主", "业主姓名", "客户名称", "回访对象", "联系人", "被回访人"),
    "customer_phone": ("联系电话", "手机", "手机号", "手机号码", "电话号码", "联系方式", "客户电话", "回访电话"),
    "due_at": ("应回访时间", "计划回访时间", "回访期限", "预约回访时间", "计划回访日期", "应回访日期", "截止时间"),
    "done_at": ("回访时间", "回访日期", "实际回访时间", "回访完成时间"),
    "outcome": ("回访结果", "满意度", "客户满意度", "评价", "满意程度"),
    "note": ("回访内容", "内容", "客户意见", "回访记录", "回访情况", "意见建议", "客户反馈", "情况说明"),
    "agent": ("回访人", "执行人", "回访员", "回访客服", "客服", "经办人", "坐席", "Caller"),
    "method": ("回访方式",),
    "reason": ("回访原因", "回访类型", "回访类别", "类型"),
    "ticket_id": ("工单号", "工单编号", "关联工单"),
    "status": ("回访状态",),
    "score": ("评分", "分数", "满意度评分"),
}
_TIME_FIELDS = frozenset({"due_at", "not_before", "next_try_at", "created_at", "done_at"})
# Fields as refusals name them (translated where shown).
_WORDS = {"reason": N_("reason"), "method": N_("method"), "status": N_("status"), "customer_name": N_("customer name"),
          "note": N_("note"), "policy": N_("policy")}
CALLBACK_SHEET = SheetKind(
    noun="callback", fields=FIELDS, headers=headers_for(FIELDS, _HEADERS), joinable=_TIME_FIELDS | {"note"},
    numeric=_TIME_FIELDS | {"id", "ticket_id", "attempts", "score", "outcome"}, times=_TIME_FIELDS,
)
_INSERT = (
    "INSERT INTO callbacks (ticket_id, customer_name, customer_phone, reason, method, agent, status, due_at,"
    " not_before, next_try_at, attempts, outcome, score, note, policy, created_at, created_by, done_at, ended_at,"
    " updated_at) VALUES (:ticket_id, :customer_name, :customer_phone, :reason, :method, :agent, :status, :due_at,"
    " :not_before, :next_try_at, :attempts, :outcome, :score, :note, :policy, :created_at, :created_by, :done_at,"
    " :ended_at, :updated_at)"
)


def _outcome_and_score(value):
    """满意 / satisfied, or a 1-5 rating a sheet gives instead (4-5 satisfied, 3 neutral, 1-2 dissatisfied)."""
    number = sheets.whole_number_text(value)
    if isinstance(number, str) and number.strip().isdigit():
        score = int(number)
        if not 1 <= score <= 5:
            raise RowError("outcome", _("{value!r} is not 满意/一般/不满意 nor a rating of 1 to 5").format(value=value))
        return ("satisfied" if score >= 4 else "neutral" if score == 3 else "dissatisfied"), score
    if not isinstance(value, str):
        raise RowError("outcome", _("must be text"))
    try:
        return normalise(value, OUTCOMES, N_("outcome")), None
    except CSError as exc:
        raise RowError("outcome", str(exc)) from None


class RowChecker:
    def __init__(self, ctx):
        self.ctx = ctx
        self.agent = AgentNames(ctx.db)

    def check(self, row) -> dict:
        if type(row) is not dict:
            raise RowError("(line)", _("each record must be an object with callback fields"))
        unknown = [key for key in row if key not in FIELDS]
        if unknown:
            raise RowError(unknown[0], _("unknown field; fields are those 'cs callback list --json' writes"))
        given = {key: value for key, value in row.items() if value is not None and key not in _DERIVED}
        out = {"ticket_id": None, "customer_name": None, "customer_phone": None, "agent": None, "note": None,
               "policy": None, "outcome": None, "score": None, "done_at": None, "due_at": None, "not_before": None,
               "created_at": None, "attempts": 0}
        for key in _TIME_FIELDS & given.keys():
            out[key] = stored_time(key, given[key], self.ctx.tz)
        if "due_at" in given:
            self._due_by_day(given["due_at"], out)
        out["reason"] = self._enum(given, "reason", REASONS, "other")
        out["method"] = self._enum(given, "method", METHODS, "phone")
        self._texts(given, out)
        self._ticket(given, out)
        if "agent" in given:
            out["agent"] = self.agent("agent", given["agent"])
        if "attempts" in given:
            out["attempts"] = positive_int(sheets.whole_number_text(given["attempts"]) or 0, "attempts", zero=True)
        if "outcome" in given:
            out["outcome"], out["score"] = _outcome_and_score(given["outcome"])
        if "score" in given:
            out["score"] = self._score(given["score"])
        self._state(given, out)
        return out

    def _due_by_day(self, value, out):
        """A due day without a time (2026/11/18) is due by the close of that day's contact hours."""
        from cs.core import clock

        day = sheets.date_only(value)
        if day is not None:
            out["due_at"] = clock.to_db(self.ctx.contact_hours.close_of_day(day, self.ctx.tz))

    @staticmethod
    def _enum(given, key, table, default):
        value = given.get(key, default)
        if not isinstance(value, str):
            raise RowError(key, _("must be text"))
        try:
            return normalise(value, table, _WORDS[key])
        except CSError as exc:
            raise RowError(key, str(exc)) from None

    @staticmethod
    def _texts(given, out):
        for key, limit in (("customer_name", 200), ("note", MAX_TEXT), ("policy", 40)):
            if key in given:
                try:
                    out[key] = clean_text(str(sheets.whole_number_text(given[key])), _WORDS[key], limit)
                except CSError as exc:
                    raise RowError(key, str(exc)) from None
        if "customer_phone" in given:
            try:
                out["customer_phone"] = customers.normalise_phone(str(sheets.whole_number_text(given["customer_phone"])))
            except CSError as exc:
                raise RowError("customer_phone", str(exc)) from None

    def _ticket(self, given, out):
        """A row naming a ticket takes its customer (and its agent) when the sheet leaves them out."""
        if "ticket_id" not in given:
            return
        out["ticket_id"] = positive_int(sheets.whole_number_text(given["ticket_id"]), "ticket_id")
        ticket = self.ctx.db.one("SELECT customer_name, customer_phone, agent FROM tickets WHERE id = ?",
                                 (out["ticket_id"],))
        if ticket is None:
            raise RowError("ticket_id", _("ticket {id} not found").format(id=out["ticket_id"]))
        out["customer_phone"] = out["customer_phone"] or ticket["customer_phone"]
        out["customer_name"] = out["customer_name"] or ticket["customer_name"]
        out["agent"] = out["agent"] or ticket["agent"]

    @staticmethod
    def _score(value):
        number = positive_int(sheets.whole_number_text(value), "score")
        if not 1 <= number <= 5:
            raise RowError("score", _("must be 1 to 5"))
        return number

    def _state(self, given, out):
        """Status and its times: made (done, with an outcome), owed (pending, with a due time), or ended."""
        if "status" in given:
            status = self._enum(given, "status", CALLBACK_STATUSES, "pending")
        else:
            status = "done" if out["outcome"] else "pending"
        if not out["customer_phone"] and out["method"] in ("phone", "sms"):
            raise RowError("customer_phone", _("required for a {method} callback (or give a ticket_id)").format(
                method=out["method"]))
        now = self.ctx.now_db
        if status == "done":
            if not out["outcome"]:
                raise RowError("outcome", _("required for a callback that was made (满意, 一般 or 不满意)"))
            out["done_at"] = out["done_at"] or out["due_at"]
            if not out["done_at"]:
                raise RowError("done_at", _("required: when the callback was made"))
            if out["done_at"] > now:
                raise RowError("done_at", _("is in the future; records describe what has happened"))
        elif status == "pending" and (out["outcome"] or out["done_at"]):
            raise RowError("status", _("is pending but the row has an outcome or a done time"))
        out["due_at"] = out["due_at"] or out["done_at"]
        if not out["due_at"]:
            raise RowError("due_at", _("required: when the callback is (or was) due"))
        out["not_before"] = out["not_before"] or min(t for t in (out["due_at"], out["done_at"], out["created_at"]) if t)
        if out["not_before"] > out["due_at"]:
            raise RowError("not_before", _("is after due_at"))
        out["created_at"] = out["created_at"] or min(out["not_before"], now)
        out["status"] = status
        out["ended_at"] = (out["done_at"] or out["due_at"]) if status != "pending" else None
        out["next_try_at"] = out["not_before"] if status == "pending" else None
        out["created_by"] = self.ctx.actor
        out["updated_at"] = now


def import_stream(ctx, binary, *, source: str, fmt: str | None = None, dry_run: bool = False,
                  options: SheetOptions | None = None) -> dict:
    """Import callbacks from an open binary stream (a file, or stdin when `source` is '-')."""
    checker = RowChecker(ctx)
    next_id = [(ctx.db.value("SELECT MAX(id) FROM callbacks") or 0) + 1]

    def check(row):
        checked = checker.check(row)
        checked["id"] = next_id[0]  # the id it will get: rows are inserted in order
        next_id[0] += 1
        return checked

    return importing.run(ctx, binary, CALLBACK_SHEET, source=source, fmt=fmt, dry_run=dry_run, options=options,
                         check=check, write=_write_batch, batch_size=BATCH, show=_preview)


def import_file(ctx, path: str, **kwargs) -> dict:
    with importing.open_source(path) as binary:
        return import_stream(ctx, binary, source=path, **kwargs)


def _write_batch(ctx, batch, outcome) -> int:
    rows = [row for _, row in batch]
    customers.upsert_many(ctx.db, [(r["customer_phone"], r["customer_name"], r["created_at"])
                                   for r in rows if r["customer_phone"]])
    events = []
    for row in rows:
        callback_id = ctx.db.execute(_INSERT, row).lastrowid
        events.append((callback_id, row["created_at"], ctx.actor, "created", None, "imported"))
        if row["status"] != "pending":
            events.append((callback_id, row["ended_at"], ctx.actor, row["status"], row["outcome"], row["note"]))
    ctx.db.executemany("INSERT INTO callback_events (callback_id, at, actor, kind, result, note)"
                       " VALUES (?, ?, ?, ?, ?, ?)", events)
    return len(rows)


def _preview(ctx, ids) -> list[dict]:
    from cs.desk.callbacks import get

    return [get(ctx, callback_id) for callback_id in ids]
