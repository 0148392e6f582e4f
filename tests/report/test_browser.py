"""The report opened in a real browser: headless Chromium from the OS packages, driven by Playwright.

Nothing is downloaded: Playwright runs ``/usr/bin/chromium`` (``apt-get install chromium``), and the
page must not ask for anything but itself. The test checks that the page loads without a console
error or a network request, that the map, every chart and every table rendered with a non-zero
size, that the measure buttons switch the map, and saves a full-page screenshot
(``$CREDIT_RISK_REPORT_SCREENSHOT`` if set, else the test's temporary folder).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CREDIT_RISK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# decided before any fixture trains the sample model
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` (make test does where "
           "it can) to run the browser test of the HTML report",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="the browser test needs `pip install playwright` "
                               "(the dev extra); no Playwright browser download is needed")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    return box


def test_report_renders_in_chromium(browser, report_file, full_inputs, tmp_path):
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "about:"))
            else problems.append(f"network request: {r.url}"))
    page.goto(report_file.as_uri(), wait_until="load")
    assert page.title() == full_inputs.title

    # the map: the visible one is the first measure, one tile per region, each tile drawn
    maps = page.locator("svg.tilemap")
    assert maps.count() >= 4  # share C/D, share D, mean probability, subjects, held-out, plan, warnings
    visible = page.locator("svg.tilemap:visible")
    assert visible.count() == 1 and visible.get_attribute("data-measure") == "cd"
    box = _box(visible)
    assert box["width"] > 500 and box["height"] > 500
    tiles = visible.locator("g.tile")
    assert tiles.count() == full_inputs.enterprises["region"].nunique()
    assert _box(tiles.first.locator("rect"))["width"] > 20
    # a measure button switches the map without a script
    page.locator("label[for=measure-d]").click()
    assert page.locator("svg.tilemap:visible").get_attribute("data-measure") == "d"

    # every chart and every table has a size
    charts = page.locator("svg.chart")
    assert charts.count() == 5  # tier mix, ROC, calibration, capture, importance
    for i in range(charts.count()):
        b = _box(charts.nth(i))
        assert b["width"] > 200 and b["height"] > 150, f"chart {i} is {b}"
    tables = page.locator("table.data")
    assert tables.count() >= 15
    for i in range(tables.count()):
        t = tables.nth(i)
        b = _box(t)
        assert b["width"] > 50 and b["height"] > 20, f"table {t.get_attribute('id')} is {b}"
        assert t.locator("tbody tr").count() >= 1, f"table {t.get_attribute('id')} has no row"
    for sid in ("summary", "map", "tiers", "performance", "domains", "overrides", "subjects", "plan", "warnings",
                "monitoring", "model-card"):
        assert _box(page.locator(f"section#{sid}"))["height"] > 50

    target = Path(os.environ.get("CREDIT_RISK_REPORT_SCREENSHOT") or tmp_path / "report.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    page.locator("label[for=measure-cd]").click()
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 100_000
    assert problems == []
    page.close()
