#!/usr/bin/env python3
"""Opens a page in the system's headless Chromium (Debian's `chromium`, driven by Playwright from
PyPI; Playwright's own browser download is never used) and fails on anything a reader would
notice: a console error, an uncaught exception, a failed or off-machine request, or a missing
element.

    scripts/page-check.py URL [--expect CSS_SELECTOR]... [--screenshot OUT.png]

Prints the load time and the number of elements each selector matched. Exit 0: all good;
1: a problem (each printed); 2: usage or no browser. Host names never resolve
(--host-resolver-rules), so a page that tries the network fails instead of reaching it.
"""

import shutil
import sys
import time


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__)
        return 2
    url = args[0]
    expect, shot = [], None
    i = 1
    while i < len(args):
        if args[i] == "--expect" and i + 1 < len(args):
            expect.append(args[i + 1])
            i += 2
        elif args[i] == "--screenshot" and i + 1 < len(args):
            shot = args[i + 1]
            i += 2
        else:
            print(f"unknown argument {args[i]}")
            return 2
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium not found: apt-get install chromium")
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright not found: pip install playwright")
        return 2
    problems = []
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"uncaught exception: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
        page.on(
            "request",
            lambda r: r.url.split(":", 1)[0] not in ("file", "data", "about")
            and problems.append(f"request off the file: {r.url}"),
        )
        try:
            page.goto(url, wait_until="load")
            loaded = time.monotonic() - started
            for sel in expect:
                n = page.locator(sel).count()
                print(f"{sel}: {n}")
                if n == 0:
                    problems.append(f"nothing matches {sel}")
            if shot:
                page.screenshot(path=shot, full_page=False)
        except Exception as e:  # a page that cannot load at all
            problems.append(f"load failed: {str(e).splitlines()[0]}")
            loaded = time.monotonic() - started
        browser.close()
    for problem in problems:
        print("PROBLEM", problem)
    print(f"{url}: loaded in {loaded:.2f}s, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
