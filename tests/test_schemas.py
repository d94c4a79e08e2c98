"""Every JSON document the CLI prints, produced through the real CLI and validated against its schema.

Convention: a schema describes ONE record (a ticket, a customer, a time row ...). Commands that print a
list (`list --json`, `cs time`, `cs config versions`) print a JSON array of such records, and
`--format jsonl` one record a line; the tests validate every item.

customer.schema.json refers to "ticket.schema.json" and bundles a copy of it under $defs (same $id), so
it validates on its own with the shared `validate` fixture; a test below keeps the copy identical.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import jsonschema
import pytest
from conftest import object_schemas

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
OWNED = ["ticket", "customer", "agent", "db-info", "db-check", "time", "import-result", "config-versions"]
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"

# Properties a record may leave out: the extras only `show` adds.
OPTIONAL = {"ticket": {"history", "callbacks"}, "customer": {"ticket_list", "callback_list"},
            "import-result": {"table", "preview"}}
# Optional fields of nested objects: schema -> path -> fields.
NESTED_OPTIONAL = {"import-result": {"#/properties/errors/items": {"column"}}}


def load(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))


# --------------------------------------------------------------------------- helpers


def ok(result):
    assert result.exit_code == 0, result
    return result


def run_json(cs, args, **kwargs):
    return ok(cs(args, **kwargs)).json()


def each(validate, docs, name):
    """A JSON list: an array whose every item validates as `name`."""
    assert isinstance(docs, list)
    for doc in docs:
        validate(doc, name)
    return docs


def each_line(validate, text, name):
    """jsonl: one compact object a line, each validating as `name`."""
    docs = [json.loads(line) for line in text.splitlines()]
    assert all(line and not line.startswith(" ") for line in text.splitlines())
    return each(validate, docs, name)


def rejects(name, doc):
    """The schema refuses `doc` (through the same validator the fixture uses)."""
    from conftest import schema_validator

    assert not schema_validator(name).is_valid(doc), f"{name} accepted a wrong document: {json.dumps(doc, ensure_ascii=False)[:300]}"


def seed(cs):
    """Two agents, a supervisor-free centre, and tickets in several states (the clock is Fri 2026-11-20 09:30)."""
    ok(cs("agent add alice --name 'Alice Li' --team A --email alice@example.com --mobile 13800001111"))
    ok(cs("agent add bob --name 王小明 --team B"))
    ok(cs(["ticket", "add", "--channel", "来电", "--category", "投诉", "--summary", "态度不好",
           "--customer", "张三", "--phone", "+86 138 0000 2222", "--detail", "客服挂断电话",
           "--priority", "high", "--agent", "alice", "--department", "售后", "--about", "bob",
           "--tag", "system", "--tag", "投诉", "--opened-at", "2026-11-19T09:00"]))
    ok(cs("ticket add --channel visit --category inquiry --summary 'opening hours'"))
    # Opened long ago and never answered: breached.
    ok(cs("ticket add --channel email --category repair --summary leak --phone 13900003333 "
          "--priority urgent --opened-at 2026-11-16T08:00"))


# --------------------------------------------------------------------------- the schemas themselves


@pytest.mark.parametrize("name", OWNED + ["config"])
def test_schema_is_valid_draft_2020_12(name):
    schema = load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://cs.example/schemas/{name}.schema.json"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", OWNED)
def test_schema_is_strict(name):
    """Closed objects, every field required (bar the show-only extras), timestamps pinned to RFC 3339."""
    schema = load(name)
    found = list(object_schemas(schema))
    assert found
    for path, node in found:
        assert node["additionalProperties"] is False, path
        optional = {"#": OPTIONAL.get(name, set()), "#/$defs/ticket": OPTIONAL["ticket"],
                    **NESTED_OPTIONAL.get(name, {})}.get(path, set())
        assert set(node["required"]) == set(node["properties"]) - optional, path
        for key, prop in node["properties"].items():
            if key.endswith("_at") or key in ("at", "time") or prop.get("format") == "date-time":
                assert prop.get("format") == "date-time", f"{path}/{key}"
                assert prop.get("pattern") == TIMESTAMP, f"{path}/{key}"


def test_schemas_embed_the_schemas_they_use():
    assert load("customer")["properties"]["ticket_list"]["items"] == {"$ref": "#/$defs/ticket.schema.json"}
    assert load("customer")["properties"]["callback_list"]["items"] == {"$ref": "#/$defs/callback.schema.json"}
    assert load("ticket")["properties"]["callbacks"]["items"] == {"$ref": "#/$defs/callback.schema.json"}


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_every_schema_is_self_contained_and_its_copies_are_current(path):
    """No $ref leaves the file, and every schema embedded in it is exactly its source file today
    (after changing a schema, run `python tests/schema_embedding.py`)."""
    from schema_embedding import external_refs, refreshed, sources_on_disk

    schema = json.loads(path.read_text("utf-8"))
    assert external_refs(schema) == set()
    assert refreshed(schema, sources_on_disk()) == schema, "run: python tests/schema_embedding.py"


def test_a_stock_validator_checks_an_output_with_the_one_schema_file_alone(cs, tmp_path):
    """A script with only report.schema.json copied beside it validates a month report offline."""
    import shutil
    import subprocess
    import sys

    seed(cs)
    report = tmp_path / "month.json"
    report.write_text(ok(cs("report month --month 2026-11 --json")).stdout, encoding="utf-8")
    assert json.loads(report.read_text("utf-8"))["kpis"]["received"] == 3
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(SCHEMAS / "report.schema.json", alone / "report.schema.json")
    script = ("import json, jsonschema; jsonschema.validate(json.load(open('../month.json')),"
              " json.load(open('report.schema.json'))); print('valid')")
    result = subprocess.run([sys.executable, "-c", script], cwd=alone, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, "valid"), result.stderr


# --------------------------------------------------------------------------- tickets


def test_ticket_add_json(cs, validate):
    seed(cs)
    full = validate(run_json(cs, ["ticket", "add", "--channel", "phone", "--category", "complaint",
                                  "--summary", "s", "--customer", "李四", "--phone", "0086-139-0000-4444",
                                  "--detail", "d", "--priority", "urgent", "--agent", "bob",
                                  "--department", "IT", "--about", "alice", "--tag", "x", "--json"]), "ticket")
    assert full["customer_phone"] == "13900004444"
    assert full["tags"] == ["x"]
    # The actor (tester) is not a registered agent: no default agent; every optional field null.
    bare = validate(run_json(cs, "ticket add --channel online --category other --summary hi --json"), "ticket")
    assert bare["agent"] is None and bare["detail"] is None and bare["customer_phone"] is None
    assert bare["status"] == "open" and bare["breached"] is False


def test_ticket_state_changes_json(cs, validate):
    seed(cs)
    steps = [
        ("ticket respond 1 --at 2026-11-19T09:20 --json", "in_progress"),
        ("ticket pend 1 --reason 'waiting for the store' --at 2026-11-19T10:00 --json", "pending"),
        ("ticket resume 1 --at 2026-11-19T15:00 --json", "in_progress"),
        ("ticket note 1 'called the store' --json", "in_progress"),
        ("ticket assign 1 bob --json", "in_progress"),
        ("ticket update 1 --priority normal --summary 'rude agent' --untag system --tag vip --json", "in_progress"),
        ("ticket verdict 1 upheld --json", "in_progress"),
        ("ticket resolve 1 --resolution 'apologised' --fcr --at 2026-11-20T09:00 --json", "resolved"),
        ("ticket close 1 --at 2026-11-20T09:10 --json", "closed"),
        ("ticket reopen 1 --reason 'customer called again' --at 2026-11-20T09:20 --json", "in_progress"),
        ("ticket pend 2 --json", "pending"),  # straight from open
        ("ticket resolve 2 --resolution done --json", "resolved"),  # from pending, never answered
    ]
    for args, status in steps:
        doc = validate(run_json(cs, args), "ticket")
        assert doc["status"] == status, args
        assert "history" not in doc and "callbacks" not in doc
    assert doc["first_response_at"] == doc["resolved_at"]  # an unanswered ticket counts as answered at resolution


def test_ticket_pending_shows_projected_deadline(cs, validate):
    seed(cs)
    ok(cs("ticket pend 1 --at 2026-11-19T10:00"))
    doc = validate(run_json(cs, "ticket show 1 --json"), "ticket")
    assert doc["status"] == "pending"


def test_ticket_show_json_with_history_and_callbacks(cs, validate):
    seed(cs)
    for args in ["ticket respond 1 --at 2026-11-19T09:20", "ticket pend 1 --at 2026-11-19T10:00",
                 "ticket resume 1 --at 2026-11-19T15:00", "ticket note 1 备注", "ticket assign 1 bob",
                 "ticket update 1 --detail more", "ticket verdict 1 rejected",
                 "ticket resolve 1 --resolution ok --at 2026-11-20T09:00", "ticket close 1 --at 2026-11-20T09:10",
                 "ticket reopen 1 --at 2026-11-20T09:20"]:
        ok(cs(args))
    doc = validate(run_json(cs, "ticket show 1 --json"), "ticket")
    assert isinstance(doc["callbacks"], list)
    kinds = [event["kind"] for event in doc["history"]]  # ordered by --at, not by command order
    assert sorted(kinds) == sorted(["created", "responded", "pended", "resumed", "note", "assigned", "updated",
                                    "verdict", "resolved", "closed", "reopened"])
    assert [event["at"] for event in doc["history"]] == sorted(event["at"] for event in doc["history"])
    assert validate(run_json(cs, "ticket show 3 --format json"), "ticket")["breached"] is True
    # show in jsonl is one line with the same document
    (line,) = ok(cs("ticket show 1 --format jsonl")).stdout.splitlines()
    assert validate(json.loads(line), "ticket") == doc


def test_ticket_list_json_and_jsonl(cs, validate):
    assert run_json(cs, "ticket list --json") == []
    assert ok(cs("ticket list --format jsonl")).stdout == ""
    seed(cs)
    ok(cs("ticket resolve 2 --resolution answered"))
    docs = each(validate, run_json(cs, "ticket list --json"), "ticket")
    assert sorted(d["id"] for d in docs) == [1, 2, 3]
    assert all("history" not in d for d in docs)
    lines = each_line(validate, ok(cs("ticket list --format jsonl")).stdout, "ticket")
    assert lines == docs
    each(validate, run_json(cs, "ticket list --breached --json"), "ticket")
    each(validate, run_json(cs, "ticket list --open --json"), "ticket")
    each_line(validate, ok(cs("ticket export")).stdout, "ticket")  # export writes the same records
    each(validate, run_json(cs, "ticket export --format json"), "ticket")


def test_imported_tickets_validate(cs, validate, tmp_path):
    seed(cs)
    rows = [
        {"id": 100, "opened_at": "2026-11-18T10:00:00+08:00", "channel": "phone", "category": "repair",
         "summary": "fixed", "status": "closed", "resolved_at": "2026-11-18T12:00:00+08:00",
         "closed_at": "2026-11-18T13:00:00+08:00", "resolution": "replaced", "fcr": True, "satisfaction": 5,
         "customer_phone": "13700005555", "customer_name": "王五", "tags": ["a", "b"], "agent": "alice"},
        {"opened_at": "2026-11-18T11:00:00", "channel": "sms", "category": "booking", "summary": "book"},
    ]
    path = tmp_path / "in.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
    ok(cs(["ticket", "import", str(path)]))
    closed = validate(run_json(cs, "ticket show 100 --json"), "ticket")
    assert closed["satisfaction"] == 5 and closed["status"] == "closed"
    each(validate, run_json(cs, "ticket list --json"), "ticket")


# --------------------------------------------------------------------------- customers


def test_customer_json(cs, validate):
    assert run_json(cs, "customer list --json") == []
    seed(cs)
    set_doc = validate(run_json(cs, "customer set 13800002222 --vip --no-callback --json"), "customer")
    assert set_doc["vip"] is True and set_doc["no_callback"] is True
    new = validate(run_json(cs, "customer set 021-5555-6666 --name 赵六 --json"), "customer")
    assert new["tickets"] == 0 and new["last_contact_at"] is None
    docs = each(validate, run_json(cs, "customer list --json"), "customer")
    assert {d["phone"] for d in docs} == {"13800002222", "13900003333", "02155556666"}
    assert all("ticket_list" not in d for d in docs)
    each_line(validate, ok(cs("customer list --format jsonl")).stdout, "customer")
    show = validate(run_json(cs, "customer show +8613800002222 --json"), "customer")
    assert [t["id"] for t in show["ticket_list"]] == [1]
    assert show["callback_list"] == []
    empty = validate(run_json(cs, "customer show 02155556666 --json"), "customer")
    assert empty["ticket_list"] == []


# --------------------------------------------------------------------------- agents


def test_agent_json(cs, validate):
    assert run_json(cs, "agent list --json") == []
    added = validate(run_json(cs, "agent add carol --name Carol --team A --email c@example.com --mobile 13800009999 "
                                  "--json"), "agent")
    assert added["active"] is True
    bare = validate(run_json(cs, "agent add dave --name Dave --json"), "agent")
    assert bare["team"] is None and bare["email"] is None and bare["mobile"] is None
    validate(run_json(cs, "agent update carol --team B --email '' --json"), "agent")
    validate(run_json(cs, "agent show carol --json"), "agent")
    gone = validate(run_json(cs, "agent deactivate dave --json"), "agent")
    assert gone["active"] is False
    each(validate, run_json(cs, "agent list --json"), "agent")
    each(validate, run_json(cs, "agent list --all --json"), "agent")
    each_line(validate, ok(cs("agent list --all --format jsonl")).stdout, "agent")
    # roles other than agent (bootstrap: no supervisor yet, anyone may appoint)
    boss = validate(run_json(cs, "agent add boss --name Boss --role 主管 --json"), "agent")
    assert boss["role"] == "supervisor"
    validate(run_json(cs, "--as boss agent add lead --name Lead --role leader --json"), "agent")


# --------------------------------------------------------------------------- database


def test_db_info_json(cs, validate, isolated_env):
    seed(cs)
    doc = validate(run_json(cs, "db info --json"), "db-info")
    assert doc["tables"]["tickets"] == 3 and doc["warnings"] == []
    assert doc["journal_mode"] == "wal"
    os.chmod(isolated_env / "cs.db", 0o644)
    doc = validate(run_json(cs, "db info --json"), "db-info")
    assert doc["warnings"] and doc["mode"] == "0o644"


def test_db_check_json(cs, validate, isolated_env):
    seed(cs)
    doc = validate(run_json(cs, "db check --json"), "db-check")
    assert doc == {"ok": True, "integrity": ["ok"], "foreign_key_problems": []}
    # A dangling reference written behind cs's back (foreign keys are off on a plain connection).
    conn = sqlite3.connect(isolated_env / "cs.db")
    conn.execute("INSERT INTO ticket_events (ticket_id, at, actor, kind) VALUES (999, '2026-11-20T01:00:00Z', 'x', 'note')")
    conn.commit()
    conn.close()
    result = cs("db check --json")
    assert result.exit_code == 1, result
    doc = validate(result.json(), "db-check")
    assert doc["ok"] is False and doc["foreign_key_problems"][0]["table"] == "ticket_events"


# --------------------------------------------------------------------------- time


def test_time_json(cs, validate):
    docs = each(validate, run_json(cs, "time now +2wd tomorrow eom '2026-10-01 09:00' --json"), "time")
    assert [d["time"] for d in docs[:2]] == ["2026-11-20T09:30:00+08:00", "2026-11-24T09:30:00+08:00"]
    assert docs[4]["workday"] is False  # National Day
    each_line(validate, ok(cs("time now +2wd --format jsonl")).stdout, "time")
    zh = each(validate, run_json(cs, "time now --json", env={"CS_LANG": "zh"}), "time")
    assert zh[0]["weekday"] == "星期五"
    utc = each(validate, run_json(cs, "time now --json", env={"CS_TZ": "UTC"}), "time")
    assert utc[0]["time"] == "2026-11-20T01:30:00+00:00"
    west = each(validate, run_json(cs, "time now --json", env={"CS_TZ": "America/New_York"}), "time")
    assert west[0]["time"].endswith("-05:00")


def test_times_before_1970_are_refused_and_never_printed_with_a_seconds_offset(cs, validate):
    """Before 1901 Asia/Shanghai is on local mean time (+08:05:43), which RFC 3339 cannot write."""
    result = cs("time 1900-01-01 --json")
    assert result.exit_code == 2 and "out of range" in result.stderr
    from cs.core import clock

    shown = clock.to_display("1900-01-01T00:00:00Z", "Asia/Shanghai")
    assert shown == "1900-01-01T00:00:00+00:00"
    validate([{"input": "x", "time": shown, "weekday": "Monday", "workday": True, "contact_hours": False,
              "service_hours": False, "business_day": "1900-01-01"}][0], "time")


# --------------------------------------------------------------------------- import


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


GOOD_ROWS = [
    {"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry", "summary": "one"},
    {"opened_at": "2026-11-19T11:00:00+08:00", "channel": "来访", "category": "报修", "summary": "two",
     "customer_phone": "13800007777"},
]


def test_import_result_json(cs, validate, tmp_path):
    good = _write_jsonl(tmp_path / "good.jsonl", GOOD_ROWS)
    dry = validate(run_json(cs, ["ticket", "import", str(good), "--dry-run", "--json"]), "import-result")
    assert [ticket["summary"] for ticket in dry.pop("preview")] == [row["summary"] for row in GOOD_ROWS]
    assert dry == {"imported": 2, "dry_run": True, "errors": [], "error_count": 0, "skipped": 0, "skipped_rows": []}
    done = validate(run_json(cs, ["ticket", "import", str(good), "--json"]), "import-result")
    assert done["imported"] == 2 and done["dry_run"] is False

    bad = _write_jsonl(tmp_path / "bad.jsonl", GOOD_ROWS + [
        {"opened_at": "yesterday-ish", "channel": "phone", "category": "inquiry", "summary": "x"},
        {"opened_at": "2026-11-19T10:00:00+08:00", "channel": "fax", "category": "inquiry", "summary": "x"},
        {"bogus": 1},
    ])
    for extra in ([], ["--dry-run"]):  # its first rows were imported above: not what this checks
        result = cs(["ticket", "import", str(bad), "--json", "--allow-duplicates", *extra])
        assert result.exit_code == 1, result
        doc = validate(result.json(), "import-result")
        assert doc["imported"] == 0 and doc["error_count"] == 3
        assert [e["line"] for e in doc["errors"]] == [3, 4, 5]

    csv_bad = tmp_path / "bad.csv"
    csv_bad.write_text("opened_at,channel,category,summary\n2026-11-19T10:00:00+08:00,phone,inquiry,\n", "utf-8")
    result = cs(["ticket", "import", str(csv_bad), "--json"])
    assert result.exit_code == 1, result
    validate(result.json(), "import-result")

    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = cs(["ticket", "import", str(binary), "--json"])
    assert result.exit_code == 1, result
    assert validate(result.json(), "import-result")["errors"][0]["line"] == 1

    result = cs(["ticket", "import", "-", "--json", "--allow-duplicates"], input=json.dumps(GOOD_ROWS[:1]))
    validate(ok(result).json(), "import-result")


# --------------------------------------------------------------------------- config


def test_config_versions_json(cs, validate):
    assert run_json(cs, "config versions --json") == []
    ok(cs("config set timezone Asia/Shanghai"))
    ok(cs(["config", "set", "contact_hours", '["09:00-12:00", "14:00-20:00"]']))
    docs = each(validate, run_json(cs, "config versions --json"), "config-versions")
    assert [d["version"] for d in docs] == [1, 2]
    assert docs[0]["source"] == "set timezone"
    each_line(validate, ok(cs("config versions --format jsonl")).stdout, "config-versions")


def test_config_show_json(cs, validate):
    validate(run_json(cs, "config show --json"), "config")
    ok(cs("config set calendar mon-fri"))
    validate(run_json(cs, "config show --json"), "config")
    stored = validate(run_json(cs, "config show --stored --json"), "config")
    assert stored.get("calendar") == "mon-fri"


# --------------------------------------------------------------------------- the schemas can fail


def _real_documents(cs, tmp_path):
    """One real document per schema, straight from the CLI."""
    seed(cs)
    ok(cs("config set timezone Asia/Shanghai"))
    good = _write_jsonl(tmp_path / "good.jsonl", GOOD_ROWS)
    return {
        "ticket": run_json(cs, "ticket show 1 --json"),
        "customer": run_json(cs, "customer show 13800002222 --json"),
        "agent": run_json(cs, "agent show alice --json"),
        "db-info": run_json(cs, "db info --json"),
        "db-check": run_json(cs, "db check --json"),
        "time": run_json(cs, "time now --json")[0],
        "import-result": run_json(cs, ["ticket", "import", str(good), "--dry-run", "--json"]),
        "config-versions": run_json(cs, "config versions --json")[0],
    }


def _changed(doc, **changes):
    out = json.loads(json.dumps(doc))
    for key, value in changes.items():
        if value is _DROP:
            del out[key]
        else:
            out[key] = value
    return out


_DROP = object()

WRONG = {
    "ticket": [
        {"status": "done"}, {"channel": "来电"}, {"id": "1"}, {"fcr": 1}, {"tags": "system"},
        {"opened_at": "2026-11-19T01:00:00Z"}, {"opened_at": "2026-11-19T09:00:00.5+08:00"},
        {"opened_at": "2026-11-19 09:00:00+08:00"}, {"opened_at": "2026-11-19T09:00:00+08:05:43"},
        {"customer_phone": "+86 138 0000 2222"}, {"satisfaction": 6}, {"verdict": "成立"},
        {"summary": ""}, {"agent": "two words"}, {"updated_at": None}, {"history": [{"at": "x"}]},
        {"status": "closed", "closed_at": None}, {"status": "open", "resolved_at": "2026-11-20T09:00:00+08:00"},
        {"verdict": "upheld", "category": "inquiry"},  # only complaints take a verdict
        {"history": _DROP},  # history and callbacks come together
    ],
    "customer": [{"vip": "yes"}, {"tickets": -1}, {"phone": "123"}, {"last_contact_at": "2026-11-20"},
                 {"ticket_list": [{"id": 1}]}, {"callback_list": _DROP}],
    "agent": [{"role": "主管"}, {"active": 1}, {"mobile": "abc"}, {"email": "not-an-address"}, {"name": ""}],
    "db-info": [{"size_bytes": "1k"}, {"tables": {"tickets": -1}}, {"tables": {}}, {"mode": "600"},
                {"journal_mode": "WAL"}],
    "db-check": [{"ok": "yes"}, {"integrity": []}, {"foreign_key_problems": [{"table": "t"}]},
                 {"integrity": ["row 3 missing from index"]}],
    "time": [{"weekday": "Fri"}, {"workday": "true"}, {"time": "2026-11-20T09:30+08:00"}],
    "import-result": [{"imported": -1}, {"errors": [{"line": 1, "field": "x"}]}, {"error_count": 1},
                      {"dry_run": None}],
    "config-versions": [{"version": 0}, {"created_at": "yesterday"}, {"source": ""}],
}


def test_schemas_reject_wrong_documents(cs, validate, tmp_path):
    documents = _real_documents(cs, tmp_path)
    assert set(documents) == set(OWNED) == set(WRONG)
    for name, doc in documents.items():
        validate(doc, name)  # the real document passes ...
        first = next(iter(doc))
        rejects(name, _changed(doc, unexpected_field=1))  # ... a closed object ...
        rejects(name, _changed(doc, **{first: _DROP}))  # ... every field required ...
        for changes in WRONG[name]:  # ... and exact types, enums, patterns
            rejects(name, _changed(doc, **changes))
        with pytest.raises(jsonschema.ValidationError):
            validate(_changed(doc, unexpected_field=1), name)  # the shared fixture fails too


def test_date_time_format_is_checked():
    import rfc3339_validator  # noqa: F401  jsonschema checks date-time only with it (a test dependency)
    doc = {"input": "x", "time": "2026-13-40T09:30:00+08:00", "weekday": "Friday", "workday": True,
           "contact_hours": True}
    rejects("time", doc)


# --------------------------------------------------------------------------- contradictions the CLI lets through


def test_imported_open_ticket_has_no_first_response(cs, validate, tmp_path):
    """SPEC 4: open -> in_progress *is* the first response, so an open ticket has first_response_at null.

    Known CLI bug when this was written: `cs ticket import` accepts status "open" with first_response_at
    set; the ticket then can never be responded to ("already answered") and shows as open-but-answered.
    """
    rows = [{"opened_at": "2026-11-19T10:00:00+08:00", "channel": "phone", "category": "inquiry",
             "summary": "s", "status": "open", "first_response_at": "2026-11-19T11:00:00+08:00"}]
    path = _write_jsonl(tmp_path / "open.jsonl", rows)
    result = cs(["ticket", "import", str(path), "--json"])
    if result.exit_code == 1:  # refusing the row is a correct answer
        assert validate(result.json(), "import-result")["error_count"] == 1
        return
    validate(run_json(cs, "ticket show 1 --json"), "ticket")


def test_verdict_only_on_complaints(cs, validate):
    """`verdict` and `import` refuse a verdict on a non-complaint; `update --category` must not create one.

    Known CLI bug when this was written: `cs ticket update ID --category inquiry` on a complaint with a
    verdict keeps the verdict, printing an inquiry with verdict "rejected".
    """
    ok(cs("ticket add --channel phone --category complaint --summary c --opened-at 2026-11-19T10:00"))
    ok(cs("ticket verdict 1 rejected"))
    result = cs("ticket update 1 --category inquiry --json")
    if result.exit_code == 1:  # refusing the change is a correct answer
        return
    doc = validate(result.json(), "ticket")
    assert doc["verdict"] is None or doc["category"] == "complaint", doc
