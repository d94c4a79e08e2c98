"""Chinese first (SPEC section 17): gettext catalogues for every text, the run's language, Click's own texts,
deduction details stored language-neutral and shown in the reader's language."""

from __future__ import annotations

import gettext
import json
import re

import catalogue
import pytest

from cs.cli import choose_language
from cs.core import i18n
from cs.core.i18n import Msg

babel = pytest.importorskip("babel")


@pytest.fixture(scope="module")
def built():
    from babel.messages.pofile import read_po

    with catalogue.PO.open("rb") as fh:
        return read_po(fh), catalogue.extracted()


def _string(message) -> str:
    return message.string[0] if isinstance(message.string, tuple) else message.string


def test_every_text_has_a_chinese_translation(built):
    po, found = built
    untranslated = [f"{where}: {msgid!r}" for msgid, where in found.items()
                    if po.get(msgid) is None or not _string(po.get(msgid))]
    assert not untranslated, f"{len(untranslated)} texts without Chinese, e.g. {untranslated[:5]}"


def test_translations_keep_every_placeholder(built):
    po, _found = built
    wrong = [(m.id, _string(m)) for m in po if m.id and _string(m)
             and catalogue.placeholders(_string(m)) != catalogue.placeholders(m.id[0] if isinstance(m.id, tuple)
                                                                               else m.id)]
    assert not wrong


def test_the_compiled_catalogue_is_the_po_file(built):
    """cs.mo (what the package reads) says what cs.po says: `python tests/catalogue.py` was run after editing."""
    po, _found = built
    with (catalogue.LOCALE / "zh" / "LC_MESSAGES" / "cs.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = [m.id for m in po if m.id and not isinstance(m.id, tuple) and mo.gettext(m.id) != m.string]
    assert not stale


def test_no_text_in_the_catalogue_is_left_over(built):
    """Texts the code no longer shows are dropped from cs.po (the catalogue is rebuilt from the code)."""
    po, found = built
    assert {m.id for m in po if m.id} <= set(found)


def test_a_chinese_translation_is_chinese(built):
    po, _found = built
    cjk = re.compile(r"[\u4e00-\u9fff]")
    # Texts that are only a placeholder, a symbol or a code have nothing to translate.
    wordy = [m for m in po if m.id and re.search(r"[A-Za-z]{3,}", re.sub(r"\{[^}]*\}|%\(\w+\)s", "", str(m.id)))]
    code = {"Choice({choices})"}  # Click's repr of a parameter type: a programmer's text, shown to nobody
    english = [m.id for m in wordy if not cjk.search(_string(m)) and m.id not in code]
    assert len(wordy) > 300 and not english


# --- the run's language ----------------------------------------------------------------------------------


def test_language_comes_from_lang_then_cs_lang_then_the_desk_then_chinese(cs, monkeypatch, tmp_path):
    monkeypatch.delenv("CS_LANG")
    choose_language([])
    assert i18n.language() == "zh"  # no desk yet: the default
    assert cs(["config", "set", "language", "en"]).exit_code == 0
    choose_language([])
    assert i18n.language() == "en"
    choose_language(["--db", str(tmp_path / "cs.db"), "--lang", "zh", "ticket", "list"])
    assert i18n.language() == "zh"
    monkeypatch.setenv("CS_LANG", "zh")
    choose_language(["--as", "--lang", "ticket", "list"])  # '--lang' here is the value of --as
    assert i18n.language() == "zh"
    monkeypatch.setenv("CS_LANG", "en")
    choose_language(["--lang=zh"])
    assert i18n.language() == "zh"


def test_a_desk_in_chinese_speaks_chinese_without_any_option(cs, monkeypatch):
    monkeypatch.delenv("CS_LANG")
    result = cs(["ticket", "show", "999"])
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：") and "999" in result.stderr


def test_english_when_asked(cs):
    result = cs(["--lang", "en", "ticket", "show", "999"])
    assert result.stderr.startswith("Error: ")


def test_clicks_own_texts_are_chinese(cs):
    shown = cs(["--lang", "zh", "ticket", "add", "--help"])
    assert shown.exit_code == 0
    assert "用法" in shown.stdout and "显示本帮助并退出" in shown.stdout and "Usage" not in shown.stdout
    refused = cs(["--lang", "zh", "ticket", "add", "--nonsense"])
    assert refused.exit_code == 2 and "错误" in refused.stderr and "No such option" not in refused.stderr


def test_every_commands_help_is_chinese(cs):
    """Each command's help in Chinese: no line of it is English words alone."""
    from cs.cli import cli, help_texts

    english = []
    for _text, where in help_texts(cli, "cs"):
        args = ["--lang", "zh", *where.split()[1:], "--help"] if len(where.split()) > 1 else ["--lang", "zh", "--help"]
        if where.split()[-1].isidentifier() and where.split()[-1] not in {"cs"} and "_" in where.split()[-1]:
            continue  # a parameter's text: shown in its command's help, checked there
        result = cs(args)
        if result.exit_code != 0:
            continue  # "cs ticket add lang": a parameter's path, not a command
        for line in result.stdout.splitlines():
            words = re.sub(r"--?[\w-]+|\[[^\]]*\]|\b[A-Z_]{2,}\b|\{[^}]*\}|[a-z_]+\.[a-z]+", "", line)
            if re.search(r"[A-Za-z]{4,}(\s+[A-Za-z]{3,}){2,}", words) and not re.search(r"[\u4e00-\u9fff]", line):
                english.append((where, line.strip()))
    assert not english, english[:10]


# --- messages kept in their parts -------------------------------------------------------------------------


def test_a_message_in_parts_is_english_to_store_and_chinese_to_read():
    msg = Msg("callback {id} due {due}: {state}", id=4, due="2026-11-18T18:00:00+08:00",
              state=Msg("done late at {at}", at="2026-11-19T10:00:00+08:00"))
    assert msg.english() == "callback 4 due 2026-11-18T18:00:00+08:00: done late at 2026-11-19T10:00:00+08:00"
    assert Msg.from_parts(json.loads(json.dumps(msg.parts()))) == msg
    i18n.choose("zh")
    try:
        shown = str(msg)
    finally:
        i18n.choose("en")
    assert "回访" in shown and "4" in shown and "2026-11-19T10:00:00+08:00" in shown


def test_a_deduction_reads_in_the_readers_language_and_a_rerun_in_another_changes_nothing(cs, validate):
    """Judged by cron in Chinese, read by a supervisor in English, judged again in English: one stored text."""
    assert cs(["agent", "add", "alice", "--name", "陈小丽"]).exit_code == 0
    added = cs(["--now", "2026-11-19T09:00", "callback", "add", "--due", "2026-11-19T12:00", "--agent", "alice",
                "--phone", "13800000001"])
    assert added.exit_code == 0, added
    judged = cs(["--lang", "zh", "deductions", "run", "--date", "2026-11-19", "--json"])
    assert judged.exit_code == 0 and judged.json()["added"] == 1, judged
    assert "回访" in judged.json()["changes"][0]["detail"]
    zh = cs(["--lang", "zh", "deductions", "list", "--json"]).json()
    en = cs(["--lang", "en", "deductions", "list", "--json"]).json()
    for entry in zh + en:
        validate(entry, "deduction")
    assert en[0]["detail"] == "callback 1 due 2026-11-19T12:00:00+08:00: not done"
    assert "回访" in zh[0]["detail"] and "2026-11-19T12:00:00+08:00" in zh[0]["detail"]
    report = cs(["--lang", "zh", "report", "day", "--date", "2026-11-19"]).stdout
    assert "陈小丽 回访超时未完成 -1: 回访 1，期限 2026-11-19T12:00:00+08:00：未完成" in report
    again = cs(["--lang", "en", "deductions", "run", "--date", "2026-11-19", "--json"]).json()
    assert again["updated"] == 0 and again["added"] == 0 and again["unchanged"] == 1


# --- the centre's own words --------------------------------------------------------------------------------

CENTRE_WORDS = """
[[channel]]
code = "wechat"
label = "微信"

[[channel]]
code = "hotline"
label = "400热线"

[[channel]]
code = "app"
label = "业主App"
en = "owner app"

[[category]]
code = "praise"
label = "表扬"
"""


def test_a_centre_adds_its_own_channels_and_categories(cs, tmp_path, validate):
    """SPEC section 17: [[channel]] and [[category]] with a code and a label (wechat 微信, hotline 400热线, app 业主App,
    praise 表扬) are taken by label or code wherever a channel or category is, and shown by label."""
    (tmp_path / "words.toml").write_text(CENTRE_WORDS, encoding="utf-8")
    assert cs(["config", "load", "--merge", str(tmp_path / "words.toml")]).exit_code == 0
    added = cs(["ticket", "add", "--channel", "微信", "--category", "表扬", "--summary", "表扬小李", "--json"])
    assert added.exit_code == 0, added
    assert validate(added.json(), "ticket")["channel"] == "wechat" and added.json()["category"] == "praise"
    assert cs(["ticket", "add", "--channel", "app", "--category", "praise", "--summary", "业主App 表扬"]).exit_code == 0
    (tmp_path / "t.csv").write_text("opened_at,channel,category,summary\n2026-11-20 09:00,400热线,表扬,热线表扬\n",
                                    encoding="utf-8")
    assert cs(["ticket", "import", str(tmp_path / "t.csv")]).exit_code == 0
    listed = cs(["--lang", "zh", "ticket", "list", "--channel", "微信"]).stdout
    assert "微信" in listed and "表扬" in listed and "业主App" not in listed
    english = cs(["ticket", "list"]).stdout
    assert "owner app" in english and "hotline" in english and "praise" in english
    day = cs(["--lang", "zh", "report", "day", "--date", "2026-11-20"]).stdout
    assert "400热线 1" in day and "表扬 3" in day


def test_a_centres_label_names_one_code_only_and_another_desk_does_not_see_it(cs, tmp_path):
    (tmp_path / "clash.toml").write_text('[[channel]]\ncode = "wechat"\nlabel = "来电"\n', encoding="utf-8")
    refused = cs(["config", "load", "--merge", str(tmp_path / "clash.toml")])
    assert refused.exit_code == 1 and "'来电' already names 'phone'" in refused.stderr
    (tmp_path / "words.toml").write_text(CENTRE_WORDS, encoding="utf-8")
    assert cs(["config", "load", "--merge", str(tmp_path / "words.toml")]).exit_code == 0
    other = tmp_path / "other.db"
    assert cs(["--db", str(other), "db", "init"]).exit_code == 0
    elsewhere = cs(["--db", str(other), "ticket", "add", "--channel", "微信", "--category", "咨询", "--summary", "x"])
    assert elsewhere.exit_code == 2 and "unknown channel '微信'" in elsewhere.stderr


# --- agents by name --------------------------------------------------------------------------------------------


def test_an_agent_is_named_by_handle_or_full_name_everywhere(cs):
    """SPEC section 17: `--agent 陈小丽` finds chen; --as, arguments and report options take the name too."""
    assert cs(["agent", "add", "chen", "--name", "陈小丽", "--role", "supervisor"]).exit_code == 0
    assert cs(["--as", "陈小丽", "agent", "add", "wang", "--name", "王芳"]).exit_code == 0
    added = cs(["--as", "陈小丽", "ticket", "add", "--channel", "来电", "--category", "咨询", "--summary", "咨询话费",
                "--agent", "王芳", "--json"]).json()
    assert added["agent"] == "wang" and added["created_by"] == "chen"
    assert [t["id"] for t in cs(["ticket", "list", "--agent", "王芳", "--json"]).json()] == [added["id"]]
    assert cs(["--as", "chen", "ticket", "assign", str(added["id"]), "陈小丽"]).exit_code == 0
    assert cs(["ticket", "show", str(added["id"]), "--json"]).json()["agent"] == "chen"
    rostered = cs(["--as", "陈小丽", "roster", "set", "2026-11-20", "day", "王芳", "陈小丽", "--json"])
    assert rostered.json()["agents"] == ["chen", "wang"]


def test_a_name_two_agents_share_is_refused_naming_their_handles(cs):
    assert cs(["agent", "add", "li", "--name", "李娜"]).exit_code == 0
    assert cs(["agent", "add", "li2", "--name", "李娜"]).exit_code == 0
    refused = cs(["ticket", "add", "--channel", "来电", "--category", "咨询", "--summary", "x", "--agent", "李娜"])
    assert refused.exit_code == 1 and "李娜 is the name of 2 agents (li, li2); give the handle" in refused.stderr
    assert cs(["ticket", "list", "--json"]).json() == []


def test_tables_in_chinese_show_words_not_codes_and_json_keeps_codes(cs):
    """Issue 19: roles, handover states and duty assignments showed as supervisor, open, all in Chinese tables."""
    assert cs(["agent", "add", "chen", "--name", "陈小丽", "--role", "supervisor"]).exit_code == 0
    table = cs(["--lang", "zh", "agent", "list"]).stdout
    assert "主管" in table and "supervisor" not in table
    assert cs(["--lang", "zh", "agent", "list", "--json"]).json()[0]["role"] == "supervisor"
    assert cs(["--as", "chen", "roster", "set", "2026-11-20", "day", "chen"]).exit_code == 0
    assert cs(["--as", "chen", "--now", "2026-11-20T10:00", "handover", "add", "客户明早回电"]).exit_code == 0
    handovers = cs(["--lang", "zh", "handover", "list"]).stdout
    assert "待处理" in handovers and " open " not in handovers
    timed = cs(["--lang", "zh", "time", "明天"]).stdout
    assert timed.splitlines()[0].split() == ["输入", "时间", "星期", "工作日", "可联系时段", "服务时间", "营业日"]


def test_a_jobs_summary_is_shown_in_its_readers_language(cs):
    """Issue 19: cron's runs (CS_LANG=zh) recorded English summaries; now a summary is kept in its parts."""
    ran = cs(["--lang", "zh", "jobs", "run", "daily-deductions", "--json"])
    assert ran.exit_code == 0, ran
    assert "天" in ran.json()["summary"] or "没有" in ran.json()["summary"]
    english = {row["job"]: row for row in cs(["jobs", "status", "--json"]).json()}["daily-deductions"]
    chinese = {row["job"]: row for row in cs(["--lang", "zh", "jobs", "status", "--json"]).json()}["daily-deductions"]
    assert english["outcome"] == chinese["outcome"] == "ok"
    assert english["summary"].endswith("entries") or english["summary"] == "nothing to compute"
    assert chinese["summary"] != english["summary"] and "成功" in cs(["--lang", "zh", "jobs", "status"]).stdout


# --- found by review ----------------------------------------------------------------------------------------------


def test_a_centres_word_in_use_stays_and_built_in_words_outlive_a_relabel(cs, tmp_path):
    (tmp_path / "words.toml").write_text(CENTRE_WORDS, encoding="utf-8")
    assert cs(["config", "load", "--merge", str(tmp_path / "words.toml")]).exit_code == 0
    assert cs(["ticket", "add", "--channel", "微信", "--category", "咨询", "--summary", "x"]).exit_code == 0
    (tmp_path / "drop.toml").write_text('[[channel]]\ncode = "wechat"\nenabled = false\n', encoding="utf-8")
    refused = cs(["config", "load", "--merge", str(tmp_path / "drop.toml")])
    assert refused.exit_code == 1 and "[[channel]] 'wechat' is used by tickets (ticket 1" in refused.stderr
    for bad in ('label = "SMS"', 'label = " 微信 "', 'label = "微\\n信"'):
        (tmp_path / "bad.toml").write_text(f'[[channel]]\ncode = "wx2"\n{bad}\n', encoding="utf-8")
        assert cs(["config", "load", "--merge", str(tmp_path / "bad.toml")]).exit_code == 1, bad
    (tmp_path / "relabel.toml").write_text('[[channel]]\ncode = "phone"\nlabel = "热线电话"\n', encoding="utf-8")
    assert cs(["config", "load", "--merge", str(tmp_path / "relabel.toml")]).exit_code == 0
    for word in ("热线电话", "来电", "phone"):  # sheets written before the relabel still say 来电
        assert cs(["ticket", "add", "--channel", word, "--category", "咨询", "--summary", word, "--json"]).json()[
            "channel"] == "phone"


def test_names_and_handles_never_mean_two_agents(cs, validate):
    assert cs(["agent", "add", "zhou", "--name", "周敏", "--role", "supervisor"]).exit_code == 0
    refused = cs(["--as", "zhou", "agent", "add", "周敏", "--name", "Someone Else"])
    assert refused.exit_code == 1 and "is the name of another agent" in refused.stderr
    refused = cs(["--as", "zhou", "agent", "add", "wang", "--name", "zhou"])
    assert refused.exit_code == 1 and "is another agent's handle" in refused.stderr
    for handle in ("li", "li2"):
        assert cs(["--as", "zhou", "agent", "add", handle, "--name", "李娜"]).exit_code == 0
    assert cs(["--as", "zhou", "roster", "set", "2026-11-20", "day", "li", "li2"]).exit_code == 0
    shared = cs(["--lang", "zh", "--now", "2026-11-20T19:00", "report", "shift", "--date", "2026-11-20",
                 "--shift", "day"]).stdout
    assert "李娜(li), 李娜(li2)" in shared  # one name, two people: the report tells them apart
    assert cs(["--as", "zhou", "agent", "deactivate", "li2"]).exit_code == 0
    added = cs(["ticket", "add", "--channel", "来电", "--category", "咨询", "--summary", "x", "--agent", " 李娜 ",
                "--json"])
    assert validate(added.json(), "ticket")["agent"] == "li"  # the one still at work


def test_show_views_speak_chinese_and_take_an_encoding(cs):
    assert cs(["agent", "add", "zhou", "--name", "周敏", "--role", "supervisor"]).exit_code == 0
    assert cs(["ticket", "add", "--channel", "来电", "--category", "投诉", "--summary", "态度差"]).exit_code == 0
    assert cs(["--as", "zhou", "ticket", "verdict", "1", "upheld"]).exit_code == 0
    shown = cs(["--lang", "zh", "ticket", "show", "1"]).stdout
    assert "投诉成立" in shown and "登记" in shown and " upheld\n" not in shown.split("处理记录")[0]
    refused = cs(["--lang", "zh", "ticket", "close", "1"])
    assert "待处理（open）" in refused.stderr and "已解决（resolved）" in refused.stderr
    from click.testing import CliRunner

    from cs.cli import cli

    raw = CliRunner().invoke(cli, ["agent", "show", "zhou", "--format", "csv", "--encoding", "gb18030"]).stdout_bytes
    assert "周敏".encode("gb18030") in raw


def test_errors_from_schemas_and_the_system_in_chinese(cs, tmp_path):
    said = cs(["--lang", "zh", "config", "set", "language", "fr"]).stderr
    assert said.startswith("错误：配置无效：language: 'fr' 不是可选值之一") and "is not one of" not in said
    missing = cs(["--lang", "zh", "ticket", "import", str(tmp_path / "nosuch.csv")]).stderr
    assert "没有这个文件或目录" in missing and "No such file" not in missing
    impossible = tmp_path / "dmy.csv"
    impossible.write_text("opened_at,channel,category,summary\n31/02/2026 9:00 AM,phone,inquiry,x\n", encoding="utf-8")
    refused = cs(["ticket", "import", str(impossible), "--date-order", "dmy"]).stderr
    assert "'31/02/2026 9:00 AM' is no day when read as dmy (month 2, day 31)" in refused


def test_a_reports_own_lang_and_the_action_in_words(cs):
    assert cs(["agent", "add", "zhou", "--name", "周敏", "--role", "supervisor"]).exit_code == 0
    assert cs(["--as", "zhou", "agent", "add", "zhang", "--name", "张伟"]).exit_code == 0
    for day in ("2026-11-17", "2026-11-18", "2026-11-19"):  # off_task: 10, 30, then dismissal (seed 001)
        assert cs(["--as", "zhou", "violation", "add", "zhang", "off_task", "--at", f"{day}T10:00"]).exit_code == 0
    assert cs(["--as", "zhou", "deductions", "run", "--date", "2026-11-19"]).exit_code == 0
    assert "辞退" in cs(["--lang", "zh", "violation", "list"]).stdout
    assert "辞退" in cs(["--lang", "zh", "score"]).stdout
    english = cs(["--lang", "zh", "report", "day", "--date", "2026-11-19", "--lang", "en"]).stdout
    assert "violation 3 at 2026-11-19T10:00:00+08:00" in english and "dismissal" in english
    chinese = cs(["report", "day", "--date", "2026-11-19", "--lang", "zh"]).stdout
    assert "违规 3，2026-11-19T10:00:00+08:00" in chinese and "辞退" in chinese


def test_a_deduction_judged_before_its_parts_were_kept_gets_them(cs):
    """Entries judged before migration m013 had English details only; judging the day again fills the parts in."""
    assert cs(["agent", "add", "alice", "--name", "陈小丽"]).exit_code == 0
    assert cs(["--now", "2026-11-19T09:00", "callback", "add", "--due", "2026-11-19T12:00", "--agent", "alice",
               "--phone", "13800000001"]).exit_code == 0
    assert cs(["deductions", "run", "--date", "2026-11-19"]).exit_code == 0
    import os
    import sqlite3

    with sqlite3.connect(os.environ["CS_DB"]) as conn:
        conn.execute("UPDATE deductions SET detail_msg = NULL")
    conn.close()
    assert "callback 1 due" in cs(["--lang", "zh", "deductions", "list", "--json"]).json()[0]["detail"]
    again = cs(["deductions", "run", "--date", "2026-11-19", "--json"]).json()
    assert again["updated"] == 1
    assert "回访 1" in cs(["--lang", "zh", "deductions", "list", "--json"]).json()[0]["detail"]


def test_the_desk_language_is_read_from_a_path_with_uri_characters(tmp_path):
    """The desk is opened read-only through a file: URI: '%', '?', '#' and spaces in its path must reach SQLite
    as they are (issue 22 replaced urllib's quote, a start-up cost, by the escaping SQLite asks for)."""
    import sqlite3

    folder = tmp_path / "客服 100% ?#"
    folder.mkdir()
    desk = folder / "cs.db"
    conn = sqlite3.connect(desk)
    conn.execute("CREATE TABLE config_versions (id INTEGER PRIMARY KEY, config TEXT)")
    conn.execute("INSERT INTO config_versions (config) VALUES ('{\"language\": \"en\"}')")
    conn.commit()
    conn.close()
    assert i18n.desk_language(str(desk)) == "en"
