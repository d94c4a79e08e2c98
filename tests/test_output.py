"""Tests for cs.output: display widths, table alignment, formats, neutralisation, streaming."""

import csv
import io
import json
import tracemalloc
import unicodedata

import pytest

from cs import output
from cs.output import (
    FORMATS,
    display_width,
    emit_id,
    neutralise_cell,
    render_list,
    render_object,
    truncate,
    use_colour,
)


def ref_width(text):
    """Independent reference width (no combining chars in the inputs it is used on)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class TTY(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def no_colour_env(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


# --------------------------------------------------------------------------- widths


def test_display_width_ascii():
    assert display_width("") == 0
    assert display_width("hello") == 5
    assert display_width("a b\tc") == 4  # tab is a control char: 0


def test_display_width_chinese():
    assert display_width("张三") == 4
    assert display_width("投诉处理中") == 10
    assert display_width("，。") == 4  # fullwidth punctuation
    assert display_width("ＡＢ") == 4  # fullwidth Latin


def test_display_width_mixed():
    assert display_width("VIP客户A") == 3 + 4 + 1
    assert display_width("工单#123") == 4 + 4


def test_display_width_combining_and_zero_width():
    assert display_width("e\u0301") == 1  # e + combining acute
    assert display_width("a\u200bb") == 2  # zero-width space
    assert display_width("\x1b") == 0


def test_rule_and_ellipsis_are_one_column():
    assert display_width(output.RULE_CHAR) == 1
    assert display_width("…") == 1
    assert display_width("✓") == 1


# --------------------------------------------------------------------------- truncate


def test_truncate_short_text_unchanged():
    assert truncate("abc", 3) == "abc"
    assert truncate("张三", 4) == "张三"


def test_truncate_ascii():
    assert truncate("abcdef", 4) == "abc…"
    assert display_width(truncate("abcdef", 4)) == 4


def test_truncate_never_splits_wide_char_over_width():
    # 4 columns: "中" (2) + "…" (1) = 3; "中文" + "…" would be 5
    assert truncate("中文字符", 4) == "中…"
    assert truncate("中文字符", 5) == "中文…"
    for w in range(0, 10):
        assert display_width(truncate("中文abc字符", w)) <= max(w, 0)


def test_truncate_zero_and_one():
    assert truncate("abc", 0) == ""
    assert truncate("abc", 1) == "…"


# --------------------------------------------------------------------------- neutralise


@pytest.mark.parametrize("value", ["=cmd", "+1", "-2", "@x", "\tx", "\rx", "=HYPERLINK(\"x\")"])
def test_neutralise_cell_dangerous(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["cmd", "1", "", "张三", "a=b", "'=x"])
def test_neutralise_cell_safe(value):
    assert neutralise_cell(value) == value


# --------------------------------------------------------------------------- colour


def test_use_colour_false_for_stringio(no_colour_env):
    assert use_colour(io.StringIO()) is False


def test_use_colour_true_for_tty(no_colour_env):
    assert use_colour(TTY()) is True


def test_use_colour_no_color_set(monkeypatch, no_colour_env):
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(TTY()) is False


def test_use_colour_no_color_empty(monkeypatch, no_colour_env):
    monkeypatch.setenv("NO_COLOR", "")
    assert use_colour(TTY()) is False


def test_use_colour_term_dumb(monkeypatch, no_colour_env):
    monkeypatch.setenv("TERM", "dumb")
    assert use_colour(TTY()) is False


def test_table_header_bold_only_on_tty(no_colour_env):
    rows = [{"id": 1, "name": "张三"}]
    plain = io.StringIO()
    render_list(rows, "table", plain)
    assert "\x1b" not in plain.getvalue()
    tty = TTY()
    render_list(rows, "table", tty)
    assert output.BOLD in tty.getvalue().splitlines()[0]
    # alignment ignores the escape codes
    stripped = tty.getvalue().replace(output.BOLD, "").replace(output.RESET, "")
    assert stripped == plain.getvalue()


# --------------------------------------------------------------------------- table

ROWS = [
    {"id": 1, "customer": "张三", "category": "投诉", "status": "open"},
    {"id": 23, "customer": "Bob", "category": "咨询建议", "status": "处理中"},
    {"id": 456, "customer": "欧阳小明", "category": "x", "status": "closed"},
]


def test_table_chinese_columns_line_up():
    out = io.StringIO()
    assert render_list(ROWS, "table", out) == 3
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 + len(ROWS)
    starts = []
    for line, cell in zip(lines, ["customer", None] + [r["customer"] for r in ROWS]):
        if cell is None:  # the rule line: second run of '─'
            idx = line.index(output.RULE_CHAR, line.index("  "))
        else:
            idx = line.index(cell)
        starts.append(ref_width(line[:idx]))
    assert len(set(starts)) == 1, starts
    # every column, not just the second: the third one starts at the same column too
    third = [ref_width(line[: line.index(c)]) for line, c in
             zip([lines[0]] + lines[2:], ["category"] + [r["category"] for r in ROWS])]
    assert len(set(third)) == 1, third


def test_table_rule_line_under_each_column():
    out = io.StringIO()
    render_list(ROWS, "table", out)
    header, rule = out.getvalue().splitlines()[:2]
    assert set(rule) <= {output.RULE_CHAR, " "}
    assert [ref_width(w) for w in rule.split("  ")] == [3, 8, 8, 6]
    # customer column is as wide as 欧阳小明 (8)
    assert output.RULE_CHAR * 8 in rule.split("  ")


def test_table_no_trailing_spaces_and_two_space_gap():
    out = io.StringIO()
    render_list([{"a": "x", "b": ""}, {"a": "longer", "b": "y"}], "table", out)
    for line in out.getvalue().splitlines():
        assert line == line.rstrip(" ")
    assert out.getvalue().splitlines()[2] == "x"
    assert out.getvalue().splitlines()[3] == "longer  y"


def test_table_numbers_right_aligned():
    out = io.StringIO()
    render_list([{"n": 1, "s": "a"}, {"n": 100, "s": "b"}], "table", out)
    lines = out.getvalue().splitlines()
    assert lines[2].startswith("  1  a")
    assert lines[3].startswith("100  b")


def test_table_cells_conversion():
    out = io.StringIO()
    rows = [{"a": None, "b": True, "c": False, "d": ["x", "y"], "e": 2.5, "f": "end"}]
    render_list(rows, "table", out)
    last = out.getvalue().splitlines()[2]
    assert "✓" in last and "x, y" in last and "2.5" in last and "None" not in last
    assert "False" not in last and "True" not in last


def test_table_columns_and_headers():
    out = io.StringIO()
    render_list(ROWS, "table", out, columns=["customer", "id"], headers={"customer": "客户"})
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["客户", "id"]
    assert "投诉" not in out.getvalue() and "status" not in out.getvalue()


def test_table_max_widths_truncates():
    out = io.StringIO()
    render_list([{"note": "客户反映快递三天未到", "x": 1}], "table", out, max_widths={"note": 7})
    row = out.getvalue().splitlines()[2]
    note = row.split("  ")[0]
    assert note.endswith("…") and display_width(note) <= 7


def test_table_newlines_in_cells_stay_on_one_row():
    out = io.StringIO()
    render_list([{"note": "第一行\n第二行", "x": 1}], "table", out)
    assert len(out.getvalue().splitlines()) == 3


def test_table_empty_goes_to_stderr(capsys):
    import sys

    n = render_list([], "table", sys.stdout)
    captured = capsys.readouterr()
    assert n == 0
    assert captured.out == ""
    assert captured.err == "No matches.\n"


def test_table_empty_custom_message_and_err():
    out, err = io.StringIO(), io.StringIO()
    render_list(iter(()), "table", out, err=err, empty_message="没有匹配的工单。")
    assert out.getvalue() == ""
    assert err.getvalue() == "没有匹配的工单。\n"


# --------------------------------------------------------------------------- json / jsonl


def test_json_empty():
    out = io.StringIO()
    assert render_list([], "json", out) == 0
    assert out.getvalue().strip() == "[]"
    assert json.loads(out.getvalue()) == []


def test_jsonl_empty():
    out = io.StringIO()
    assert render_list([], "jsonl", out) == 0
    assert out.getvalue() == ""


def test_json_matches_json_dumps_and_keeps_chinese():
    out = io.StringIO()
    assert render_list(iter(ROWS), "json", out) == 3
    text = out.getvalue()
    assert json.loads(text) == ROWS
    assert text.rstrip("\n") == json.dumps(ROWS, indent=2, ensure_ascii=False)
    assert "张三" in text and "\\u" not in text
    text.encode("utf-8")


def test_json_nested_strings_with_newlines():
    rows = [{"note": "a\nb", "tags": ["x", "y"], "meta": {"k": [1, 2]}}]
    out = io.StringIO()
    render_list(rows, "json", out)
    assert json.loads(out.getvalue()) == rows


def test_jsonl_compact_lines():
    out = io.StringIO()
    assert render_list(ROWS, "jsonl", out) == 3
    lines = out.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == ROWS
    assert lines[0] == '{"id":1,"customer":"张三","category":"投诉","status":"open"}'


# --------------------------------------------------------------------------- csv / tsv


def test_csv_neutralisation_and_cells():
    rows = [
        {"a": "=cmd", "b": "+1", "c": "-2", "d": "@x", "e": "\tx", "n": -2, "f": 1.5},
        {"a": None, "b": True, "c": False, "d": ["x", "=y"], "e": {"k": "值"}, "n": 0, "f": "张三"},
    ]
    out = io.StringIO()
    assert render_list(rows, "csv", out) == 2
    text = out.getvalue()
    assert "\r" not in text
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ["a", "b", "c", "d", "e", "n", "f"]
    assert parsed[1] == ["'=cmd", "'+1", "'-2", "'@x", "'\tx", "-2", "1.5"]
    assert parsed[2] == ["", "true", "false", "x;=y", '{"k":"值"}', "0", "张三"]


def test_csv_list_starting_with_formula_is_neutralised():
    out = io.StringIO()
    render_list([{"tags": ["=bad", "ok"]}], "csv", out)
    assert list(csv.reader(io.StringIO(out.getvalue())))[1] == ["'=bad;ok"]


def test_csv_header_from_first_row_and_missing_keys():
    out = io.StringIO()
    render_list([{"x": 1, "y": 2}, {"y": 3, "z": 4}], "csv", out)
    assert out.getvalue() == "x,y\n1,2\n,3\n"


def test_csv_empty():
    out = io.StringIO()
    assert render_list([], "csv", out) == 0
    assert out.getvalue() == ""


def test_tsv():
    rows = [{"id": 1, "name": "张三", "note": "a,b", "f": "=1+1"}]
    out = io.StringIO()
    assert render_list(rows, "tsv", out) == 1
    assert out.getvalue() == "id\tname\tnote\tf\n1\t张三\ta,b\t'=1+1\n"
    parsed = list(csv.reader(io.StringIO(out.getvalue()), delimiter="\t"))
    assert parsed[1] == ["1", "张三", "a,b", "'=1+1"]


def test_tsv_empty():
    out = io.StringIO()
    render_list(iter([]), "tsv", out)
    assert out.getvalue() == ""


def test_unknown_format():
    with pytest.raises(ValueError):
        render_list([], "xml", io.StringIO())


# --------------------------------------------------------------------------- streaming


class CountingSink:
    """A write target that keeps only a byte count, so it adds no memory of its own."""

    def __init__(self):
        self.chars = 0
        self.writes = 0

    def write(self, s):
        self.chars += len(s)
        self.writes += 1
        return len(s)

    def isatty(self):
        return False


N_ROWS = 100_000


def _row(i):
    return {"id": i, "customer": "客户" + str(i), "note": "反映快递三天未到，要求回访" * 3, "ok": i % 2 == 0}


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "tsv"])
def test_streaming_is_lazy(fmt):
    sink = CountingSink()
    produced = 0
    lagging = []

    def gen():
        nonlocal produced
        for i in range(N_ROWS):
            # by the time row i is produced, row i-2 must already have been written
            if i >= 2 and sink.chars == 0:
                lagging.append(i)
            before = sink.writes
            produced += 1
            yield _row(i)
            if i >= 1 and sink.writes == before:
                lagging.append(i)
            if len(lagging) > 5:
                raise AssertionError(f"{fmt}: rows are being buffered, not streamed")

    assert render_list(gen(), fmt, sink) == N_ROWS
    assert produced == N_ROWS
    assert not lagging


def test_streaming_jsonl_memory_bounded():
    sink = CountingSink()
    tracemalloc.start()
    try:
        render_list((_row(i) for i in range(N_ROWS)), "jsonl", sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.chars > 5_000_000
    assert peak < sink.chars / 20, (peak, sink.chars)


# --------------------------------------------------------------------------- objects

TICKET = {
    "id": "T-20240601-0001",
    "customer": "张三",
    "status": "处理中",
    "priority": 2,
    "urgent": True,
    "tags": ["快递", "VIP"],
    "history": [{"at": "2024-06-01 09:00", "event": "创建"}],
}


def test_render_object_json():
    out = io.StringIO()
    render_object(TICKET, "json", out)
    assert json.loads(out.getvalue()) == TICKET
    assert out.getvalue().rstrip("\n") == json.dumps(TICKET, indent=2, ensure_ascii=False)
    assert "张三" in out.getvalue()


def test_render_object_jsonl():
    out = io.StringIO()
    render_object(TICKET, "jsonl", out)
    assert out.getvalue().count("\n") == 1
    assert json.loads(out.getvalue()) == TICKET


def test_render_object_csv():
    out = io.StringIO()
    render_object({"id": 1, "name": "=x", "tags": ["a", "b"], "meta": {"k": 1}}, "csv", out)
    assert out.getvalue() == 'id,name,tags,meta\n1,\'=x,a;b,"{""k"":1}"\n'


def test_render_object_table_default_fields():
    out = io.StringIO()
    render_object(TICKET, "table", out, headers={"customer": "客户"})
    lines = out.getvalue().splitlines()
    labels = [line.split()[0] for line in lines]
    assert labels == ["id", "客户", "status", "priority", "urgent", "tags"]  # no 'history'
    # values all start at the same display column
    values = ["T-20240601-0001", "张三", "处理中", "2", "✓", "快递, VIP"]
    starts = {ref_width(line[: line.index(v)]) for line, v in zip(lines, values)}
    assert starts == {ref_width("priority") + 2}
    for line in lines:
        assert line == line.rstrip(" ")


def test_render_object_table_fields_and_sections():
    out = io.StringIO()
    render_object(
        TICKET,
        "table",
        out,
        fields=["id", "customer"],
        headers={"id": "工单号", "customer": "客户"},
        sections=[
            ("历史", TICKET["history"], ["at", "event"], {"at": "时间", "event": "事件"}),
            ("回访", [], ["at"], {}),
        ],
    )
    text = out.getvalue()
    lines = text.splitlines()
    assert lines[0] == "工单号  T-20240601-0001"
    assert lines[1] == "客户    张三"
    assert lines[2] == ""
    assert lines[3] == "历史"
    assert lines[4].split() == ["时间", "事件"]
    assert "2024-06-01 09:00  创建" in lines[6]
    assert lines[7] == ""
    assert lines[8] == "回访"
    assert lines[9] == "  (none)"
    assert "status" not in text


def test_render_object_table_empty_value_no_trailing_space():
    out = io.StringIO()
    render_object({"a": None, "bb": "x"}, "table", out)
    assert out.getvalue() == "a\nbb  x\n"


def test_emit_id():
    out = io.StringIO()
    emit_id(42, out)
    emit_id("T-1", out)
    assert out.getvalue() == "42\nT-1\n"


def test_formats_tuple():
    assert FORMATS == ("table", "json", "jsonl", "csv", "tsv")


def test_a_table_without_columns_still_has_a_line_a_row():
    """Found by review of the column-at-a-time tables: rows with no columns lost their (empty) lines."""
    from cs.output import _table_lines

    assert _table_lines([{}, {}], []) == ["", "", "", ""]
