"""Run the automated accessibility check of the géoportail and write its results.

Writes ``src/proximite/data/web/accessibility_check.json``, shown on the accessibility
statement page (/accessibilite). Same check as ``tests/test_web_page.py``: axe-core
(npm) in Debian's headless Chromium, driven by Playwright, over the Lozère demo.

    .venv/bin/python scripts/check_accessibility.py

Exits 1 if any level A/AA violation is found (the file is written anyway, so that the
statement stays honest).
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from datetime import date
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from proximite.web.a11y_check import (
    AXE_PATH,
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    check_pages,
    describe_violations,
    summarise,
    write_results,
)
from proximite.web.app import create_app
from proximite.web.store import PortalData

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "proximite" / "data" / "web" / "accessibility_check.json"


def main() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(PortalData.demo()), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM_PATH,
                                             args=list(CHROMIUM_ARGS))
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            checked = check_pages(page, f"http://127.0.0.1:{port}")
            version = browser.version
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    axe_version = json.loads((AXE_PATH.parent / "package.json").read_text())["version"]
    pages = [summarise(name, results) for name, results in checked]
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    write_results(TARGET, pages, axe_version=axe_version, browser_version=version,
                  date=date.today().isoformat())
    failed = False
    for name, results in checked:
        print(f"{name}: {len(results['violations'])} violation(s), "
              f"{len(results['passes'])} rule(s) passed")
        if results["violations"]:
            failed = True
            print(describe_violations(results))
    print(f"written: {TARGET.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
