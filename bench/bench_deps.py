"""The packages of the product card, measured against what `cs` does itself.

    python bench/bench_deps.py [--runs 21] [--render-runs 7]

Prints one Markdown table (every baseline measured in the same run) and notes:

- import cost of tabulate, sqlite_utils, dateutil.rrule, dateutil.relativedelta, jinja2, click and
  the own renderer: median wall time of fresh `python -c "import X"` minus `python -c pass`, and the
  `-X importtime` cumulative time of the modules that import brings in (median);
- rendering 2,000 rows x 6 columns of mixed Chinese/ASCII text: tabulate ("simple", with and
  without wide-character mode) vs the own table renderer (`render_list(rows, "table", out)`);
- correctness: alignment of Chinese text by display width, and whether escape sequences and
  control characters in a cell reach the terminal;
- sqlite-utils: `table.transform()` exists (and works on an in-memory table);
- python-dateutil: expanding an RFC 5545 rule over ten years, and `relativedelta(months=1)` on 31 January.

Standard library plus the packages measured; a package that is not installed is reported as such.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import io
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import unicodedata
from datetime import datetime

ROWS = 2_000
OWN_RENDERER_CANDIDATES = ("cs.output",)
NOT_INSTALLED = "not installed"


# --------------------------------------------------------------------------- helpers


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED


def importable(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except ImportError:
        return False


def own_renderer():
    """The module holding cs's `render_list` (cs.output; other places tried in case it moved)."""
    for name in OWN_RENDERER_CANDIDATES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "render_list"):
            return name, module
    return None, None


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def width(text: str) -> int:
    """Terminal columns of `text`, computed here independently of both renderers under test."""
    total = 0
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Mn", "Me", "Cf"):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


# --------------------------------------------------------------------------- import cost

_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")


def _importtime_set(stderr: str) -> dict[str, tuple[int, int]]:
    """module -> (cumulative µs, indent) for every line of `-X importtime` output."""
    found = {}
    for line in stderr.splitlines():
        m = _IMPORTTIME.match(line)
        if m:
            found[m.group(4)] = (int(m.group(2)), len(m.group(3)))
    return found


def import_costs(modules: list[tuple[str, str]], runs: int) -> tuple[float, dict]:
    """Median `python -c pass`, and per label: (median wall delta, median importtime cumulative µs).

    Runs are interleaved (pass, A, B, ..., pass, A, B, ...) so drift in machine load hits all alike.
    """
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    baseline_lines = _importtime_set(
        subprocess.run([sys.executable, "-X", "importtime", "-c", "pass"], env=env,
                       capture_output=True, text=True, check=True).stderr)
    walls: dict[str, list[float]] = {"pass": []}
    cumul: dict[str, list[int]] = {}
    for label, _ in modules:
        walls[label] = []
        cumul[label] = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        walls["pass"].append(time.perf_counter() - start)
        for label, code in modules:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            walls[label].append(time.perf_counter() - start)
            timed = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env,
                                   capture_output=True, text=True, check=True)
            lines = _importtime_set(timed.stderr)
            # top-level imports done by the -c code (nested ones are inside their parent's cumulative)
            top = sum(c for name, (c, indent) in lines.items()
                      if indent == 1 and name not in baseline_lines)
            cumul[label].append(top)
    base = statistics.median(walls["pass"])
    result = {label: (statistics.median(walls[label]) - base, statistics.median(cumul[label]))
              for label, _ in modules}
    return base, result


# --------------------------------------------------------------------------- rendering data

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高欧阳司马"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "桂兰", "建华"]
_SUMMARIES = [
    "空调不制冷，已派维修",
    "洗衣机 E4 报错，客户要求上门",
    "宽带断网 3 天，投诉升级",
    "Refund for order #A{n} not received",
    "冰箱异响（型号 BCD-{n}），预约周六",
    "账单金额有误：多扣 {n} 元",
    "App login fails with error 403",
    "催单：快递 SF{n} 三天未更新",
]
_STATUSES = ["新建", "处理中", "待回访", "已解决", "已关闭", "open"]


def make_rows(n: int, seed: int = 20261122) -> list[dict]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        name = rnd.choice(_SURNAMES) + "".join(rnd.choice(_GIVEN) for _ in range(rnd.randint(1, 2)))
        rows.append({
            "id": 100_000 + i,
            "customer": name,
            "phone": f"1{rnd.randint(3, 9)}{rnd.randint(0, 999_999_999):09d}",
            "summary": rnd.choice(_SUMMARIES).format(n=rnd.randint(10, 99_999)),
            "status": rnd.choice(_STATUSES),
            "created_at": f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T"
                          f"{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:00Z",
        })
    return rows


def best_of(fn, runs: int) -> float:
    """Median seconds of `runs` calls of fn (after one warm-up call)."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def tabulate_render(tabulate_mod, rows, wide: bool) -> str:
    saved = tabulate_mod.WIDE_CHARS_MODE
    tabulate_mod.WIDE_CHARS_MODE = wide
    try:
        return tabulate_mod.tabulate(rows, headers="keys", tablefmt="simple")
    finally:
        tabulate_mod.WIDE_CHARS_MODE = saved


def own_render(output_mod, rows) -> str:
    out = io.StringIO()
    output_mod.render_list(rows, "table", out)
    return out.getvalue()


# --------------------------------------------------------------------------- correctness


_ALIGN_ROWS = [
    {"name": "王伟", "code": "A1"},
    {"name": "欧阳建华", "code": "B2"},
    {"name": "Li", "code": "C3"},
]


def cursor_column(line: str, stop: int) -> int:
    """The column a terminal's cursor is at after drawing ``line[:stop]``: CSI and OSC sequences
    draw nothing, CR returns to column 0, BS steps back one, other control characters draw nothing."""
    col = 0
    i = 0
    while i < stop:
        m = _CSI.match(line, i) or _OSC.match(line, i)
        if m:
            i = m.end()
            continue
        ch = line[i]
        if ch == "\r":
            col = 0
        elif ch == "\b":
            col = max(0, col - 1)
        elif unicodedata.category(ch) != "Cc":
            col += width(ch)
        i += 1
    return col


_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_CODE = re.compile(r"(?:[A-C][1-3]|code)$")


def aligned(text: str) -> bool:
    """Does the second column (A1, B2, ...) start at the same terminal column on every line with one?"""
    starts = set()
    for line in text.split("\n"):
        m = _CODE.search(line.rstrip(" "))
        if m:
            starts.add(cursor_column(line, m.start()))
    return len(starts) == 1


_HOSTILE = [
    ("CSI colour", "\x1b[31mred"),
    ("OSC window title + BEL", "\x1b]0;owned\x07title"),
    ("backspace", "x\by"),
    ("carriage return", "a\rb"),
]


def hostile_verdict(text: str, cell: str, rows: int) -> tuple[str, str]:
    """What a renderer did with a hostile cell, and the repr of the line(s) holding it."""
    controls = {ch for ch in cell if unicodedata.category(ch) == "Cc"}
    lines = [line for line in text.split("\n") if line]
    passed = sorted(repr(ch)[1:-1] for ch in controls if ch in text)
    extra = len(lines) - (rows + 2)  # header + rule + one line a row
    parts = []
    parts.append(("passes " + " ".join(passed) + " unmodified") if passed else "no control character left")
    if _CSI.search(text) and "\x1b[0m" not in text:
        parts.append("colour left on for all later output")
    if extra > 0:
        parts.append(f"row split over {extra + 1} lines")
    parts.append("columns aligned" if aligned(text) else "columns MISALIGNED")
    shown = [repr(line) for line in lines[2:2 + 1 + max(extra, 0)]]
    return "; ".join(parts), " + ".join(shown)


def no_wcwidth_tabulate_check() -> str:
    """Run tabulate in a child with `wcwidth` blocked: is Chinese text still aligned?"""
    code = (
        "import sys; sys.modules['wcwidth'] = None\n"
        "import tabulate\n"
        f"rows = {_ALIGN_ROWS!r}\n"
        "print(tabulate.WIDE_CHARS_MODE)\n"
        "print(tabulate.tabulate(rows, headers='keys', tablefmt='simple'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mode, _, table = done.stdout.partition("\n")
    return mode, table


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="fresh interpreters per import (>= 15)")
    parser.add_argument("--render-runs", type=int, default=7, help="timed renders of the 2,000 rows")
    args = parser.parse_args()

    versions = {d: version(d) for d in ("tabulate", "wcwidth", "sqlite-utils", "python-dateutil",
                                        "jinja2", "click", "pytest")}
    own_name, own = own_renderer()
    has = {
        "tabulate": importable("tabulate"),
        "wcwidth": importable("wcwidth"),
        "sqlite_utils": importable("sqlite_utils"),
        "dateutil": importable("dateutil.rrule") and importable("dateutil.relativedelta"),
        "jinja2": importable("jinja2"),
        "click": importable("click"),
    }
    table: list[tuple[str, str, str, str]] = []  # figure, result, baseline (same run), ratio/difference
    notes: list[str] = []

    # 1. import cost ---------------------------------------------------------------------------
    candidates = [
        ("`import sqlite3` (stdlib)", "import sqlite3", True),
        (f"`import {own_name or 'cs.output'}` (own renderer)", f"import {own_name}", own is not None),
        (f"`import tabulate` {versions['tabulate']} (+ wcwidth {versions['wcwidth']})",
         "import tabulate", has["tabulate"] and has["wcwidth"]),
        (f"`import tabulate` {versions['tabulate']}, wcwidth blocked",
         "import sys; sys.modules['wcwidth'] = None; import tabulate", has["tabulate"]),
        (f"`import sqlite_utils` {versions['sqlite-utils']}", "import sqlite_utils", has["sqlite_utils"]),
        (f"`import dateutil.rrule` {versions['python-dateutil']}", "import dateutil.rrule", has["dateutil"]),
        (f"`import dateutil.relativedelta` {versions['python-dateutil']}", "import dateutil.relativedelta",
         has["dateutil"]),
        (f"`import jinja2` {versions['jinja2']}", "import jinja2", has["jinja2"]),
        (f"`import click` {versions['click']}", "import click", has["click"]),
    ]
    modules = [(label, code) for label, code, ok in candidates if ok]
    base, costs = import_costs(modules, args.runs)
    for label, code, ok in candidates:
        if not ok:
            table.append((label, NOT_INSTALLED, "", ""))
            continue
        delta, cumulative = costs[label]
        table.append((label, f"+{delta * 1000:.1f} ms wall; {cumulative / 1000:.1f} ms importtime",
                      f"`python -c pass` {ms(base)}", f"{(base + delta) / base:.2f}× pass"))

    # 2. rendering speed -------------------------------------------------------------------------
    rows = make_rows(ROWS)
    per_k = 1000 / ROWS
    own_t = None
    if own is not None:
        own_t = best_of(lambda: own_render(own, rows), args.render_runs)
        table.append((f"{own_name} `render_list(rows, \"table\", StringIO)`, {ROWS:,} × 6 CJK/ASCII",
                      f"{own_t * 1000 * per_k:.1f} ms / 1,000 rows", "", "1.00 (baseline)"))
    else:
        table.append(("own renderer", "not importable", "", ""))
    if has["tabulate"]:
        import tabulate as tabulate_mod

        modes = [(True, "wide-char mode (wcwidth)")] if has["wcwidth"] else []
        modes.append((False, "WIDE_CHARS_MODE off"))
        for wide, what in modes:
            t = best_of(lambda: tabulate_render(tabulate_mod, rows, wide), args.render_runs)
            ratio = f"{t / own_t:.2f}× own" if own_t else ""
            table.append((f"tabulate \"simple\", {what}, same rows", f"{t * 1000 * per_k:.1f} ms / 1,000 rows",
                          f"own {own_t * 1000 * per_k:.1f} ms" if own_t else "", ratio))
    else:
        table.append(("tabulate rendering", NOT_INSTALLED, "", ""))

    # 3. correctness: alignment and hostile cells -------------------------------------------------
    if own is not None:
        text = own_render(own, _ALIGN_ROWS)
        table.append((f"{own_name}: Chinese names aligned by display width", "yes" if aligned(text) else "NO", "", ""))
    if has["tabulate"]:
        if has["wcwidth"]:
            text = tabulate_render(tabulate_mod, _ALIGN_ROWS, True)
            table.append(("tabulate with wcwidth: Chinese names aligned", "yes" if aligned(text) else "NO", "", ""))
        mode, text = no_wcwidth_tabulate_check()
        table.append(("tabulate, wcwidth blocked (as if not installed): Chinese names aligned",
                      "yes" if aligned(text) else "NO", "", f"WIDE_CHARS_MODE={mode.strip()}"))
        extras = importlib.metadata.requires("tabulate") or []
        notes.append("tabulate declares wcwidth only as an extra: " + ", ".join(extras)
                     + " (so `pip install tabulate[widechars]`)")
        notes.append("tabulate without wcwidth: " + "; ".join(repr(l) for l in text.split("\n")[2:4]))
    for what, cell in _HOSTILE:
        rows_h = [{"name": cell, "code": "A1"}] + _ALIGN_ROWS[:2]
        verdicts = []
        for label, render in (("tabulate", (lambda r: tabulate_render(tabulate_mod, r, has["wcwidth"]))
                               if has["tabulate"] else None),
                              (own_name or "own", (lambda r: own_render(own, r)) if own is not None else None)):
            if render is None:
                verdicts.append((NOT_INSTALLED, ""))
                continue
            verdict, shown = hostile_verdict(render(rows_h), cell, len(rows_h))
            verdicts.append((verdict, shown))
            notes.append(f"{label}, {what} cell {cell!r}: {shown}")
        table.append((f"cell {cell!r} ({what}): tabulate | own", verdicts[0][0], verdicts[1][0], ""))
    if has["wcwidth"]:
        import wcwidth

        notes.append(f"wcwidth.wcswidth of 'x\\by', 'a\\rb', the OSC title cell: "
                     f"{wcwidth.wcswidth(_HOSTILE[2][1])}, {wcwidth.wcswidth(_HOSTILE[3][1])}, "
                     f"{wcwidth.wcswidth(_HOSTILE[1][1])} (-1 = not printable: tabulate pads those rows wrongly)")

    # 4. sqlite-utils --------------------------------------------------------------------------------
    if has["sqlite_utils"]:
        import sqlite_utils

        db = sqlite_utils.Database(memory=True)
        t = db.table("t")
        exists = callable(getattr(t, "transform", None))
        works = "n/a"
        if exists:
            t.insert_all([{"id": 1, "summary": "空调不制冷", "n": "3"}], pk="id")
            t.transform(rename={"summary": "title"}, types={"n": int})
            cols = {c.name: c.type for c in db.table("t").columns}
            works = "works" if cols.get("title") == "TEXT" and cols.get("n") == "INTEGER" else f"odd: {cols}"
        table.append((f"sqlite-utils {versions['sqlite-utils']}: `Database(...).table(\"t\").transform`",
                      f"{'exists' if exists else 'MISSING'}; rename + retype on a memory table {works}", "", ""))
        requires = importlib.metadata.requires("sqlite-utils") or []
        notes.append("sqlite-utils requires: " + ", ".join(sorted({re.split(r"[ ;<>=!~\[]", r)[0] for r in requires
                                                                   if "extra ==" not in r})))
    else:
        table.append(("sqlite-utils `table.transform`", NOT_INSTALLED, "", ""))

    # 5. python-dateutil ------------------------------------------------------------------------------
    if has["dateutil"]:
        from dateutil.relativedelta import relativedelta
        from dateutil.rrule import rrulestr

        rule = "FREQ=MONTHLY;INTERVAL=6"
        start, until = datetime(2026, 1, 15, 9, 0), datetime(2036, 1, 14, 23, 59)

        def expand(dtstart=start):
            return list(rrulestr(rule, dtstart=dtstart).between(dtstart, until, inc=True))

        occurrences = expand()
        t = best_of(expand, max(args.render_runs, 50))
        table.append((f"dateutil `rrulestr(\"{rule}\")` expanded over 10 years (parse + expand)",
                      f"{t * 1e6:.0f} µs, {len(occurrences)} dates", "", ""))
        aug31 = expand(datetime(2026, 8, 31, 9, 0))
        notes.append(f"rrule from 2026-08-31, {rule}: {len(aug31)} dates, "
                     f"{', '.join(d.strftime('%Y-%m-%d') for d in aug31[:3])}, … "
                     "(February has no 31st: RFC 5545 skips it, it does not clamp)")
        jan31 = [datetime(2026, 1, 31), datetime(2028, 1, 31)]
        shown = ", ".join(f"{d:%Y-%m-%d} + 1 month = {d + relativedelta(months=1):%Y-%m-%d}" for d in jan31)
        chained = datetime(2026, 1, 31) + relativedelta(months=1) + relativedelta(months=1)
        once = datetime(2026, 1, 31) + relativedelta(months=2)
        table.append(("dateutil `relativedelta(months=1)` on 31 January", shown, "", ""))
        notes.append(f"relativedelta is not associative: 2026-01-31 +1 month +1 month = {chained:%Y-%m-%d}, "
                     f"+2 months = {once:%Y-%m-%d}")
    else:
        table.append(("python-dateutil rrule / relativedelta", NOT_INSTALLED, "", ""))

    # print ---------------------------------------------------------------------------------------------
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs; "
          f"imports: median of {args.runs} fresh interpreters; renders: median of {args.render_runs}")
    print("versions: " + ", ".join(f"{d} {v}" for d, v in versions.items()))
    print()
    print("| figure | result | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    print()
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
