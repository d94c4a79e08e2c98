"""Fixtures: every test gets its own database file and a fixed clock (2026-11-20 09:30 in Shanghai)."""

from __future__ import annotations

import json
import shlex
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from cs.core import config as config_mod
from cs.core.context import Context
from cs.store import db as db_mod

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI)  # a Friday, a working day
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """No test reads the user's database, clock, zone, language or format."""
    monkeypatch.setenv("CS_DB", str(tmp_path / "cs.db"))
    monkeypatch.setenv("CS_NOW", NOW.isoformat())
    monkeypatch.setenv("CS_TZ", "Asia/Shanghai")
    monkeypatch.setenv("CS_AGENT", "tester")
    monkeypatch.setenv("CS_LANG", "en")
    monkeypatch.delenv("CS_FORMAT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    # An empty desk exists, as after `cs db init`: reads and jobs refuse a missing one (SPEC section 16).
    db_mod.connect(tmp_path / "cs.db").close()
    # Domain code called directly speaks the tests' English, whatever language an earlier test chose.
    from cs.core import i18n

    i18n.choose("en")
    return tmp_path


@pytest.fixture
def db(tmp_path):
    database = db_mod.connect(tmp_path / "domain.db")
    yield database
    database.close()


@pytest.fixture
def ctx(db):
    """A domain Context at NOW in Asia/Shanghai with the default configuration."""
    return Context(db=db, now=NOW, config=config_mod.load(db), actor="tester", tz_name="Asia/Shanghai")


class Result:
    def __init__(self, result):
        self.exit_code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.exception = result.exception

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return f"<exit {self.exit_code} stdout={self.stdout[:400]!r} stderr={self.stderr[:400]!r}>"


@pytest.fixture
def cs():
    """Run `cs` in-process: cs("ticket list --json") or cs(["ticket", "add", ...]); returns a Result."""
    from cs.cli import cli

    def run(args, input=None, env=None):
        argv = shlex.split(args) if isinstance(args, str) else list(args)
        result = CliRunner().invoke(cli, argv, input=input, env=env, catch_exceptions=True)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result)

    return run


def object_schemas(node, path="#"):
    """Every (JSON pointer, object schema) inside a schema document, for strictness checks; the copies of
    other schema files it embeds (`$defs/NAME.schema.json`) are left to the checks of those files."""
    if isinstance(node, dict):
        if "properties" in node and node.get("type") == "object":
            yield path, node
        for key, value in node.items():
            if not key.endswith(".schema.json"):
                yield from object_schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from object_schemas(value, f"{path}/{i}")


def schema_validator(name: str):
    """A validator for schemas/NAME.schema.json made from that one file and nothing else: no registry, no
    network, as a script's stock validator would check an output (SPEC section 2: self-contained schemas)."""
    import jsonschema

    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def validate():
    """validate(document, "ticket") checks a JSON document against schemas/ticket.schema.json."""

    def check(document, name):
        schema_validator(name).validate(document)
        return document

    return check
