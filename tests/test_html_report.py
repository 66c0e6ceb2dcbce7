"""The HTML reports in a real headless browser: Debian's chromium driven by Playwright.

The page renders, the decision is visible on the first screen of a phone and of a desktop,
the body never scrolls sideways on a phone, a hostile name stays text, the print view drops
the navigation, and no request leaves the page. The pages are served from a local HTTP
server so every request the browser makes can be routed and recorded; only the page itself
may be fetched.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run`` installs it) and the
``playwright`` package (``requirements-test.txt``; its own browser download is not used).
Without them these tests skip, saying why, unless ``HRDD_REQUIRE_BROWSER=1`` (set by
``.ci/run``), which makes a missing browser a failure.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd.public_report import aggregate, read_entries, render_public_report

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "policies" / "examples" / "transactions"
CHROMIUM = Path(os.environ.get("HRDD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
HOSTILE = "<script>window.pwned = 1; alert(1)</script><img src=x onerror=alert(2)>"


def _require_browser() -> None:
    """Skip (or fail, with HRDD_REQUIRE_BROWSER=1) when the browser or Playwright is missing."""
    problem = None
    if not CHROMIUM.is_file():
        problem = f"{CHROMIUM} is missing (Debian: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing (pip install -r requirements-test.txt)"
    if problem is None:
        return
    if os.environ.get("HRDD_REQUIRE_BROWSER") == "1":
        pytest.fail(f"HRDD_REQUIRE_BROWSER=1 but {problem}")
    pytest.skip(
        f"no headless browser for the HTML report tests: {problem}; HRDD_REQUIRE_BROWSER=1 makes this fail"
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reports as files served on 127.0.0.1: ``report.html`` (the traffic-camera example
    under the scenario policy), ``hostile.html`` (script in every name) and ``public.html``."""
    _require_browser()
    root = tmp_path_factory.mktemp("site")
    engine = hrdd.Engine.from_policy(ROOT / "tests" / "scenarios" / "policy.toml")
    traffic = json.loads((EXAMPLES / "traffic-cameras-face-matching.json").read_text(encoding="utf-8"))
    (root / "report.html").write_text(engine.render(engine.assess(traffic), "html"), encoding="utf-8")
    traffic["end_user"]["name"] = HOSTILE
    traffic["items"][0]["name"] = HOSTILE
    (root / "hostile.html").write_text(engine.render(engine.assess(traffic), "html"), encoding="utf-8")
    reports = [json.dumps(engine.assess_file(path).to_dict()) for path in sorted(EXAMPLES.glob("*.json"))]
    (root / "reports.jsonl").write_text("\n".join(reports) + "\n", encoding="utf-8")
    public = aggregate(read_entries(root / "reports.jsonl"), k=3)
    (root / "public.html").write_text(render_public_report(public, "html"), encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[Any]:
    """Debian's chromium, headless. ``launch`` gives it a fresh temporary profile
    (user-data-dir), removed when it closes."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Visit:
    """One page load in its own context, with every request the page made recorded (and
    any that is not the page itself refused)."""

    def __init__(self, browser: Any, url: str, viewport: dict[str, int]) -> None:
        self.url = url
        self.requests: list[str] = []
        self.refused: list[str] = []
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.context = browser.new_context(viewport=viewport, java_script_enabled=True)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.ok, (
            f"{url}: {response.status if response else 'no response'}"
        )

    def _route(self, route: Any) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any, site: str) -> Iterator[Any]:
    opened: list[Visit] = []

    def open_page(name: str, viewport: dict[str, int] = DESKTOP) -> Visit:
        page = Visit(browser, f"{site}/{name}", viewport)
        opened.append(page)
        return page

    try:
        yield open_page
    finally:
        for page in opened:
            page.close()


def test_the_report_renders(visit: Any) -> None:
    page = visit("report.html").page
    assert page.title() == "TX-2026-0002: DO NOT PROCEED"
    assert page.locator("h1 .verdict").inner_text() == "DO NOT PROCEED"
    assert page.locator("article.finding").count() == 52
    assert page.locator("#safeguards .checklist li").count() > 10
    assert page.locator("#checks tbody tr").count() == 14
    assert page.locator("#provenance").is_visible()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_decision_is_on_the_first_screen(visit: Any, viewport: dict[str, int]) -> None:
    page = visit("report.html", viewport).page
    for selector in ("h1 .verdict", ".decision .reason"):
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (selector, box)
        assert page.locator(selector).is_visible()


@pytest.mark.parametrize("name", ["report.html", "public.html"])
def test_nothing_scrolls_sideways_on_a_phone(visit: Any, name: str) -> None:
    page = visit(name, PHONE).page
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,"
        " body: document.body.scrollWidth})"
    )
    assert widths["scroll"] <= widths["client"] and widths["body"] <= widths["client"], widths
    # tables too fit the screen (their scroll containers do not scroll either)
    overflowing = page.evaluate(
        "() => [...document.querySelectorAll('table, .table-scroll')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className || e.tagName)"
    )
    assert overflowing == []
    font = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
    assert font >= 14  # CSS pixels: body text is not shrunk to fit


@pytest.mark.parametrize("name", ["report.html", "hostile.html", "public.html"])
def test_no_request_leaves_the_page(visit: Any, site: str, name: str) -> None:
    visited = visit(name)
    visited.page.wait_for_load_state("networkidle")
    assert visited.requests == [f"{site}/{name}"]
    assert visited.refused == []


def test_a_hostile_name_stays_text(visit: Any) -> None:
    visited = visit("hostile.html")
    page = visited.page
    assert visited.dialogs == []
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    assert HOSTILE in page.locator("h1 + .reason").inner_text()  # shown as the text it is


def test_print_view_drops_the_navigation_and_keeps_the_decision(visit: Any) -> None:
    page = visit("report.html").page
    assert page.locator("nav").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible()
    assert page.locator("h1 .verdict").is_visible()
    breaks = page.evaluate(
        "() => [...document.querySelectorAll('main > section')].map(s => [s.id, getComputedStyle(s).breakBefore])"
    )
    assert dict(breaks)["findings"] == "page" and dict(breaks)["safeguards"] != "page"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 3


def test_the_public_report_renders(visit: Any) -> None:
    page = visit("public.html", PHONE).page
    assert "transactions assessed" in page.locator("header").inner_text()
    assert page.locator("#regions table tbody tr").count() >= 2
    assert page.locator("td.suppressed").count() > 0
