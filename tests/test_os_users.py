"""Identity from the login, with real OS users (issue 15): a shared desk set up as the README's "Deploying
for a team" says — a service account owning the database, a sudoers rule letting the team's group run
`cs` as it — and `cs` run as throwaway users with `runuser`.

Needs root (to create users and a sudoers rule), sudo, and a system Python 3.11+ that every user may run
(the test copies cs and its dependencies into a world-readable directory, since the test's own virtual
environment may sit where other users cannot reach). Skipped, with the reason, elsewhere; CI runs as root
and .ci/run installs sudo.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3.13", "/usr/bin/python3.12", "/usr/bin/python3.11")
                      if os.path.exists(p)), None)
DEPENDENCIES = ("click", "jinja2", "markupsafe", "chinese_calendar", "jsonschema", "jsonschema_specifications",
                "referencing", "rpds", "attr", "attrs", "openpyxl", "et_xmlfile", "typing_extensions", "dateutil",
                "six")


SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin", "/bin"])


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "needs root to create OS users and a sudoers rule (CI runs as root)"
    for tool in ("useradd", "groupadd", "userdel", "groupdel", "runuser", "sudo"):
        if shutil.which(tool, path=SBIN_PATH) is None:
            return f"{tool} is not installed (apt-get install sudo passwd util-linux)"
    if SYSTEM_PYTHON is None:
        return "no system Python 3.11+ in /usr/bin for the throwaway users to run"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def _copy_runtime(site: Path) -> None:
    """cs, its jobs and schemas, and its dependencies, where any user may read them."""
    for name in ("cs", "jobs", "schemas"):
        shutil.copytree(REPO / name, site / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, site / origin.parent.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, site / origin.name)


def _run(*argv, user: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    command = list(argv)
    command[0] = shutil.which(command[0], path=SBIN_PATH) or command[0]
    if user:
        command = ["runuser", "-u", user, "--", "env", "-i", "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "CS_LANG=en",
                   *command]
    # From /, so that `python -m cs` finds the copy, not a checkout in the current directory.
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, cwd="/")
    if check and result.returncode != 0:
        raise AssertionError(f"{command} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture(scope="module")
def desk():
    """A shared desk owned by a service account; sue (supervisor), lee (leader), amy (agent) mapped to their
    logins; eve in the team's group but mapped to no agent. Users, group and sudoers rule are removed after."""
    n = random.randrange(10_000, 99_999)
    users = {role: f"cs{role}{n}" for role in ("svc", "sue", "lee", "amy", "eve")}
    group, sudoers = f"csteam{n}", Path(f"/etc/sudoers.d/cs-test-{n}")
    base = Path(tempfile.mkdtemp(prefix="cs-os-users-", dir="/tmp"))
    created_users, created_group = [], False
    try:
        base.chmod(0o755)
        site = base / "site"
        _copy_runtime(site)
        _run("chmod", "-R", "a+rX", str(site))
        cs_bin = base / "bin" / "cs"
        cs_bin.parent.mkdir()
        cs_bin.write_text(f"#!/bin/sh\nPYTHONPATH={site} exec {SYSTEM_PYTHON} -m cs \"$@\"\n", encoding="utf-8")
        srv = base / "srv"
        srv.mkdir(mode=0o700)
        _run("groupadd", group)
        created_group = True
        _run("useradd", "--no-create-home", "--home-dir", str(srv), "--shell", "/usr/sbin/nologin", users["svc"])
        created_users.append(users["svc"])
        for role in ("sue", "lee", "amy", "eve"):
            _run("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "-g", group, users[role])
            created_users.append(users[role])
        shutil.chown(srv, users["svc"], users["svc"])
        # The README's sudoers rule, and the team's wrapper that runs cs as the service account on the desk.
        sudoers.write_text(f"%{group} ALL=({users['svc']}) NOPASSWD: {cs_bin}\n", encoding="utf-8")
        sudoers.chmod(0o440)
        team_cs = base / "bin" / "cs-desk"
        team_cs.write_text(f"#!/bin/sh\nexec sudo -n -u {users['svc']} {cs_bin} --db {srv / 'cs.db'} \"$@\"\n",
                           encoding="utf-8")
        for script in (cs_bin, team_cs):
            script.chmod(0o755)
        as_service = [str(cs_bin), "--db", str(srv / "cs.db"), "--tz", "Asia/Shanghai"]
        # The service account sets the desk up as the README says: names itself the service account and
        # sets the zone while the desk is new, adds the first supervisor, then acts as her (cron may).
        _run(*as_service, "config", "set", "security.service_user", users["svc"], user=users["svc"])
        _run(*as_service, "config", "set", "timezone", "Asia/Shanghai", user=users["svc"])
        # The desk's own language: sudo's clean environment drops CS_LANG, and the messages checked are English.
        _run(*as_service, "config", "set", "language", "en", user=users["svc"])
        _run(*as_service, "agent", "add", "sue", "--name", "王主管", "--role", "supervisor",
             "--os-user", users["sue"], user=users["svc"])
        for handle, name, role in (("lee", "李组长", "leader"), ("amy", "艾米", "agent")):
            _run(*as_service, "--as", "sue", "agent", "add", handle, "--name", name, "--role", role, "--team", "A",
                 "--os-user", users[handle], user=users["svc"])

        def team_member(role: str, *argv, check: bool = False) -> subprocess.CompletedProcess:
            return _run(str(team_cs), *argv, user=users[role], check=check)

        team_member.users = users
        yield team_member
    finally:
        sudoers.unlink(missing_ok=True)
        for user in created_users:
            subprocess.run([shutil.which("userdel", path=SBIN_PATH) or "userdel", user], capture_output=True)
        if created_group:
            subprocess.run([shutil.which("groupdel", path=SBIN_PATH) or "groupdel", group], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _last_audit(desk) -> dict:
    return json.loads(desk("sue", "audit", "--json", "--limit", "1", check=True).stdout)[0]


def test_the_desk_is_in_enforced_mode_and_owned_by_the_service_account(desk):
    info = json.loads(desk("amy", "db", "info", "--json", check=True).stdout)
    assert info["access"] == {"mode": "enforced", "os_user": desk.users["amy"], "actor": "amy", "may_write": True}
    assert info["mode"] == "0o600"  # the file stays the service account's own
    assert stat.S_IMODE(os.stat(info["path"]).st_mode) == 0o600


def test_a_mapped_agent_cannot_act_as_the_supervisor(desk):
    before = _last_audit(desk)
    result = desk("amy", "--as", "sue", "agent", "update", "amy", "--role", "supervisor")
    assert result.returncode == 1 and "only a supervisor may act for another agent" in result.stderr
    assert "--as" not in result.stderr
    assert _last_audit(desk) == before
    ticket = json.loads(desk("amy", "ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary",
                             "来电咨询", "--json", check=True).stdout)
    assert ticket["created_by"] == "amy"
    row = _last_audit(desk)
    assert (row["actor"], row["os_user"], row["backdated"]) == ("amy", desk.users["amy"], False)


def test_the_supervisor_acts_for_an_agent_and_the_audit_shows_both(desk):
    ticket = json.loads(desk("sue", "--as", "amy", "ticket", "add", "--channel", "visit", "--category", "inquiry",
                             "--summary", "主管代登记", "--json", check=True).stdout)
    assert ticket["created_by"] == "amy"
    row = _last_audit(desk)
    assert (row["actor"], row["os_user"]) == ("amy", desk.users["sue"])


def test_an_unmapped_login_reads_but_cannot_write(desk):
    assert desk("eve", "ticket", "list", "--json", check=True).returncode == 0
    result = desk("eve", "ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "x")
    assert result.returncode == 1 and f"the login {desk.users['eve']} is not an agent" in result.stderr


def test_through_sudo_no_other_desk_and_no_file_can_be_written(desk):
    """The review's attack: an agent (or an unmapped login) writing over the desk as the service account, or
    pointing cs at a desk of their own making."""
    info = json.loads(desk("amy", "db", "info", "--json", check=True).stdout)
    for role in ("amy", "eve"):
        result = desk(role, "ticket", "export", "-o", info["path"])
        assert result.returncode == 1 and "writes no files" in result.stderr
        result = desk(role, "db", "backup", "--force", info["path"])
        assert result.returncode == 1 and "writes no files" in result.stderr
        result = desk(role, "--db", "/tmp/their-own.db", "agent", "list")
        assert result.returncode == 1 and "the desk is the one the wrapper names" in result.stderr
    assert json.loads(desk("sue", "db", "info", "--json", check=True).stdout)["size_bytes"] == info["size_bytes"]


def test_a_backdated_write_is_refused_to_an_agent_and_flagged_for_a_leader(desk):
    add = ("ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "补录三小时前的来电")
    result = desk("amy", "--now", "-3h", *add)
    assert result.returncode == 1 and "dated more than 1h back" in result.stderr
    assert desk("lee", "--now", "-3h", *add, check=True).returncode == 0
    row = _last_audit(desk)
    assert (row["actor"], row["os_user"], row["backdated"]) == ("lee", desk.users["lee"], True)


def test_a_group_shared_desk_is_used_by_the_whole_group_and_nobody_else():
    """SPEC section 16: in a group-writable setgid directory the database, its -wal/-shm and the jobs' lock files
    are made group-writable (whatever the umask), so any member writes and runs the jobs; others are refused with
    one Error line; cs db info does not warn about the group's access."""
    n = random.randrange(10_000, 99_999)
    group, users = f"csgrp{n}", {role: f"csg{role}{n}" for role in ("ann", "ben", "out")}
    base = Path(tempfile.mkdtemp(prefix="cs-group-desk-", dir="/tmp"))
    created = []
    try:
        base.chmod(0o755)
        _copy_runtime(base / "site")
        _run("chmod", "-R", "a+rX", str(base / "site"))
        cs_bin = base / "cs"
        # umask 077: the tightest a member may have; the desk's files must still be the group's.
        cs_bin.write_text(f"#!/bin/sh\numask 077\nPYTHONPATH={base / 'site'} exec {SYSTEM_PYTHON} -m cs"
                          f" --db {base / 'team' / 'cs.db'} --tz Asia/Shanghai \"$@\"\n", encoding="utf-8")
        cs_bin.chmod(0o755)
        _run("groupadd", group)
        for role in ("ann", "ben", "out"):
            _run("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                 *(["-G", group] if role != "out" else []), users[role])
            created.append(users[role])
        team = base / "team"
        team.mkdir()
        shutil.chown(team, "root", group)
        team.chmod(0o2770)

        _run(str(cs_bin), "db", "init", user=users["ann"])
        _run(str(cs_bin), "--as", "sue", "agent", "add", "sue", "--name", "王主管", "--role", "supervisor",
             user=users["ann"])
        _run(str(cs_bin), "jobs", "run", "overdue-alerts", user=users["ann"])
        _run(str(cs_bin), "--as", "sue", "ticket", "add", "--channel", "phone", "--phone", "13800000000",
             "--category", "inquiry", "--summary", "组内同事写入", user=users["ben"])
        _run(str(cs_bin), "jobs", "run", "overdue-alerts", user=users["ben"])  # the lock file ann made
        for name in ("cs.db", "cs.db.overdue-alerts.lock") + tuple(
                p.name for p in team.iterdir() if p.name.endswith(("-wal", "-shm"))):
            info = (team / name).stat()
            assert stat.S_IMODE(info.st_mode) == 0o660, (name, oct(info.st_mode))
            assert info.st_gid == os.stat(team).st_gid, name
        info = json.loads(_run(str(cs_bin), "db", "info", "--json", user=users["ben"]).stdout)
        assert info["warnings"] == [] and info["mode"] == "0o660"

        outsider = _run(str(cs_bin), "ticket", "list", user=users["out"], check=False)
        assert outsider.returncode == 1 and outsider.stderr.count("Error:") == 1, outsider.stderr
        assert "Traceback" not in outsider.stderr and "permission" in outsider.stderr.lower(), outsider.stderr
    finally:
        for user in created:
            subprocess.run([shutil.which("userdel", path=SBIN_PATH) or "userdel", user], capture_output=True)
        subprocess.run([shutil.which("groupdel", path=SBIN_PATH) or "groupdel", group], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
