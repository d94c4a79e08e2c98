"""Files the desk writes for people: listings, reports and workbooks hold customers' names and phones,
so they are readable by their owner only, like the database."""

from __future__ import annotations

import os


def open_private(path):
    """A text file for writing that only its owner may read, also when it already existed with a wider mode."""
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.fchmod(fd, 0o600)  # the mode above only applies to a new file
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def write_private(path, text: str) -> None:
    with open_private(path) as out:
        out.write(text)
