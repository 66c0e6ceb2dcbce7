"""Make the report screenshots in docs/img/ with a real headless browser (Playwright driving
Debian's chromium, as tests/test_html_report.py does).

    python docs/img/screenshots.py

Renders policies/examples/transactions/traffic-cameras-face-matching.json under
tests/scenarios/policy.toml (a rich report: safeguards, findings under many clauses) and
the public transparency report of the example transactions, then writes
report-html.png (desktop, first screen), report-html-phone.png (phone, first screen) and
public-report-html.png.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
SALES_COUNTRIES = ("DE", "FR", "NL", "SE", "BR", "US", "CA", "JP", "IN", "AE", "KE", "AU")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _pages(work: Path) -> dict[str, Path]:
    import hrdd
    from hrdd.public_report import aggregate, read_entries, render_public_report

    engine = hrdd.Engine.from_policy(str(ROOT / "tests" / "scenarios" / "policy.toml"), lock=False)
    example = ROOT / "policies" / "examples" / "transactions" / "traffic-cameras-face-matching.json"
    report = work / "report.html"
    report.write_text(engine.render(engine.assess_file(example), "html"), encoding="utf-8")
    # A made-up year of deals: each example sold into several countries.
    from hrdd import documents

    lines = []
    for path in sorted((ROOT / "policies" / "examples" / "transactions").iterdir()):
        document = documents.read_document(path, hrdd.TransactionError)
        for number, country in enumerate(SALES_COUNTRIES):
            sale = {**document, "id": f"{document['id']}-{number}"}
            sale["end_user"] = {**document["end_user"], "country": country}
            lines.append(json.dumps(engine.assess(sale).to_dict()))
    corpus = work / "reports.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    public = work / "public.html"
    public.write_text(render_public_report(aggregate(read_entries(corpus), k=5), "html"), encoding="utf-8")
    return {"report": report, "public": public}


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pages = _pages(work)
        with sync_playwright() as playwright:
            # launch() gives the browser a fresh, temporary profile of its own
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            shots = [
                ("report", "report-html.png", {"width": 1280, "height": 800}, 1),
                ("report", "report-html-phone.png", {"width": 390, "height": 844}, 2),
                ("public", "public-report-html.png", {"width": 1280, "height": 800}, 1),
            ]
            for page_name, file_name, viewport, scale in shots:
                context = browser.new_context(viewport=viewport, device_scale_factor=scale)
                page = context.new_page()
                page.goto(pages[page_name].as_uri())
                page.screenshot(path=str(OUT / file_name), full_page=False)
                context.close()
                print(f"wrote {OUT / file_name}")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
