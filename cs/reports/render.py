"""Rendering a report (cs.reports data) as text, Markdown, HTML or JSON with Jinja2 templates.

HTML is autoescaped and Markdown escapes its specials, so ticket text such as `<script>` or
`{{ 1 + 1 }}` is shown literally: data is never template source. Templates run sandboxed, a
user's own (`--template`) included.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from cs.core.ratio import percent

FORMATS = ("text", "md", "html", "json")
EXTENSIONS = {"text": "txt", "md": "md", "html": "html", "json": "json"}
TEMPLATES = Path(__file__).resolve().parent / "templates"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~-])")


def render(report: dict, fmt: str, lang: str, template_text: str | None = None) -> str:
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from cs.reports.figures import labels

    env = SandboxedEnvironment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=fmt == "html",
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                               undefined=StrictUndefined)
    names = report.get("names") or {}
    env.filters.update(pct=percent, minutes=lambda s: minutes(s, lang), md=markdown_text, one_line=one_line,
                       who=lambda handle: _who(names, handle), last_day=last_day,
                       act=lambda code: labels(lang)["action"].get(code, code))
    from jinja2 import TemplateError

    from cs.core.errors import CSError
    from cs.core.i18n import _

    family = report["kind"] if report["kind"] in ("month", "week", "staffing") else "window"
    try:
        template = (env.from_string(template_text) if template_text is not None
                    else env.get_template(f"{family}.{EXTENSIONS[fmt]}.j2"))
        return template.render(r=report, L=labels(lang), T=labels(lang)["text"], lang=lang, chart=chart(report))
    except TemplateError as exc:  # syntax errors, unknown fields, and what the sandbox refuses
        where = _(" (line {line})").format(line=exc.lineno) if getattr(exc, "lineno", None) else ""
        raise CSError(_("the template cannot be rendered{where}: {error}").format(where=where,
                                                                                  error=exc.message or exc)) from None
    except Exception as exc:
        if template_text is None:
            raise  # our own templates failing is a bug, not the user's mistake
        raise CSError(_("the template failed while rendering: {error_type}: {error}").format(
            error_type=type(exc).__name__, error=exc)) from None


def minutes(seconds, lang: str) -> str:
    if seconds is None:
        return "—"
    return f"{seconds / 60:.1f} {'分钟' if lang == 'zh' else 'min'}"


def _who(names: dict, handle) -> str:
    """An agent as reports show them: the name, with the handle when agents the report names share it."""
    if not handle:
        return "-"
    name = names.get(handle)
    if not name:
        return handle
    shared = sum(1 for other in names.values() if other == name) > 1
    return f"{name}({handle})" if shared else name


def last_day(end: str) -> str:
    """The last day of a period given by its exclusive end (2026-12-01T00:00+08:00 -> 2026-11-30): a month is
    shown as 2026-11-01 – 2026-11-30, as people say it."""
    from datetime import date, timedelta

    return (date.fromisoformat(end[:10]) - timedelta(days=1)).isoformat()


def markdown_text(value) -> str:
    """Text shown literally in Markdown: specials escaped, no raw HTML, one line."""
    text = one_line(value)
    return _MD_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;")


def one_line(value) -> str:
    return " ".join(str("" if value is None else value).split())


def chart(report: dict) -> dict | None:
    """Geometry of the tickets-per-hour bar chart drawn as inline SVG."""
    hours = report.get("tickets", {}).get("by_hour")
    if not hours:
        return None
    top = max(max(h["tickets"] for h in hours), 1)
    width, height, left, bottom = 640, 180, 30, 24
    step = (width - left) / len(hours)
    bars = [{"x": round(left + i * step + step * 0.15, 1), "w": round(step * 0.7, 1),
             "h": round((height - bottom - 10) * h["tickets"] / top, 1), "label": h["hour"][:2],
             "value": h["tickets"]} for i, h in enumerate(hours)]
    for bar in bars:
        bar["y"] = round(height - bottom - bar["h"], 1)
        bar["cx"] = round(bar["x"] + bar["w"] / 2, 1)
    return {"width": width, "height": height, "base": height - bottom, "top": top, "bars": bars}
