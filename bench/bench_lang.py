"""Start-up with the message catalogue loaded (issue 19): `cs ticket add` in Chinese and English against the
same command from an earlier revision (before the catalogues), run interleaved so both see the same machine.

    python bench/bench_lang.py [--base REV] [--runs 41]

REV (default fb74340, the last commit before gettext) is checked out into a temporary worktree; both trees run
as `python -m cs` from their own folder with the same fresh desk, so only the code differs. Prints the medians
and the ratio current/base for each language (target: at most 1.05).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADD = ["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "咨询会员积分",
       "--phone", "13800138000"]


def timed(tree: Path, env: dict, args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cs", *args], cwd=tree, env={**env, "PYTHONPATH": str(tree)}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="fb74340")
    parser.add_argument("--runs", type=int, default=41)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cs-bench-lang-") as work:
        work = Path(work)
        base = work / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base], check=True,
                       capture_output=True)
        try:
            print(f"cs ticket add, median of {args.runs} runs each, interleaved; base {args.base}")
            for lang in ("zh", "en"):
                times: dict[str, list[float]] = {"base": [], "current": []}
                for name, tree in (("base", base), ("current", ROOT)):
                    env = {**os.environ, "CS_DB": str(work / f"{name}-{lang}.db"), "CS_TZ": "Asia/Shanghai",
                           "CS_AGENT": "bench", "CS_LANG": lang, "PYTHONDONTWRITEBYTECODE": ""}
                    subprocess.run([sys.executable, "-m", "cs", "agent", "add", "bench", "--name", "Bench"],
                                   cwd=tree, env={**env, "PYTHONPATH": str(tree)}, check=True, capture_output=True)
                for _ in range(args.runs):
                    for name, tree in (("base", base), ("current", ROOT)):
                        env = {**os.environ, "CS_DB": str(work / f"{name}-{lang}.db"), "CS_TZ": "Asia/Shanghai",
                               "CS_AGENT": "bench", "CS_LANG": lang}
                        times[name].append(timed(tree, env, ADD))
                b, c = statistics.median(times["base"]), statistics.median(times["current"])
                print(f"  {lang}: base {b * 1000:.1f} ms, current {c * 1000:.1f} ms, ratio {c / b:.3f}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], capture_output=True)


if __name__ == "__main__":
    main()
