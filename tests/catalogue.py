"""The message catalogue (SPEC section 17): every text cs shows, extracted with Babel, translated in
cs/locale/zh/LC_MESSAGES/cs.po and compiled to cs.mo (the package reads it with the standard library's
gettext, so Babel is needed only here and in the tests).

Sources: calls of `_`, `N_`, `ngettext` and `Msg` in cs/ and jobs/; the help of every command and option
(Click keeps docstrings, which no extractor reads, so the command tree itself is walked); Click's own texts.

    python tests/catalogue.py                  extract, merge into cs.po, compile cs.mo
    python tests/catalogue.py --add FILE.json  also take translations {"msgid": "译文"} from FILE (repeatable)
    python tests/catalogue.py --check FILE.json PATH...
                                               list the texts found under PATH (cs/desk, cli:cs ticket …)
                                               with no translation in cs.po or FILE, or with other placeholders

test_i18n fails while a text has no translation, a translation's {placeholders} differ from its text's, or
cs.mo is not cs.po compiled.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "cs" / "locale"
PO = LOCALE / "zh" / "LC_MESSAGES" / "cs.po"
MO = LOCALE / "zh" / "LC_MESSAGES" / "cs.mo"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "Msg": None}
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "shell_completion", "termui",
                 "types", "utils")


def extracted() -> dict[str, tuple]:
    """msgid (or (singular, plural)) -> where it was found."""
    found: dict = {}
    for text, where in [*_from_code(), *_from_commands(), *_from_click()]:
        found.setdefault(text, where)
    return found


def _from_code():
    from babel.messages.extract import extract_from_dir

    for folder in ("cs", "jobs"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS):
            yield message, f"{folder}/{filename}:{lineno}"


def _from_commands():
    sys.path.insert(0, str(ROOT))
    from cs.cli import cli, help_texts

    for text, where in help_texts(cli, "cs"):
        yield text, f"cli:{where}"



def _from_click():
    import click
    from babel.messages.extract import extract

    folder = Path(click.__file__).parent
    for module in CLICK_MODULES:
        with open(folder / f"{module}.py", "rb") as fh:
            for lineno, message, _comments, _context in extract("python", fh, keywords={"_": None,
                                                                                         "ngettext": (1, 2)}):
                yield message, f"click/{module}.py:{lineno}"


def build(additions: dict[str, str] | None = None):
    """The catalogue as it should be: the extracted texts with cs.po's translations (and `additions`)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    old = read_po(PO.open("rb")) if PO.exists() else Catalog(locale="zh_Hans_CN")
    fixed = datetime(2026, 12, 1, tzinfo=timezone.utc)  # dates in the header would change the files every run
    catalog = Catalog(locale="zh_Hans_CN", project="cs", domain="cs", charset="utf-8", creation_date=fixed,
                      revision_date=fixed, version=None, fuzzy=False)
    for msgid, where in sorted(extracted().items(), key=lambda item: str(item[0])):
        previous = old.get(msgid)
        string = previous.string if previous is not None else ("", "") if isinstance(msgid, tuple) else ""
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        if additions and key in additions:
            string = (additions[key],) * 2 if isinstance(msgid, tuple) else additions[key]
        path, _, line = where.rpartition(":")
        catalog.add(msgid, string, locations=[(path, int(line))] if line.isdigit() else [(where, None)])
    return catalog


def compiled(catalog) -> bytes:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def placeholders(text: str) -> set[str]:
    """The {fields} of a text (and its %(named)s ones, Click's), which a translation must keep."""
    import re
    import string

    fields = {f"{{{name}{'!' + conv if conv else ''}}}" for _lit, name, _spec, conv in string.Formatter().parse(text)
              if name is not None}
    return fields | set(re.findall(r"%\(\w+\)s", text))


def check(paths: list[str], translations: dict[str, str]) -> int:
    """Texts in the code under `paths` with no translation in cs.po or `translations`, or whose translation
    does not keep their placeholders: printed; their count returned."""
    from babel.messages.pofile import read_po

    po = read_po(PO.open("rb")) if PO.exists() else None
    problems = 0
    for msgid, where in extracted().items():
        if not any(where.startswith(path.rstrip("/")) for path in paths):
            continue
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        previous = po.get(msgid) if po is not None else None
        string = translations.get(key) or (previous.string if previous is not None else "")
        string = string[0] if isinstance(string, tuple) else string
        if not string:
            print(f"untranslated ({where}): {key!r}")
            problems += 1
        elif placeholders(string) != placeholders(key):
            print(f"placeholders differ ({where}): {key!r} -> {string!r}")
            problems += 1
    return problems


def main(argv) -> None:
    from babel.messages.pofile import write_po

    if argv[:1] == ["--check"]:
        translations = json.loads(Path(argv[1]).read_text(encoding="utf-8")) if Path(argv[1]).exists() else {}
        problems = check(argv[2:], translations)
        print(f"{problems} problem(s)")
        sys.exit(1 if problems else 0)

    additions: dict[str, str] = {}
    while argv[:1] == ["--add"]:
        additions.update(json.loads(Path(argv[1]).read_text(encoding="utf-8")))
        argv = argv[2:]
    catalog = build(additions)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=120, sort_output=True, include_previous=False)
    MO.write_bytes(compiled(catalog))
    missing = [m.id for m in catalog if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
    print(f"{len(catalog)} texts, {len(missing)} without a translation")


if __name__ == "__main__":
    main(sys.argv[1:])
