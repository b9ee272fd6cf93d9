"""Start-up time: `manage.py help`, a web process and a worker process, each in a fresh interpreter.

Baseline, measured in the same run: `python -m django help` without settings (Django's own management
start, no project apps); the ratio says what Irbis adds on this machine. Median of --runs runs each.

Usage: .venv/bin/python benchmarks/bench_startup.py [--runs 5]
Goal: under 1 s for `manage.py help` and for every process.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROBE = REPO / "tests" / "startup_probe.py"


def seconds(args: list[str], runs: int, *, settings: str | None = "config.settings.dev") -> float:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, cwd=REPO, env=env, check=True, capture_output=True)  # noqa: S603
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    baseline = seconds([python, "-m", "django", "help"], args.runs, settings=None)
    figures = {
        "manage.py help": seconds([python, "manage.py", "help"], args.runs),
        "web process (WSGI app, every URL and admin module)": seconds([python, str(PROBE), "web"], args.runs),
        "worker process (Celery app and every tasks module)": seconds([python, str(PROBE), "worker"], args.runs),
    }
    print(f"baseline, python -m django help (no project): {baseline:.2f} s (median of {args.runs})")
    for name, value in figures.items():
        print(f"{name}: {value:.2f} s ({value / baseline:.1f}x the baseline)")
    met = all(value < 1.0 for value in figures.values())
    print(f"goal < 1 s each: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
