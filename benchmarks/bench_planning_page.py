"""How long a manager waits on the planning page: an 8-hour plan on the demo reserve, from the click on
"Plan routes" until the first route (and all of them) are drawn, through the real worker.

Needs the demo running (`make demo`, or a web server and a Celery worker on a seeded database):
    .venv/bin/python benchmarks/bench_planning_page.py [--url http://127.0.0.1:8000] [--runs 3] [--routes 3]
Prints one line per run and the medians. Without a server at --url it says so and exits 0 (nothing measured).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import urllib.request

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="manager")
    parser.add_argument("--password", default="irbis-demo")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--routes", type=int, default=3)
    parser.add_argument("--hours", type=float, default=8.0)
    args = parser.parse_args()
    try:
        urllib.request.urlopen(f"{args.url}/healthz", timeout=5)  # noqa: S310
    except OSError as exc:
        print(f"no Irbis at {args.url} ({exc}): start the demo first (make demo); nothing measured")
        return 0
    first, full = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US").new_page()
        page.goto(f"{args.url}/login/?next=/planning/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_selector("#plan-map[data-ready='1']")
        for run in range(args.runs):
            page.fill("[data-testid=hours]", f"{args.hours:g}")
            page.fill("input[name=alternatives]", str(args.routes))
            page.click("[data-testid=plan]")
            page.wait_for_selector("#plan-map[data-all-routes-ms]", timeout=300_000)
            error = page.locator("[data-testid=plan-error]")
            if error.is_visible():
                print(f"run {run + 1}: {error.inner_text()}")
                return 1
            first.append(int(page.get_attribute("#plan-map", "data-first-route-ms")))
            full.append(int(page.get_attribute("#plan-map", "data-all-routes-ms")))
            cards = page.locator("[data-testid=route-card]").count()
            print(f"run {run + 1}: first route on screen {first[-1] / 1000:.2f} s, all {cards} routes "
                  f"{full[-1] / 1000:.2f} s", flush=True)  # fmt: skip
        browser.close()
    print(f"median: first route {statistics.median(first) / 1000:.2f} s (goal < 5 s), "
          f"all {args.routes} routes {statistics.median(full) / 1000:.2f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
