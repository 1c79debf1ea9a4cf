"""`pipeline demo`, the first of the README's two commands, end to end at its smallest size: the
table says when there were no weights, a rerun reuses only what the same settings made, a changed
setting remakes what depends on it, and files it did not make are never removed."""
from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from tracking.store import TrackletStore
from tracklet_reid.errors import InputError

TINY = ["demo", "--size", "tiny", "--epochs", "1"]


@pytest.fixture
def no_weights(monkeypatch, tmp_path):
    """As on a machine without ../shared and offline: no local weights, no download."""
    import reid.models.backbones

    real = reid.models.backbones.build_backbone

    def offline(name, weights=None):
        if weights == "imagenet":
            raise InputError(f"{name}: ImageNet weights are not available offline")
        return real(name, weights)

    monkeypatch.setattr("pipeline.demo.LOCAL_WEIGHTS", tmp_path / "absent")
    monkeypatch.setattr(reid.models.backbones, "build_backbone", offline)


def _looks_whole_in_a_browser(out, shots) -> None:
    """The demo's pages as a user opens them (tests/browser.py); nothing to do without a browser
    (tests/pipeline/test_report_screens.py says so with a skip)."""
    from tests.browser import look_at, why_no_browser, words_a_user_should_not_see

    if why_no_browser() is not None:
        return
    pages = {"demo": out / "demo.html", **{p.parent.name: p for p in out.glob("*/report.html")}}
    import os

    for name, f in look_at(pages, shots, os.environ.get("REPORT_SCREENSHOTS")).items():
        assert f["bad"] == [], (name, f["bad"][:5])
        assert words_a_user_should_not_see(f["text"]) == [], name


@pytest.mark.slow
def test_demo_end_to_end_reuses_only_what_the_same_settings_made(tmp_path, capsys, no_weights):
    out = tmp_path / "demo"
    assert main([*TINY, "-o", str(out)]) == 0
    first = capsys.readouterr()
    assert "NONE FOUND" in first.out and "from random weights" in first.out, first.out
    result = json.loads((out / "demo.json").read_text())
    assert result["weights"] == "none"
    assert (out / "demo.html").is_file() and (out / "model" / "model.pt").is_file()
    match = next(s for s in result["stages"] if s["stage"] == "match")
    assert match["global_identities"] >= 2 and "multi_camera" in match
    assert "reusing" not in first.err
    _looks_whole_in_a_browser(out, tmp_path)

    # the same settings: every stage reused, and each one says so
    store_made = (out / "tracklets.h5").stat().st_mtime_ns
    assert main([*TINY, "-o", str(out)]) == 0
    again = capsys.readouterr()
    for what in ("the world", "the tracklets", "the model"):
        assert f"reusing {what} in {out}" in again.err
    assert (out / "tracklets.h5").stat().st_mtime_ns == store_made
    world_row = next(line for line in again.out.splitlines() if line.startswith("world "))
    assert world_row.rstrip().endswith("reused")

    # another seed: another world, so new tracklets and a new model, never the old ones scored
    # against the new ground truth
    assert main([*TINY, "--seed", "1", "-o", str(out)]) == 0
    changed = capsys.readouterr()
    assert "seed 0 -> 1" in changed.err and "making the world again" in changed.err
    assert "making the tracklets again" in changed.err and "making the model again" in changed.err
    assert (out / "tracklets.h5").stat().st_mtime_ns != store_made
    world = json.loads((out / "world" / "world.json").read_text())
    assert world["config"]["seed"] == 1
    with TrackletStore(out / "tracklets.h5") as store:
        assert sorted(store.cameras) == sorted(c["name"] for c in world["cameras"])
    record = json.loads((out / "demo-record.json").read_text())["stages"]
    assert record["world"]["key"]["seed"] == 1 and all(s["done"] for s in record.values())


def test_demo_never_removes_files_it_did_not_make(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "tracklets.h5").write_bytes(b"someone's own store")
    assert main([*TINY, "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no demo-record.json" in err and "tracklets.h5" in err
    assert (out / "tracklets.h5").read_bytes() == b"someone's own store"
