# Needs (Debian): apt-get update && apt-get install -y chromium fonts-noto-cjk poppler-utils
"""Render a self-contained HTML report to PNG and A4 PDF with headless Chromium, for a person to look at.

Usage: python bench/render_report.py REPORT.html [--out DIR]

Writes, into DIR (default: the report's own folder):
  STEM.png        screenshot of an A4-ish viewport (1240x1754 CSS px)
  STEM.pdf        print output (the page's @page rules decide the paper; A4 if it says so)
  STEM-pdf-p1.png page 1 of the PDF as PNG (only if pdftoppm, from poppler-utils, is installed)
and prints each path on its own line. Exit 2: no Chromium found; exit 1: a render failed.
Stdlib only; no network is used (Chromium's background networking is switched off).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT = 60  # seconds, per Chromium run
VIEWPORT = "1240,1754"
BASE_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--no-default-browser-check", "--mute-audio",
]


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(browser: str, flags: list[str], url: str, expect: Path) -> None:
    """One headless run with a fresh profile; raise RuntimeError unless `expect` appears non-empty."""
    expect.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="cs-render-profile-") as profile:
        cmd = [browser, *BASE_FLAGS, f"--user-data-dir={profile}", *flags, url]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"chromium timed out after {TIMEOUT}s making {expect.name}") from None
    if not expect.is_file() or expect.stat().st_size == 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"chromium (exit {proc.returncode}) did not write {expect}\n{tail}")


def render(report: Path, out_dir: Path, browser: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    url = report.resolve().as_uri()
    png, pdf = out_dir / f"{report.stem}.png", out_dir / f"{report.stem}.pdf"
    run_chromium(browser, [f"--screenshot={png}", f"--window-size={VIEWPORT}", "--hide-scrollbars"], url, png)
    # Newer Chromium spells it --no-pdf-header-footer, older --print-to-pdf-no-header;
    # unknown switches are ignored, so pass both.
    run_chromium(browser, [f"--print-to-pdf={pdf}", "--no-pdf-header-footer", "--print-to-pdf-no-header"],
                 url, pdf)
    outputs = [png, pdf]
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:
        prefix = out_dir / f"{report.stem}-pdf-p1"
        subprocess.run([pdftoppm, "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
                       check=True, timeout=TIMEOUT, capture_output=True)
        outputs.append(prefix.with_suffix(".png"))
    return outputs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Render an HTML report to PNG and A4 PDF with headless Chromium.")
    ap.add_argument("report", type=Path, help="the .html file")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: the report's folder)")
    args = ap.parse_args(argv)
    if not args.report.is_file():
        print(f"error: no such file: {args.report}", file=sys.stderr)
        return 1
    browser = find_browser()
    if browser is None:
        print("error: no Chromium found on PATH (looked for " + ", ".join(BROWSERS) + ").\n"
              "Install it with: apt-get install -y chromium fonts-noto-cjk poppler-utils", file=sys.stderr)
        return 2
    start = time.monotonic()
    try:
        outputs = render(args.report, args.out or args.report.resolve().parent, browser)
    except (RuntimeError, subprocess.SubprocessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in outputs:
        print(path)
    print(f"rendered in {time.monotonic() - start:.1f}s with {browser}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
