"""Centre configuration: defaults, TOML round trip, load all-or-nothing, get/set, versions, roles."""

import json
import tomllib

import pytest

from cs.core import config
from cs.core.errors import CSError


def test_defaults_come_from_the_seeds():
    d = config.effective({})
    assert d["contact_hours"] == ["09:00-12:00", "14:00-21:00"]
    assert d["sla"]["urgent"] == {"first_response": "15m", "resolve": "4h"}
    assert d["sla"]["low"] == {"first_response": "4h", "resolve": "3wd"}
    assert [(s["code"], s["label"], s["start"], s["end"]) for s in d["shift"]] == [
        ("day", "白班", "09:00", "18:00"), ("late", "晚班", "14:00", "23:00")]
    points = {r["code"]: r.get("points", 0) for r in d["rule"]}
    assert points == {"callback_overdue": 1, "first_response_late": 1, "complaint_upheld": 5,
                      "handover_unfinished": 2, "handover_missing": 1, "duty_missed": 1, "report_error": 3,
                      "hygiene": 1, "rude_service": 5, "off_task": 0, "negative_talk": 0}
    off_task = next(r for r in d["rule"] if r["code"] == "off_task")
    assert off_task["escalation"] == [{"fine": 10}, {"fine": 30}, {"action": "dismissal"}]
    assert off_task["window"] == "ever"  # the seed sets no window (test_seed_rules.py)
    policies = {p["code"]: p for p in d["callback_policy"]}
    assert policies["complaint"]["within"] == "3d" and policies["complaint"]["sample"] == 1.0
    assert policies["repair"]["within"] == "14d" and policies["repair"]["sample"] == 0.5
    assert d["scoring"]["base"] == 100
    assert d["alerts"]["channels"] == ["stdout"] and d["alerts"]["escalate_after"] == "2h"
    assert d["alerts"]["alert_hours"] == "08:00-22:00"
    assert d["callback"] == {"retry_after": "2h", "max_attempts": 3, "vip_always": True}
    assert [p["code"] for p in d["callback_policy"]] == ["complaint", "repair", "new_customer", "key_customer"]
    assert policies["new_customer"]["within"] == "1mo" and policies["new_customer"]["sample"] == 0.1
    assert d["duty"] == []


def test_defaults_validate_and_toml_round_trips():
    document = config.effective({})
    config.validate(document)
    assert tomllib.loads(config.dump_toml(document)) == document


def test_toml_dump_escapes_awkward_strings():
    document = {"shift": [{"code": "n", "label": 'say "hi"\\ \n 夜班', "start": "22:00", "end": "06:00"}]}
    assert tomllib.loads(config.dump_toml(document)) == document


def test_stored_sections_overlay_defaults():
    merged = config.effective({"sla": {"urgent": {"resolve": "2h"}}, "duty": [{"code": "d", "label": "打扫"}]})
    assert merged["sla"]["urgent"] == {"first_response": "15m", "resolve": "2h"}
    assert merged["sla"]["normal"]["resolve"] == "2wd"
    assert merged["duty"] == [{"code": "d", "label": "打扫"}]


@pytest.mark.parametrize("document, message", [
    ({"timezone": "Mars/Base"}, "unknown time zone"),
    ({"calendar": "moon"}, "calendar"),
    ({"contact_hours": ["21:00-09:00"]}, "contact_hours"),
    ({"sla": {"urgent": {"resolve": "soon"}}}, "sla.urgent.resolve"),
    ({"shift": [{"code": "day", "label": "白班", "start": "09:00"}]}, "end"),
    ({"shift": [{"code": "a", "label": "A", "start": "09:00", "end": "18:00"},
                {"code": "a", "label": "B", "start": "10:00", "end": "19:00"}]}, "defined twice"),
    ({"rule": [{"code": "x", "label": "X", "source": "astrology"}]}, "source"),
    ({"timezon": "Asia/Shanghai"}, "timezon"),
    ({"alerts": {"channels": ["dingtalk"]}}, "no [channels.dingtalk]"),
    ({"extra_holidays": ["2026-02-30"]}, "extra_holidays"),
])
def test_invalid_documents_are_refused_with_the_place(document, message):
    with pytest.raises(CSError, match=r"invalid configuration") as error:
        config.validate(document)
    assert message in str(error.value)


def test_get_and_set_keys():
    d = config.effective({})
    assert config.get_key(d, "sla.urgent.resolve") == "4h"
    assert config.get_key(d, "shift.1.label") == "晚班"
    with pytest.raises(CSError, match="no configuration key"):
        config.get_key(d, "sla.urgent.nope")
    stored = config.set_key({}, d, "shift.0.end", "18:30")
    assert stored["shift"][0]["end"] == "18:30" and stored["shift"][1]["code"] == "late"
    with pytest.raises(CSError):
        config.set_key({}, d, "shift.9.end", "18:30")


def test_parse_value_reads_toml_or_plain_text():
    assert config.parse_value("3") == 3
    assert config.parse_value("true") is True
    assert config.parse_value('["09:00-12:00"]') == ["09:00-12:00"]
    assert config.parse_value("Asia/Shanghai") == "Asia/Shanghai"


# --- through the CLI ----------------------------------------------------------------------


def test_show_load_round_trip_keeps_versions(cs, tmp_path):
    shown = cs("config show").stdout
    path = tmp_path / "centre.toml"
    path.write_text(shown.replace('"14:00-21:00"', '"14:00-20:00"'), "utf-8")
    loaded = cs(["config", "load", str(path)])
    assert loaded.exit_code == 0, loaded
    assert cs("config get contact_hours --json").json() == ["09:00-12:00", "14:00-20:00"]
    assert cs("config set sla.urgent.resolve 3h").exit_code == 0
    assert cs("config get sla.urgent.resolve").stdout.strip() == "3h"
    versions = cs("config versions --json").json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["source"] == "set sla.urgent.resolve"


def test_load_is_all_or_nothing(cs, tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('timezone = "Asia/Shanghai"\ncontact_hours = ["09:00-12:00"]\n', "utf-8")
    assert cs(["config", "load", str(good)]).exit_code == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('contact_hours = ["10:00-11:00"]\n[[shift]]\ncode = "x"\n', "utf-8")
    result = cs(["config", "load", str(bad)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: invalid configuration")
    broken = tmp_path / "broken.toml"
    broken.write_text("contact_hours = [\n", "utf-8")
    result = cs(["config", "load", str(broken)])
    assert result.exit_code == 1 and "not valid TOML" in result.stderr
    assert cs("config get contact_hours --json").json() == ["09:00-12:00"]
    assert len(cs("config versions --json").json()) == 1


def test_set_refuses_bad_values_and_unknown_keys(cs):
    assert cs("config set contact_hours late").exit_code == 1
    assert cs("config set sla.urgent.resolve sometime").exit_code == 1
    assert cs("config set nonsense 3").exit_code == 1
    assert cs("config versions --json").json() == []


def test_only_supervisors_change_config_once_one_exists(cs):
    assert cs("--as boss agent add boss --name 主管 --role supervisor").exit_code == 0
    cs("--as boss agent add li --name 李娜")
    refused = cs("--as li config set scoring.base 90")
    assert refused.exit_code == 1 and "needs the role supervisor" in refused.stderr
    assert cs("--as boss config set scoring.base 90").exit_code == 0
    assert cs("config get scoring.base").stdout.strip() == "90"


def test_config_change_is_audited(ctx):
    config.save(ctx.db, {"scoring": {"base": 90}}, at=ctx.now_db, actor="boss", source="set scoring.base")
    row = ctx.db.one("SELECT * FROM audit WHERE entity = 'config'")
    assert row["actor"] == "boss" and '"base": 90' in row["after"]


def test_timezone_from_config_is_used_when_no_tz_given(cs, monkeypatch):
    monkeypatch.delenv("CS_TZ")
    cs("config set timezone Europe/Berlin")
    added = cs("ticket add --channel phone --category inquiry --summary x --json").json()
    assert added["opened_at"] == "2026-11-20T02:30:00+01:00"


@pytest.mark.parametrize("key", ["password_env", "user_env"])
def test_an_env_setting_must_name_a_variable_and_a_secret_is_never_echoed(cs, tmp_path, key):
    """Issue 16: `password_env = "Hunter2-P@ss"` was accepted, stored in every version and printed in errors."""
    path = tmp_path / "mail.toml"
    path.write_text(f'[channels.email]\nhost = "smtp.example.com"\nport = 465\nsender = "cs@example.com"\n'
                    f'{key} = "Hunter2-P@ss"\n', encoding="utf-8")
    result = cs(["config", "load", str(path)])
    assert result.exit_code == 1 and f"channels.email.{key} must name an environment variable" in result.stderr
    assert "Hunter2" not in result.stderr and "Hunter2" not in result.stdout
    assert cs(["config", "versions", "--json"]).json() == []  # nothing stored


def test_a_partial_file_says_which_defaults_it_drops(cs, tmp_path):
    """Issue 18: loading one extra policy silently dropped the default complaint and repair policies. A plain load
    still makes the file's list the list in force, but says on stderr which entries it drops, by code."""
    path = tmp_path / "extra.toml"
    path.write_text('[[callback_policy]]\ncode = "vip_visit"\nvip_only = true\nwithin = "7d"\nmethod = "visit"\n',
                    "utf-8")
    result = cs(["config", "load", str(path)])
    assert result.exit_code == 0
    assert ("Warning: [[callback_policy]] in this file drops complaint, repair, new_customer, key_customer; to add to"
            " the list instead, use cs config load --merge") in result.stderr
    assert [p["code"] for p in json.loads(cs("config get callback_policy --json").stdout)] == ["vip_visit"]


def test_merge_adds_replaces_and_drops_by_code(cs, tmp_path):
    """`cs config load --merge`: a new code is added to the defaults, a known code replaced, `enabled = false`
    drops one; tables are merged key by key."""
    path = tmp_path / "merge.toml"
    path.write_text('[[callback_policy]]\ncode = "vip_visit"\nvip_only = true\nwithin = "7d"\nmethod = "visit"\n\n'
                    '[[callback_policy]]\ncode = "repair"\ncategories = ["repair"]\nwithin = "7d"\nsample = 0.6\n\n'
                    '[[callback_policy]]\ncode = "new_customer"\nwithin = "1mo"\nenabled = false\n\n'
                    '[callback]\nmax_attempts = 5\n', "utf-8")
    result = cs(["config", "load", "--merge", str(path)])
    assert result.exit_code == 0 and "Warning" not in result.stderr, result.stderr
    policies = {p["code"]: p for p in json.loads(cs("config get callback_policy --json").stdout)}
    assert list(policies) == ["complaint", "repair", "key_customer", "vip_visit"]
    assert (policies["repair"]["within"], policies["repair"]["sample"]) == ("7d", 0.6)
    assert json.loads(cs("config get callback --json").stdout) == {"retry_after": "2h", "max_attempts": 5,
                                                                   "vip_always": True}


def test_a_table_set_before_and_missing_from_the_file_is_named(cs, tmp_path):
    assert cs(["config", "set", "security.backdate_limit", "2h"]).exit_code == 0
    path = tmp_path / "plain.toml"
    path.write_text('contact_hours = ["09:00-21:00"]\n', "utf-8")
    result = cs(["config", "load", str(path)])
    assert "Warning: [security] set before is not in this file and goes back to its default" in result.stderr


def test_a_plain_load_names_the_lists_set_before_that_it_leaves_out(cs, tmp_path):
    """Review of issue 18: a file with only [callback] silently dropped the duties and plans set before."""
    first = tmp_path / "duty.toml"
    first.write_text('[[duty]]\ncode = "cards"\nlabel = "统计试压卡"\npoints = 2\n', "utf-8")
    assert cs(["config", "load", str(first)]).exit_code == 0
    second = tmp_path / "callback.toml"
    second.write_text("[callback]\nmax_attempts = 4\n", "utf-8")
    result = cs(["config", "load", str(second)])
    assert "Warning: [[duty]] set before (cards) is not in this file: the list goes back to its default" in result.stderr


def test_merge_drops_by_code_alone_and_names_a_code_not_in_force(cs, tmp_path):
    path = tmp_path / "drop.toml"
    path.write_text('[[callback_policy]]\ncode = "new_customer"\nenabled = false\n\n'
                    '[[callback_policy]]\ncode = "repiar"\nenabled = false\n', "utf-8")
    result = cs(["config", "load", "--merge", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "'repiar' with enabled = false names no entry in force" in result.stderr
    codes = [p["code"] for p in json.loads(cs("config get callback_policy --json").stdout)]
    assert codes == ["complaint", "repair", "key_customer"]


def test_a_configuration_error_says_what_is_wanted_in_words(cs):
    """Issue 19 (section 17): config errors showed raw regular expressions. Every pattern of the schema has its
    words, and the error uses them."""
    schema = json.loads(config.schema_text("config"))
    patterns = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.add(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert patterns - set(config._PATTERN_WORDS) == {"^[A-Z][A-Z0-9_]*$"}  # *_env: said apart, never echoed
    result = cs(["config", "set", "alerts.escalate_after", "2x"])
    assert result.exit_code == 1 and "'2x' is not a duration such as 30m, 2h" in result.stderr, result.stderr
    assert "\\d" not in result.stderr and "^" not in result.stderr
    window = cs(["config", "set", "contact_hours", '["08:30"]'])
    assert "'08:30' is not a window of the day such as 09:00-12:00" in window.stderr, window.stderr
