"""The README's "主管的前十分钟" is real: every command of its console block is run as written, in a fresh
directory with no CS_* variables but those the block exports, and must print exactly the lines under it
(what a terminal shows: the notices on stderr first, then stdout)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
CS = shutil.which("cs")


def first_ten_minutes() -> list[tuple[str, list[str]]]:
    text = README.read_text("utf-8")
    section = text.split("## 主管的前十分钟", 1)[1]
    block = re.search(r"```console\n(.*?)```", section, re.S).group(1)
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def test_the_readmes_first_ten_minutes_are_what_cs_prints(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("CS_")}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "xdg"))
    steps = first_ten_minutes()
    assert len(steps) >= 12
    for command, expected in steps:
        words = shlex.split(command)
        if words[0] == "export":
            env.update(word.split("=", 1) for word in words[1:])
            continue
        assert words[0] == "cs", command
        argv = ([CS] if CS else [sys.executable, "-m", "cs"]) + words[1:]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        shown = (done.stderr + done.stdout).rstrip("\n").splitlines()
        assert shown == expected, (command, shown)
