"""Spreadsheets in: the CSV and .xlsx files centres keep today, with their headers, values and dates.

A sheet is read as a header row and data rows; `ColumnPlan` decides which field each column
feeds (the JSON field names, the Chinese headers such sheets use, our own table labels, and
the user's `--map`), and turns each row into a record of field -> value that the importers check
like a JSON record. Excel in China writes CSV in GB18030, so the encoding is detected, not asked.
"""

from __future__ import annotations

import codecs
import csv
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from cs.core.errors import CSError
from cs.core.i18n import _


class FileError(Exception):
    """The file itself cannot be read further (broken structure, bad encoding, bad header)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


# --- encodings ----------------------------------------------------------------------------

_SCAN_CHUNK = 1 << 20


def seekable(binary):
    """The stream itself when it can be read twice, else a temporary copy (stdin)."""
    try:
        if binary.seekable():
            return binary
    except (AttributeError, ValueError):
        pass
    copy = tempfile.TemporaryFile()
    shutil.copyfileobj(binary, copy, _SCAN_CHUNK)
    copy.seek(0)
    return copy


def detect_encoding(binary) -> str:
    """'utf-8-sig' when the whole file is UTF-8 (a BOM or not), else 'gb18030' (Excel's CSV in China).

    The whole file is scanned once, in chunks: a sheet can be ASCII for thousands of rows before
    its first Chinese name. The stream is left at its start.
    """
    start = binary.tell()
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := binary.read(_SCAN_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"
    finally:
        binary.seek(start)


def decoded_lines(binary, encoding: str = "utf-8-sig"):
    """Text lines in `encoding` (a UTF-8 BOM is dropped); a bad byte is a FileError naming its line."""
    name = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
    # BOMs are dropped here, so every line decodes with the plain codec (utf-8-sig runs in Python, utf-8 in C).
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    for number, raw in enumerate(binary, start=1):
        while raw.startswith(b"\xef\xbb\xbf"):  # also a BOM left mid-file by files joined with cat, or doubled
            raw = raw[3:]
        try:
            yield raw.decode(codec)
        except UnicodeDecodeError as exc:
            raise FileError(number, _("not {encoding} text (byte {byte} of the line); save the file as UTF-8 or"
                                      " GB18030 CSV, or as .xlsx").format(encoding=name, byte=exc.start + 1)) from None


# --- tables: a header row and data rows -----------------------------------------------------


@dataclass
class Table:
    header_row: int
    columns: list[str]
    rows: object  # iterator of (row number, list of cell values)
    sheet: str | None = None
    encoding: str | None = None


def csv_table(binary, known_header, encoding: str | None = None) -> Table:
    """A CSV file in UTF-8 (BOM or not) or GB18030, detected unless `encoding` says; cells are text, '' is empty."""
    binary = seekable(binary)
    encoding = encoding or detect_encoding(binary)
    reader = csv.reader(decoded_lines(binary, encoding))

    def numbered():
        try:
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as exc:
            raise FileError(reader.line_num, _("not valid CSV: {error}").format(error=exc)) from None

    return _table(numbered(), known_header, encoding=encoding)


def xlsx_table(binary, known_header, sheet: str | None = None) -> Table:
    """The first sheet of a workbook, or the one named `sheet`; dates arrive as datetimes."""
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileError(0, _("not a readable .xlsx workbook ({error}); save it from Excel as .xlsx").format(
            error=exc)) from None
    names = workbook.sheetnames
    if sheet is not None and sheet not in names:
        raise CSError(_("the workbook has no sheet {sheet!r}; its sheets are: {sheets}").format(
            sheet=sheet, sheets=", ".join(names)))
    worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
    # Some writers declare a wrong size (A1:A1); read what is really there.
    worksheet.reset_dimensions()

    def numbered():
        for number, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, list(values)

    return _table(numbered(), known_header, sheet=worksheet.title)


_HEADER_SEARCH_ROWS = 10


def _table(numbered, known_header, **extra) -> Table:
    """The header is the first row naming two known columns within the first rows (a title row such as
    '来访来电咨询投诉记录表' often sits above it), else the first non-empty row."""
    candidates, header_at = [], 0
    for number, cells in numbered:
        if _blank(cells):
            continue
        candidates.append((number, cells))
        if sum(1 for cell in cells if known_header(_text(cell))) >= 2:
            header_at = len(candidates) - 1
            break
        if len(candidates) >= _HEADER_SEARCH_ROWS:
            break
    if not candidates:
        return Table(0, [], iter(()), **extra)
    header_number, header = candidates[header_at]
    rest = candidates[header_at + 1:]
    columns = [_text(cell) for cell in header]
    while columns and not columns[-1]:
        columns.pop()  # trailing empty header cells: Excel's ragged right edge

    def data():
        yield from rest
        for number, cells in numbered:
            if not _blank(cells):
                yield number, cells

    return Table(header_number, columns, data(), **extra)


def _blank(cells) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _text(cell) -> str:
    return "" if cell is None else str(cell).strip()


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how Excel names a column."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# --- columns -> fields ----------------------------------------------------------------------

SKIP = ""  # `--map "列名="`: the column is not imported
_ROW_NUMBER_HEADERS = {"序号", "行号", "no", "no.", "#"}


def header_key(text: str) -> str:
    """How headers are compared: no spaces, asterisks or colons, any case ('联系电话*：' = '联系电话')."""
    return re.sub(r"[\s*＊:：]", "", str(text)).lower()


def _without_note(key: str) -> str:
    """'电话(手机)' -> '电话': a bracketed remark does not change what a column holds."""
    return re.sub(r"[(（\[【].*?[)）\]】]", "", key)


@dataclass
class ColumnPlan:
    """Which field each column feeds. Several columns may feed one text or time field: a sheet with
    separate 日期 and 时间 columns gives one opened_at, and their texts are joined in column order."""

    columns: list[str]
    fields: dict = field(default_factory=dict)  # column index -> field
    skipped: list[int] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    field_names: tuple = ()

    @classmethod
    def build(cls, columns, *, field_names, aliases: dict, maps: dict, joinable) -> "ColumnPlan":
        plan = cls(list(columns))
        lookup = {header_key(name): name for name in field_names}
        lookup.update({header_key(alias): name for alias, name in aliases.items()})
        given = {header_key(column): target for column, target in maps.items()}
        unknown = []
        for index, column in enumerate(plan.columns):
            key = header_key(column)
            target = given.get(key, lookup.get(key, lookup.get(_without_note(key))))
            if key in given and target not in (SKIP, *field_names):
                raise CSError(_("--map {column}={target}: '{target}' is not a field; fields are: {fields}").format(
                    column=column, target=target, fields=", ".join(field_names)))
            if target is None and (not key or key in _ROW_NUMBER_HEADERS):
                target = SKIP
            if target is None:
                unknown.append(column)
            elif target == SKIP:
                plan.skipped.append(index)
            else:
                plan.fields[index] = target
        unused = set(given) - {header_key(column) for column in plan.columns}
        if unused:
            names = [column for column in maps if header_key(column) in unused]
            raise CSError(_("--map names column(s) the file does not have: {names}; its columns are: {columns}")
                          .format(names=", ".join(map(repr, names)), columns=", ".join(map(repr, plan.columns))))
        plan.unknown = unknown
        plan.field_names = tuple(field_names)
        plan._check_repeats(joinable)
        return plan

    def require_known(self) -> None:
        """Refuse a sheet with columns nobody said what to do with: nothing in a sheet is dropped unasked."""
        if self.unknown:
            shown = ", ".join(map(repr, self.unknown))
            raise CSError(_("unknown column(s) {shown}; name the field with --map '{first}=FIELD' or skip the column"
                            " with --map '{first}=' (fields: {fields})").format(
                                shown=shown, first=self.unknown[0], fields=", ".join(self.field_names)))

    def _check_repeats(self, joinable) -> None:
        seen: dict[str, list[str]] = {}
        for index, name in self.fields.items():
            seen.setdefault(name, []).append(self.columns[index])
        for name, columns in seen.items():
            if len(columns) > 1 and not joinable(name):
                raise CSError(_("columns {columns} all map to {field}; keep one with --map '{second}=' (or map it to"
                                " another field)").format(columns=", ".join(map(repr, columns)), field=name,
                                                          second=columns[1]))

    def mapping(self) -> list[dict]:
        """What the dry run shows: each column, its letter, and the field it feeds (None: skipped)."""
        return [{"column": column or f"({column_letter(index)})", "letter": column_letter(index),
                 "field": self.fields.get(index), "known": column not in self.unknown}
                for index, column in enumerate(self.columns)]

    def columns_of(self, name: str) -> str | None:
        """The sheet's own header(s) for a field, for error messages."""
        found = [self.columns[index] or column_letter(index) for index, target in self.fields.items()
                 if target == name]
        return "+".join(found) or None

    def record(self, cells) -> dict:
        """field -> value for one row; empty cells are absent, repeated fields joined."""
        out: dict = {}
        for index, name in self.fields.items():
            value = cells[index] if index < len(cells) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if name in out:
                out[name] = _join(out[name], value)
            else:
                out[name] = value
        if len(cells) > len(self.columns) and not _blank(cells[len(self.columns):]):
            raise ValueError(_("more cells than header columns"))
        return out


def _join(first, second):
    """Two cells feeding one field: a date and a time become one moment; texts join on a new line."""
    if isinstance(first, (datetime, date)) and isinstance(second, time):
        day = first.date() if isinstance(first, datetime) else first
        return datetime.combine(day, second)
    if isinstance(second, time) or _looks_like_time(_as_text(second)):
        return f"{_as_text(first, date_only=True)} {_as_text(second)}"
    return f"{_as_text(first)}\n{_as_text(second)}"


def _as_text(value, date_only: bool = False) -> str:
    """A cell as text; a date cell that a separate time column completes gives its date alone."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if date_only and isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = _from_serial(value)
        return moment.strftime("%Y-%m-%d") if moment else str(value)
    return str(value).strip()


def _looks_like_time(text: str) -> bool:
    return bool(re.fullmatch(r"\s*(上午|下午|晚上)?\s*\d{1,2}\s*[:：时点]\s*(\d{1,2})?\s*分?\s*(\d{1,2}\s*秒?)?\s*", text)
                or _TWELVE_HOUR.fullmatch(text.strip()))


_YEAR_LAST = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})((?:[\sT].*)?)", re.S)
_TWELVE_HOUR = re.compile(r"(.*?)(\d{1,2})(\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?)\s*([AaPp])\.?\s*[Mm]\.?", re.S)


def in_date_order(value, date_order: str = "ymd"):
    """A time cell's text with its date year first and its clock on 24 hours, as the rest of the reading expects:
    `11/18/2026 9:05:00 AM` (LibreOffice's and Excel's US export) with date_order mdy -> `2026-11-18 9:05:00`;
    `1:30 PM` -> `13:30`. A date with the year last is refused under ymd: 01/02/2026 is two days, and only the
    user knows which. Other values are returned as they are."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    match = _YEAR_LAST.fullmatch(text)
    if match:
        first, second, year, rest = match.groups()
        if date_order not in ("mdy", "dmy"):
            raise ValueError(_("{value!r} gives the year last: say whether the month or the day comes first, with"
                               " --date-order mdy (11/18/2026, as LibreOffice and Excel in the US write dates) or"
                               " --date-order dmy (18/11/2026)").format(value=one_line(value)))
        month, day = (first, second) if date_order == "mdy" else (second, first)
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(_("{value!r} is no day when read as {order} (month {month}, day {day})").format(
                value=one_line(value), order=date_order, month=int(month), day=int(day))) from None
        text = f"{year}-{int(month):02d}-{int(day):02d}{rest}"
    twelve = _TWELVE_HOUR.fullmatch(text)
    if twelve:
        before, hour, rest, half = twelve.groups()
        if not 1 <= int(hour) <= 12:
            raise ValueError(_("{value!r}: {hour} is not an hour of a 12-hour clock (1 to 12, then AM or PM)").format(
                value=one_line(value), hour=hour))
        text = f"{before}{int(hour) % 12 + (12 if half in 'Pp' else 0)}{rest}"
    return text


def one_line(text: str) -> str:
    """Two cells read as one value (a date column and a time column) shown as the user sees them: on one line."""
    return " ".join(str(text).split())


# --- values: --value FIELD:原值=code and --default FIELD=VALUE --------------------------------


def parse_value_maps(specs, field_names) -> dict:
    """['category:维修=repair'] -> {'category': {'维修': 'repair'}}."""
    maps: dict[str, dict] = {}
    for spec in specs:
        name, colon, rest = spec.partition(":")
        original, equals, code = rest.rpartition("=")
        if not colon or not equals or not original.strip():
            raise CSError(_("--value {spec!r}: write it as FIELD:原值=code, e.g. --value category:维修=repair").format(
                spec=spec))
        name = name.strip()
        if name not in field_names:
            raise CSError(_("--value {spec!r}: '{field}' is not a field; fields are: {fields}").format(
                spec=spec, field=name, fields=", ".join(field_names)))
        maps.setdefault(name, {})[original.strip()] = code.strip()
    return maps


def parse_pairs(specs, option: str, field_names, *, allow_empty: bool) -> dict:
    """['列名=field'] or ['channel=phone'] -> {left: right}."""
    pairs = {}
    for spec in specs:
        left, equals, right = spec.rpartition("=")
        if not equals or not left.strip() or (not right.strip() and not allow_empty):
            example = "--map '来电号码=customer_phone'" if option == "--map" else "--default channel=phone"
            raise CSError(_("{option} {spec!r}: write it as NAME=VALUE, e.g. {example}").format(
                option=option, spec=spec, example=example))
        pairs[left.strip()] = right.strip()
    if option == "--default":
        for name in pairs:
            if name not in field_names:
                raise CSError(_("--default {field}=…: '{field}' is not a field; fields are: {fields}").format(
                    field=name, fields=", ".join(field_names)))
    return pairs


def translate_values(record: dict, value_maps: dict, defaults: dict) -> dict:
    """The user's --value translations, then --default for fields the row leaves empty."""
    for name, table in value_maps.items():
        value = record.get(name)
        if value is not None:
            key = _as_text(value) if not isinstance(value, str) else value.strip()
            if key in table:
                record[name] = table[key]
    for name, value in defaults.items():
        if record.get(name) in (None, ""):
            record[name] = value
    return record


# --- times ---------------------------------------------------------------------------------

_EXCEL_EPOCH = datetime(1899, 12, 30)
# Serial day numbers of 1970-01-01 .. 9998-12-31: what a date cell holds when it lost its format.
_SERIAL_RANGE = (25569, 2958100)


def sheet_time(value) -> datetime | None:
    """A naive local datetime from what sheets hold: `2026/11/18 9:05`, `2026-11-18`, `2026年11月18日
    9时5分`, `20261118`, an Excel serial number, or a datetime cell. None when it is none of these."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_serial(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{8}", text):
        try:
            return datetime.strptime(text, "%Y%m%d")
        except ValueError:
            return None
    if re.fullmatch(r"\d{5,7}(\.\d+)?", text):
        return _from_serial(float(text))
    from cs.core.clock import chinese_local_time

    found = chinese_local_time(text)  # the same reading as a TIME on the command line
    return found[0] if found else None


def date_only(value) -> date | None:
    """The day, when a cell gives a day and no time of day (2026/11/18, 2026年11月18日, a date cell, 46344)."""
    moment = sheet_time(value)
    if moment is None or moment.time() != time():
        return None
    if isinstance(value, str) and re.search(r"\d\s*[:：时点]", value.strip()[8:]):
        return None  # '2026-11-18 0:00' names a time of day: midnight
    return moment.date()


def _from_serial(number: float) -> datetime | None:
    if not _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        return None
    # Rounded to the second: Excel stores 9:05 as 0.378472222…
    return _EXCEL_EPOCH + timedelta(seconds=round(number * 86400))


def whole_number_text(value):
    """13800138000.0 from a number cell -> '13800138000' (phones and ids stored as numbers)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value
