"""The report in a real browser: headless Chromium opens it from file:// with the
network cut off, every chart renders, the console stays clean, and the page is
saved as docs/report.png (the README's screenshot).

Chromium and chromedriver are the Debian packages `chromium` and
`chromium-driver`; `make test` installs them (Makefile target `browser`).
Set SEGMART_SKIP_BROWSER=1 to skip this module on a machine without them.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from segmart.report import build_report

DOCS = Path(__file__).resolve().parents[1] / "docs"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,900",
    # offline: every host name fails to resolve, so a CDN script could not load
    "--host-resolver-rules=MAP * ~NOTFOUND",
]

if os.environ.get("SEGMART_SKIP_BROWSER") == "1":
    pytest.skip("SEGMART_SKIP_BROWSER=1", allow_module_level=True)


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        f"none of {names} is installed: `make test` installs the Debian packages "
        "chromium and chromium-driver (or set SEGMART_SKIP_BROWSER=1)"
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser", "google-chrome")
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(_binary("chromedriver")))
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


SECTIONS_JS = """
return [...document.querySelectorAll('section.chart')].map(s => ({
    id: s.id,
    claims: s.dataset.rendered === 'true',
    plots: s.querySelectorAll('.js-plotly-plot').length,
    svgs: s.querySelectorAll('.js-plotly-plot .main-svg').length,
    marks: s.querySelectorAll(
        '.barlayer .point path, .scatterlayer .trace .points path,'
        + ' .scatterlayer .trace .lines path, .heatmaplayer .hm image,'
        + ' .sankey-node rect, .sankey-link'
    ).length,
}));
"""


@pytest.fixture(scope="module")
def page(browser, history, tmp_path_factory):
    """The report of the history fixture, loaded, polled until every plot has
    drawn its marks (bars, points, lines, heat map images, Sankey nodes); returns
    the report and what each section holds."""
    out = tmp_path_factory.mktemp("browser") / "report.html"
    report = build_report(history.db_path, out)
    browser.get(out.resolve().as_uri())
    deadline = time.monotonic() + 60
    while True:
        sections = browser.execute_script(SECTIONS_JS)
        drawn = all(s["marks"] > 0 for s in sections if s["claims"])
        if drawn or time.monotonic() > deadline:
            return report, sections
        time.sleep(0.25)


def test_every_chart_renders(page):
    report, sections = page
    keys = [chart.key for chart in report.charts]
    assert [s["id"] for s in sections] == keys
    assert all(chart.rendered for chart in report.charts)  # the messy fixture has all
    for section in sections:
        assert section["claims"], section
        assert section["plots"] == 1, section
        assert section["svgs"] >= 1, section
        assert section["marks"] > 0, f"{section['id']}: nothing drawn in the plot"


def test_no_console_errors(browser, page):
    logs = browser.get_log("browser")
    errors = [entry for entry in logs if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    assert browser.execute_script("return typeof Plotly") == "object"


def test_screenshot_for_the_readme(browser, page):
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, height)
    time.sleep(1)  # plots are responsive: let them settle at the new size
    DOCS.mkdir(exist_ok=True)
    target = DOCS / "report.png"
    assert browser.save_screenshot(str(target))
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    shot_height = int.from_bytes(data[20:24], "big")
    assert width == 1280 and shot_height >= 3000


def test_the_browser_had_no_network(browser, page):
    """What makes 'renders offline' true: a CDN script cannot load here (so a page
    that needed one would have failed the tests above)."""
    outcome = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const script = document.createElement('script');
        script.src = 'https://cdn.plot.ly/plotly-latest.min.js';
        script.onload = () => done('loaded');
        script.onerror = () => done('failed');
        document.head.appendChild(script);
        """
    )
    assert outcome == "failed"
