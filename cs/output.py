"""Rendering records: the one place that prints data (SPEC section 2 "Output and errors").

Formats: ``table`` (aligned by terminal display width, so Chinese text lines up),
``json`` (array, indent 2), ``jsonl`` (one compact object a line), ``csv`` and ``tsv``
(formula-injection neutralised).  json/jsonl/csv/tsv stream row by row, so a generator
of a million rows never sits in memory; only ``table`` buffers (it must measure widths).

Standard library only and nothing heavy at import time: ``cs`` must start fast.
"""

from __future__ import annotations

import os
import sys

from cs.core.i18n import N_, _
from cs.core.text import char_width, display_width

FORMATS = ("table", "json", "jsonl", "csv", "tsv")

RULE_CHAR = "─"  # U+2500, East Asian Ambiguous: counted as 1 column
ELLIPSIS = "…"  # U+2026, East Asian Ambiguous: counted as 1 column
CHECK = "✓"
COLUMN_GAP = "  "
BOLD = "\x1b[1m"
RESET = "\x1b[0m"

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- widths


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to at most ``width`` display columns, ending with '…' when cut."""
    if 2 * len(text) <= width or display_width(text) <= width:  # no character is wider than two columns
        return text
    if width <= 0:
        return ""
    budget = width - 1  # room for the ellipsis
    used = 0
    end = 0
    for i, ch in enumerate(text):
        w = char_width(ch)
        if used + w > budget:
            break
        used += w
        end = i + 1
    return text[:end] + ELLIPSIS


# --------------------------------------------------------------------------- cells


def neutralise_cell(value: str) -> str:
    """Defuse spreadsheet formulas: a cell starting with = + - @ TAB or CR gets a leading "'"."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _json_default(value):
    iso = getattr(value, "isoformat", None)  # date / datetime / time that slipped through
    if iso is not None:
        return iso()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _compact_json(value) -> str:
    import json  # here: a table needs none (start-up, issue 22)

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _pretty_json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=2, default=_json_default)


def _plain(value) -> str:
    """Text of a scalar for csv, before neutralisation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return _compact_json(value)
    if isinstance(value, (list, tuple)):
        return ";".join(_plain(item) for item in value)
    return str(value)


def _csv_cell(value) -> str:
    if _is_number(value):
        return str(value)  # -2 is a number, not a formula
    return neutralise_cell(_plain(value))


# Control characters (newlines, tabs, ESC...) would break a table row or drive the terminal.
_CONTROL_TO_SPACE = {c: " " for c in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0))}


def _table_cell(value) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return CHECK
    if isinstance(value, (list, tuple)):
        text = ", ".join(_table_cell(item) for item in value)
    elif isinstance(value, dict):
        text = _compact_json(value)
    else:
        text = str(value)
    return text if text.isprintable() else text.translate(_CONTROL_TO_SPACE)


def _as_dict(row) -> dict:
    if isinstance(row, dict):
        return row
    if hasattr(row, "keys"):  # sqlite3.Row and other mappings
        return {k: row[k] for k in row.keys()}
    raise TypeError(f"cannot render a row of type {type(row).__name__}")


def use_colour(stream) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (even empty) or TERM=dumb."""
    if "NO_COLOR" in os.environ:
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    if isatty is None:
        return False
    try:
        return bool(isatty())
    except (ValueError, OSError):  # closed or detached stream
        return False


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(_("unknown format {format!r}; use one of {formats}").format(format=fmt,
                                                                                     formats=", ".join(FORMATS)))


# --------------------------------------------------------------------------- table


def _table_lines(rows, columns, headers=None, max_widths=None, bold=False) -> list[str]:
    """Lines of an aligned table (header, rule, rows), no trailing spaces, no newlines. Built a column at a time:
    most columns are plain text whose checks run once over the whole column, in C (a listing of 800 callbacks
    is 10,000 cells)."""
    headers = headers or {}
    max_widths = max_widths or {}
    labels = [str(headers.get(c, c)).translate(_CONTROL_TO_SPACE) for c in columns]
    padded, widths, right = [], [], []
    for col, label in zip(columns, labels):
        texts, numeric = _column_texts([row.get(col) for row in rows])
        limit = max_widths.get(col)
        if limit is not None:
            texts = [truncate(text, limit) for text in texts]
        cell_widths = None if "".join(texts).isascii() else [display_width(text) for text in texts]
        width = max(display_width(label), max(map(len, texts) if cell_widths is None else cell_widths, default=0))
        if cell_widths is None:
            padded.append([text.rjust(width) for text in texts] if numeric
                          else [text.ljust(width) for text in texts])
        else:
            padded.append([" " * (width - w) + text for text, w in zip(texts, cell_widths)] if numeric
                          else [text + " " * (width - w) for text, w in zip(texts, cell_widths)])
        widths.append(width)
        right.append(numeric)

    def header_cell(i: int) -> str:
        label = labels[i]
        shown = BOLD + label + RESET if bold and label else label
        fill = " " * (widths[i] - display_width(label))
        return fill + shown if right[i] else shown + fill

    lines = [COLUMN_GAP.join(header_cell(i) for i in range(len(columns))).rstrip(" ")]
    lines.append(COLUMN_GAP.join(RULE_CHAR * w for w in widths).rstrip(" "))
    if not columns:  # a line a row all the same
        return lines + [""] * len(rows)
    lines.extend(COLUMN_GAP.join(cells).rstrip(" ") for cells in zip(*padded))
    return lines


def _column_texts(values: list) -> tuple[list[str], bool]:
    """A column's cells as text, and whether it holds numbers only (at least one): those align right."""
    if all(type(value) is str for value in values):  # most columns: text, printable as it is
        if "".join(values).isprintable():
            return values, False
        return [value if value.isprintable() else value.translate(_CONTROL_TO_SPACE) for value in values], False
    if values and all(type(value) is int for value in values):  # ids and counts
        return list(map(str, values)), True
    if all(type(value) is bool for value in values):  # flags: a tick or nothing
        return [CHECK if value else "" for value in values], False
    present = [value for value in values if value is not None]
    numeric = bool(present) and all(_is_number(value) for value in present)
    return [_table_cell(value) for value in values], numeric


# --------------------------------------------------------------------------- lists


def render_list(
    rows,
    fmt,
    out,
    *,
    columns=None,
    headers=None,
    empty_message=N_("No matches."),
    err=None,
    max_widths=None,
) -> int:
    """Write ``rows`` (an iterable of dicts, possibly a generator) to ``out``; return the count."""
    _check_format(fmt)
    it = iter(rows)

    if fmt == "json":
        n = 0
        for row in it:
            out.write(",\n  " if n else "[\n  ")
            out.write(_pretty_json(_as_dict(row)).replace("\n", "\n  "))
            n += 1
        out.write("\n]\n" if n else "[]\n")
        return n

    if fmt == "jsonl":
        n = 0
        for row in it:
            out.write(_compact_json(_as_dict(row)))
            out.write("\n")
            n += 1
        return n

    if fmt in ("csv", "tsv"):
        writer = None
        keys = None
        n = 0
        for row in it:
            row = _as_dict(row)
            if writer is None:
                import csv

                writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
                keys = list(row)
                writer.writerow([neutralise_cell(str(k)) for k in keys])
            writer.writerow([_csv_cell(row.get(k)) for k in keys])
            n += 1
        return n

    # table: must see every row to measure the columns
    data = [_as_dict(row) for row in it]
    if not data:
        (err if err is not None else sys.stderr).write(f"{_(empty_message)}\n")
        return 0
    cols = list(columns) if columns is not None else list(data[0])
    for line in _table_lines(data, cols, headers, max_widths, bold=use_colour(out)):
        out.write(line)
        out.write("\n")
    return len(data)


# --------------------------------------------------------------------------- objects


def _is_listing_scalar(value) -> bool:
    """A value shown in the vertical listing: not a dict, not a list of dicts/lists."""
    if isinstance(value, dict):
        return False
    if isinstance(value, (list, tuple)):
        return all(not isinstance(item, (dict, list, tuple)) for item in value)
    return True


def render_object(obj: dict, fmt, out, *, fields=None, headers=None, sections=None) -> None:
    """Write one record: json/jsonl/csv/tsv as data, table as a 'label  value' listing."""
    _check_format(fmt)
    obj = _as_dict(obj)
    if fmt == "json":
        out.write(_pretty_json(obj))
        out.write("\n")
        return
    if fmt in ("jsonl", "csv", "tsv"):
        render_list([obj], fmt, out)
        return

    headers = headers or {}
    keys = list(fields) if fields is not None else [k for k, v in obj.items() if _is_listing_scalar(v)]
    labels = [str(headers.get(k, k)).translate(_CONTROL_TO_SPACE) for k in keys]
    width = max((display_width(label) for label in labels), default=0)
    bold = use_colour(out)
    for key, label in zip(keys, labels):
        shown = BOLD + label + RESET if bold and label else label
        padding = " " * (width - display_width(label))
        out.write(f"{shown}{padding}{COLUMN_GAP}{_table_cell(obj.get(key))}".rstrip(" "))
        out.write("\n")

    for section in sections or ():
        title, rows = section[0], section[1]
        columns = section[2] if len(section) > 2 else None
        sub_headers = section[3] if len(section) > 3 else headers
        rows = [_as_dict(r) for r in rows or ()]
        out.write("\n")
        out.write(f"{title}\n")
        if not rows:
            out.write("  " + _("(none)") + "\n")
            continue
        cols = list(columns) if columns else list(rows[0])
        for line in _table_lines(rows, cols, sub_headers, bold=bold):
            out.write(f"  {line}\n" if line else "\n")


def emit_id(value, out) -> None:
    """Write commands print the id of the record they created or changed."""
    out.write(f"{value}\n")
