"""Spreadsheets out: real .xlsx workbooks for supervisors (a header row, widths that fit Chinese text, dates as dates).

Rows stream into openpyxl's write-only workbook, so a year of tickets does not sit in memory; the
column widths are measured on the first rows. Text is always written as text: a summary that begins
with '=' stays words, never a formula.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice

from cs.core.i18n import _
from cs.core.text import display_width

MEASURED_ROWS = 500
MAX_WIDTH = 60
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"


@dataclass
class Sheet:
    """One sheet: its title, the keys of each row to write (in order), their header labels, and the rows."""

    title: str
    columns: list
    headers: dict
    rows: object  # iterable of dicts
    percent: frozenset = frozenset()  # columns holding fractions (0.556), shown as percentages (55.6%)


class Percent(float):
    """One cell's fraction shown as a percentage, in a column that holds other figures too."""


def write(path, sheets: list[Sheet]) -> int:
    """Write the workbook to `path` (owner-only: it holds customers' names and phones); returns the rows written.

    The file appears whole or not at all: it is written beside `path` and renamed into place.
    """
    from openpyxl import Workbook

    from cs.core import files

    files.check_target(path)  # before any sheet is built: a refused file leaves nothing half-made
    workbook = Workbook(write_only=True)
    written = 0
    for sheet in sheets:
        written += _write_sheet(workbook, sheet)
    with files.replacing(path, binary=True) as out:
        workbook.save(out)
    return written


def _write_sheet(workbook, sheet: Sheet) -> int:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    worksheet = workbook.create_sheet(_sheet_title(sheet.title))
    rows = iter(sheet.rows)
    first = [[_cell_value(row.get(key)) for key in sheet.columns] for row in islice(rows, MEASURED_ROWS)]
    labels = [str(sheet.headers.get(key, key)) for key in sheet.columns]
    for index, label in enumerate(labels):
        worksheet.column_dimensions[_letter(index)].width = _width(label, [row[index] for row in first])
    worksheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def header_cell(label):
        cell = WriteOnlyCell(worksheet, value=label)
        cell.font = bold
        return cell

    worksheet.append([header_cell(label) for label in labels])
    count = 0
    percent = [key in sheet.percent for key in sheet.columns]
    for values in _chain(first, ([_cell_value(row.get(key)) for key in sheet.columns] for row in rows)):
        worksheet.append([_cell(worksheet, WriteOnlyCell, value, is_percent)
                          for value, is_percent in zip(values, percent)])
        count += 1
    if count:
        worksheet.auto_filter.ref = f"A1:{_letter(len(labels) - 1)}{count + 1}"
    return count


def _chain(first, rest):
    yield from first
    yield from rest


def _cell(worksheet, cell_class, value, is_percent: bool = False):
    cell = cell_class(worksheet, value=float(value) if isinstance(value, Percent) else value)
    if isinstance(value, Percent) or (is_percent and isinstance(value, (int, float)) and not isinstance(value, bool)):
        cell.number_format = PERCENT_FORMAT
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str):
        cell.data_type = "s"  # '=SUM(…)' in a summary is words, not a formula
    return cell


def _cell_value(value):
    """What a cell holds: a local date-time for a timestamp (Excel has no zones), a date for a day, text for a
    list (joined by ;) or an object (JSON), the value itself otherwise."""
    if isinstance(value, str):
        if _TIMESTAMP.fullmatch(value):
            return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
        if _DAY.fullmatch(value):
            return date.fromisoformat(value)
        return _printable(value)
    if isinstance(value, (list, tuple)):
        return ";".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _printable(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _width(label: str, values) -> float:
    """Characters of the widest cell, Chinese counted double, within bounds; dates get room for their format."""
    widest = display_width(label)
    for value in values:
        if isinstance(value, datetime):
            shown = 16
        elif isinstance(value, date):
            shown = 10
        elif value is None:
            shown = 0
        else:
            shown = max((display_width(line) for line in str(value).splitlines()), default=0)
        widest = max(widest, shown)
    return min(MAX_WIDTH, widest + 2)


def _letter(index: int) -> str:
    from cs.exchange.sheets import column_letter

    return column_letter(index)


def _sheet_title(title: str) -> str:
    """Excel's rules for a sheet name: at most 31 characters, none of : \\ / ? * [ ]."""
    return re.sub(r"[:\\/?*\[\]]", "_", title)[:31] or _("Sheet")
