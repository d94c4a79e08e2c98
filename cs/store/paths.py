"""Where the desk lives by default: light enough to read before anything else is imported (the language of a run
is the desk's, chosen before Click parses)."""

from __future__ import annotations

import os


def default_path(environ) -> str:
    """$XDG_DATA_HOME/cs/cs.db, else ~/.local/share/cs/cs.db (`environ` is the CLI's os.environ)."""
    data_home = environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data_home, "cs", "cs.db")
