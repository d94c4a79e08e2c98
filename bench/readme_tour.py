"""Run the README's console examples again and write their real output back into the README.

    python bench/readme_tour.py [--check] [--readme README.md] [--workdir DIR]

Every ```console block from "## A short tour" up to the next top-level section that follows it is
replayed in order, in one bash session per README (so `export` lines and the tour's database carry
from block to block), in an empty working directory with a fixed environment: CS_NOW and CS_TZ as the
tour states, no CS_DB (the first block builds it), CS_LANG=en unless a command says --lang. A command
is a line starting with `$ `; a line ending with a backslash continues it. Its output is what the
command printed on stdout and stderr, as a user sees it.

With --check nothing is written: the script exits 1 and lists the blocks whose output differs, so the
README's "the outputs below are real" can be checked before a release.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = "## A short tour"
END_SECTIONS = ("## Spreadsheets in and out",)  # the tour's last block comes before this
ENV = {"CS_NOW": "2026-11-20T16:00+08:00", "CS_TZ": "Asia/Shanghai", "CS_LANG": "en", "COLUMNS": "120"}
MARK = "__CS_README_TOUR_END__"


def blocks(text: str) -> list[tuple[int, int, list[str]]]:
    """(first line, last line, commands) of each console block of the tour, line numbers into text.splitlines()."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(START))
    end = next((i for i, line in enumerate(lines) if i > start and line.startswith(END_SECTIONS)), len(lines))
    found, i = [], start
    while i < end:
        if lines[i].strip() == "```console":
            j = i + 1
            while lines[j].strip() != "```":
                j += 1
            found.append((i + 1, j, commands(lines[i + 1:j])))
            i = j
        i += 1
    return found


def commands(body: list[str]) -> list[str]:
    found, current = [], None
    for line in body:
        if current is not None:
            current += "\n" + line
            if not line.endswith("\\"):
                found.append(current)
                current = None
        elif line.startswith("$ "):
            if line.endswith("\\"):
                current = line[2:]
            else:
                found.append(line[2:])
    return found


def replay(all_blocks, workdir: Path) -> list[list[str]]:
    """Each block's new body: its commands as written, each followed by what it printed (stdout and
    stderr together, as on a terminal)."""
    script = []
    for _, _, cmds in all_blocks:
        for cmd in cmds:
            # An export must stay in the session; everything else prints its errors where a user sees them.
            script.append(cmd if cmd.startswith("export ") else f"{{ {cmd}\n}} 2>&1")
            script.append(f"echo {MARK}")
    env = {key: value for key, value in os.environ.items() if not key.startswith("CS_")}
    env.update(ENV, HOME=str(workdir), XDG_DATA_HOME=str(workdir / "xdg"))
    result = subprocess.run(["bash", "-c", "\n".join(script) + "\n"], cwd=workdir, env=env, capture_output=True,
                            text=True, stdin=subprocess.DEVNULL)
    outputs = result.stdout.split(MARK + "\n")
    if len(outputs) - 1 != sum(len(c) for _, _, c in all_blocks):
        raise SystemExit(f"the replay stopped early:\n{result.stderr[-2000:]}")
    bodies, k = [], 0
    for _, _, cmds in all_blocks:
        body = []
        for cmd in cmds:
            first, *rest = cmd.split("\n")
            body += ["$ " + first, *rest, *outputs[k].rstrip("\n").splitlines()]
            k += 1
        bodies.append(body)
    return bodies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--check", action="store_true", help="only say which blocks differ")
    parser.add_argument("--workdir", type=Path, help="where to replay (default: a new temporary directory)")
    args = parser.parse_args()
    text = args.readme.read_text(encoding="utf-8")
    found = blocks(text)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        bodies = replay(found, workdir)
    lines = text.splitlines()
    changed = []
    for (first, last, _), body in zip(reversed(found), reversed(bodies)):
        if lines[first:last] != body:
            changed.append((first, lines[first:last], body))
            lines[first:last] = body
    if args.check:
        for first, old, new in reversed(changed):
            sys.stdout.writelines(difflib.unified_diff([line + "\n" for line in old], [line + "\n" for line in new],
                                                       f"README.md:{first + 1}", "replayed"))
        return 1 if changed else 0
    args.readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(changed)} of {len(found)} blocks rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
