"""Cron jobs (SPEC §10): overdue-alerts against REAL servers on 127.0.0.1, daily-deductions and
shift-reports catching up, `cs jobs status`, the lock, and the schemas alerts / job-run.

The servers are started and stopped by fixtures (loopback only, free ports, bounded lifetimes):
- `robot`: one http.server in a thread standing in for the DingTalk, Feishu and WeCom robots and a
  generic webhook. It records every request, checks each vendor's signature exactly as the vendor
  documents it (computed here, independently of cs.notify) and answers like the vendor. It can be
  told to fail (HTTP 500, or an error code in a 200 answer) for the next N requests.
- `smtp_server`: aiosmtpd on 127.0.0.1, plain or with STARTTLS (a trustme CA) and AUTH over TLS.

The clock is fixed per call (`--now`); NOW is Friday 2026-11-20 09:30 in Shanghai (conftest).
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import object_schemas, schema_validator

TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
REPO = Path(__file__).resolve().parent.parent

# Distinctive secrets: they must never show up in the database, the configuration or any output.
SECRET = {
    "CS_DINGTALK_SECRET": "SECdt" + secrets.token_hex(16),
    "CS_FEISHU_SECRET": "fs" + secrets.token_hex(16),
    "CS_SMTP_PASSWORD": "pw-" + secrets.token_hex(12),
}
SMTP_USER = "alerts-bot"
FULL_PHONE = "13812345678"
MASKED_PHONE = "138****5678"
ROBOT_TIMEOUT = 30  # seconds any wait on a subprocess or a request may take


# =========================================================================== the HTTP robot


def dingtalk_expected_sign(secret: str, timestamp_ms: str) -> str:
    """DingTalk: sign = urlEncode(base64(HmacSHA256(key=secret, msg=timestamp + "\\n" + secret)))."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return urllib.parse.quote(base64.b64encode(digest).decode("ascii"), safe="")


def feishu_expected_sign(secret: str, timestamp_s: str) -> str:
    """Feishu: sign = base64(HmacSHA256(key=timestamp + "\\n" + secret, msg=empty))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class Robot:
    """The recording, signature-checking HTTP server (see the module docstring)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.secrets: dict[str, str] = {}  # vendor -> secret it checks signatures with
        self.plan: list[str | None] = []  # what to do with the next requests: None = answer OK
        self.delay = 0.0  # seconds to wait before answering (to make runs overlap)
        self.long_refusal = ""  # when set, every request is refused with this errmsg
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                robot._handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # ---- control
    def url(self, vendor: str) -> str:
        query = {"dingtalk": "?access_token=x", "wecom": "?key=x", "feishu": "", "webhook": ""}[vendor]
        path = {"feishu": "/feishu/open-apis/bot/v2/hook/x"}.get(vendor, f"/{vendor}")
        return f"http://127.0.0.1:{self.port}{path}{query}"

    def fail(self, n: int, how: str = "http500", after: int = 0) -> None:
        """Let `after` requests through, then fail the next `n` (how: http500 | http400 | errcode | trickle)."""
        with self.lock:
            self.plan = [None] * after + [how] * n

    def delivered(self, vendor: str | None = None) -> list[dict]:
        """Requests answered as delivered, in arrival order."""
        with self.lock:
            return [r for r in self.requests if r["delivered"] and (vendor is None or r["vendor"] == vendor)]

    def problems(self) -> list[str]:
        with self.lock:
            return [p for r in self.requests for p in r["problems"]]

    # ---- serving
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        split = urllib.parse.urlsplit(handler.path)
        vendor = split.path.strip("/").split("/")[0]
        record = {"vendor": vendor, "path": handler.path, "query": split.query, "headers": dict(handler.headers),
                  "raw": raw, "body": None, "problems": [], "delivered": False, "at": time.time()}
        try:
            record["body"] = json.loads(raw.decode("utf-8"))
        except ValueError:
            record["problems"].append(f"{vendor}: the body is not UTF-8 JSON: {raw[:100]!r}")
        if record["body"] is not None:
            record["problems"] += self._check(vendor, split.query, record["body"], handler.headers)
        with self.lock:
            mode = self.plan.pop(0) if self.plan else None
            self.requests.append(record)
        if self.delay:
            time.sleep(self.delay)
        if record["problems"]:
            # What the vendors answer to a bad signature: HTTP 200 with an error code.
            self._answer(handler, 200, {"feishu": {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}}
                         .get(vendor, {"errcode": 310000, "errmsg": "sign not match"}))
        elif mode == "http500":
            self._answer(handler, 500, {"error": "internal"})
        elif mode == "http400":
            self._answer(handler, 400, {"error": "bad request"})
        elif mode == "trickle":  # one byte a second, for ever (until the client gives up)
            try:
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", "1000")
                handler.end_headers()
                for _ in range(60):
                    handler.wfile.write(b" ")
                    handler.wfile.flush()
                    time.sleep(1)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif mode == "errcode":
            self._answer(handler, 200, {"code": 9499, "msg": "Bad Request"} if vendor == "feishu"
                         else {"errcode": 310000, "errmsg": "keywords not in content"})
        elif self.long_refusal:
            self._answer(handler, 200, {"errcode": 310000, "errmsg": self.long_refusal})
        else:
            record["delivered"] = True
            self._answer(handler, 200, {"code": 0, "msg": "success"} if vendor == "feishu"
                         else {"errcode": 0, "errmsg": "ok"})

    @staticmethod
    def _answer(handler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a killed run)

    def _check(self, vendor: str, query: str, body: dict, headers) -> list[str]:
        problems = []
        if not (headers.get("Content-Type") or "").startswith("application/json"):
            problems.append(f"{vendor}: Content-Type {headers.get('Content-Type')!r}")
        secret = self.secrets.get(vendor)
        now = time.time()
        if vendor == "dingtalk":
            raw = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
            if secret:
                if "timestamp" not in raw or "sign" not in raw:
                    problems.append(f"dingtalk: no timestamp/sign in the URL query {query!r}")
                else:
                    if not raw["timestamp"].isdigit() or abs(int(raw["timestamp"]) - now * 1000) > 3600 * 1000:
                        problems.append(f"dingtalk: timestamp {raw['timestamp']!r} is not ms within an hour of now")
                    if raw["sign"] != dingtalk_expected_sign(secret, raw["timestamp"]):
                        problems.append(f"dingtalk: sign {raw['sign']!r} does not match")
            if body.get("msgtype") != "text" or not isinstance(body.get("text", {}).get("content"), str):
                problems.append(f"dingtalk: not a text message: {body}")
        elif vendor == "feishu":
            if secret:
                stamp, sign = body.get("timestamp"), body.get("sign")
                if not isinstance(stamp, str) or not stamp.isdigit() or abs(int(stamp) - now) > 3600:
                    problems.append(f"feishu: timestamp {stamp!r} is not a string of seconds within an hour of now")
                elif sign != feishu_expected_sign(secret, stamp):
                    problems.append(f"feishu: sign {sign!r} does not match")
            if body.get("msg_type") != "text" or not isinstance(body.get("content", {}).get("text"), str):
                problems.append(f"feishu: not a text message: {body}")
        elif vendor == "wecom":
            if body.get("msgtype") != "text" or not isinstance(body.get("text", {}).get("content"), str):
                problems.append(f"wecom: not a text message: {body}")
        elif vendor == "webhook":
            if set(body) != {"alert_key", "recipient", "level", "text", "alerts"}:
                problems.append(f"webhook: body keys {sorted(body)}")
        else:
            problems.append(f"unexpected path {vendor!r}")
        return problems


def message_text(record: dict) -> str:
    body = record["body"]
    return {"dingtalk": lambda: body["text"]["content"], "wecom": lambda: body["text"]["content"],
            "feishu": lambda: body["content"]["text"], "webhook": lambda: body["text"]}[record["vendor"]]()


def callback_ids(text: str) -> list[int]:
    return [int(m) for m in re.findall(r"(?m)^#(\d+) ", text)]


@pytest.fixture
def robot():
    server = Robot()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(timeout=10)
        assert not server.thread.is_alive()


# =========================================================================== the SMTP server


class Mailbox:
    def __init__(self):
        self.messages: list[dict] = []
        self.logins: list[tuple[bytes, bytes, bool]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": envelope.original_content or envelope.content, "tls": session.ssl is not None,
                              "authenticated": session.authenticated})
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        self.logins.append((auth_data.login, auth_data.password, session.ssl is not None))
        good = auth_data.login == SMTP_USER.encode() and auth_data.password == SECRET["CS_SMTP_PASSWORD"].encode()
        return AuthResult(success=good, handled=False)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def tls_ca(tmp_path):
    import trustme

    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    pem = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return {"context": context, "ca_file": str(pem)}


@pytest.fixture
def smtp_server(request):
    """smtp_server(tls=None|{"context":...}) -> (Mailbox, port); every server is stopped at teardown."""
    from aiosmtpd.controller import Controller

    controllers = []

    def start(tls=None, port=None):
        box = Mailbox()
        options = {}
        if tls:
            options = dict(tls_context=tls["context"], require_starttls=True, authenticator=box.authenticate,
                           auth_require_tls=True)
        controller = Controller(box, hostname="127.0.0.1", port=port or free_port(), ready_timeout=10, **options)
        controller.start()
        controllers.append(controller)
        return box, controller.port

    yield start
    for controller in controllers:
        controller.stop()


# =========================================================================== the desk


def ok(result):
    assert "Traceback" not in result.stderr, result
    assert result.exit_code == 0, result
    return result


class Desk:
    """The CLI with the channel secrets in its environment; every output is checked for secrets."""

    def __init__(self, cs, robot, tmp_path):
        self._cs, self.robot, self.tmp_path = cs, robot, tmp_path
        self.outputs: list[str] = []
        self.configs = 0

    def cs(self, args, now: str | None = None, env: dict | None = None):
        argv = (["--now", now] if now else []) + list(args)
        result = self._cs(argv, env={**SECRET, **(env or {})})
        self.outputs.append(result.stdout + result.stderr)
        assert_no_secret(result.stdout + result.stderr, f"output of cs {' '.join(argv)}")
        return result

    def configure(self, channels=("dingtalk",), escalate_after="2h", repeat_every=None, alert_hours=None,
                  retries=0, email: dict | None = None, extra: str = ""):
        """`cs config load` of a TOML file naming every robot channel (and email when given)."""
        robot = self.robot
        robot.secrets = {"dingtalk": SECRET["CS_DINGTALK_SECRET"], "feishu": SECRET["CS_FEISHU_SECRET"]}
        lines = ["[alerts]", f"channels = {json.dumps(list(channels))}", f'escalate_after = "{escalate_after}"']
        if repeat_every:
            lines.append(f'repeat_every = "{repeat_every}"')
        if alert_hours:
            lines.append(f'alert_hours = "{alert_hours}"')
        lines += ["", "[channels.dingtalk]", f'url = "{robot.url("dingtalk")}"', 'secret_env = "CS_DINGTALK_SECRET"',
                  f"retries = {retries}", "timeout = 10",
                  "", "[channels.feishu]", f'url = "{robot.url("feishu")}"', 'secret_env = "CS_FEISHU_SECRET"',
                  f"retries = {retries}", "timeout = 10",
                  "", "[channels.wecom]", f'url = "{robot.url("wecom")}"', f"retries = {retries}", "timeout = 10",
                  "", "[channels.webhook]", f'url = "{robot.url("webhook")}"', f"retries = {retries}", "timeout = 10"]
        if email:
            lines += ["", "[channels.email]"] + [f"{key} = {json.dumps(value)}" for key, value in email.items()]
        self.configs += 1
        path = self.tmp_path / f"centre-{self.configs}.toml"
        path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
        return self.cs(["--as", "sue", "config", "load", str(path)])

    def staff(self):
        """alice, bob (team A), carol (team B); leaders lee and lin (team A); supervisor sue."""
        people = [("alice", "Alice", "A", "agent", "13900000001"), ("bob", "Bob", "A", "agent", "13900000002"),
                  ("carol", "Carol", "B", "agent", "13900000003"), ("lee", "Lee", "A", "leader", "13900000004"),
                  ("lin", "Lin", "A", "leader", "13900000005"), ("sue", "Sue", None, "supervisor", "13900000006")]
        for handle, name, team, role, mobile in people:
            args = ["agent", "add", handle, "--name", name, "--role", role, "--mobile", mobile,
                    "--email", f"{handle}@example.com"]
            if team:
                args += ["--team", team]
            ok(self.cs(["--as", "sue"] + args))

    def callback(self, due: str, agent: str = "alice", phone: str = FULL_PHONE, customer: str = "张三",
                 created: str | None = None) -> int:
        created = created or due[:10] + "T08:00"
        result = ok(self.cs(["callback", "add", "--phone", phone, "--customer", customer, "--due", due,
                             "--agent", agent, "--json"], now=created))
        return result.json()["id"]

    def alerts(self, now: str, *extra, expect: int = 0) -> dict:
        """`cs jobs run overdue-alerts --json` at `now`; returns the validated document."""
        result = self.cs(["jobs", "run", "overdue-alerts", "--json", *extra], now=now)
        assert result.exit_code == expect, result
        assert "Traceback" not in result.stderr, result
        document = json.loads(result.stdout)
        schema_validator("alerts").validate(document)
        if "--dry-run" not in extra:
            assert all(a["status"] != "would_send" for a in document["alerts"]), document
        return document

    def status(self) -> dict:
        rows = ok(self.cs(["jobs", "status", "--json"])).json()
        validator = schema_validator("job-run")
        for row in rows:
            validator.validate(row)
        return {row["job"]: row for row in rows}


def assert_no_secret(text, where: str):
    for name, value in SECRET.items():
        assert value not in text, f"the secret of {name} appears in {where}"


def sent(document) -> list[tuple]:
    return sorted((a["callback_id"], a["level"], a["recipient"], a["channel"])
                  for a in document["alerts"] if a["status"] == "sent")


def alerts_table(db_path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT ref_id, level, recipient, channel, round FROM alerts WHERE kind = 'callback'"
                            " ORDER BY 1, 2, 3, 4, 5").fetchall()


@pytest.fixture
def desk(cs, robot, isolated_env):
    d = Desk(cs, robot, isolated_env)
    yield d
    assert robot.problems() == [], robot.problems()


# =========================================================================== schemas


@pytest.mark.parametrize("name", ["alerts", "job-run"])
def test_schema_house_style(name):
    """Draft 2020-12 with its $id, closed objects with every field required, RFC 3339 timestamps."""
    import jsonschema

    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://cs.example/schemas/{name}.schema.json"
    jsonschema.Draft202012Validator.check_schema(schema)
    found = list(object_schemas(schema))
    assert found
    for path, node in found:
        assert node["additionalProperties"] is False, path
        assert set(node["required"]) == set(node["properties"]), path
        for key, prop in node["properties"].items():
            if key.endswith("_at") or key.startswith("last_") or prop.get("format") == "date-time":
                assert prop.get("format") == "date-time", f"{path}/{key}"
                assert prop.get("pattern") == TIMESTAMP, f"{path}/{key}"


GOOD_ALERTS = {"alerts": [{"kind": "callback", "ref_id": 1, "deadline": None, "callback_id": 1, "level": 1, "recipient": "alice", "channel": "dingtalk", "status": "sent",
                           "due_at": "2026-11-20T10:00:00+08:00", "overdue_minutes": 5,
                           "alert_key": "0123456789abcdef0123456789abcdef"}], "held": 0, "suppressed": 2}
GOOD_RUN = {"job": "overdue-alerts", "last_start": "2026-11-20T09:30:00+08:00",
            "last_end": "2026-11-20T09:30:00+08:00", "outcome": "ok", "summary": "1 sent"}


def _with(doc, path, value):
    doc = json.loads(json.dumps(doc))
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@pytest.mark.parametrize("name,doc,valid", [
    ("alerts", GOOD_ALERTS, True),
    ("alerts", {"alerts": [], "held": 0, "suppressed": 0}, True),
    ("alerts", _with(GOOD_ALERTS, ["alerts", 0, "status"], "would_send"), True),
    ("alerts", _with(GOOD_ALERTS, ["alerts", 0, "status"], "queued"), False),
    ("alerts", _with(_with(GOOD_ALERTS, ["alerts", 0, "status"], "stopped"), ["alerts", 0, "alert_key"], None), True),
    ("alerts", _with(GOOD_ALERTS, ["alerts", 0, "alert_key"], "x-1"), False),
    ("alerts", _with(GOOD_ALERTS, ["alerts", 0, "alert_key"], KeyError), False),
    ("alerts", _with(GOOD_ALERTS, ["alerts", 0, "level"], 3), False),
    ("alerts", _with(GOOD_ALERTS, ["alerts", 0, "due_at"], "2026-11-20 10:00"), False),
    ("alerts", _with(GOOD_ALERTS, ["alerts", 0, "due_at"], "2026-11-20T02:00:00Z"), False),
    ("alerts", _with(GOOD_ALERTS, ["alerts", 0, "phone"], FULL_PHONE), False),
    ("alerts", _with(GOOD_ALERTS, ["alerts", 0, "overdue_minutes"], -1), False),
    ("alerts", _with(GOOD_ALERTS, ["held"], KeyError), False),
    ("alerts", _with(GOOD_ALERTS, ["failed"], False), False),
    ("job-run", GOOD_RUN, True),
    ("job-run", {"job": "shift-reports", "last_start": None, "last_end": None, "outcome": None, "summary": None}, True),
    ("job-run", _with(_with(GOOD_RUN, ["outcome"], "running"), ["last_end"], None), True),
    ("job-run", _with(GOOD_RUN, ["outcome"], "done"), False),
    ("job-run", _with(GOOD_RUN, ["job"], "backup"), False),
    ("job-run", _with(GOOD_RUN, ["last_end"], None), False),
    ("job-run", _with(GOOD_RUN, ["summary"], KeyError), False),
    ("job-run", _with(GOOD_RUN, ["last_start"], "yesterday"), False),
])
def test_schemas_accept_and_reject(name, doc, valid):
    assert schema_validator(name).is_valid(doc) is valid


# =========================================================================== robots and signatures


@pytest.mark.parametrize("vendor", ["dingtalk", "feishu", "wecom", "webhook"])
def test_each_robot_gets_one_correctly_signed_masked_message(desk, robot, vendor):
    desk.staff()
    ok(desk.configure(channels=[vendor]))
    cb = desk.callback("2026-11-20T10:00")
    doc = desk.alerts("2026-11-20T10:05")
    assert sent(doc) == [(cb, 1, "alice", vendor)]
    assert doc["alerts"][0]["overdue_minutes"] == 5 and doc["alerts"][0]["due_at"] == "2026-11-20T10:00:00+08:00"
    (request,) = robot.requests
    assert request["delivered"] and request["problems"] == []
    text = message_text(request)
    assert callback_ids(text) == [cb]
    assert MASKED_PHONE in text
    assert FULL_PHONE not in request["raw"].decode() and FULL_PHONE not in request["path"]
    if vendor == "dingtalk":
        assert {"timestamp", "sign"} <= set(urllib.parse.parse_qs(request["query"]))
        assert request["body"]["at"]["atMobiles"] == ["13900000001"]
    if vendor == "feishu":
        assert {"timestamp", "sign"} <= set(request["body"])
    if vendor == "webhook":
        body = request["body"]
        assert body["recipient"] == "alice" and body["level"] == 1
        schema_validator("alerts").validate({"alerts": body["alerts"], "held": 0, "suppressed": 0})
        assert [(a["callback_id"], a["level"], a["recipient"], a["channel"]) for a in body["alerts"]] == \
            [(cb, 1, "alice", "webhook")]


def test_a_wrong_dingtalk_signature_is_refused_by_the_robot_and_the_run_fails(desk, robot):
    """The robot really checks: with another secret in the environment nothing counts as delivered."""
    desk.staff()
    ok(desk.configure(channels=["dingtalk"]))
    cb = desk.callback("2026-11-20T10:00")
    result = desk.cs(["jobs", "run", "overdue-alerts", "--json"], now="2026-11-20T10:05",
                     env={"CS_DINGTALK_SECRET": "not-the-secret"})
    assert result.exit_code == 1, result
    assert [a["status"] for a in json.loads(result.stdout)["alerts"]] == ["failed"]
    assert robot.delivered() == [] and len(robot.requests) == 1
    robot.requests.clear()  # the refusal was the point; the teardown check is for the other tests
    doc = desk.alerts("2026-11-20T10:10")
    assert sent(doc) == [(cb, 1, "alice", "dingtalk")]


def test_a_missing_secret_variable_fails_the_delivery_with_a_message(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["feishu"]))
    desk.callback("2026-11-20T10:00")
    result = desk.cs(["jobs", "run", "overdue-alerts"], now="2026-11-20T10:05", env={"CS_FEISHU_SECRET": ""})
    assert result.exit_code == 1, result
    assert "CS_FEISHU_SECRET" in result.stderr
    assert robot.requests == []
    assert alerts_table(os.environ["CS_DB"]) == []


# =========================================================================== levels, suppression, escalation


def test_no_alert_before_or_at_due(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["dingtalk"]))
    desk.callback("2026-11-20T10:00")
    for now in ("2026-11-20T09:30", "2026-11-20T09:59", "2026-11-20T10:00"):
        doc = desk.alerts(now)
        assert doc == {"alerts": [], "held": 0, "suppressed": 0}, now
    assert robot.requests == []


def test_level_1_to_the_agent_then_suppressed(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["dingtalk"]))
    cb = desk.callback("2026-11-20T10:00", agent="bob")
    doc = desk.alerts("2026-11-20T10:01")
    assert sent(doc) == [(cb, 1, "bob", "dingtalk")]
    assert doc["held"] == 0 and doc["suppressed"] == 0
    assert len(robot.delivered()) == 1
    assert robot.delivered()[0]["body"]["at"]["atMobiles"] == ["13900000002"]
    assert "Bob" in message_text(robot.delivered()[0])
    for now in ("2026-11-20T10:06", "2026-11-20T11:59"):
        again = desk.alerts(now)
        assert again["alerts"] == [] and again["suppressed"] == 1, now
    assert len(robot.requests) == 1


def test_level_2_to_the_team_leaders_after_escalate_after(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"], escalate_after="2h"))
    cb = desk.callback("2026-11-20T10:00", agent="alice")
    assert sent(desk.alerts("2026-11-20T10:01")) == [(cb, 1, "alice", "webhook")]
    assert sent(desk.alerts("2026-11-20T11:59")) == []
    doc = desk.alerts("2026-11-20T12:01")
    assert sent(doc) == [(cb, 2, "lee", "webhook"), (cb, 2, "lin", "webhook")]
    assert all(a["overdue_minutes"] == 121 for a in doc["alerts"])
    bodies = {r["body"]["recipient"]: r["body"] for r in robot.delivered()[1:]}
    assert set(bodies) == {"lee", "lin"} and all(b["level"] == 2 for b in bodies.values())
    assert len(robot.delivered()) == 3
    assert sent(desk.alerts("2026-11-20T12:30")) == []
    assert len(robot.requests) == 3


def test_level_2_goes_to_the_supervisors_when_the_team_has_no_leader(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"], escalate_after="30m"))
    cb = desk.callback("2026-11-20T10:00", agent="carol")  # team B: no leader
    doc = desk.alerts("2026-11-20T10:45")
    assert sent(doc) == [(cb, 1, "carol", "webhook"), (cb, 2, "sue", "webhook")]
    assert sorted((r["body"]["recipient"], r["body"]["level"]) for r in robot.delivered()) == [("carol", 1), ("sue", 2)]


def test_a_leaders_own_overdue_callback_escalates_past_her(desk, robot):
    """Issue 16: a leader's own overdue callback escalated to herself and the supervisor was never told. Team
    A has two leaders: lee's goes to lin; with lin gone, to the supervisor."""
    desk.staff()
    ok(desk.configure(channels=["webhook"], escalate_after="30m"))
    mine = desk.callback("2026-11-20T10:00", agent="lee")
    assert sent(desk.alerts("2026-11-20T10:45")) == [(mine, 1, "lee", "webhook"), (mine, 2, "lin", "webhook")]
    ok(desk.cs(["--as", "sue", "agent", "deactivate", "lin"]))
    again = desk.callback("2026-11-20T11:00", agent="lee")
    # The supervisor now hears of both (lin, who had been told of the first, is gone).
    assert sorted(sent(desk.alerts("2026-11-20T11:45"))) == sorted([
        (mine, 2, "sue", "webhook"), (again, 1, "lee", "webhook"), (again, 2, "sue", "webhook")])


def test_suppressed_counts_callback_level_pairs(desk, robot):
    """SPEC §10: `suppressed` counts (callback, level) pairs skipped because they were already sent."""
    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    desk.callback("2026-11-20T10:00", agent="alice")
    assert len(sent(desk.alerts("2026-11-20T12:05"))) == 3  # level 1 alice; level 2 lee and lin
    again = desk.alerts("2026-11-20T12:10")
    assert again["alerts"] == []
    assert again["suppressed"] == 2, again  # (cb, 1) and (cb, 2)


def test_no_alert_for_callbacks_done_or_cancelled_meanwhile(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    done_early = desk.callback("2026-11-20T10:00")
    done_late = desk.callback("2026-11-20T10:00")
    cancelled = desk.callback("2026-11-20T10:00")
    left = desk.callback("2026-11-20T10:00")
    ok(desk.cs(["callback", "done", str(done_early), "--outcome", "satisfied"], now="2026-11-20T09:50"))
    doc = desk.alerts("2026-11-20T10:01")
    assert sent(doc) == [(cb, 1, "alice", "webhook") for cb in (done_late, cancelled, left)]
    assert len(robot.delivered()) == 1  # one digest for alice
    assert callback_ids(message_text(robot.delivered()[0])) == [done_late, cancelled, left]
    ok(desk.cs(["callback", "done", str(done_late), "--outcome", "neutral"], now="2026-11-20T11:00"))
    ok(desk.cs(["--as", "sue", "callback", "cancel", str(cancelled), "--reason", "客户已投诉撤销"], now="2026-11-20T11:00"))
    doc = desk.alerts("2026-11-20T12:05")
    assert sent(doc) == [(left, 2, "lee", "webhook"), (left, 2, "lin", "webhook")]
    for request in robot.delivered()[1:]:
        assert callback_ids(message_text(request)) == [left]


def test_phones_are_masked_everywhere(desk, robot, smtp_server):
    box, port = smtp_server()
    desk.staff()
    ok(desk.configure(channels=["stdout", "dingtalk", "feishu", "wecom", "webhook", "email"],
                      email={"host": "127.0.0.1", "port": port, "starttls": False, "sender": "cs@example.com",
                             "timeout": 10}))
    desk.callback("2026-11-20T10:00", phone="+86 138 1234 5678")
    result = desk.cs(["jobs", "run", "overdue-alerts"], now="2026-11-20T10:05")
    ok(result)
    assert MASKED_PHONE in result.stdout and FULL_PHONE not in result.stdout + result.stderr
    assert len(robot.delivered()) == 4
    for request in robot.delivered():
        assert MASKED_PHONE in message_text(request)
        assert FULL_PHONE not in request["raw"].decode()
    (mail,) = box.messages
    message = email.message_from_bytes(mail["data"], policy=email.policy.default)
    assert MASKED_PHONE in message.get_content() and FULL_PHONE not in message.get_content()


# =========================================================================== alert hours (held)


def test_held_outside_alert_hours_and_sent_next_morning(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["dingtalk"]))
    cb = desk.callback("2026-11-20T21:00")
    for now in ("2026-11-20T22:30", "2026-11-20T23:59", "2026-11-21T07:59"):
        doc = desk.alerts(now)
        assert doc["held"] == len(doc["alerts"]) >= 1, (now, doc)
        assert {a["status"] for a in doc["alerts"]} == {"held"}
        assert (cb, 1, "alice") in {(a["callback_id"], a["level"], a["recipient"]) for a in doc["alerts"]}
    assert robot.requests == []
    assert alerts_table(os.environ["CS_DB"]) == []
    doc = desk.alerts("2026-11-21T08:05")
    assert doc["held"] == 0
    assert sent(doc) == [(cb, 1, "alice", "dingtalk"), (cb, 2, "lee", "dingtalk"), (cb, 2, "lin", "dingtalk")]
    assert len(robot.delivered()) == 3
    assert sent(desk.alerts("2026-11-21T08:10")) == []
    assert len(robot.requests) == 3


def test_alert_hours_from_the_configuration(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["wecom"], alert_hours="09:00-18:00"))
    cb = desk.callback("2026-11-20T17:30")
    doc = desk.alerts("2026-11-20T18:00")  # the window is half-open: 18:00 is outside
    assert [a["status"] for a in doc["alerts"]] == ["held"] and doc["held"] == 1
    assert robot.requests == []
    assert sent(desk.alerts("2026-11-21T09:00")) == [(cb, 1, "alice", "wecom"), (cb, 2, "lee", "wecom"),
                                                     (cb, 2, "lin", "wecom")]


# =========================================================================== failures and retries


@pytest.mark.parametrize("how", ["http500", "errcode"])
def test_a_failed_delivery_is_not_recorded_and_is_retried_next_run(desk, robot, how):
    desk.staff()
    ok(desk.configure(channels=["dingtalk"], retries=0))
    cb = desk.callback("2026-11-20T10:00")
    robot.fail(1, how)
    result = desk.cs(["jobs", "run", "overdue-alerts", "--json"], now="2026-11-20T10:05")
    assert result.exit_code == 1, result
    doc = json.loads(result.stdout)
    schema_validator("alerts").validate(doc)
    assert [(a["callback_id"], a["status"]) for a in doc["alerts"]] == [(cb, "failed")]
    assert any(line.startswith("Error: ") for line in result.stderr.splitlines()), result
    assert alerts_table(os.environ["CS_DB"]) == []
    assert robot.delivered() == []
    status = desk.status()["overdue-alerts"]
    assert status["outcome"] == "failed" and "1 failed" in status["summary"]

    doc = desk.alerts("2026-11-20T10:10")
    assert sent(doc) == [(cb, 1, "alice", "dingtalk")]
    assert desk.alerts("2026-11-20T10:15")["alerts"] == []
    assert len(robot.delivered()) == 1
    assert callback_ids(message_text(robot.delivered()[0])) == [cb]
    assert desk.status()["overdue-alerts"]["outcome"] == "ok"


def test_a_hiccup_is_retried_within_the_run(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["wecom"], retries=1))
    cb = desk.callback("2026-11-20T10:00")
    robot.fail(1, "http500")
    assert sent(desk.alerts("2026-11-20T10:05")) == [(cb, 1, "alice", "wecom")]
    assert len(robot.requests) == 2 and len(robot.delivered()) == 1


def test_one_channel_failing_does_not_hold_back_another(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["feishu", "webhook"], retries=0))
    cb = desk.callback("2026-11-20T10:00")
    robot.fail(1, "errcode")  # the first request is feishu's (channels in order)
    doc = desk.alerts("2026-11-20T10:05", expect=1)
    assert {(a["channel"], a["status"]) for a in doc["alerts"]} == {("feishu", "failed"), ("webhook", "sent")}
    doc = desk.alerts("2026-11-20T10:10")
    assert sent(doc) == [(cb, 1, "alice", "feishu")] and doc["suppressed"] >= 1
    assert sorted(r["vendor"] for r in robot.delivered()) == ["feishu", "webhook"]


def test_a_partly_delivered_digest_is_not_delivered_twice(desk, robot):
    """A WeCom digest in several parts whose 2nd part fails: next run, every callback line arrives once in all."""
    desk.staff()
    ok(desk.configure(channels=["wecom"], retries=0))
    ids = [desk.callback("2026-11-20T10:00", customer=f"长名字的客户{i:02d}号某某某某某某某某某") for i in range(40)]
    robot.fail(1, "http500", after=1)
    doc = desk.alerts("2026-11-20T10:30", expect=1)
    assert "failed" in {a["status"] for a in doc["alerts"]}
    assert len(robot.requests) == 2 and len(robot.delivered()) == 1
    desk.alerts("2026-11-20T10:35")
    lines = [cb for r in robot.delivered() for cb in callback_ids(message_text(r))]
    assert sorted(lines) == sorted(ids), f"{len(lines)} lines delivered for {len(ids)} callbacks"


# =========================================================================== the lock


def _subprocess_env(now: str) -> dict:
    return {**os.environ, **SECRET, "CS_NOW": now, "PYTHONPATH": str(REPO)}


def _start_alerts(now: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cs", "jobs", "run", "overdue-alerts", "--json"],
                            env=_subprocess_env(now), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=ROBOT_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=10)
        raise
    assert_no_secret(out + err, "a job's output")
    return proc.returncode, out, err


def _key_header(record: dict) -> str | None:
    return next((v for k, v in record["headers"].items() if k.lower() == "x-cs-alert-key"), None)


def _wait_for_requests(robot, count: int) -> None:
    deadline = time.monotonic() + ROBOT_TIMEOUT
    while len(robot.requests) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(robot.requests) >= count, f"{len(robot.requests)} requests reached the robot, expected {count}"


def _deliveries(db_path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT recipient, state, attempts FROM deliveries ORDER BY recipient").fetchall()


def _kill_9_in_flight(robot, now: str, delay: float) -> None:
    """Start overdue-alerts at `now` against a robot that takes `delay` seconds to answer, and kill -9 the job
    once the robot has the message: its outcome is unknown to the desk."""
    robot.delay = delay
    proc = _start_alerts(now)
    try:
        _wait_for_requests(robot, 1)
    finally:
        proc.kill()
        proc.communicate(timeout=10)


def test_two_runs_at_the_same_moment_deliver_once(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    ids = [desk.callback("2026-11-20T10:00", agent=agent) for agent in ("alice", "bob", "carol")]
    robot.delay = 0.7  # each of the three digests takes a while: the runs overlap
    procs = [_start_alerts("2026-11-20T10:05"), _start_alerts("2026-11-20T10:05")]
    results = [_finish(p) for p in procs]
    for code, out, err in results:
        assert code == 0, (code, out, err)
        assert "Traceback" not in err
    assert sorted(r["body"]["recipient"] for r in robot.delivered()) == ["alice", "bob", "carol"]
    assert len(robot.requests) == 3
    outcomes = []
    for code, out, err in results:
        if "already running" in err:
            assert out == "", out
            outcomes.append("locked")
        else:
            doc = json.loads(out)
            schema_validator("alerts").validate(doc)
            outcomes.append("sent" if sent(doc) else "suppressed")
            if not sent(doc):
                assert doc["suppressed"] == 3 and doc["alerts"] == []
    assert sorted(outcomes) in (["locked", "sent"], ["sent", "suppressed"]), results
    assert alerts_table(os.environ["CS_DB"]) == [(cb, 1, agent, "webhook", 0)
                                                 for cb, agent in zip(ids, ("alice", "bob", "carol"))]


def test_a_run_while_one_is_going_exits_0_at_once_and_status_shows_running(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    for agent in ("alice", "bob", "carol"):
        desk.callback("2026-11-20T10:00", agent=agent)
    robot.delay = 2.0
    first = _start_alerts("2026-11-20T10:05")
    try:
        _wait_for_requests(robot, 1)
        running = desk.status()["overdue-alerts"]
        assert running["outcome"] == "running" and running["last_end"] is None
        assert running["last_start"] == "2026-11-20T10:05:00+08:00"
        started = time.monotonic()
        second = desk.cs(["jobs", "run", "overdue-alerts", "--json"], now="2026-11-20T10:05")
        assert time.monotonic() - started < 2.0  # at once: it does not wait for the lock
        assert second.exit_code == 0, second
        assert "already running" in second.stderr and second.stdout == ""
    finally:
        code, out, err = _finish(first)
    assert code == 0, err
    assert len(sent(json.loads(out))) == 3
    assert len(robot.requests) == 3
    assert desk.status()["overdue-alerts"]["outcome"] == "ok"


def test_a_killed_run_is_marked_failed_by_the_next(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    cb = desk.callback("2026-11-20T10:00")
    _kill_9_in_flight(robot, "2026-11-20T10:05", delay=5.0)
    assert desk.status()["overdue-alerts"]["outcome"] == "interrupted"  # its process is gone
    robot.delay = 0
    doc = desk.alerts("2026-11-20T10:10")
    assert sent(doc) == [(cb, 1, "alice", "webhook")]  # the killed run recorded nothing
    with sqlite3.connect(os.environ["CS_DB"]) as conn:
        rows = conn.execute("SELECT outcome, summary FROM job_runs WHERE job = 'overdue-alerts' ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["failed", "ok"]
    assert "interrupted" in rows[0][1]


def test_a_message_interrupted_in_flight_by_kill_9_is_sent_again_with_the_same_alert_key(desk, robot):
    """SPEC section 16: the intent is recorded before sending; after kill -9 the outcome is unknown, so the next
    run sends the message again under the same alert_key (header and body), and a receiver deduplicating by
    that key sees one message. A third run sends nothing."""
    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    cb = desk.callback("2026-11-20T10:00")
    # The robot takes the message, then answers slowly: the job is killed before the answer.
    _kill_9_in_flight(robot, "2026-11-20T10:05", delay=3.0)
    assert _deliveries(os.environ["CS_DB"]) == [("alice", "sending", 1)]
    robot.delay = 0
    doc = desk.alerts("2026-11-20T10:10")
    assert sent(doc) == [(cb, 1, "alice", "webhook")]
    first, second = robot.requests
    key = first["body"]["alert_key"]
    assert len(key) == 32 and second["body"]["alert_key"] == key
    assert _key_header(first) == _key_header(second) == key
    assert doc["alerts"][0]["alert_key"] == key
    assert len({_key_header(r) for r in robot.delivered()}) == 1  # a deduplicating receiver: one message
    assert _deliveries(os.environ["CS_DB"]) == [("alice", "sent", 2)]
    assert desk.alerts("2026-11-20T10:15")["alerts"] == [] and len(robot.requests) == 2


def test_a_message_in_flight_whose_alert_is_no_longer_owed_is_not_sent_again(desk, robot):
    """Killed in flight, then the callback is done: nothing is owed, the message is recorded dropped."""
    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    cb = desk.callback("2026-11-20T10:00")
    _kill_9_in_flight(robot, "2026-11-20T10:05", delay=3.0)
    robot.delay = 0
    ok(desk.cs(["--as", "alice", "callback", "done", str(cb), "--outcome", "satisfied"], now="2026-11-20T10:08"))
    assert desk.alerts("2026-11-20T10:10")["alerts"] == []
    assert len(robot.requests) == 1
    assert _deliveries(os.environ["CS_DB"]) == [("alice", "dropped", 1)]


def test_a_refused_message_is_sent_again_next_run_under_its_key(desk, robot):
    """A 4xx is not retried within the run; the next run sends the same message with the same key."""
    desk.staff()
    ok(desk.configure(channels=["webhook"], retries=2))
    desk.callback("2026-11-20T10:00")
    robot.fail(1, "http400")
    failed = desk.alerts("2026-11-20T10:05", expect=1)
    assert [a["status"] for a in failed["alerts"]] == ["failed"] and len(robot.requests) == 1
    again = desk.alerts("2026-11-20T10:10")
    assert [a["status"] for a in again["alerts"]] == ["sent"]
    assert again["alerts"][0]["alert_key"] == failed["alerts"][0]["alert_key"] == _key_header(robot.requests[1])
    assert _deliveries(os.environ["CS_DB"]) == [("alice", "sent", 2)]


@pytest.mark.parametrize("signame, code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_ends_the_run_after_the_message_in_flight_is_recorded(desk, robot, signame, code):
    """SPEC section 16: SIGTERM or SIGINT ends the run after the message in flight: it is delivered and recorded
    sent, the others are not tried (status stopped) and go out next run, each exactly once; no traceback."""
    import signal

    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    for agent in ("alice", "bob", "carol"):
        desk.callback("2026-11-20T10:00", agent=agent)
    robot.delay = 1.5
    proc = _start_alerts("2026-11-20T10:05")
    try:
        _wait_for_requests(robot, 1)
        proc.send_signal(getattr(signal, signame))
    finally:
        returncode, out, err = _finish(proc)
    assert returncode == code, err
    assert "Traceback" not in err and f"stopped by {signame}" in err
    doc = json.loads(out)
    schema_validator("alerts").validate(doc)
    assert sorted(a["status"] for a in doc["alerts"]) == ["sent", "stopped", "stopped"]
    assert len(robot.requests) == 1 and len(robot.delivered()) == 1
    first = robot.delivered()[0]["body"]["recipient"]
    assert [row for row in _deliveries(os.environ["CS_DB"])] == [(first, "sent", 1)]
    status = desk.status()["overdue-alerts"]
    assert status["outcome"] == "failed" and status["summary"].startswith(f"stopped by {signame}")
    robot.delay = 0
    rest = desk.alerts("2026-11-20T10:10")
    assert sorted(a["recipient"] for a in rest["alerts"]) == sorted({"alice", "bob", "carol"} - {first})
    assert sorted(r["body"]["recipient"] for r in robot.delivered()) == ["alice", "bob", "carol"]


# =========================================================================== digests and size limits


def test_a_large_backlog_sends_one_digest_per_recipient_per_channel(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["dingtalk", "wecom"]))
    owners = {"alice": [], "bob": [], "carol": []}
    for i in range(120):
        agent = list(owners)[i % 3]
        owners[agent].append(desk.callback(f"2026-11-20T10:{i % 60:02d}", agent=agent,
                                           customer=f"客户{i:03d}号", phone=f"1391234{i:04d}"))
    doc = desk.alerts("2026-11-20T11:30")  # all overdue, none for 2h yet: level 1 only
    assert len(sent(doc)) == 240 and doc["held"] == 0
    mobiles = {"13900000001": "alice", "13900000002": "bob", "13900000003": "carol"}

    ding = robot.delivered("dingtalk")
    assert len(ding) == 3, [message_text(r)[:60] for r in ding]  # 40 lines fit into one DingTalk message
    for request in ding:
        (mobile,) = request["body"]["at"]["atMobiles"]
        assert sorted(callback_ids(message_text(request))) == sorted(owners[mobiles[mobile]])

    wecom = robot.delivered("wecom")
    by_recipient: dict = {}
    for request in wecom:
        (mobile,) = request["body"]["text"]["mentioned_mobile_list"]
        by_recipient.setdefault(mobiles[mobile], []).append(message_text(request))
    assert set(by_recipient) == set(owners)
    for agent, parts in by_recipient.items():
        assert len(parts) >= 2, "40 lines do not fit into 2000 bytes"
        assert all(len(part.encode("utf-8")) <= 2000 for part in parts)
        assert sorted(cb for part in parts for cb in callback_ids(part)) == sorted(owners[agent])
        for part, following in zip(parts, parts[1:]):  # split only past the limit
            next_line = next(line for line in following.splitlines() if line.startswith("#"))
            assert len((part + "\n" + next_line).encode("utf-8")) > 2000
    assert len(robot.requests) == 3 + len(wecom)

    # Escalation: leaders lee and lin get team A's 80 (alice's and bob's), sue team B's 40 (carol's).
    before = len(robot.requests)
    desk.alerts("2026-11-20T13:00")
    ding = [r for r in robot.delivered("dingtalk") if robot.requests.index(r) >= before]
    got = {mobile: sorted(callback_ids(message_text(r))) for r in ding for mobile in r["body"]["at"]["atMobiles"]}
    assert got == {"13900000004": sorted(owners["alice"] + owners["bob"]),
                   "13900000005": sorted(owners["alice"] + owners["bob"]),
                   "13900000006": sorted(owners["carol"])}


def test_repeat_every_sends_again_after_the_interval(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"], repeat_every="1h", escalate_after="8h"))
    cb = desk.callback("2026-11-20T10:00")
    assert sent(desk.alerts("2026-11-20T10:01")) == [(cb, 1, "alice", "webhook")]
    assert sent(desk.alerts("2026-11-20T10:59")) == []
    assert sent(desk.alerts("2026-11-20T11:01")) == [(cb, 1, "alice", "webhook")]
    assert sent(desk.alerts("2026-11-20T11:30")) == []
    assert sent(desk.alerts("2026-11-20T12:00")) == [(cb, 1, "alice", "webhook")]
    assert len(robot.delivered()) == 3


def test_without_repeat_every_an_alert_is_sent_once(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"], escalate_after="8h"))
    cb = desk.callback("2026-11-20T10:00")
    assert sent(desk.alerts("2026-11-20T10:01")) == [(cb, 1, "alice", "webhook")]
    for now in ("2026-11-20T11:01", "2026-11-20T15:00", "2026-11-20T17:59"):
        assert sent(desk.alerts(now)) == []
    assert len(robot.delivered()) == 1


# =========================================================================== stdout, --json, --dry-run, --channel


def test_channel_override_for_one_run(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["dingtalk"]))
    cb = desk.callback("2026-11-20T10:00")
    result = ok(desk.cs(["jobs", "run", "overdue-alerts", "--channel", "stdout"], now="2026-11-20T10:05"))
    assert f"#{cb} " in result.stdout and MASKED_PHONE in result.stdout
    assert "Overdue callbacks (" in result.stdout
    assert robot.requests == []
    doc = desk.alerts("2026-11-20T10:06", "--channel", "stdout")
    assert doc["alerts"] == [] and doc["suppressed"] == 1
    refused = desk.cs(["jobs", "run", "overdue-alerts", "--channel", "email"], now="2026-11-20T10:07")
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: ") and "email" in refused.stderr
    assert robot.requests == []
    again = desk.callback("2026-11-20T10:00")  # the centre's language: the digest in Chinese
    chinese = ok(desk.cs(["--lang", "zh", "jobs", "run", "overdue-alerts", "--channel", "stdout"],
                         now="2026-11-20T10:08"))
    assert "逾期回访提醒 (" in chinese.stdout and f"#{again} " in chinese.stdout and "已逾期 8 分钟" in chinese.stdout


def test_json_prints_only_json_on_stdout_and_the_stdout_digest_on_stderr(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["stdout", "webhook"]))
    cb = desk.callback("2026-11-20T10:00")
    result = ok(desk.cs(["jobs", "run", "overdue-alerts", "--json"], now="2026-11-20T10:05"))
    doc = json.loads(result.stdout)  # the whole of stdout is the document
    schema_validator("alerts").validate(doc)
    assert sent(doc) == [(cb, 1, "alice", "stdout"), (cb, 1, "alice", "webhook")]
    assert f"#{cb} " in result.stderr and MASKED_PHONE in result.stderr
    assert "Overdue callbacks" not in result.stdout


def test_dry_run_sends_and_records_nothing(desk, robot, smtp_server):
    box, port = smtp_server()
    desk.staff()
    ok(desk.configure(channels=["stdout", "dingtalk", "email"],
                      email={"host": "127.0.0.1", "port": port, "starttls": False, "sender": "cs@example.com"}))
    cb = desk.callback("2026-11-20T10:00")
    result = ok(desk.cs(["jobs", "run", "overdue-alerts", "--dry-run", "--json"], now="2026-11-20T12:30"))
    doc = json.loads(result.stdout)
    schema_validator("alerts").validate(doc)
    assert {a["status"] for a in doc["alerts"]} == {"would_send"}
    assert len(doc["alerts"]) == 9  # (level 1 alice + level 2 lee, lin) x 3 channels
    assert f"#{cb} " not in result.stdout + result.stderr  # the stdout channel sent nothing either
    assert robot.requests == [] and box.messages == []
    assert alerts_table(os.environ["CS_DB"]) == []
    assert desk.status()["overdue-alerts"]["outcome"] is None
    plain = ok(desk.cs(["jobs", "run", "overdue-alerts", "--dry-run"], now="2026-11-20T12:30"))
    assert f"#{cb} " not in plain.stdout
    doc = desk.alerts("2026-11-20T12:31")
    assert len(sent(doc)) == 9
    assert len(robot.delivered()) == 3 and len(box.messages) == 3


def test_dry_run_outside_alert_hours_reports_held(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    desk.callback("2026-11-20T21:00")
    doc = desk.alerts("2026-11-20T22:30", "--dry-run")
    assert [a["status"] for a in doc["alerts"]] == ["held"] and doc["held"] == 1
    assert robot.requests == []


# =========================================================================== e-mail


def _mail(box, index=0):
    return email.message_from_bytes(box.messages[index]["data"], policy=email.policy.default)


def test_email_plain_smtp(desk, robot, smtp_server):
    box, port = smtp_server()
    desk.staff()
    ok(desk.configure(channels=["email"], email={"host": "127.0.0.1", "port": port, "starttls": False,
                                                 "sender": "cs-alerts@example.com", "timeout": 10}))
    cb = desk.callback("2026-11-20T10:00", agent="carol")
    assert sent(desk.alerts("2026-11-20T10:05")) == [(cb, 1, "carol", "email")]
    (mail,) = box.messages
    assert mail["to"] == ["carol@example.com"] and mail["from"] == "cs-alerts@example.com"
    assert not mail["tls"]
    message = _mail(box)
    assert message["To"] == "carol@example.com"
    assert callback_ids(message.get_content()) == [cb]
    assert sent(desk.alerts("2026-11-20T10:10")) == []
    assert len(box.messages) == 1


def test_email_to_a_dead_server_fails_and_is_retried(desk, robot, smtp_server):
    port = free_port()  # nothing listens here
    desk.staff()
    ok(desk.configure(channels=["email"], email={"host": "127.0.0.1", "port": port, "starttls": False,
                                                 "sender": "cs@example.com", "timeout": 5}))
    cb = desk.callback("2026-11-20T10:00")
    doc = desk.alerts("2026-11-20T10:05", expect=1)
    assert [a["status"] for a in doc["alerts"]] == ["failed"]
    assert alerts_table(os.environ["CS_DB"]) == []
    box, _ = smtp_server(port=port)  # the mail server is back
    assert sent(desk.alerts("2026-11-20T10:10")) == [(cb, 1, "alice", "email")]
    assert len(box.messages) == 1 and callback_ids(_mail(box).get_content()) == [cb]


def _tls_email_config(port, **extra):
    return {"host": "127.0.0.1", "port": port, "starttls": True, "sender": "cs-alerts@example.com",
            "user_env": "CS_SMTP_USER", "password_env": "CS_SMTP_PASSWORD", "timeout": 10, **extra}


def test_email_starttls_with_a_private_ca_file(desk, robot, smtp_server, tls_ca):
    """SPEC §10 email with STARTTLS; the channel's `ca_file` (read by cs.notify) names the CA to trust."""
    box, port = smtp_server(tls=tls_ca)
    desk.staff()
    ok(desk.configure(channels=["email"], email=_tls_email_config(port, ca_file=tls_ca["ca_file"])))
    cb = desk.callback("2026-11-20T10:00")
    assert sent(desk_alerts_with_user(desk, "2026-11-20T10:05")) == [(cb, 1, "alice", "email")]
    (mail,) = box.messages
    assert mail["tls"] and mail["authenticated"]
    assert box.logins == [(SMTP_USER.encode(), SECRET["CS_SMTP_PASSWORD"].encode(), True)]


def desk_alerts_with_user(desk, now, expect=0):
    result = desk.cs(["jobs", "run", "overdue-alerts", "--json"], now=now, env={"CS_SMTP_USER": SMTP_USER})
    assert result.exit_code == expect, result
    document = json.loads(result.stdout)
    schema_validator("alerts").validate(document)
    return document


def test_email_starttls_and_auth_trusting_the_ca_through_ssl_cert_file(desk, robot, smtp_server, tls_ca):
    """The same without `ca_file`: the CA is trusted through OpenSSL's SSL_CERT_FILE."""
    box, port = smtp_server(tls=tls_ca)
    desk.staff()
    ok(desk.configure(channels=["email"], email=_tls_email_config(port)))
    cb = desk.callback("2026-11-20T10:00")
    result = desk.cs(["jobs", "run", "overdue-alerts", "--json"], now="2026-11-20T10:05",
                     env={"CS_SMTP_USER": SMTP_USER, "SSL_CERT_FILE": tls_ca["ca_file"]})
    ok(result)
    assert sent(json.loads(result.stdout)) == [(cb, 1, "alice", "email")]
    (mail,) = box.messages
    assert mail["tls"] and mail["authenticated"] and mail["to"] == ["alice@example.com"]
    assert box.logins == [(SMTP_USER.encode(), SECRET["CS_SMTP_PASSWORD"].encode(), True)]
    assert callback_ids(_mail(box).get_content()) == [cb]
    shown = ok(desk.cs(["config", "show"])).stdout
    assert "CS_SMTP_PASSWORD" in shown
    _assert_secret_nowhere(desk)


def test_email_starttls_refuses_an_untrusted_certificate(desk, robot, smtp_server, tls_ca):
    box, port = smtp_server(tls=tls_ca)
    desk.staff()
    ok(desk.configure(channels=["email"], email=_tls_email_config(port)))
    desk.callback("2026-11-20T10:00")
    doc = desk_alerts_with_user(desk, "2026-11-20T10:05", expect=1)  # no SSL_CERT_FILE: the CA is unknown
    assert [a["status"] for a in doc["alerts"]] == ["failed"]
    assert box.messages == [] and box.logins == []
    assert alerts_table(os.environ["CS_DB"]) == []


# =========================================================================== secrets


def _assert_secret_nowhere(desk):
    db_path = Path(os.environ["CS_DB"])
    for path in db_path.parent.iterdir():
        if path.name.startswith(db_path.name) and path.is_file():
            assert_no_secret(path.read_bytes().decode("latin-1"), str(path))
    for fmt in ([], ["--json"]):
        shown = desk.cs(["config", "show", *fmt])
        assert shown.exit_code in (0, 2), shown  # --json may not exist; the plain form must
    for text in desk.outputs:
        assert_no_secret(text, "an output")


def test_secrets_are_never_stored_or_printed(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["stdout", "dingtalk", "feishu"]))
    desk.callback("2026-11-20T10:00")
    ok(desk.cs(["jobs", "run", "overdue-alerts"], now="2026-11-20T10:05"))
    assert len(robot.delivered()) == 2  # signed with the secrets: they were used
    robot.fail(1, "errcode")
    desk.callback("2026-11-20T10:30")
    assert desk.cs(["jobs", "run", "overdue-alerts"], now="2026-11-20T10:35").exit_code == 1
    shown = ok(desk.cs(["config", "show"])).stdout
    assert 'secret_env = "CS_DINGTALK_SECRET"' in shown and 'secret_env = "CS_FEISHU_SECRET"' in shown
    for key in ("channels.dingtalk", "channels.feishu", "channels.dingtalk.secret_env"):
        desk.cs(["config", "get", key])
    ok(desk.cs(["jobs", "status"]))
    ok(desk.cs(["db", "info"]))
    _assert_secret_nowhere(desk)


def test_config_with_a_literal_secret_is_refused(desk, robot, tmp_path):
    """Secrets are only named by environment variable: a `secret = "..."` key does not validate."""
    path = tmp_path / "bad.toml"
    path.write_text('[alerts]\nchannels = ["dingtalk"]\n\n[channels.dingtalk]\nurl = "http://127.0.0.1:1/x"\n'
                    f'secret = "{SECRET["CS_DINGTALK_SECRET"]}"\n', encoding="utf-8")
    result = desk.cs(["config", "load", str(path)])
    assert result.exit_code == 1, result
    _assert_secret_nowhere(desk)


# =========================================================================== rate limit (unit)


def test_the_21st_dingtalk_message_within_a_minute_waits(robot):
    from jobs.notify import Channel

    now = [time.time()]
    sleeps: list[float] = []

    def fake_sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    channel = Channel("dingtalk", {"url": robot.url("dingtalk"), "retries": 0, "timeout": 10}, {},
                      sleep=fake_sleep, clock=lambda: now[0])
    recipient = {"handle": "alice", "mobile": "13900000001"}
    for i in range(20):
        channel.deliver(recipient, 1, f"message {i}", [], alert_key=f"k{i}")
        now[0] += 1.0  # one message a second
    assert sleeps == []
    assert len(robot.delivered()) == 20
    channel.deliver(recipient, 1, "message 20", [], alert_key="k20")  # at +20 s: must wait until the first is a minute old
    assert len(sleeps) == 1
    assert 39.5 <= sleeps[0] <= 41.0, sleeps
    assert len(robot.delivered()) == 21
    assert robot.delivered()[-1]["at"] >= robot.delivered()[-2]["at"]


def test_feishu_and_webhook_are_not_rate_limited_by_the_dingtalk_rule(robot):
    from jobs.notify import Channel

    now = [time.time()]
    sleeps: list[float] = []
    channel = Channel("webhook", {"url": robot.url("webhook"), "retries": 0}, {},
                      sleep=sleeps.append, clock=lambda: now[0])
    for i in range(25):
        channel.deliver({"handle": "alice"}, 1, f"m{i}", [], alert_key=f"k{i}")
    assert sleeps == [] and len(robot.delivered()) == 25


# =========================================================================== daily-deductions


def _deductions_job(desk, now, *extra, expect=0):
    result = desk.cs(["jobs", "run", "daily-deductions", "--json", *extra], now=now)
    assert result.exit_code == expect, result
    return json.loads(result.stdout)


def test_daily_deductions_catch_up_computes_each_missed_day_once(desk, validate):
    desk.staff()
    for day in ("17", "18", "19"):  # a callback left overdue on each of three days
        desk.callback(f"2026-11-{day}T10:00", created="2026-11-16T09:00")
    first = _deductions_job(desk, "2026-11-20T01:00")
    assert [d["date"] for d in first["days"]] == ["2026-11-17", "2026-11-18", "2026-11-19"]
    assert [d["entries"] for d in first["days"]] == [1, 1, 1]
    again = _deductions_job(desk, "2026-11-20T01:05")
    assert again["days"] == []
    later = _deductions_job(desk, "2026-11-20T09:30")
    assert later["days"] == []
    entries = ok(desk.cs(["deductions", "list", "--month", "2026-11", "--json"])).json()
    for entry in entries:
        validate(entry, "deduction")
    keys = [(e["rule"], e["agent"], e["date"], e["ref_type"], e["ref_id"]) for e in entries]
    assert len(keys) == len(set(keys)) == 3
    assert sorted(e["date"] for e in entries) == ["2026-11-17", "2026-11-18", "2026-11-19"]
    status = desk.status()["daily-deductions"]
    assert status["outcome"] == "ok" and status["last_start"] == "2026-11-20T09:30:00+08:00"
    assert status["summary"] == "nothing to compute"
    # Two more days missed (cron was down): both caught up, nothing redone.
    desk.callback("2026-11-21T10:00", created="2026-11-20T09:00")
    caught = _deductions_job(desk, "2026-11-22T02:00")
    assert [d["date"] for d in caught["days"]] == ["2026-11-20", "2026-11-21"]
    assert [d["entries"] for d in caught["days"]] == [0, 1]
    entries = ok(desk.cs(["deductions", "list", "--month", "2026-11", "--json"])).json()
    assert len(entries) == 4 and len({e["id"] for e in entries}) == 4


def test_daily_deductions_dry_run_records_nothing(desk):
    desk.staff()
    desk.callback("2026-11-18T10:00", created="2026-11-16T09:00")
    dry = _deductions_job(desk, "2026-11-20T01:00", "--dry-run")
    assert [d["date"] for d in dry["days"]] == ["2026-11-18", "2026-11-19"]
    assert ok(desk.cs(["deductions", "list", "--month", "2026-11", "--json"])).json() == []
    assert desk.status()["daily-deductions"]["outcome"] is None
    real = _deductions_job(desk, "2026-11-20T01:00")
    assert [d["date"] for d in real["days"]] == ["2026-11-18", "2026-11-19"]
    assert len(ok(desk.cs(["deductions", "list", "--month", "2026-11", "--json"])).json()) == 1


def test_daily_deductions_skips_a_day_computed_by_hand(desk):
    desk.staff()
    for day in ("17", "18"):
        desk.callback(f"2026-11-{day}T10:00", created="2026-11-16T09:00")
    ok(desk.cs(["deductions", "run", "--date", "2026-11-17"], now="2026-11-18T08:00"))
    result = _deductions_job(desk, "2026-11-20T01:00")
    assert [d["date"] for d in result["days"]] == ["2026-11-18", "2026-11-19"]
    assert len(ok(desk.cs(["deductions", "list", "--month", "2026-11", "--json"])).json()) == 2


def test_daily_deductions_with_nothing_ever_happened(desk):
    result = _deductions_job(desk, "2026-11-20T01:00")
    assert result["days"] == []
    assert desk.status()["daily-deductions"]["outcome"] == "ok"


# =========================================================================== shift-reports


def test_shift_reports_writes_every_ended_shift_once(desk, tmp_path):
    desk.staff()
    ok(desk.cs(["--as", "sue", "roster", "set", "2026-11-19", "day", "alice", "bob"]))
    ok(desk.cs(["--as", "sue", "roster", "set", "2026-11-19", "late", "carol"]))
    ok(desk.cs(["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "咨询营业时间",
                "--agent", "alice", "--opened-at", "2026-11-19T10:00"], now="2026-11-19T10:00"))
    out = tmp_path / "reports"
    first = ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--json"], now="2026-11-20T09:30")).json()
    names = sorted(Path(f).name for f in first["files"])
    assert names == ["2026-11-19_晚班_值班日志.html", "2026-11-19_白班_值班日志.html"]
    assert sorted(p.name for p in out.iterdir()) == names
    day_report = (out / "2026-11-19_白班_值班日志.html").read_text("utf-8")
    assert "咨询营业时间" in day_report or "Alice" in day_report or "alice" in day_report
    again = ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--json"], now="2026-11-20T10:00")).json()
    assert again["files"] == []
    assert "no new shift" in desk.status()["shift-reports"]["summary"]
    evening = ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--json"], now="2026-11-20T18:30")).json()
    assert [Path(f).name for f in evening["files"]] == ["2026-11-20_白班_值班日志.html"]
    night = ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--json"], now="2026-11-21T00:10")).json()
    assert [Path(f).name for f in night["files"]] == ["2026-11-20_晚班_值班日志.html"]
    assert len(list(out.iterdir())) == 4
    status = desk.status()["shift-reports"]
    assert status["outcome"] == "ok" and status["summary"] == "1 report(s) written"


def test_shift_reports_dry_run_writes_nothing(desk, tmp_path):
    ok(desk.cs(["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "x",
                "--opened-at", "2026-11-19T10:00"], now="2026-11-19T10:00"))
    out = tmp_path / "dry"
    dry = ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--dry-run", "--json"])).json()
    assert len(dry["files"]) == 2
    assert not out.exists() or list(out.iterdir()) == []
    real = ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--json"])).json()
    assert len(real["files"]) == 2 and len(list(out.iterdir())) == 2


# =========================================================================== cs jobs status


def test_jobs_status_before_any_run(desk):
    rows = desk.status()
    assert set(rows) == {"overdue-alerts", "daily-deductions", "shift-reports"}
    assert all(row["outcome"] is None and row["last_start"] is None for row in rows.values())


def test_jobs_status_shows_outcome_and_summary(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    desk.callback("2026-11-20T10:00")
    desk.alerts("2026-11-20T10:05")
    row = desk.status()["overdue-alerts"]
    assert row["outcome"] == "ok"
    assert row["last_start"] == row["last_end"] == "2026-11-20T10:05:00+08:00"
    assert row["summary"].startswith("1 sent")
    desk.alerts("2026-11-20T10:20")
    row = desk.status()["overdue-alerts"]
    assert row["last_start"] == "2026-11-20T10:20:00+08:00" and "1 already sent" in row["summary"]
    table = ok(desk.cs(["jobs", "status"]))
    assert "overdue-alerts" in table.stdout and "ok" in table.stdout


def test_a_failing_run_is_recorded_failed(desk, tmp_path):
    result = desk.cs(["jobs", "run", "shift-reports"], now="2026-11-20T10:00")  # no --out: a usage error
    assert result.exit_code == 2, result
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ") and "--out" in result.stderr
    assert desk.status()["shift-reports"]["outcome"] is None  # nothing ran, nothing recorded
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    ok(desk.cs(["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "x",
                "--opened-at", "2026-11-19T10:00"], now="2026-11-19T10:00"))
    result = desk.cs(["jobs", "run", "shift-reports", "--out", str(blocker / "sub")], now="2026-11-20T10:05")
    assert result.exit_code == 1, result
    assert desk.status()["shift-reports"]["outcome"] == "failed"
    good = ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(tmp_path / "ok")], now="2026-11-20T10:10"))
    assert "2 report(s)" in good.stderr
    assert desk.status()["shift-reports"]["outcome"] == "ok"


def test_unknown_job_is_a_usage_error(desk):
    result = desk.cs(["jobs", "run", "backup"])
    assert result.exit_code == 2, result


def test_status_shows_a_killed_run_failed_while_a_live_one_stays_running(cs, tmp_path):
    """A run recorded 'running' whose process is gone (kill -9) holds no lock: status says so at once."""
    import os
    import sqlite3

    from jobs import runner

    assert cs(["db", "info"]).exit_code == 0
    path = os.environ["CS_DB"]
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO job_runs (job, started_at, outcome) VALUES ('daily-deductions',"
                     " '2026-11-20T01:00:00Z', 'running')")

    def outcome():
        rows = cs(["jobs", "status", "--json"]).json()
        return next(row for row in rows if row["job"] == "daily-deductions")

    assert outcome()["outcome"] == "interrupted" and "no end was recorded" in outcome()["summary"]
    with runner.exclusive(path, "daily-deductions") as acquired:
        assert acquired
        assert outcome()["outcome"] == "running"


@pytest.mark.parametrize("start, first_scored", [(None, "2026-11-10"), ("2026-11-18", "2026-11-18")])
def test_scoring_start_keeps_imported_history_out_of_the_daily_job(cs, tmp_path, start, first_scored):
    """A centre imports last weeks' sheets: with scoring.start set, the job scores from that day only."""
    assert cs(["agent", "add", "zhou", "--name", "周敏"]).exit_code == 0
    sheet = tmp_path / "old.csv"
    sheet.write_text("来电时间,类别,内容,受理人,方式\n2026/11/10 9:05,咨询,积分查询,周敏,电话\n", "utf-8")
    assert cs(["ticket", "import", str(sheet)]).exit_code == 0  # open since 11-10: its SLA long missed
    if start:
        assert cs(["config", "set", "scoring.start", start]).exit_code == 0
    result = cs(["jobs", "run", "daily-deductions", "--json"])
    assert result.exit_code == 0, result
    days = [day["date"] for day in result.json()["days"]]
    assert days[0] == first_scored and days[-1] == "2026-11-19"
    entries = cs(["deductions", "list", "--month", "2026-11", "--json"]).json()
    assert all(entry["date"] >= first_scored for entry in entries)
    assert bool(entries) == (start is None)  # the late first response was on 11-10


def test_one_desk_reached_through_a_link_shares_one_lock(cs, tmp_path):
    """Issue 16: the same desk through a symlink got two locks, so two runs of a job at once (every alert
    twice)."""
    from jobs import runner

    real = Path(os.environ["CS_DB"])
    link = tmp_path / "desk-link.db"
    link.symlink_to(real)
    with runner.exclusive(str(real), "overdue-alerts") as acquired:
        assert acquired
        result = cs(["--db", str(link), "jobs", "run", "overdue-alerts"])
        assert result.exit_code == 0 and "already running" in result.stderr


@pytest.mark.parametrize("job, extra", [("overdue-alerts", []), ("daily-deductions", []),
                                        ("shift-reports", ["--out", "REPORTS"])])
def test_a_job_that_did_nothing_prints_nothing_unless_verbose(cs, tmp_path, job, extra):
    """Issue 16: cron mailed every run (~170 mails a day of "0 sent ... N already sent"), burying real alerts."""
    extra = [str(tmp_path) if arg == "REPORTS" else arg for arg in extra]
    quiet = cs(["--now", "2026-11-20T03:00", "jobs", "run", job, *extra])
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    loud = cs(["--now", "2026-11-20T03:05", "jobs", "run", job, *extra, "--verbose"])
    assert loud.exit_code == 0 and loud.stderr.startswith(f"{job}: ")
    as_json = cs(["--now", "2026-11-20T03:10", "jobs", "run", job, *extra, "--json"])
    assert as_json.exit_code == 0 and as_json.stdout.strip().startswith("{")  # --json always prints its document


# =========================================================================== delivery faults (issue 16)


def test_a_server_answering_a_byte_a_second_cannot_hold_the_job(desk, robot):
    """`timeout` bounds the whole request: the job gives up after it, records nothing sent, exits 1, and the
    next run is not told "already running"."""
    desk.staff()
    ok(desk.configure(channels=["webhook"], extra=""))
    path = Path(os.environ["CS_DB"])
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE config_versions SET config = json_set(config, '$.channels.webhook.timeout', 2)"
                     " WHERE id = (SELECT MAX(id) FROM config_versions)")
    conn.close()
    desk.callback("2026-11-20T10:00")
    robot.fail(1, "trickle")
    began = time.monotonic()
    doc = desk.alerts("2026-11-20T10:05", expect=1)
    assert time.monotonic() - began < 15
    assert [a["status"] for a in doc["alerts"]] == ["failed"]
    assert alerts_table(os.environ["CS_DB"]) == []
    again = desk.alerts("2026-11-20T10:10")
    assert [a["status"] for a in again["alerts"]] == ["sent"]


def test_a_permanent_refusal_is_not_retried(desk, robot):
    desk.staff()
    ok(desk.configure(channels=["webhook"], retries=2))
    desk.callback("2026-11-20T10:00")
    robot.fail(3, "http400")
    doc = desk.alerts("2026-11-20T10:05", expect=1)
    assert [a["status"] for a in doc["alerts"]] == ["failed"] and len(robot.requests) == 1  # one try, no retry


def test_feishu_parts_fit_the_platforms_20_kb_body(desk, robot):
    """Issue 16: parts of 28 KB were refused by Feishu for good, every run."""
    desk.staff()
    ok(desk.configure(channels=["feishu"]))
    for n in range(400):
        desk.callback("2026-11-20T10:00", phone=f"1390000{n:04d}")
    desk.alerts("2026-11-20T10:05")
    feishu = robot.delivered("feishu")
    assert len(feishu) > 1 and all(len(r["raw"]) <= 20 * 1024 for r in feishu)


def test_email_carries_date_message_id_and_the_persons_name(desk, robot, smtp_server):
    box, port = smtp_server()
    desk.staff()
    ok(desk.configure(channels=["email"], email={"host": "127.0.0.1", "port": port, "starttls": False,
                                                 "sender": "cs-alerts@example.com"}))
    desk.callback("2026-11-20T10:00", agent="carol")
    document = desk.alerts("2026-11-20T10:05")
    message = _mail(box)
    key = document["alerts"][0]["alert_key"]
    # The alert_key in the Message-ID: a message sent again after a kill is the same message to a mail client.
    assert message["Date"] and message["Message-ID"] == f"<{key}@example.com>"
    assert message["X-CS-Alert-Key"] == key
    assert "Carol" in message["Subject"] and "(carol)" not in message["Subject"]


def test_email_over_implicit_tls_on_port_465_style(desk, robot, tls_ca):
    """tls = "implicit": TLS from the first byte, as most Chinese mail providers offer on port 465."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(), ssl_context=tls_ca["context"],
                            authenticator=box.authenticate, auth_require_tls=False, ready_timeout=10)
    controller.start()
    try:
        desk.staff()
        ok(desk.configure(channels=["email"], email={**_tls_email_config(controller.port, ca_file=tls_ca["ca_file"]),
                                                     "tls": "implicit", "starttls": False}))
        cb = desk.callback("2026-11-20T10:00", agent="carol")
        assert sent(desk_alerts_with_user(desk, "2026-11-20T10:05")) == [(cb, 1, "carol", "email")]
        assert [login[:2] for login in box.logins] == [(SMTP_USER.encode(), SECRET["CS_SMTP_PASSWORD"].encode())]
        # The server speaks TLS from the first byte: the same settings without it cannot reach it.
        ok(desk.configure(channels=["email"], email={"host": "127.0.0.1", "port": controller.port, "starttls": False,
                                                     "sender": "cs-alerts@example.com", "timeout": 5}))
        desk.callback("2026-11-20T11:00", agent="carol")
        failed = desk.alerts("2026-11-20T11:05", expect=1)
        assert [a["status"] for a in failed["alerts"]] == ["failed"] and len(box.messages) == 1
    finally:
        controller.stop()


class EchoingSmtp:
    """A mail server over implicit TLS that refuses AUTH with a reply repeating the client's AUTH line (some
    servers do): the base64 it repeats holds the user name and password."""

    def __init__(self, context):
        self.context = context
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            raw, _ = self.sock.accept()
        except OSError:
            return
        with self.context.wrap_socket(raw, server_side=True) as conn:
            conn.settimeout(10)
            stream = conn.makefile("rwb")
            stream.write(b"220 mail.example.com ESMTP\r\n")
            stream.flush()
            for line in stream:
                command = line.decode("ascii", "replace").strip()
                if command.upper().startswith("EHLO"):
                    stream.write(b"250-mail.example.com\r\n250 AUTH PLAIN LOGIN\r\n")
                elif command.upper().startswith("AUTH"):
                    stream.write(f"535 5.7.8 rejected: {command}\r\n".encode())
                else:
                    stream.write(b"221 bye\r\n")
                    stream.flush()
                    return
                stream.flush()

    def close(self):
        self.sock.close()
        self.thread.join(timeout=10)


def test_a_server_reply_that_repeats_the_auth_line_is_never_shown(desk, robot, tls_ca):
    """Issue 16: a server reply echoing the AUTH line was printed on stderr. Now only its code is said."""
    server = EchoingSmtp(tls_ca["context"])
    try:
        desk.staff()
        ok(desk.configure(channels=["email"], email={**_tls_email_config(server.port, ca_file=tls_ca["ca_file"]),
                                                     "tls": "implicit", "starttls": False}))
        desk.callback("2026-11-20T10:00", agent="carol")
        result = desk.cs(["jobs", "run", "overdue-alerts"], now="2026-11-20T10:05", env={"CS_SMTP_USER": SMTP_USER})
    finally:
        server.close()
    assert result.exit_code == 1 and "the server refused (535)" in result.stderr, result
    auth_plain = base64.b64encode(f"\0{SMTP_USER}\0{SECRET['CS_SMTP_PASSWORD']}".encode()).decode()
    for leaked in (auth_plain, "AUTH PLAIN", "rejected:", SECRET["CS_SMTP_PASSWORD"]):
        assert leaked not in result.stdout + result.stderr, leaked


def test_a_message_that_failed_keeps_its_key_when_new_alerts_arrive(desk, robot):
    """Review of issue 16: a message that failed (its outcome unknown: a timeout may have been delivered) was
    dropped in the same run and its alerts sent next run in a new digest under a new key. Now it goes again as it
    was, under its key, and the new alert in a message of its own."""
    desk.staff()
    ok(desk.configure(channels=["webhook"], retries=0))
    first = desk.callback("2026-11-20T10:00")
    robot.fail(1, "http500")
    failed = desk.alerts("2026-11-20T10:05", expect=1)
    key = failed["alerts"][0]["alert_key"]
    assert _deliveries(os.environ["CS_DB"]) == [("alice", "failed", 1)]
    second = desk.callback("2026-11-20T10:06", created="2026-11-20T09:00")
    again = desk.alerts("2026-11-20T10:10")
    by_callback = {a["callback_id"]: a["alert_key"] for a in again["alerts"] if a["status"] == "sent"}
    assert by_callback[first] == key and by_callback[second] != key
    bodies = {r["body"]["alert_key"]: [a["callback_id"] for a in r["body"]["alerts"]] for r in robot.delivered()}
    assert bodies == {key: [first], by_callback[second]: [second]}


def test_a_long_refusal_from_a_robot_is_cut(desk, robot):
    """The platform's words are shown briefly: a 5,000-character errmsg does not become a 5,000-character line."""
    desk.staff()
    ok(desk.configure(channels=["dingtalk"]))
    desk.callback("2026-11-20T10:00")
    robot.long_refusal = "坏" * 5000
    result = desk.cs(["jobs", "run", "overdue-alerts"], now="2026-11-20T10:05")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors and all(len(line) < 400 for line in errors), errors


def test_a_second_signal_stops_the_run_at_once_and_the_message_goes_again_under_its_key(desk, robot):
    """SIGTERM twice (an impatient operator, a service manager's stop timeout): the run stops in the middle of the
    message, exits 143 with one Error line, is recorded as stopped; the message, its outcome unknown, is sent again
    next run under the same key."""
    import signal

    desk.staff()
    ok(desk.configure(channels=["webhook"]))
    desk.callback("2026-11-20T10:00")
    robot.delay = 5.0
    proc = _start_alerts("2026-11-20T10:05")
    try:
        _wait_for_requests(robot, 1)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
    finally:
        returncode, out, err = _finish(proc)
    assert time.monotonic() - started < 4  # it did not wait for the answer
    assert returncode == 143 and err.count("Error:") == 1 and "stopped at once by a second SIGTERM" in err, err
    assert "Traceback" not in err
    status = desk.status()["overdue-alerts"]
    assert status["outcome"] == "failed" and status["summary"].startswith("stopped at once by a second SIGTERM")
    robot.delay = 0
    again = desk.alerts("2026-11-20T10:10")
    assert _key_header(robot.requests[0]) == _key_header(robot.requests[-1]) == again["alerts"][0]["alert_key"]


# =========================================================================== tickets and dispatches (SPEC section 18)


def kinds_sent(document) -> list[tuple]:
    return sorted((a["kind"], a["ref_id"], a["level"], a["recipient"]) for a in document["alerts"]
                  if a["status"] == "sent")


def test_late_tickets_and_dispatches_are_alerted_like_callbacks(desk, robot):
    """Seed 004: 不能處理的事件當天交部門負責人 — a dispatch nobody accepts goes to the department's contact, then to its
    head; a ticket past its first-response deadline goes to its agent, then the team's leaders; each once."""
    desk.staff()
    ok(desk.configure(channels=["dingtalk"], escalate_after="2h"))
    ok(desk.cs(["--as", "sue", "dept", "add", "eng", "--name", "工程部", "--head", "lee", "--contact", "bob"]))

    def ticket(agent, summary, at="2026-11-20T09:00"):
        return int(ok(desk.cs(["--as", agent, "ticket", "add", "--channel", "来电", "--category", "报修", "--summary",
                               summary, "--agent", agent], now=at)).stdout)

    on_time = ticket("alice", "空调漏水")
    ok(desk.cs(["--as", "alice", "ticket", "respond", str(on_time)], now="2026-11-20T09:10"))
    done_in_time = ok(desk.cs(["--as", "alice", "ticket", "transfer", str(on_time), "工程部", "--json"],
                              now="2026-11-20T09:15")).json()["id"]
    ok(desk.cs(["--as", "bob", "dispatch", "accept", str(done_in_time)], now="2026-11-20T09:30"))
    ok(desk.cs(["--as", "bob", "dispatch", "done", str(done_in_time)], now="2026-11-20T11:00"))
    forgotten = ticket("alice", "电梯按钮失灵")
    ok(desk.cs(["--as", "alice", "ticket", "respond", str(forgotten)], now="2026-11-20T09:05"))
    never = ok(desk.cs(["--as", "alice", "ticket", "transfer", str(forgotten), "eng", "--json"],
                       now="2026-11-20T09:10")).json()
    assert never["accept_due_at"] == "2026-11-20T09:40:00+08:00"
    unanswered = ticket("alice", "停车位咨询")  # first response due 11:00 (2h of service time)

    first = desk.alerts("2026-11-20T10:00")
    assert kinds_sent(first) == [("dispatch", never["id"], 1, "bob")]  # the contact; the repair on time: nothing
    assert all(a["callback_id"] is None for a in first["alerts"])
    assert f"dispatch {never['id']} to 工程部" in message_text(robot.delivered()[0]) and "not accepted" in message_text(
        robot.delivered()[0])
    assert desk.alerts("2026-11-20T10:30")["alerts"] == []  # once
    later = desk.alerts("2026-11-20T11:05")
    assert kinds_sent(later) == [("ticket", unanswered, 1, "alice")]
    escalated = desk.alerts("2026-11-20T11:45")  # 2h past the accept deadline: the head
    assert kinds_sent(escalated) == [("dispatch", never["id"], 2, "lee")]
    leaders = desk.alerts("2026-11-20T13:05")  # 2h past the first-response deadline: alice's team leaders
    assert kinds_sent(leaders) == [("ticket", unanswered, 2, "lee"), ("ticket", unanswered, 2, "lin")]
    assert desk.alerts("2026-11-20T13:30")["alerts"] == []
    ok(desk.cs(["--as", "alice", "ticket", "respond", str(unanswered)], now="2026-11-20T13:40"))
    ok(desk.cs(["--as", "bob", "dispatch", "accept", str(never["id"])], now="2026-11-20T13:45"))
    assert desk.alerts("2026-11-20T14:00")["alerts"] == []  # met: nothing owed any more
    with sqlite3.connect(desk.tmp_path / "cs.db") as conn:
        recorded = conn.execute("SELECT kind, ref_id, level, recipient FROM alerts ORDER BY 1, 2, 3, 4").fetchall()
    assert recorded == [("dispatch", never["id"], 1, "bob"), ("dispatch", never["id"], 2, "lee"),
                        ("ticket", unanswered, 1, "alice"), ("ticket", unanswered, 2, "lee"),
                        ("ticket", unanswered, 2, "lin")]


def test_the_shift_report_reaches_the_supervisor_by_email_and_webhook_once(desk, robot, smtp_server, tmp_path):
    """Seed 001: 日志写好后需备份2份。备份一放在"我的文档",备份二发客服主管的邮箱 — with [reports] deliver = true,
    shift-reports sends each report it writes to the supervisors: the HTML report by e-mail, the key figures to the
    robots; once, across runs; a delivery that failed is sent again by the next run."""
    box, port = smtp_server()
    desk.staff()
    ok(desk.configure(channels=["email", "webhook"], extra="\n[reports]\ndeliver = true\n",
                      email={"host": "127.0.0.1", "port": port, "starttls": False, "sender": "cs@example.com",
                             "timeout": 10}))
    ok(desk.cs(["--as", "sue", "roster", "set", "2026-11-20", "day", "alice"]))
    ok(desk.cs(["--as", "alice", "ticket", "add", "--channel", "来电", "--category", "咨询", "--summary", "发票"],
               now="2026-11-20T10:00"))
    out = tmp_path / "reports"
    first = ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--json"], now="2026-11-20T18:10")).json()
    assert len(first["files"]) == 1 and [(d["recipient"], d["channel"]) for d in first["delivered"]] == [
        ("sue", "email"), ("sue", "webhook")]
    (mail,) = box.messages
    assert mail["to"] == ["sue@example.com"]
    message = _mail(box)
    assert "shift report" in message["Subject"] and message.get_content_type() == "multipart/alternative"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<!DOCTYPE html>" in html and "白班" in html
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "1 received" in text and first["files"][0].rsplit("/", 1)[1] in text
    (hook,) = robot.delivered("webhook")
    assert hook["body"]["recipient"] == "sue" and "1 received" in hook["body"]["text"]
    again = ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--json"], now="2026-11-20T18:40")).json()
    assert again["files"] == [] and again["delivered"] == []
    assert len(box.messages) == 1 and len(robot.delivered("webhook")) == 1  # once, across two runs
    # The late shift's report: the robot fails; the next run sends it again (the e-mail went, and not again).
    ok(desk.cs(["--as", "sue", "roster", "set", "2026-11-20", "late", "bob"]))
    robot.fail(1, "http500")
    failing = desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--json"], now="2026-11-20T23:10")
    assert failing.exit_code == 1 and "sue via webhook" in failing.stderr
    assert len(box.messages) == 2 and len(robot.delivered("webhook")) == 1
    retried = ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--json"], now="2026-11-20T23:20")).json()
    assert [(d["shift"], d["channel"]) for d in retried["delivered"]] == [("late", "webhook")]
    assert len(box.messages) == 2 and len(robot.delivered("webhook")) == 2
    assert ok(desk.cs(["jobs", "run", "shift-reports", "--out", str(out), "--json"],
                      now="2026-11-20T23:30")).json()["delivered"] == []
