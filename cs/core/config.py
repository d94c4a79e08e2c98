"""Centre configuration: the seed defaults, TOML in and out, validation, versions kept in the database.

The stored document is what `cs config load` was given (or what `set` produced); the effective
configuration is the defaults with the stored sections laid over them, so a section a centre never
wrote keeps its default and a later version of cs can add sections without a data migration.
"""

from __future__ import annotations

import copy
import json
import re

from cs.core.errors import CSError
from cs.core.i18n import N_, _

DEFAULTS: dict = {
    # The language of messages, tables and reports unless --lang or CS_LANG says otherwise (SPEC section 17).
    "language": "zh",
    # The centre's own channels and categories beside the built-in ones (SPEC section 17): [[channel]] and
    # [[category]] with a code and a label, e.g. wechat 微信, hotline 400热线, app 业主App, praise 表扬.
    "channel": [],
    "category": [],
    "calendar": "cn",
    "extra_holidays": [],
    "extra_workdays": [],
    "contact_hours": ["09:00-12:00", "14:00-21:00"],
    # Service hours (服务时间): unset `hours` means the union of the shifts' windows (09:00-23:00 by default).
    "service": {"days": "every"},
    "sla": {
        "urgent": {"first_response": "15m", "resolve": "4h"},
        "high": {"first_response": "30m", "resolve": "1wd"},
        "normal": {"first_response": "2h", "resolve": "2wd"},
        "low": {"first_response": "4h", "resolve": "3wd"},
        # A dispatch to a department (派单): accepted within `accept` of service time, done within `done`.
        "dispatch": {"accept": "30m", "done": "1wd"},
    },
    "shift": [
        {"code": "day", "label": "白班", "start": "09:00", "end": "18:00"},
        {"code": "late", "label": "晚班", "start": "14:00", "end": "23:00"},
    ],
    # A VIP's resolved ticket always gets the callback of the first policy that applies (seed 003: 必须保证
    # 重点客户的100%的回访), whatever its quota says.
    "callback": {"retry_after": "2h", "max_attempts": 3, "vip_always": True},
    "callback_policy": [
        {
            "code": "complaint",
            "label": "投诉回访",
            "categories": ["complaint"],
            "within": "3d",
            "delay": "1h",
            "sample": 1.0,
            "method": "phone",
            "reason": "complaint_followup",
            "seed": "000: 三周以上不上课学员回访,旷课学员回访,投诉和建议回访等这些都需要我们主动去做",
        },
        {
            "code": "repair",
            "label": "维修回访",
            "categories": ["repair"],
            "within": "14d",
            "delay": "1h",
            "sample": 0.5,
            "method": "phone",
            "reason": "post_repair",
            "seed": "003: 對維修用戶50%以上回訪(在維修后兩個星期內(nèi)完成)",
        },
        {
            "code": "new_customer",
            "label": "新客户回访",
            "new_customers_only": True,
            "within": "1mo",
            "delay": "1d",
            "sample": 0.1,
            "method": "phone",
            "reason": "new_customer",
            "seed": "003: 對新用戶實現(xiàn)10%以上回訪(在購機(jī)后一個月內(nèi)完成)",
        },
        {
            "code": "key_customer",
            "label": "重点客户回访",
            "vip_only": True,
            "within": "3d",
            "delay": "1h",
            "sample": 1.0,
            "method": "phone",
            "reason": "satisfaction",
            "seed": "003: 必須保證重點客戶的100%的回訪",
        },
    ],
    "duty": [],
    # Visit plans (走访计划): none by default; seed 004's half-yearly round is an example in the README.
    "visit_plan": [],
    "scoring": {"base": 100, "grace": "30m", "recheck_days": 7, "appeal_days": 3},
    # Every default rule quotes the seed line it comes from (`cs config show` prints it).
    "rule": [
        {"code": "callback_overdue", "label": "回访超时未完成", "source": "callback_overdue", "points": 1,
         "seed": "000: 试压服务回访并登记 未完成一张扣1分"},
        {"code": "first_response_late", "label": "首次响应超时", "source": "first_response_late", "points": 1,
         "seed": "001: 遇到客户咨询,应及时快速回复,不允许出现“踢皮球”现象"},
        {"code": "complaint_upheld", "label": "服务态度恶劣遭投诉(投诉成立)", "source": "complaint_upheld", "points": 5,
         "seed": "000: 服务顾客态度恶劣遭投诉 一次5分"},
        {"code": "handover_unfinished", "label": "交接事项未完成", "source": "handover_unfinished", "points": 2,
         "seed": "000: 完成昨天未完成工作任务,未完成一项扣2分"},
        {"code": "handover_missing", "label": "未填写交接班备忘录", "source": "handover_missing", "points": 1,
         "seed": "001: 客服值班人员在当班期间无论是否有事情未来得及处理,都必须填写备忘录"},
        # The points are each duty's own ([[duty]] points); the rule names and labels the charge.
        {"code": "duty_missed", "label": "每日工作未完成", "source": "duty_missed", "points": 1,
         "seed": "000: 每天发送电子管路图 未完成一份扣1分; 每天昨天统计试压卡 未完成扣2分"},
        {"code": "report_error", "label": "报表出错", "source": "manual", "points": 3,
         "seed": "000: 统计各类报表出错、延时一次 扣3分"},
        {"code": "hygiene", "label": "卫生未打扫", "source": "manual", "points": 1,
         "seed": "000: 打扫门店卫生区域(按值日表双方协调)未打扫一次扣1分"},
        {"code": "rude_service", "label": "服务态度恶劣", "source": "manual", "points": 5,
         "replaces": "complaint_upheld", "seed": "000: 服务顾客态度恶劣遭投诉 一次5分"},
        {
            "code": "off_task",
            "label": "上班做与工作无关的事",
            "source": "manual",
            "points": 0,
            "escalation": [{"fine": 10}, {"fine": 30}, {"action": "dismissal"}],
            # The seed sets no window: the third offence ever is the third.
            "window": "ever",
            "seed": "001: 上班时间不得做与工作无关的事情 ... 发现第一次违规,罚款10元,第二次30元,第三次开除。",
        },
        {
            "code": "negative_talk",
            "label": "在办公室散播负面言语和情绪",
            "source": "manual",
            "points": 0,
            "escalation": [{"fine": 200}, {"action": "advise_to_leave"}],
            "window": "ever",
            "seed": "001: 严禁在办公室散播负面言语和情绪,影响其他同事的工作。第一次罚款200元。第二次劝退。",
        },
    ],
    # Roster rules (seed 001: 每月四天休息; 值晚班客服第二天不适合上全白班; 做六休一): broken ones are warned of.
    "roster": {"max_consecutive_days": 6, "min_rest_days_per_month": 4, "no_day_after_late": True},
    # Who may change what (SPEC section 13): the account cron and sudo run cs as, and how far back a
    # change may be dated before it needs a leader or supervisor and is flagged.
    "security": {"backdate_limit": "1h"},
    "alerts": {
        "channels": ["stdout"],
        "escalate_after": "2h",
        "alert_hours": "08:00-22:00",
    },
    "channels": {},
    "team": [],
    # The 值班日志 reaches the supervisor (seed 001: 备份二发客服主管的邮箱): shift-reports sends each report it
    # writes to the supervisors through the alert channels.
    "reports": {"deliver": False},
    # The hotline (SPEC section 19): answered within answer_within counts as within three rings (seed 004:
    # 在电话铃响3次前接听); cs staffing plans for service_level of the calls within it, no agent busier than
    # max_occupancy, and shrinkage of the rostered time away from the phones.
    "calls": {"answer_within": "15s", "service_level": 0.8, "max_occupancy": 0.85, "shrinkage": 0.3},
}

# Sections whose value replaces the default as a whole (lists, and tables keyed by user names).
_WHOLE_SECTIONS = {"channels"}
# Lists of entries with a code: a file's list is the list in force (cs config load says which defaults it drops),
# or is merged with it by code (cs config load --merge); `enabled = false` leaves an entry out.
CODED_LISTS = ("shift", "callback_policy", "duty", "rule", "visit_plan", "channel", "category")


def effective(stored: dict | None) -> dict:
    """Defaults overlaid with the stored document, table by table; entries with `enabled = false` left out."""
    result = copy.deepcopy(DEFAULTS)
    for key, value in (stored or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict) and key not in _WHOLE_SECTIONS:
            result[key] = _merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    for key in CODED_LISTS:
        if isinstance(result.get(key), list):
            result[key] = [item for item in result[key] if not (isinstance(item, dict) and item.get("enabled") is False)]
    return result


def without_disabled(document: dict) -> dict:
    """The document with its `enabled = false` entries left out: a merge's "drop this code" names only the code."""
    return {key: ([item for item in value if not (isinstance(item, dict) and item.get("enabled") is False)]
                  if key in CODED_LISTS and isinstance(value, list) else value) for key, value in document.items()}


def merged(in_force: dict, stored: dict, document: dict) -> tuple[dict, list[str]]:
    """`cs config load --merge`: the stored document with the file's tables merged key by key and its coded lists
    merged with the lists in force by code (an entry replaces the one with its code, a new code is added,
    `enabled = false` drops it); and notes on codes to drop that are not in force (a misspelt code?)."""
    result, notes = copy.deepcopy(stored), []
    for key, value in document.items():
        if key in CODED_LISTS:
            entries = {item["code"]: item for item in in_force.get(key, [])}
            for item in value:
                if item.get("enabled") is False:
                    if entries.pop(item.get("code"), None) is None:
                        notes.append(_("[[{key}]] {code!r} with enabled = false names no entry in force;"
                                       " nothing was dropped").format(key=key, code=item.get("code")))
                else:
                    entries[item["code"]] = item
            result[key] = list(entries.values())
        elif isinstance(value, dict) and isinstance(result.get(key), dict) and key not in _WHOLE_SECTIONS:
            result[key] = _merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result, notes


def dropped(in_force: dict, stored: dict, document: dict) -> list[str]:
    """What a plain `cs config load` of `document` leaves out that was in force: entries of the coded lists it
    names (by code, defaults included), and tables set before that the file does not have."""
    notes = []
    for key in CODED_LISTS:
        if key in document:
            kept = {item["code"] for item in document[key] if item.get("enabled") is not False}
            gone = [item["code"] for item in in_force.get(key, []) if item["code"] not in kept]
            if gone:
                notes.append(_("[[{key}]] in this file drops {codes}; to add to the list instead,"
                               " use cs config load --merge").format(key=key, codes=", ".join(gone)))
    for key in stored:
        if key not in document and key in CODED_LISTS:
            codes = ", ".join(item.get("code", "?") for item in stored[key]) or _("an empty list")
            notes.append(_("[[{key}]] set before ({codes}) is not in this file: the list goes back to its default;"
                           " to keep it, use cs config load --merge").format(key=key, codes=codes))
        elif key not in document:
            notes.append(_("[{key}] set before is not in this file and goes back to its default").format(key=key))
    return notes


def _merge(base: dict, over: dict) -> dict:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# --- reading and writing TOML ------------------------------------------------------------


def parse_toml(text: str, source: str = "config") -> dict:
    import tomllib

    try:
        return _dates_as_text(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise CSError(_("{source} is not valid TOML: {error}; fix it and load it again")
                      .format(source=source, error=exc)) from exc
    except RecursionError:
        raise CSError(_("{source} is nested too deeply to be a configuration").format(source=source)) from None


def dump_toml(config: dict) -> str:
    """TOML for the shapes a configuration has: scalars, lists, tables and arrays of tables."""
    lines: list[str] = []
    _dump_table(config, [], lines)
    return "\n".join(lines).strip() + "\n"


def _is_table_array(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _dump_table(table: dict, path: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict) and not _is_table_array(v)}
    for key, value in scalars.items():
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        if isinstance(value, dict):
            sub = path + [key]
            has_scalars = any(not isinstance(v, dict) and not _is_table_array(v) for v in value.values())
            if has_scalars or not value:
                lines.append("")
                lines.append(f"[{'.'.join(_key(p) for p in sub)}]")
            _dump_table(value, sub, lines)
        elif _is_table_array(value):
            for item in value:
                lines.append("")
                lines.append(f"[[{'.'.join(_key(p) for p in path + [key])}]]")
                _dump_table(item, path + [key], lines)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes), but TOML also forbids a raw DEL.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


# --- validation ---------------------------------------------------------------------------


def schema_text(name: str) -> str:
    """A JSON Schema shipped with the package (installed as cs.schemas, or the repo's schemas/)."""
    from importlib import resources

    try:
        return resources.files("cs.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    except ModuleNotFoundError:
        from pathlib import Path

        return (Path(__file__).resolve().parents[2] / "schemas" / f"{name}.schema.json").read_text("utf-8")


def validate(stored: dict) -> dict:
    """Check a stored document against the schema and the rules a schema cannot say; return the effective config."""
    import jsonschema

    schema = json.loads(schema_text("config"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(stored), key=lambda e: list(e.absolute_path))
    if errors:
        raise CSError(_("invalid configuration: {problems}")
                      .format(problems="; ".join(_describe(e) for e in errors[:5])))
    config = effective(stored)
    _check_semantics(config)
    return config


# What each pattern of the configuration's schema asks for, in words (a regular expression helps nobody).
_PATTERN_WORDS = {
    "^\\d+(m|h|d|w|wd)$": N_("a duration such as 30m, 2h, 3d, 1w or 2wd (working days)"),
    "^\\d+(mo|m|h|d|w|wd)$": N_("a duration such as 30m, 2h, 3d, 1w, 2wd (working days) or 1mo (calendar months)"),
    "^\\d{1,9}(m|h)$": N_("a duration in minutes or hours, such as 30m or 1h"),
    "^\\d{1,9}(m|h|d)$": N_("a duration such as 30m, 1h or 1d"),
    "^[A-Za-z0-9_-]{1,40}$": N_("a code of letters, digits, _ and - (at most 40), such as late_shift"),
    "^\\d{4}-\\d{2}-\\d{2}$": N_("a date such as 2026-11-20"),
    "^\\d{1,2}:\\d{2}-\\d{1,2}:\\d{2}$": N_("a window of the day such as 09:00-12:00"),
    "^([01]\\d|2[0-3]):[0-5]\\d$": N_("a time of day such as 09:00"),
    "^https?://": N_("a web address starting http:// or https://"),
    "^[a-z_][a-z0-9_.-]{0,31}$": N_("a login name such as csdesk"),
    "^(all|vip|tag:[^,; \\t\\n]+)$": N_("all, vip, or tag:TAG"),
    "^\\S(.*\\S)?$": N_("one line of text with no space at either end"),
    "^\\d{1,4}(s|m)$": N_("a time in seconds or minutes, such as 15s or 1m"),
}


def _describe(error) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or _("(top level)")
    if where.endswith("_env"):  # the value is not echoed: it may be the secret itself
        return _("{where} must name an environment variable (capitals, digits and _, e.g. CS_SMTP_PASSWORD)"
                 " that holds the secret, not the secret itself").format(where=where)
    if error.validator == "pattern" and error.validator_value in _PATTERN_WORDS:
        return _("{where}: {value!r} is not {words}").format(where=where, value=error.instance,
                                                             words=_(_PATTERN_WORDS[error.validator_value]))
    said = _schema_words(error)
    if said is not None:
        return f"{where}: {said}"
    # jsonschema's own message, in English: for the checks a configuration rarely trips.
    return f"{where}: {error.message}"


def _schema_words(error) -> str | None:
    """The common refusals in the reader's language (jsonschema writes its messages in English)."""
    value, wanted = error.instance, error.validator_value
    if error.validator == "enum":
        return _("{value!r} is not one of {choices}").format(value=value, choices=", ".join(map(repr, wanted)))
    if error.validator == "required":
        missing = [key for key in wanted if isinstance(value, dict) and key not in value]
        return _("{keys} must be given").format(keys=", ".join(missing) or ", ".join(wanted))
    if error.validator == "additionalProperties" and isinstance(value, dict):
        known = set(error.schema.get("properties", {}))
        unknown = sorted(key for key in value if key not in known)
        return _("unknown key(s) {keys}; see cs config show for the keys there are").format(keys=", ".join(unknown))
    if error.validator == "type":
        kinds = wanted if isinstance(wanted, list) else [wanted]
        return _("{value!r} should be {kinds}").format(value=value, kinds=_(" or ").join(
            _(_TYPE_WORDS.get(kind, kind)) for kind in kinds))
    if error.validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return _("{value!r} is out of range ({bound} {limit})").format(
            value=value, bound=error.validator, limit=wanted)
    if error.validator in ("minLength", "maxLength", "minItems", "maxItems"):
        return _("{value!r} has the wrong length ({bound} {limit})").format(value=value, bound=error.validator,
                                                                           limit=wanted)
    return None


_TYPE_WORDS = {"string": N_("text in quotes"), "integer": N_("a whole number"), "number": N_("a number"),
               "boolean": N_("true or false"), "array": N_("a list [...]"), "object": N_("a table"),
               "null": N_("nothing")}


def _refuse_non_finite(value, where: str) -> None:
    """inf and nan are TOML numbers but no score, fine or limit: JSON cannot even print them."""
    import math

    if isinstance(value, float) and not math.isfinite(value):
        raise CSError(_("invalid configuration: {where}: {value} is not a finite number")
                      .format(where=where.lstrip("."), value=value))
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_non_finite(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_non_finite(item, f"{where}.{index}")


def _check_visit_plans(config: dict) -> None:
    if not config["visit_plan"]:
        return
    import datetime

    from dateutil.rrule import rrulestr

    for plan in config["visit_plan"]:
        where = f"visit_plan {plan['code']}"
        if "start" in plan:
            _check(lambda: _iso_date(plan["start"]), _("{where}.start: not a date YYYY-MM-DD").format(where=where))
        try:
            start = datetime.datetime.fromisoformat(plan["start"]) if "start" in plan else datetime.datetime(2026, 1, 1)
            rule = rrulestr(f"RRULE:{plan['rrule']}", dtstart=start)
            first_two = list(rule[:2])
        except (ValueError, TypeError, IndexError) as exc:
            raise CSError(_("invalid configuration: {where}.rrule: {error} (an RFC 5545 rule such as"
                            " \"FREQ=MONTHLY;INTERVAL=6\")").format(where=where, error=exc)) from None
        if len(first_two) < 2:
            raise CSError(_("invalid configuration: {where}.rrule opens no period (it needs two occurrences at least)")
                          .format(where=where))


def _check_duties(config: dict) -> None:
    shifts = {shift["code"] for shift in config["shift"]}
    for duty in config["duty"]:
        code = duty["code"]
        if duty.get("shift") and duty["shift"] not in shifts:
            raise CSError(_("invalid configuration: duty {code}: shift '{shift}' is not a configured shift ({shifts})")
                          .format(code=code, shift=duty["shift"], shifts=", ".join(sorted(shifts))))
        if duty.get("assign") == "rota" and not duty.get("rota"):
            raise CSError(_("invalid configuration: duty {code}: assign = \"rota\" needs rota = [\"handle\", ...],"
                            " the 值日表 in turn").format(code=code))
        if duty.get("rota") and duty.get("assign", "all") != "rota":
            raise CSError(_("invalid configuration: duty {code}: a rota is only used with assign = \"rota\"")
                          .format(code=code))
        if "rota_start" in duty:
            _check(lambda: _iso_date(duty["rota_start"]),
                   _("duty {code}.rota_start: not a date YYYY-MM-DD").format(code=code))


def _check_centre_words(config: dict) -> None:
    """A centre's channel or category label must name one code only: 微信 cannot be both a new channel and the
    label of another (an import would not know which is meant)."""
    from cs.core import vocabulary

    for section, builtin in (("channel", vocabulary.BUILTIN_CHANNELS), ("category", vocabulary.BUILTIN_CATEGORIES)):
        table = vocabulary.extended(builtin, config[section])
        seen: dict = {}
        for code, (label, english) in table.items():
            for word in {label.lower(), english.lower(), code.lower()}:
                other = seen.setdefault(word, code)
                if other != code:
                    raise CSError(_("invalid configuration: [[{section}]] {code!r}: {word!r} already names {other!r};"
                                    " give it another label").format(section=section, code=code, word=word,
                                                                     other=other))


def _check_semantics(config: dict) -> None:
    from cs.core import clock

    if "timezone" in config:
        try:
            clock.get_zone(config["timezone"])
        except CSError as exc:
            raise CSError(_("invalid configuration: timezone: {error}").format(error=exc)) from None
    _refuse_non_finite(config, "")
    for field in ("extra_holidays", "extra_workdays"):
        for day in config[field]:
            _check(lambda: _iso_date(day),
                   _("{field}: {day!r} is not a date YYYY-MM-DD").format(field=field, day=day))
    if "start" in config["scoring"]:
        start = config["scoring"]["start"]
        _check(lambda: _iso_date(start), _("scoring.start: {start!r} is not a date YYYY-MM-DD").format(start=start))
    both = sorted(set(config["extra_holidays"]) & set(config["extra_workdays"]))
    if both:
        raise CSError(_("invalid configuration: {days} is both in extra_holidays and in extra_workdays;"
                        " keep it in one").format(days=", ".join(both)))
    _check(lambda: clock.ContactHours(config["contact_hours"]), "contact_hours")
    for shift in config["shift"]:
        _check(lambda: clock.day_window_minutes(f"{shift['start']}-{shift['end']}", N_("shift")),
               f"shift {shift['code']}")
    _check(lambda: clock.ServiceHours(service_windows(config), config["service"]["days"], clock.WorkCalendar()),
           "service.hours")
    _check(lambda: clock.parse_duration(config["scoring"]["grace"]), "scoring.grace")
    _check(lambda: clock.parse_duration(config["security"]["backdate_limit"]), "security.backdate_limit")
    for priority, sla in config["sla"].items():
        for key, text in sla.items():
            _check(lambda: clock.parse_duration(text), f"sla.{priority}.{key}")
    for key in ("retry_after",):
        _check(lambda: clock.parse_duration(config["callback"][key]), f"callback.{key}")
    for policy in config["callback_policy"]:
        for key in ("within", "delay"):
            if key in policy:
                _check(lambda: clock.parse_duration(policy[key]), f"callback_policy {policy['code']}.{key}")
    for key in ("escalate_after", "repeat_every"):
        if key in config["alerts"]:
            _check(lambda: clock.parse_duration(config["alerts"][key]), f"alerts.{key}")
            if config["alerts"][key].endswith("wd"):
                raise CSError(_("invalid configuration: alerts.{key}: use clock time (m, h, d, w), not working days")
                              .format(key=key))
    _check(lambda: clock.ContactHours([config["alerts"]["alert_hours"]]), "alerts.alert_hours")
    _check_duties(config)
    _check_visit_plans(config)
    _check_centre_words(config)
    for section in ("shift", "callback_policy", "duty", "rule", "team", "visit_plan", "channel", "category"):
        codes = [item["code"] for item in config[section]]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise CSError(_("invalid configuration: {section} code {codes} is defined twice")
                          .format(section=section, codes=", ".join(duplicates)))
    for name, channel in config["channels"].items():
        for key, value in channel.items():
            if key.endswith("_env") and not re.fullmatch(r"[A-Z][A-Z0-9_]*", str(value)):
                # The value is not echoed: it may be the secret itself.
                raise CSError(_("invalid configuration: channels.{name}.{key} must name an environment variable"
                                " (capitals, digits and _, e.g. CS_SMTP_PASSWORD) that holds the secret, not the"
                                " secret itself").format(name=name, key=key))
    for channel in config["alerts"]["channels"]:
        if channel != "stdout" and channel not in config["channels"]:
            raise CSError(
                _("invalid configuration: alerts.channels names '{channel}' but there is no [channels.{channel}] table")
                .format(channel=channel)
            )


def service_windows(config: dict) -> list[str]:
    """The service hours in force: as configured, else the union of the shifts' windows (round the clock for
    a desk that defines no shifts)."""
    return (config["service"].get("hours") or [f"{shift['start']}-{shift['end']}" for shift in config["shift"]]
            or ["00:00-24:00"])


def _iso_date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def _check(action, where: str) -> None:
    try:
        value = action()
    except (ValueError, TypeError) as exc:
        raise CSError(_("invalid configuration: {where}: {error}").format(where=where, error=exc)) from exc
    if getattr(value, "amount", 0) < 0:
        raise CSError(_("invalid configuration: {where}: a duration may not be negative").format(where=where))


# --- dotted keys for `config get/set` ------------------------------------------------------


def _split_key(key: str) -> list:
    if not key or not re.fullmatch(r"[A-Za-z0-9_.-]+", key):
        raise CSError(_("{key!r} is not a configuration key; see 'cs config show' for the keys").format(key=key))
    return [int(part) if part.isdigit() else part for part in key.split(".")]


def _step(node, part, key: str):
    """One step down a dotted key: only into tables (by name) and lists (by index)."""
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    raise CSError(_("no configuration key {key!r}; see 'cs config show' for the keys").format(key=key))


def get_key(config: dict, key: str):
    node = config
    for part in _split_key(key):
        node = _step(node, part, key)
    return node


def set_key(stored: dict, effective_config: dict, key: str, value) -> dict:
    """A new stored document with KEY set; the section is copied from the effective config first."""
    parts = _split_key(key)
    new = copy.deepcopy(stored)
    top = parts[0]
    if top not in new and top in effective_config:
        new[top] = copy.deepcopy(effective_config[top])
    node = new
    for part in parts[:-1]:
        node = _step(node, part, key)
    last = parts[-1]
    if isinstance(node, list):
        _step(node, last, key)  # an existing index only
    elif not isinstance(node, dict) or not isinstance(last, str):
        raise CSError(_("no configuration key '{key}'; see 'cs config show' for the keys").format(key=key))
    node[last] = value
    return new


def parse_value(text: str):
    """A value typed on the command line: TOML syntax when it parses (3, true, ["a"]), else a plain string."""
    import tomllib

    try:
        return _dates_as_text(tomllib.loads(f"v = {text}")["v"])
    except tomllib.TOMLDecodeError:
        return text


def _dates_as_text(value):
    """TOML reads 2026-10-01 as a date; the configuration holds days as 'YYYY-MM-DD' text (it is stored as
    JSON), so a day may be written either way."""
    import datetime as dt

    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(item) for item in value]
    return value


# --- versions in the database --------------------------------------------------------------


def load_stored(db) -> dict:
    row = db.one("SELECT config FROM config_versions ORDER BY id DESC LIMIT 1")
    return json.loads(row["config"]) if row else {}


def load(db) -> dict:
    return effective(load_stored(db))


def entry_history(db, section: str, code: str) -> list[tuple[str, dict]]:
    """(saved at, the entry as then stored) for each stored version whose `section` list has `code`, oldest first:
    what a duty's rota or a visit plan was on a given day."""
    history = []
    for row in db.all("SELECT created_at, config FROM config_versions ORDER BY id"):
        entry = next((item for item in json.loads(row["config"]).get(section, []) if item.get("code") == code), None)
        if entry is not None:
            history.append((row["created_at"], entry))
    return history


def save(db, stored: dict, *, at: str, actor: str, source: str) -> int:
    before = load_stored(db)
    _refuse_dropping_words_in_use(db, effective(before), effective(stored))
    cur = db.execute(
        "INSERT INTO config_versions (created_at, created_by, source, config) VALUES (?, ?, ?, ?)",
        (at, actor, source, json.dumps(stored, ensure_ascii=False)),
    )
    db.audit(at, actor, f"config.{source.split(' ')[0]}", "config", cur.lastrowid, before, stored)
    return cur.lastrowid


# One fixed query per list: the column is not a value to bind.
_IN_USE = {"channel": "SELECT id FROM tickets WHERE channel = ? LIMIT 1",
           "category": "SELECT id FROM tickets WHERE category = ? LIMIT 1"}


def _refuse_dropping_words_in_use(db, in_force: dict, wanted: dict) -> None:
    """A centre's channel or category that tickets carry stays: without it their reports, filters and exports
    would name a word the desk no longer knows. It may be relabelled."""
    for key, sql in _IN_USE.items():
        for code in sorted({e["code"] for e in in_force[key]} - {e["code"] for e in wanted[key]}):
            ticket = db.value(sql, (code,))
            if ticket is not None:
                raise CSError(_("[[{key}]] {code!r} is used by tickets (ticket {ticket}, maybe more): it cannot be"
                                " dropped; give it another label instead").format(key=key, code=code, ticket=ticket))


def versions(db) -> list[dict]:
    return [
        dict(row)
        for row in db.all("SELECT id AS version, created_at, created_by, source FROM config_versions ORDER BY id")
    ]
