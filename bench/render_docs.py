# Needs (Debian): apt-get install -y chromium fonts-noto-cjk
"""The README's report screenshots: the demo centre's Chinese shift (值班日志), week and month reports as
HTML, rendered by headless Chromium into docs/.

    python bench/render_docs.py [--out docs] [--keep DIR]

The desk is `cs demo` built at a fixed clock (--now 2026-11-20T18:30 Asia/Shanghai, seed 2026), so the same
code draws the same pictures. Writes docs/report-shift-zh.png, report-week-zh.png, report-month-zh.png (and
the HTML beside them with --keep DIR). Exit 2 without Chromium.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import cs_command  # noqa: E402
from render_report import find_browser, run_chromium  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-20T18:30:00+08:00"
REPORTS = {
    "shift": ["report", "shift", "--date", "2026-11-20", "--shift", "day"],
    "week": ["report", "week", "--week", "2026-11-12"],
    "month": ["report", "month", "--month", "2026-11"],
}
WINDOW = {"shift": "1100,1800", "week": "1100,700", "month": "1100,2100"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--keep", type=Path, help="also keep the HTML files in this folder")
    args = parser.parse_args()
    browser = find_browser()
    if browser is None:
        print("error: no Chromium on PATH; apt-get install -y chromium fonts-noto-cjk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cs-docs-") as work:
        work = Path(work)
        env = {**os.environ, "CS_DB": str(work / "demo.db"), "CS_NOW": NOW, "CS_TZ": "Asia/Shanghai",
               "CS_LANG": "zh", "HOME": str(work), "XDG_DATA_HOME": str(work)}
        env.pop("CS_AGENT", None)
        subprocess.run(cs_command("demo", "--db", str(work / "demo.db")), env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        html_dir = args.keep or work
        html_dir.mkdir(parents=True, exist_ok=True)
        args.out.mkdir(parents=True, exist_ok=True)
        for name, command in REPORTS.items():
            html = html_dir / f"report-{name}-zh.html"
            subprocess.run(cs_command(*command, "--format", "html", "-o", str(html)), env=env, check=True,
                           stdout=subprocess.DEVNULL)
            png = args.out / f"report-{name}-zh.png"
            run_chromium(browser, [f"--screenshot={png}", f"--window-size={WINDOW[name]}", "--hide-scrollbars"],
                         html.resolve().as_uri(), png)
            print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
