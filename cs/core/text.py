"""Text as people type it: cleaned once for every record, and measured in terminal columns."""

from __future__ import annotations

import re
from functools import lru_cache

from cs.core.errors import CSError
from cs.core.i18n import _

MAX_TEXT = 100_000
# Control characters, and lone surrogates: what a terminal in another encoding passes for bytes that are not UTF-8.
# A pattern text: re compiles it on first use and keeps it (compiling it at import cost every command 0.5 ms).
_CONTROL_CHARS = r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]"


def clean_text(value: str | None, what: str, limit: int = MAX_TEXT, required: bool = False) -> str | None:
    # `what` names the field; callers mark it for the catalogue (N_) and it is said in the reader's language.
    if value is None:
        if required:
            raise CSError(_("the {what} may not be empty").format(what=_(what)))
        return None
    text = value.strip()
    if required and not text:
        raise CSError(_("the {what} may not be empty").format(what=_(what)))
    if len(text) > limit:
        raise CSError(_("the {what} is {length} characters long; the limit is {limit}").format(what=_(what),
                                                                                              length=len(text),
                                                                                              limit=limit))
    if not text.isprintable() and re.search(_CONTROL_CHARS, text):  # every such character is unprintable
        raise CSError(_("the {what} contains control characters or bytes that are not UTF-8; remove them")
                      .format(what=_(what)))
    return text or None


def clean_tags(tags) -> list[str]:
    seen: list[str] = []
    for tag in tags or ():
        tag = tag.strip()
        if not tag or any(ch in tag for ch in ",; \t\n"):
            raise CSError(_("'{tag}' is not a usable tag: no spaces, commas or semicolons").format(tag=tag))
        if tag not in seen:
            seen.append(tag)
    return seen


# --- widths: Chinese characters take two terminal columns ---------------------------------


@lru_cache(maxsize=4096)
def char_width(ch: str) -> int:
    import unicodedata  # here, not at the top: ASCII text never needs it, and every command would load it

    cat = unicodedata.category(ch)
    if cat == "Cc":  # control characters
        return 0
    if cat in ("Mn", "Me", "Cf"):  # combining marks, zero-width joiner/space, BOM, soft hyphen
        return 0
    if "\u1160" <= ch <= "\u11ff":  # Hangul Jamo medial vowels/final consonants join the syllable
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


def display_width(text: str) -> int:
    """Terminal columns taken by ``text``: wide/fullwidth = 2, combining/zero-width/control = 0."""
    if text.isascii():
        if text.isprintable():
            return len(text)
        return sum(1 for ch in text if " " <= ch < "\x7f")
    return sum(char_width(ch) for ch in text)


ECHO_LIMIT = 200  # characters of a value an error message repeats (SPEC section 16)


_ECHOED = None


def cut_echoed_values(message: str) -> str:
    """An error repeats what it refuses; a value of 5,000 characters (a pasted file, a stray shell expansion) is cut
    to its first 200, so the error stays one readable line. Values are the quoted spans (a quote that opens after a
    space or bracket and closes before one: the apostrophe in O'Reilly or desk's opens nothing) and the long
    unbroken runs (over 200 characters without Chinese, or over 400 with: the message's own prose is shorter)."""
    import re

    global _ECHOED
    if _ECHOED is None:
        more = ECHO_LIMIT + 1
        _ECHOED = re.compile(
            rf"(?<![^\s(\[{{:=,])'[^'\n]{{{more},}}'(?![^\s)\]}};:,.])"
            rf"|(?<![^\s(\[{{:=,])\"[^\"\n]{{{more},}}\"(?![^\s)\]}};:,.])"
            rf"|[^\s'\"\u3000-\u9fff\uff00-\uffef]{{{more},}}|[^\s'\"]{{{2 * ECHO_LIMIT + 1},}}")

    def cut(match) -> str:
        value = match.group(0)
        quote = value[0] if value[0] in "'\"" and value[-1] == value[0] and len(value) > 1 else ""
        inner = value[1:-1] if quote else value
        return _("{value} ({count} characters)").format(value=f"{quote}{inner[:ECHO_LIMIT]}…{quote}", count=len(inner))

    return _ECHOED.sub(cut, message)
