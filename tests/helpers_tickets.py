"""Shared helpers for the ticket and import/export tests (used with the `cs` and `ctx` fixtures)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cs.core.context import Context

SHANGHAI = ZoneInfo("Asia/Shanghai")


def T(text: str) -> datetime:
    """An aware datetime; text without an offset is Shanghai time."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


def D(text: str) -> str:
    """How cs displays a Shanghai wall-clock time: RFC 3339 with +08:00."""
    return T(text).astimezone(SHANGHAI).isoformat(timespec="seconds")


def ctx_at(ctx, now: str, actor: str | None = None) -> Context:
    """The same database and configuration with another clock."""
    return Context(db=ctx.db, now=T(now), config=ctx.config, actor=actor or ctx.actor, tz_name="Asia/Shanghai")


def no_traceback(result):
    assert "Traceback" not in result.stderr, result
    assert "Traceback" not in result.stdout, result
    return result


def ok(result):
    no_traceback(result)
    assert result.exit_code == 0, result
    return result


def refused(result, code: int = 1):
    """A refusal: the exit code, and for code 1 exactly one `Error: ...` line on stderr."""
    no_traceback(result)
    assert result.exit_code == code, result
    if code == 1:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result
        assert lines[0].startswith("Error: "), result
        assert len(lines[0]) > len("Error: ") + 10, result
    else:
        assert result.stderr.strip(), result
    return result


def add_ticket(cs, summary="咨询话费余额", channel="phone", category="inquiry", *extra, env=None, **options):
    """`cs ticket add ... --json`; keyword options become --opt value (underscores to dashes),
    list values repeat the option. Returns the ticket dict."""
    args = ["ticket", "add", "--channel", channel, "--category", category, "--summary", summary]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        for item in value if isinstance(value, (list, tuple)) else [value]:
            args += [flag, item]
    args += list(extra) + ["--json"]
    result = ok(cs(args, env=env))
    return result.json()


def register(cs, *handles, env=None):
    for handle in handles:
        ok(cs(["agent", "add", handle, "--name", f"Agent {handle}"], env=env))


def listing(cs, *args, env=None) -> list[dict]:
    return ok(cs(["ticket", "list", *args, "--json"], env=env)).json()


def ids(cs, *args, env=None) -> list[int]:
    return [row["id"] for row in listing(cs, *args, env=env)]


def show(cs, ticket_id, env=None) -> dict:
    return ok(cs(["ticket", "show", str(ticket_id), "--json"], env=env)).json()
