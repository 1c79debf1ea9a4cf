"""Every HTML report a user opens, shown in a real browser (headless system Chromium through
Playwright): no broken image, no text running out of its box or past the window, no "None" or "nan",
pictures at least 128 px tall, a green / red legend only where the store has ground truth.
Screenshots land in the test's folder (and in $REPORT_SCREENSHOTS when set, for a person to look at)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.helpers import write_reid_store


def _browser():
    """The system Chromium through Playwright, or a skip that says which is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    return sync_playwright, exe


CHECK = """() => {
  const bad = [];
  for (const im of document.images) {
    if (!im.complete || im.naturalWidth === 0) bad.push('broken image ' + im.title);
    else if (im.naturalHeight < 128) bad.push('image ' + im.naturalHeight + ' px tall: ' + im.title);
  }
  for (const el of document.querySelectorAll('p, td, th, h1, h2, .cap')) {
    if (el.scrollWidth > el.clientWidth + 1) bad.push('text overflows: ' + el.textContent.slice(0, 60));
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push('page wider than the window');
  return {bad: bad, text: document.body.innerText};
}"""


def _reports(tmp_path: Path, with_gt: bool) -> dict[str, Path]:
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=6, tracklets_per_id=2, crops=6, seed=1,
                             with_gt=with_gt)
    pages = {}
    assert main(["match", str(store), "--model", "colour", "-o", str(tmp_path / "match"), "-q"]) == 0
    pages["match"] = tmp_path / "match" / "report.html"
    assert main(["merge", str(store), "--model", "colour", "-o", str(tmp_path / "merge"), "-q"]) == 0
    pages["merge"] = tmp_path / "merge" / "report.html"
    assert main(["search", str(store), "--model", "colour", "--tracklet", "cam1:0", "-o", str(tmp_path / "search"),
                 "-q"]) == 0
    pages["search"] = tmp_path / "search" / "search.html"
    return pages


@pytest.mark.parametrize("with_gt", [True, False], ids=["ground-truth", "no-ground-truth"])
def test_reports_render_whole_in_a_browser(tmp_path, with_gt):
    sync_playwright, exe = _browser()
    pages = _reports(tmp_path, with_gt)
    keep = os.environ.get("REPORT_SCREENSHOTS")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for name, path in pages.items():
                page.goto(path.resolve().as_uri())
                page.wait_for_load_state("load")
                found = page.evaluate(CHECK)
                shot = tmp_path / f"{name}-{'gt' if with_gt else 'nogt'}.png"
                page.screenshot(path=str(shot), full_page=True)
                if keep:
                    Path(keep).mkdir(parents=True, exist_ok=True)
                    shutil.copy(shot, Path(keep) / shot.name)
                assert found["bad"] == [], (name, found["bad"][:5])
                text = found["text"]
                for word in ("None", "nan", "NaN"):
                    assert word not in text.split() and f" {word};" not in text, (name, word)
                assert ("green = same person" in text) == with_gt, name
                assert shot.stat().st_size > 5000
        finally:
            browser.close()


def test_contact_sheet_is_labelled(tmp_path):
    import cv2

    pages = _reports(tmp_path, with_gt=False)
    sheet = cv2.imread(str(pages["merge"].parent / "contact_sheet.png"))
    assert sheet is not None and sheet.shape[0] >= 128
    # a caption strip (white with black text) above each row's pictures
    strip = sheet[2:18]
    assert (strip < 100).any() and (strip > 200).mean() > 0.5
