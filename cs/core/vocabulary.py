"""Enumerations: the English code is stored; the Chinese label is accepted on input and shown in tables."""

from __future__ import annotations

from cs.core.errors import CSError
from cs.core.i18n import N_, _

# CHANNELS and CATEGORIES are the built-in ones plus the centre's own ([[channel]], [[category]]): each run's
# Context puts its desk's words in (use_centre_words), in place, so every module that imported them sees them.
CHANNELS = {
    "phone": ("来电", "phone"),
    "visit": ("来访", "visit"),
    "online": ("在线", "online"),
    "email": ("邮件", "email"),
    "sms": ("短信", "SMS"),
    "letter": ("信函", "letter"),
    "social": ("社交媒体", "social media"),
}
CATEGORIES = {
    "inquiry": ("咨询", "inquiry"),
    "complaint": ("投诉", "complaint"),
    "repair": ("报修", "repair"),
    "return": ("退换货", "return"),
    "suggestion": ("建议", "suggestion"),
    "booking": ("预约", "booking"),
    "other": ("其他", "other"),
}
BUILTIN_CHANNELS = dict(CHANNELS)
BUILTIN_CATEGORIES = dict(CATEGORIES)
_BUILTIN_WORDS = {id(CHANNELS): BUILTIN_CHANNELS, id(CATEGORIES): BUILTIN_CATEGORIES}


def extended(builtin: dict, entries: list) -> dict:
    """The built-in table with a centre's entries: a new code is added, a built-in code takes the centre's label."""
    table = dict(builtin)
    for entry in entries:
        table[entry["code"]] = (entry["label"], entry.get("en") or entry["code"])
    return table


def use_centre_words(config: dict) -> None:
    """The desk's channels and categories, for this run (the tables are replaced, never added to: a process that
    opens two desks, as the tests do, does not carry one's words into the other)."""
    for table, builtin, key in ((CHANNELS, BUILTIN_CHANNELS, "channel"), (CATEGORIES, BUILTIN_CATEGORIES, "category")):
        wanted = extended(builtin, config.get(key, []))
        if wanted != table:
            table.clear()
            table.update(wanted)


PRIORITIES = {
    "low": ("低", "low"),
    "normal": ("普通", "normal"),
    "high": ("高", "high"),
    "urgent": ("紧急", "urgent"),
}
STATUSES = {
    "open": ("待处理", "open"),
    "in_progress": ("处理中", "in progress"),
    "pending": ("挂起", "pending"),
    "resolved": ("已解决", "resolved"),
    "closed": ("已关闭", "closed"),
}
VERDICTS = {
    "upheld": ("投诉成立", "upheld"),
    "rejected": ("投诉不成立", "rejected"),
}
HANDOVER_STATUSES = {
    "open": ("待处理", "open"),
    "acked": ("已确认", "acked"),
    "done": ("已完成", "done"),
}
DUTY_ASSIGNMENTS = {
    "all": ("当班全员", "all"),
    "rota": ("值日表轮值", "rota"),
    "assigned": ("组长指派", "assigned"),
}
# The escalation actions of the default rules; a centre's own action is shown as its rule writes it.
ACTIONS = {
    "dismissal": ("辞退", "dismissal"),
    "advise_to_leave": ("劝退", "advised to leave"),
    "warning": ("警告", "warning"),
}
# What each line of a ticket's or a callback's history records (shown in tables; stored as the code).
TICKET_EVENTS = {
    "created": ("登记", "created"), "responded": ("首次响应", "responded"), "assigned": ("转派", "assigned"),
    "note": ("备注", "note"), "pended": ("挂起", "pended"), "resumed": ("恢复处理", "resumed"),
    "resolved": ("解决", "resolved"), "closed": ("关闭", "closed"), "reopened": ("重新打开", "reopened"),
    "verdict": ("投诉结论", "verdict"), "satisfaction": ("满意度", "satisfaction"), "updated": ("修改", "updated"),
    "imported": ("导入", "imported"), "transferred": ("转交部门", "transferred"),
}
CALLBACK_EVENTS = {
    "created": ("创建", "created"), "assigned": ("转派", "assigned"), "attempt": ("尝试联系", "attempt"),
    "done": ("完成", "done"), "cancelled": ("取消", "cancelled"), "failed": ("无法联系", "failed"),
    "rescheduled": ("改期", "rescheduled"), "imported": ("导入", "imported"), "superseded": ("被替代", "superseded"),
}
DISPATCH_STATUSES = {
    "sent": ("已派单", "sent"),
    "accepted": ("已接单", "accepted"),
    "done": ("已完工", "done"),
}
APPEAL_STATUSES = {
    "open": ("待处理", "open"),
    "accepted": ("已采纳", "accepted"),
    "rejected": ("已驳回", "rejected"),
}
JOB_OUTCOMES = {
    "ok": ("成功", "ok"),
    "failed": ("失败", "failed"),
    "running": ("运行中", "running"),
    "interrupted": ("已中断", "interrupted"),
}
ROLES = {
    "agent": ("客服", "agent"),
    "leader": ("组长", "team leader"),
    "supervisor": ("主管", "supervisor"),
}

# Short forms people type, and the words centres' own sheets use (checked only where the code exists).
_ALIASES = {
    "成立": "upheld", "不成立": "rejected",
    "电话": "phone", "热线": "phone", "上门": "visit", "到访": "visit", "现场": "visit", "网上": "online",
    "网络": "online", "邮箱": "email", "来信": "letter",
    "维修": "repair", "询问": "inquiry", "意见": "suggestion", "退货": "return", "换货": "return",
    "非常满意": "satisfied", "基本满意": "neutral", "非常不满意": "dissatisfied",
}

# What the callers of `normalise` call their values (`what`), for the catalogue: the refusal names it in the
# reader's language.
_WHAT = (N_("channel"), N_("category"), N_("priority"), N_("status"), N_("verdict"), N_("role"), N_("reason"),
         N_("method"), N_("result"), N_("outcome"))


def normalise(value: str, table: dict, what: str) -> str:
    """The code for `value`, given as code, Chinese label or English label (any case)."""
    text = value.strip()
    if text in table:
        return text
    folded = text.lower()
    for code, (zh, en) in table.items():
        if folded in (zh.lower(), en.lower(), code.lower()):
            return code
    # A built-in the centre relabelled keeps its own words: sheets written before still say 来电.
    for code, (zh, en) in _BUILTIN_WORDS.get(id(table), {}).items():
        if code in table and folded in (zh.lower(), en.lower()):
            return code
    if text in _ALIASES and _ALIASES[text] in table:
        return _ALIASES[text]
    raise CSError(_("unknown {what} {value!r}; use one of: {choices}").format(what=_(what), value=value,
                                                                             choices=choices_text(table)))


def code_word(table: dict, code) -> str:
    """A code inside a sentence: the code in English; in Chinese its label, with the code a user types after it
    (处理中（in_progress）)."""
    from cs.core.i18n import is_chinese

    if code is None or not is_chinese() or code not in table:
        return code
    return f"{table[code][0]}（{code}）"


def choices_text(table: dict) -> str:
    return ", ".join(f"{code} ({zh})" for code, (zh, _) in table.items())


def label(table: dict, code, lang: str) -> str:
    if code is None:
        return ""
    zh, en = table.get(code, (code, code))
    return zh if lang == "zh" else en

# --- callbacks (回访) ---
REASONS = {
    "complaint_followup": ("投诉回访", "complaint follow-up"),
    "post_repair": ("维修回访", "post-repair"),
    "new_customer": ("新客户回访", "new customer"),
    "dormant": ("沉睡客户回访", "dormant customer"),
    "no_show": ("到访未消费回访", "visited, did not buy"),
    "satisfaction": ("满意度调查", "satisfaction survey"),
    "visit_plan": ("走访", "visit plan"),
    "other": ("其他", "other"),
}
METHODS = {
    "phone": ("电话", "phone"),
    "sms": ("短信", "SMS"),
    "visit": ("上门", "visit"),
    "mail": ("信件", "mail"),
    "online": ("在线", "online"),
}
CALLBACK_STATUSES = {
    "pending": ("待回访", "pending"),
    "done": ("已回访", "done"),
    "failed": ("无法联系", "failed"),
    "cancelled": ("已取消", "cancelled"),
}
OUTCOMES = {
    "satisfied": ("满意", "satisfied"),
    "neutral": ("一般", "neutral"),
    "dissatisfied": ("不满意", "dissatisfied"),
}
ATTEMPT_RESULTS = {
    "no_answer": ("无人接听", "no answer"),
    "busy": ("占线", "busy"),
    "wrong_number": ("号码错误", "wrong number"),
}
