"""The quarterly report and the data-quality page on a phone, 390 px wide, in Chromium.

Both pages reflow to the screen: the page itself never scrolls sideways, a
table wider than the screen scrolls inside its own box, and the charts scale
down. Debian's Chromium, driven by Playwright as in test_quarterly_report,
with the network cut off; a screenshot of each page is kept to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def pages(sample_run) -> dict[str, Path]:
    folder = sample_run.warehouse.parent / "reports" / "quarterly"
    return {
        "st-helens report": folder / "st-helens-2024-25-Q2.html",
        "halton report": folder / "halton-2024-25-Q2.html",
        "data-quality page": sample_run.quality_report,
    }


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: make test installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module", params=["st-helens report", "halton report", "data-quality page"])
def phone_page(request, browser, pages, tmp_path_factory) -> Iterator:
    page = browser.new_page(viewport=PHONE, device_scale_factor=1)
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
               else route.abort())  # fmt: skip
    page.goto(pages[request.param].as_uri())
    screenshot = tmp_path_factory.mktemp("phone") / f"{request.param.replace(' ', '-')}.png"
    page.screenshot(path=str(screenshot), full_page=True)
    page.screenshot_path = screenshot
    yield page
    page.close()


def test_the_page_declares_it_fits_the_devices_width(phone_page) -> None:
    content = phone_page.locator("meta[name=viewport]").get_attribute("content")
    assert "width=device-width" in content


def test_the_page_never_scrolls_sideways_at_390_px(phone_page) -> None:
    widths = phone_page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: innerWidth})"
    )
    assert widths["inner"] == 390
    assert widths["scroll"] <= widths["inner"]
    assert phone_page.screenshot_path.stat().st_size > 10_000


def test_a_wide_table_scrolls_inside_its_own_box(phone_page) -> None:
    boxes = phone_page.evaluate(
        """[...document.querySelectorAll('table')].map(table => {
            const box = table.parentElement;
            return {box: box.className, overflow: getComputedStyle(box).overflowX,
                    right: box.getBoundingClientRect().right,
                    wider: table.scrollWidth > box.clientWidth};
        })"""
    )
    assert boxes
    for box in boxes:
        assert box["box"] == "table-scroll" and box["overflow"] == "auto"
        assert box["right"] <= 390
    # The scorecards and the findings are wider than a phone: they do scroll in their box.
    assert any(box["wider"] for box in boxes)


def test_the_charts_scale_to_the_screen(phone_page) -> None:
    rights = phone_page.evaluate(
        "[...document.querySelectorAll('svg.chart')].map(svg => svg.getBoundingClientRect().right)"
    )
    assert all(right <= 390 for right in rights)
    if "st-helens" in phone_page.url:
        assert len(rights) == 3
