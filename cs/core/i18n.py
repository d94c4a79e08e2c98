"""Messages in the reader's language: gettext catalogues under cs/locale, English as the message ids.

The language of a run is chosen once, before Click parses anything (Click builds its `--help` option's text
while parsing): `--lang`, else CS_LANG, else the desk's configured `language`, else Chinese (SPEC section 17).
Module-level texts are marked with `N_` and translated where they are shown; everything else calls `_` when
the message is made. A `Msg` keeps a message in its parts, so text stored in the database (a deduction's
detail) is compared in English and shown in whoever reads it's language.
"""

from __future__ import annotations

import gettext as _gettext
import os

DOMAIN = "cs"
LANGUAGES = ("zh", "en")
DEFAULT = "zh"
LOCALE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "locale")  # no pathlib: 3 ms

_chosen: str | None = None
_desk_path: str | None = None
_ready = False  # until a run chooses its language, texts stay as written (Click translates some at import)
_catalogues: dict = {}


def choose(lang: str | None, desk_path: str | None = None) -> None:
    """Fix this run's language (`lang`), or leave it to the desk at `desk_path` (read on first use)."""
    global _chosen, _desk_path, _ready
    _chosen = lang if lang in LANGUAGES else None
    _desk_path = desk_path
    _ready = True


def language() -> str:
    global _chosen
    if not _ready:
        return "en"
    if _chosen is None:
        _chosen = desk_language(_desk_path) or DEFAULT
    return _chosen


def desk_language(path: str | None) -> str | None:
    """The `language` in the desk's configuration, read without opening the desk for writing; None when
    there is no desk or it says nothing (a desk that cannot be read is reported later, by the command)."""
    if not path or path == ":memory:" or not os.path.isfile(path):
        return None
    import json
    import sqlite3

    # A desk with no -wal file has every change in the file itself: read it as immutable, which creates no -wal or
    # -shm beside it (`cs --help` leaves the folder as it was); else read it as a reader does, waiting on a lock.
    immutable = "&immutable=1" if not os.path.exists(f"{path}-wal") else ""
    try:
        with sqlite3.connect(f"file:{_uri_path(path)}?mode=ro{immutable}", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT config FROM config_versions ORDER BY id DESC LIMIT 1").fetchone()
        conn.close()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    try:
        value = json.loads(row[0]).get("language")
    except (ValueError, AttributeError):
        return None
    return value if value in LANGUAGES else None


def _uri_path(path: str) -> str:
    """The path in a SQLite file: URI: '%', '?' and '#' escaped, which is all SQLite asks (urllib.parse's quote,
    with the ipaddress module it loads, cost every command 1.6 ms)."""
    return path.replace("%", "%25").replace("?", "%3F").replace("#", "%23")


def catalogue(lang: str | None = None) -> _gettext.NullTranslations:
    lang = lang or language()
    if lang not in _catalogues:
        if lang == "en":
            _catalogues[lang] = _gettext.NullTranslations()
        else:
            try:
                with open(os.path.join(LOCALE_DIR, lang, "LC_MESSAGES", f"{DOMAIN}.mo"), "rb") as fh:
                    _catalogues[lang] = _gettext.GNUTranslations(fh)
            except FileNotFoundError:  # only while the catalogue is first built (tests/catalogue.py)
                return _gettext.NullTranslations()
    return _catalogues[lang]


def _(message: str) -> str:
    return catalogue().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined; `_` translates it where it is shown."""
    return message


def is_chinese() -> bool:
    return language() == "zh"


class Msg:
    """A message in its parts: `str()` in the reader's language, `english()` for storing and comparing,
    `parts()`/`from_parts()` to keep it in the database as JSON."""

    __slots__ = ("template", "args")

    def __init__(self, template: str, **args):
        self.template = template
        self.args = args

    def english(self) -> str:
        return self.template.format(**{key: _english(value) for key, value in self.args.items()})

    def __str__(self) -> str:
        return _(self.template).format(**{key: _shown(value) for key, value in self.args.items()})

    def parts(self) -> dict:
        return {"t": self.template, "a": {key: _parts(value) for key, value in self.args.items()}}

    @classmethod
    def from_parts(cls, parts: dict) -> Msg:
        return cls(parts["t"], **{key: _from_parts(value) for key, value in parts["a"].items()})

    def __eq__(self, other) -> bool:
        return isinstance(other, Msg) and self.parts() == other.parts()

    def __repr__(self) -> str:
        return f"Msg({self.english()!r})"


# A list argument is several messages in a row (a job's summary of each day it judged), joined by "; ".


def _english(value):
    if isinstance(value, list):
        return "; ".join(str(_english(item)) for item in value)
    return value.english() if isinstance(value, Msg) else value


def _shown(value):
    if isinstance(value, list):
        return ("；" if is_chinese() else "; ").join(str(_shown(item)) for item in value)
    return str(value) if isinstance(value, Msg) else value


def _parts(value):
    if isinstance(value, list):
        return [_parts(item) for item in value]
    return value.parts() if isinstance(value, Msg) else value


def _from_parts(value):
    if isinstance(value, list):
        return [_from_parts(item) for item in value]
    return Msg.from_parts(value) if isinstance(value, dict) else value


def text_of(english: str | None, parts: str | None) -> str | None:
    """A message stored as English and its parts (JSON), in the reader's language."""
    if not parts:
        return english
    import json

    return str(Msg.from_parts(json.loads(parts)))


def stored(message) -> tuple[str, str | None]:
    """(English text, parts as JSON or None) for storing a message: a Msg in both, plain text as it is."""
    if isinstance(message, Msg):
        import json

        return message.english(), json.dumps(message.parts(), ensure_ascii=False)
    return str(message), None


def translate_click() -> None:
    """Click's own texts ("Usage:", "Missing argument …") through this catalogue: Click's modules call the
    `_` and `ngettext` they imported from gettext, looked up in their globals on each call."""
    import sys

    for name, module in list(sys.modules.items()):
        if name == "click" or name.startswith("click."):
            if getattr(module, "_", None) is _gettext.gettext:
                module._ = _
            if getattr(module, "ngettext", None) is _gettext.ngettext:
                module.ngettext = ngettext
