"""Refusals found in review: each was a traceback, a crash or silent damage before it was fixed."""

import json
import tracemalloc

import pytest

from cs.exchange import tickets as tickets_io


def no_traceback(result, code):
    assert result.exit_code == code, result
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error:"), result.stderr
    return result


@pytest.mark.parametrize("minute", range(0, 60, 7))
def test_demo_builds_at_any_time_of_day(cs, tmp_path, minute):
    """Follow-up steps (notes, pends) never land after `now`."""
    result = cs(["--now", f"2026-11-20T10:{minute:02d}+08:00", "demo", "--db", str(tmp_path / f"d{minute}.db")])
    assert result.exit_code == 0, result


def test_demo_refuses_a_database_with_agents_or_config(cs, tmp_path):
    assert cs("agent add li --name 李娜").exit_code == 0
    result = cs("demo")
    assert result.exit_code == 1 and "already holds 1 agents" in result.stderr
    assert cs("agent list --json").json()[0]["handle"] == "li"


@pytest.mark.parametrize("key, value", [("sla.normal.resolve", "-2h"), ("sla.urgent.first_response", "-15m"),
                                        ("callback.retry_after", "-1h")])
def test_negative_durations_are_refused(cs, key, value):
    no_traceback(cs(["config", "set", "--", key, value]), 1)
    assert cs("ticket add --channel phone --category inquiry --summary x").exit_code == 0


def test_now_out_of_range_is_an_error_not_a_crash(cs):
    no_traceback(cs("--now -99999d ticket list"), 1)


@pytest.mark.parametrize("args", ["config set calendar.x 1", "config get calendar.0", "config set sla.urgent.x.y 1",
                                  "config set shift.x 1"])
def test_config_keys_only_step_into_tables_and_lists(cs, args):
    no_traceback(cs(args), 1)


@pytest.mark.parametrize("row, field", [
    ({"channel": ["phone"]}, "channel"),
    ({"agent": {"x": 1}}, "agent"),
    ({"id": 99999999999999999999}, "id"),
    ({"id": True}, "id"),
    ({"opened_at": "9999-12-31T20:00:00Z"}, "opened_at"),
    ({"opened_at": "2027-01-01T09:00:00+08:00"}, "opened_at"),
    ({"summary": 42}, "summary"),
])
def test_import_refuses_odd_values_by_line_and_field(cs, tmp_path, row, field):
    base = {"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry", "summary": "x"}
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({**base, **row}) + "\n", "utf-8")
    result = cs(["ticket", "import", str(path)])
    assert result.exit_code == 1 and f"line 1: {field}:" in result.stderr, result
    assert cs("ticket list --json").json() == []


def test_phone_given_as_a_json_number_is_accepted(cs, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry",
                                "summary": "x", "customer_phone": 13800138000}) + "\n", "utf-8")
    assert cs(["ticket", "import", str(path)]).exit_code == 0
    assert cs("ticket list --json").json()[0]["customer_phone"] == "13800138000"


def test_minified_json_array_on_one_line_streams(ctx, tmp_path):
    def write(n):
        path = tmp_path / f"one-line-{n}.json"
        rows = ({"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry",
                 "summary": f"第{i}号咨询"} for i in range(n))
        with path.open("w", encoding="utf-8") as out:
            out.write("[" + ",".join(json.dumps(r, ensure_ascii=False) for r in rows) + "]")
        return path

    peaks = []
    for n in (4000, 16000):
        path = write(n)
        tracemalloc.start()
        result = tickets_io.import_file(ctx, str(path), dry_run=True)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert result["imported"] == n and result["error_count"] == 0
    assert peaks[1] < peaks[0] * 2, peaks


def test_bad_utf8_in_a_one_line_json_array_is_refused(cs, tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b'[{"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry",'
                     b' "summary": "\xff\xfe"}]')
    result = cs(["ticket", "import", str(path)])
    assert result.exit_code == 1 and "line 1: (file): not UTF-8" in result.stderr


@pytest.mark.parametrize("make_path", [lambda tmp: tmp / "afile" / "x.db", lambda tmp: "/proc/cs-test/x.db"])
def test_unusable_database_paths_are_errors(cs, tmp_path, make_path):
    (tmp_path / "afile").write_text("not a directory", "utf-8")
    no_traceback(cs(["--db", str(make_path(tmp_path)), "agent", "list"]), 1)


def test_backup_to_an_unusable_path_is_an_error(cs):
    no_traceback(cs(["db", "backup", "/proc/cs-test/backup.db"]), 1)


def test_huge_ids_are_usage_errors(cs):
    assert cs("ticket show 99999999999999999999").exit_code == 2
    assert cs("ticket respond 0").exit_code == 2


def test_handles_may_not_end_in_a_newline(cs):
    no_traceback(cs(["agent", "add", "bob\n", "--name", "Bob"]), 1)
    assert cs("agent list --json").json() == []


def test_export_until_a_date_includes_that_day(cs):
    cs("ticket add --channel phone --category inquiry --summary 当天 --opened-at 2026-11-19T20:00")
    out = cs("ticket export --until 2026-11-19 --format jsonl").stdout
    assert "当天" in out
    assert cs("ticket export --until 2026-11-18 --format jsonl").stdout == ""


def test_a_callback_deadline_must_be_ahead_and_after_the_first_call(cs):
    assert cs("callback add --phone 13800138000 --due +2h").exit_code == 0
    past = cs("callback add --phone 13800138000 --due -1h")
    assert past.exit_code == 1 and "has already passed" in past.stderr
    early = cs("callback add --phone 13800138000 --due +1d --not-before +3d")
    assert early.exit_code == 1 and "before the first moment" in early.stderr
    backwards = cs("callback reschedule 1 --to -1d --note 客户要求")
    assert backwards.exit_code == 1 and "has already passed" in backwards.stderr
    assert len(cs("callback list --json").json()) == 1


def test_callback_table_names_the_caller(cs):
    cs("agent add li --name 李娜")
    cs("callback add --phone 13800138000 --due +1d --agent li")
    assert "执行人" in cs("--lang zh callback list").stdout
    cs("--as li ticket add --channel phone --category inquiry --summary 咨询")
    assert "受理人" in cs("--lang zh ticket list").stdout  # tickets keep their own label


def test_fractional_points_add_up_without_binary_noise(cs, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\ncode = "late"\nlabel = "迟到"\nsource = "manual"\npoints = 0.1\n', "utf-8")
    assert cs(["config", "load", str(rules)]).exit_code == 0
    cs("agent add li --name 李娜")
    for minute in ("09:00", "09:10", "09:20"):
        assert cs(["violation", "add", "li", "late", "--at", f"2026-11-19 {minute}"]).exit_code == 0
    assert cs("deductions run --date 2026-11-19").exit_code == 0
    row = cs("score --json").json()[0]
    assert row["points"] == 0.3 and row["score"] == 99.7


def test_duty_list_keeps_the_checklist_order(cs, tmp_path):
    duties = tmp_path / "duties.toml"
    duties.write_text('[[duty]]\ncode = "z_clean"\nlabel = "打扫卫生"\n\n[[duty]]\ncode = "a_report"\nlabel = "日报"\n',
                      "utf-8")
    assert cs(["config", "load", str(duties)]).exit_code == 0
    cs("agent add li --name 李娜")
    cs("roster set today day li")
    assert [row["duty"] for row in cs("duty list --json").json()] == ["z_clean", "a_report"]


def test_a_shift_report_says_the_same_whenever_it_is_made(cs):
    """SLA breaches are judged at the end of the window, so a later reading does not change the report."""
    cs("agent add li --name 李娜")
    cs("roster set 2026-11-20 day li")
    cs("--as li --now 2026-11-20T17:30+08:00 ticket add --channel phone --category inquiry --summary 晚到的电话")
    at_1805 = cs("--now 2026-11-20T18:05+08:00 report shift --date 2026-11-20 --shift day --json").json()
    at_2100 = cs("--now 2026-11-20T21:00+08:00 report shift --date 2026-11-20 --shift day --json").json()
    assert at_1805["tickets"]["breached"] == at_2100["tickets"]["breached"] == 0
    assert {k: v for k, v in at_1805.items() if k != "generated_at"} == \
           {k: v for k, v in at_2100.items() if k != "generated_at"}


# --- second review: jobs and reports ------------------------------------------------------


def test_a_day_scored_before_it_ended_is_scored_again_by_the_job(cs):
    cs("agent add li --name 李娜")
    cs("--as li ticket add --channel phone --category inquiry --summary 没人接")
    assert cs("--now 2026-11-20T10:00+08:00 deductions run --date today").exit_code == 0
    assert cs("--now 2026-11-21T01:00+08:00 jobs run daily-deductions").exit_code == 0
    entries = cs("deductions list --date 2026-11-20 --json").json()
    assert [e["rule"] for e in entries] == ["first_response_late"]


def test_a_rescheduled_callback_is_alerted_again_when_it_falls_overdue(cs):
    cs("agent add li --name 李娜")
    cs("--now 2026-11-20T09:00+08:00 callback add --phone 13800138000 --due 2026-11-20T10:00 --agent li")
    first = cs("--now 2026-11-20T10:30+08:00 jobs run overdue-alerts --json").json()
    assert [a["status"] for a in first["alerts"]] == ["sent"]
    cs("--now 2026-11-20T10:35+08:00 callback reschedule 1 --to 2026-11-20T11:00 --note 客户改约")
    again = cs("--now 2026-11-20T11:30+08:00 jobs run overdue-alerts --json").json()
    assert [a["status"] for a in again["alerts"]] == ["sent"] and again["suppressed"] == 0


@pytest.mark.parametrize("toml, message", [
    ('[alerts]\nescalate_after = "1wd"\n', "not working days"),
    ('[alerts]\nchannels = ["slack"]\n', "alerts.channels"),
    ('[channels.slack]\nurl = "http://127.0.0.1:9/x"\n', "slack"),
])
def test_alert_settings_cs_cannot_use_are_refused_at_load(cs, tmp_path, toml, message):
    path = tmp_path / "alerts.toml"
    path.write_text(toml, "utf-8")
    result = cs(["config", "load", str(path)])
    assert result.exit_code == 1 and message in result.stderr


def test_a_malformed_channel_url_fails_the_delivery_without_showing_it(cs, tmp_path):
    path = tmp_path / "alerts.toml"
    path.write_text('[alerts]\nchannels = ["webhook"]\n[channels.webhook]\nurl = "http://127.0.0.1:99999/x?token=SEKRET"\n'
                    'retries = 0\n', "utf-8")
    assert cs(["config", "load", str(path)]).exit_code == 0
    cs("agent add li --name 李娜")
    cs("--now 2026-11-20T09:00+08:00 callback add --phone 13800138000 --due 2026-11-20T10:00 --agent li")
    result = cs("--now 2026-11-20T10:30+08:00 jobs run overdue-alerts")
    assert result.exit_code == 1 and "Traceback" not in result.stderr and "SEKRET" not in result.stderr
    assert "SEKRET" not in json.dumps(cs("jobs status --json").json())


def test_plaintext_smtp_login_is_refused():
    from jobs.notify import Channel, DeliveryError

    channel = Channel("email", {"host": "127.0.0.1", "port": 9, "sender": "cs@example.com", "starttls": False,
                                "user_env": "U", "password_env": "P"}, {"U": "user", "P": "secret"})
    with pytest.raises(DeliveryError):
        channel.deliver({"handle": "li", "email": "li@example.com"}, 1, "text", [], alert_key="k1")


@pytest.mark.parametrize("template, message", [("{{ 1/0 }}", "ZeroDivisionError"), ('{{ "x"|pct }}', "failed")])
def test_a_user_template_failing_at_run_time_is_an_error_line(cs, tmp_path, template, message):
    path = tmp_path / "t.j2"
    path.write_text(template, "utf-8")
    result = cs(["report", "day", "--date", "2026-11-19", "--template", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.stderr and message in result.stderr


def test_a_late_answer_after_the_shift_does_not_change_its_report(cs):
    cs("agent add li --name 李娜")
    cs("--as li --now 2026-11-20T17:50+08:00 ticket add --channel phone --category inquiry --summary 临下班来电"
       " --priority urgent")
    before = cs("--now 2026-11-20T18:05+08:00 report shift --date 2026-11-20 --shift day --json").json()
    cs("--now 2026-11-20T18:30+08:00 ticket respond 1")
    after = cs("--now 2026-11-20T18:40+08:00 report shift --date 2026-11-20 --shift day --json").json()
    assert before["tickets"]["breached"] == after["tickets"]["breached"] == 0


def test_report_files_are_owner_only_and_named_safely(cs, tmp_path):
    import stat

    shifts = tmp_path / "shifts.toml"
    shifts.write_text('[[shift]]\ncode = "d"\nlabel = "白/班"\nstart = "09:00"\nend = "18:00"\n', "utf-8")
    assert cs(["config", "load", str(shifts)]).exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    result = cs(["--now", "2026-11-20T18:05+08:00", "report", "shift", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result
    written = list(out.iterdir())
    assert [p.name for p in written] == ["2026-11-20_白_班_值班日志.html"]
    assert stat.S_IMODE(written[0].stat().st_mode) == 0o600
