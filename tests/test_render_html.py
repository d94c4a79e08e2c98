"""bench/render_report.py turns a self-contained Chinese HTML report into a PNG and an A4 PDF (needs Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "render_report.py"
BARS = "".join(
    f'<rect x="{20 + i * 70}" y="{180 - h}" width="50" height="{h}" fill="#2b6cb0"/>'
    f'<text x="{45 + i * 70}" y="198" text-anchor="middle" font-size="13">{label}</text>'
    for i, (label, h) in enumerate([("白班", 120), ("中班", 80), ("夜班", 150)])
)
PAGE = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>值班日志</title>
<style>@page {{ size: A4; margin: 15mm }} body {{ font-family: "Noto Sans CJK SC", sans-serif }}
h1 {{ color: #1a365d }} td {{ border: 1px solid #999; padding: 4px 8px }}</style></head><body>
<h1>值班日志 白班</h1><p>客户 王先生 反映：空调漏水，已派单维修。</p>
<table><tr><td>工单</td><td>状态</td></tr><tr><td>空调漏水</td><td>处理中</td></tr></table>
<svg width="240" height="200" viewBox="0 0 240 200" xmlns="http://www.w3.org/2000/svg">{BARS}</svg>
</body></html>"""


@pytest.mark.skipif(
    not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")),
    reason="no Chromium on PATH (apt-get install -y chromium fonts-noto-cjk)",
)
def test_render_report_png_and_a4_pdf(tmp_path):
    report = tmp_path / "report.html"
    report.write_text(PAGE, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(SCRIPT), str(report), "--out", str(out)],
                          capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stderr
    png, pdf = out / "report.png", out / "report.pdf"
    assert str(png) in proc.stdout and str(pdf) in proc.stdout
    assert png.stat().st_size > 5_000 and pdf.stat().st_size > 5_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", data)
    assert boxes, "no MediaBox in the PDF"
    for box in boxes:
        x0, y0, x1, y1 = (float(v) for v in box)
        assert abs((x1 - x0) - 595) <= 2 and abs((y1 - y0) - 842) <= 2, box
