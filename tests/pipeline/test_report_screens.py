"""Every HTML report a user opens, shown in a real browser (tests/browser.py: headless system
Chromium through Playwright): no broken image, no text running out of its box or past the window,
no "None" or "nan", pictures at least 128 px tall, a green / red legend only where the store has
ground truth. Screenshots land in the test's folder (and in $REPORT_SCREENSHOTS when set, for a
person to look at)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.browser import look_at, why_no_browser, words_a_user_should_not_see
from tests.helpers import write_reid_store


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
    assert main(["topology", str(store), "--model", "colour", "-o", str(tmp_path / "topo"), "-q"]) == 0
    pages["topology"] = tmp_path / "topo" / "topology.html"
    return pages


@pytest.mark.parametrize("with_gt", [True, False], ids=["ground-truth", "no-ground-truth"])
def test_reports_render_whole_in_a_browser(tmp_path, with_gt):
    if (why := why_no_browser()) is not None:
        pytest.skip(why)
    pages = _reports(tmp_path, with_gt)
    tag = "gt" if with_gt else "nogt"
    found = look_at({f"{k}-{tag}": v for k, v in pages.items()}, tmp_path, os.environ.get("REPORT_SCREENSHOTS"))
    for name, f in found.items():
        assert f["bad"] == [], (name, f["bad"][:5])
        assert words_a_user_should_not_see(f["text"]) == [], name
        if not name.startswith("topology"):
            assert ("green = same person" in f["text"]) == with_gt, name
        assert f["shot"].stat().st_size > 5000


def test_contact_sheet_is_labelled(tmp_path):
    import cv2

    pages = _reports(tmp_path, with_gt=False)
    sheet = cv2.imread(str(pages["merge"].parent / "contact_sheet.png"))
    assert sheet is not None and sheet.shape[0] >= 128
    # a caption strip (white with black text) above each row's pictures
    strip = sheet[2:18]
    assert (strip < 100).any() and (strip > 200).mean() > 0.5
