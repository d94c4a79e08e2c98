"""Agents and roles, customers and phone numbers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cs.core.errors import CSError
from cs.desk import agents, customers


def test_agent_add_list_update_deactivate(cs):
    assert cs("agent add li --name 李娜 --team 一组 --email li@example.com --mobile '+86 139 0000 1111'").stdout == "li\n"
    assert cs("agent update li --team 二组 --json").json()["team"] == "二组"
    listed = cs("agent list --json").json()
    assert listed == [{"handle": "li", "name": "李娜", "team": "二组", "role": "agent",
                       "email": "li@example.com", "mobile": "13900001111", "os_user": None, "extension": None,
                       "active": True}]
    assert cs("agent deactivate li").exit_code == 0
    assert cs("agent list --json").json() == []
    assert cs("agent list --all --json").json()[0]["active"] is False
    again = cs("agent deactivate li")
    assert again.exit_code == 1 and "already deactivated" in again.stderr


@pytest.mark.parametrize("args, message", [
    ("agent add 'two words' --name X", "not a usable handle"),
    ("agent add li --name '  '", "may not be empty"),
    ("agent add li --name X --email nope", "not an e-mail address"),
    ("agent add li --name X --mobile abc", "not a phone number"),
    ("agent update ghost --name X", "no agent 'ghost'"),
])
def test_agent_refusals(cs, args, message):
    result = cs(args)
    assert result.exit_code == 1 and message in result.stderr
    assert cs("agent list --all --json").json() == []


def test_agent_role_accepts_chinese_and_rejects_unknown(cs):
    assert cs("agent add wang --name 王芳 --role 主管 --json").json()["role"] == "supervisor"
    result = cs("agent add li --name 李娜 --role boss")
    assert result.exit_code == 2 and "unknown role" in result.stderr


def test_duplicate_agent_refused(cs):
    cs("agent add li --name 李娜")
    result = cs("agent add li --name 李娜")
    assert result.exit_code == 1 and "exists already" in result.stderr


def test_bootstrap_then_only_supervisors_manage_agents(cs):
    """SPEC section 13: agent add|update|deactivate need a supervisor once one exists (before: bootstrap)."""
    assert cs("--as anyone agent add boss --name 周敏 --role supervisor").exit_code == 0
    refused = cs("--as li agent add wang --name 王芳 --role leader")
    assert refused.exit_code == 1 and "needs the role supervisor" in refused.stderr
    assert "--as" not in refused.stderr  # a refusal never suggests claiming another name
    assert cs("--as boss agent add wang --name 王芳 --role leader").exit_code == 0
    assert cs("--as li agent add li --name 李娜").exit_code == 1  # not even a plain agent, not even oneself
    assert cs("--as boss agent add li --name 李娜").exit_code == 0
    assert cs("--as li agent update li --team 二组").exit_code == 1
    assert cs("--as li agent update li --role leader").exit_code == 1
    assert cs("--as wang agent deactivate wang").exit_code == 1
    assert cs("--as boss agent update li --role leader").exit_code == 0


def test_require_role_for_leaders_or_supervisors(ctx):
    agents.add(ctx.db, "boss", at=ctx.now_db, actor="x", name="周敏", role="supervisor")
    agents.add(ctx.db, "lead", at=ctx.now_db, actor="boss", name="王芳", role="leader")
    agents.add(ctx.db, "li", at=ctx.now_db, actor="boss", name="李娜")
    agents.require_role(ctx.db, "lead", {"leader", "supervisor"}, "recording a violation")
    with pytest.raises(CSError, match="needs the role leader or supervisor"):
        agents.require_role(ctx.db, "li", {"leader", "supervisor"}, "recording a violation")
    with pytest.raises(CSError):
        agents.require_role(ctx.db, "stranger", {"supervisor"}, "changing the configuration")


def test_agent_changes_are_audited_with_before_and_after(ctx):
    agents.add(ctx.db, "li", at=ctx.now_db, actor="boss", name="李娜")
    agents.update(ctx.db, "li", at=ctx.now_db, actor="boss", team="二组")
    rows = ctx.db.all("SELECT action, actor, before, after FROM audit WHERE entity = 'agent' ORDER BY id")
    assert [r["action"] for r in rows] == ["agent.add", "agent.update"]
    assert '"team": null' in rows[1]["before"] and '"team": "二组"' in rows[1]["after"]


# --- customers ----------------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    ("13800138000", "13800138000"),
    ("+86 138-0013-8000", "13800138000"),
    ("0086 13800138000", "13800138000"),
    ("(010) 6552-1234", "01065521234"),
    ("95588", "95588"),
])
def test_phone_normalisation(raw, expected):
    assert customers.normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["1234", "1" * 21, "138abc", "", "+1-800-FLOWERS"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(CSError, match="not a phone number"):
        customers.normalise_phone(raw)


@given(st.text(max_size=40))
def test_phone_normalisation_either_gives_digits_or_refuses(text):
    try:
        phone = customers.normalise_phone(text)
    except CSError:
        return
    assert phone.isdigit() and 5 <= len(phone) <= 20
    assert customers.normalise_phone(phone) == phone


def test_masking():
    assert customers.mask_phone("13812345678") == "138****5678"
    assert customers.mask_phone("95588") == "9***8"
    assert customers.mask_phone(None) is None


def test_customers_are_upserted_from_tickets_and_counted(cs):
    cs("ticket add --channel phone --category inquiry --summary 第一次 --phone 13800138000 --customer 王先生")
    cs("--now 2026-11-20T10:00 ticket add --channel phone --category repair --summary 第二次 --phone +8613800138000 --customer 老王")
    listed = cs("customer list --json").json()
    assert listed == [{"phone": "13800138000", "name": "王先生", "vip": False, "no_callback": False, "tags": [],
                       "building": None, "unit": None, "room": None, "tickets": 2,
                       "last_contact_at": "2026-11-20T10:00:00+08:00"}]
    shown = cs("customer show '+86 138 0013 8000' --json").json()
    assert [t["summary"] for t in shown["ticket_list"]] == ["第二次", "第一次"]
    assert shown["callback_list"] == []


def test_customer_set_flags(cs):
    assert cs("customer set 13800138000 --name 王建国 --vip --no-callback").stdout == "13800138000\n"
    shown = cs("customer show 13800138000 --json").json()
    assert (shown["name"], shown["vip"], shown["no_callback"], shown["tickets"]) == ("王建国", True, True, 0)
    assert cs("customer set 13800138000 --no-vip --allow-callback --json").json()["vip"] is False
    assert cs("customer list --vip --json").json() == []
    missing = cs("customer show 13900000000")
    assert missing.exit_code == 1 and "no customer" in missing.stderr
    assert cs("customer set 12ab").exit_code == 1


def test_phone_prefixes_are_stripped_until_none_is_left():
    """Found by hypothesis: '+8600860' normalised to '00860', which normalised again to '0' (refused). Every leading
    +86/0086 is stripped at once, so normalising is idempotent; full-width digits still need NFKC."""
    from cs.core.errors import CSError
    from cs.desk.customers import normalise_phone

    with pytest.raises(CSError):
        normalise_phone("+8600860")
    assert normalise_phone("+86 0086 138-0013-8000") == normalise_phone("１３８００１３８０００") == "13800138000"
