"""What the CLI reads from the machine: the system time zone, login name, language, data directory.

Domain modules never read the environment; these values reach them through the Context.
"""

from __future__ import annotations

import os


def system_zone_name() -> str:
    # Imported here: `cs --help` and `cs --version` need no clock.
    from cs.core.clock import get_zone
    from cs.core.errors import CSError

    for name in _system_zone_candidates():
        if name:
            try:
                get_zone(name)
                return name
            except CSError:
                continue
    return "UTC"


def _system_zone_candidates():
    yield os.environ.get("TZ", "").lstrip(":")  # POSIX allows a leading ':' before a zone file name
    try:  # one level only: zoneinfo files may themselves link to legacy names such as 'PRC'
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            yield target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    try:
        with open("/etc/timezone", encoding="utf-8") as fh:
            yield fh.read().strip()
    except OSError:
        pass


def os_login() -> str:
    """The effective user's login, from the OS (not from LOGNAME or USER, which anyone can set)."""
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid with no passwd entry (containers): still record something
        return f"uid{os.geteuid()}"


def sudo_caller() -> str | None:
    """Who ran this through sudo (sudo sets SUDO_USER and does not let the caller choose it)."""
    return os.environ.get("SUDO_USER") or None
