"""A real browser beside the floor: do the pages render under load? (bench/floor.py --browser)

    python bench/floor_browser.py --url http://127.0.0.1:PORT --accounts data/floor-accounts.json

Headless Chromium (Debian's) signs in as a manager, opens each page below through the
sidebar ``--rounds`` times, and waits as a person would for the page to be drawn: connected,
script finished, no skeleton left, its title shown, and no exception or error alert. Prints one
JSON line: per page, seconds from the click to drawn, and what went wrong; screenshots of the
last round go to bench/results/floor-browser-<page>.png.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = ("Online", "Online advanced", "Payment options log", "All leads", "Sales dashboard")
TIMEOUT_MS = 120_000


def drawn(page, title: str) -> None:
    app = page.locator("[data-testid='stApp']")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=TIMEOUT_MS)
    expect(page.get_by_role("heading", level=1).first).to_have_text(title, timeout=TIMEOUT_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=TIMEOUT_MS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--accounts", default=str(REPO / "data" / "floor-accounts.json"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    account = json.loads(Path(args.accounts).read_text())["managers"][0]
    seconds: dict[str, list[float]] = {title: [] for title in PAGES}
    problems: list[str] = []
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(args.url)
        drawn(page, "Sign in to Starboard")
        page.get_by_label("Email").fill(account["email"])
        page.get_by_label("Password", exact=True).fill(account["password"])
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Sign out").wait_for(timeout=TIMEOUT_MS)
        for round_ in range(args.rounds):
            for title in PAGES:
                started = time.monotonic()
                try:
                    nav = page.get_by_test_id("stSidebarNav")
                    link = nav.get_by_role("link", name=title, exact=True)
                    more = nav.get_by_text(re.compile(r"View \d+ more"))
                    if not link.count() and more.count():  # the sidebar folds long sections
                        more.first.click()
                    link.click()
                    drawn(page, title)
                    seconds[title].append(time.monotonic() - started)
                    for test_id in ("stException", "stAlertContentError"):
                        if page.get_by_test_id(test_id).count():
                            problems.append(
                                f"{title}: {page.get_by_test_id(test_id).first.inner_text()}"
                            )
                    if round_ == args.rounds - 1:
                        name = title.lower().replace(" ", "_")
                        page.screenshot(path=str(out / f"floor-browser-{name}.png"), full_page=True)
                except Exception as error:  # noqa: BLE001 - a page that did not draw: say which
                    problems.append(f"{title}: {type(error).__name__}: {str(error)[:200]}")
        browser.close()
    print(
        json.dumps(
            {
                "pages": {
                    title: {
                        "views": len(values),
                        "p50": round(statistics.median(values), 2) if values else None,
                        "max": round(max(values), 2) if values else None,
                    }
                    for title, values in seconds.items()
                },
                "problems": problems,
            }
        )
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
