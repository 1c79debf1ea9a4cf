"""Multi-camera IDF1 and HOTA on hand-made cases whose answers follow from the formulas."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from detection.mot_text import MotRows, write_mot
from pipeline.cli import main
from tracking.mot_metrics import evaluate_multi_camera

BOX = {1: [0, 0, 10, 20], 2: [50, 0, 60, 20], 3: [100, 0, 110, 20]}


def rows(frames: int, ids: list[int], start: int = 0) -> MotRows:
    """Each of ``ids`` present in every frame start..start+frames-1 at its own fixed box."""
    f = np.repeat(np.arange(start, start + frames), len(ids))
    i = np.tile(ids, frames)
    return MotRows(f, i, np.array([BOX[k] for k in i], float), np.ones(len(f)), np.zeros((len(f), 0)))


def relabel(r: MotRows, mapping: dict[int, int]) -> MotRows:
    return MotRows(r.frame, np.array([mapping[int(k)] for k in r.ids]), r.boxes, r.score, r.extra)


def test_perfect_result_scores_one_everywhere():
    gts = {"a": rows(10, [1, 2]), "b": rows(10, [1, 2])}
    m = evaluate_multi_camera(gts, {c: relabel(r, {1: 7, 2: 9}) for c, r in gts.items()})
    assert m.overall.idf1 == 1 and m.overall.idp == 1 and m.overall.idr == 1
    assert m.overall.hota == pytest.approx(1) and m.overall.mota == 1
    assert all(s.idf1 == 1 for s in m.cameras.values())


def test_people_swapped_across_cameras():
    """Camera b gives person 1 the id camera a gave person 2 and back. Each camera alone is perfect.
    Over both: the best one-to-one matching keeps one camera per person, IDTP = 20 of 40 boxes, so
    IDF1 = IDP = IDR = 0.5. HOTA: every detection matches (DetA = 1); for each true positive the
    association IoU is TPA / (TPA + FNA + FPA) = 10 / (10 + 10 + 10) = 1/3, so AssA = 1/3 and
    HOTA = sqrt(DetA * AssA) = sqrt(1/3)."""
    gts = {"a": rows(10, [1, 2]), "b": rows(10, [1, 2])}
    res = {"a": relabel(gts["a"], {1: 1, 2: 2}), "b": relabel(gts["b"], {1: 2, 2: 1})}
    m = evaluate_multi_camera(gts, res)
    assert all(s.idf1 == 1 and s.hota == pytest.approx(1) for s in m.cameras.values())
    assert m.overall.idf1 == pytest.approx(0.5) and m.overall.idp == pytest.approx(0.5)
    assert m.overall.idr == pytest.approx(0.5)
    assert m.overall.deta == pytest.approx(1) and m.overall.assa == pytest.approx(1 / 3)
    assert m.overall.hota == pytest.approx(math.sqrt(1 / 3))
    # CLEAR over the joined sequence counts the hand-over between cameras: one switch per person
    assert m.overall.id_switches == 2 and all(s.id_switches == 0 for s in m.cameras.values())


def test_one_person_split_into_two_ids_and_a_missing_camera():
    """Person 1 gets id 5 in camera a (10 boxes) and id 6 in camera b (30 boxes): the matching
    keeps b's 30, IDTP = 30 of 40 -> IDF1 = 0.75. A camera with ground truth and no result misses
    all its boxes: IDR falls, IDP does not."""
    gts = {"a": rows(10, [1]), "b": rows(30, [1])}
    m = evaluate_multi_camera(gts, {"a": relabel(gts["a"], {1: 5}), "b": relabel(gts["b"], {1: 6})})
    assert m.overall.idf1 == pytest.approx(0.75)
    gts["c"] = rows(40, [3])
    m2 = evaluate_multi_camera(gts, {"a": relabel(gts["a"], {1: 5}), "b": relabel(gts["b"], {1: 5})})
    assert m2.overall.idp == pytest.approx(1) and m2.overall.idr == pytest.approx(0.5)
    assert m2.cameras["c"].recall == 0


def test_frame_offsets_keep_cameras_apart():
    """Both cameras use the same frame numbers; concatenated, their boxes never share a frame, so
    a person present at once in two (overlapping) views is two detections, not a conflict."""
    gts = {"a": rows(5, [1], start=3), "b": rows(5, [1], start=3)}
    m = evaluate_multi_camera(gts, gts)
    assert m.overall.idf1 == 1 and m.overall.recall == 1 and m.overall.false_positives == 0


def test_result_for_an_unknown_camera_is_refused():
    from tracklet_reid.errors import InputError

    with pytest.raises(InputError, match="cam9"):
        evaluate_multi_camera({"a": rows(3, [1])}, {"cam9": rows(3, [1])})


def _write(folder: Path, data: dict[str, MotRows]) -> None:
    folder.mkdir()
    for cam, r in data.items():
        write_mot(folder / f"{cam}.txt", r.frame, r.ids, r.boxes, r.score)


def test_evaluate_mot_command_on_folders(tmp_path, capsys):
    gts = {"a": rows(10, [1, 2]), "b": rows(10, [1, 2])}
    _write(tmp_path / "gt", gts)
    _write(tmp_path / "res", {"a": relabel(gts["a"], {1: 1, 2: 2}), "b": relabel(gts["b"], {1: 2, 2: 1})})
    # extract --mot-out writes detections beside the tracks: they are not a camera's result
    (tmp_path / "res" / "a.det.txt").write_text((tmp_path / "res" / "a.txt").read_text())
    assert main(["evaluate-mot", "--gt", str(tmp_path / "gt"), "--result", str(tmp_path / "res"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["multi_camera"]["idf1"] == pytest.approx(0.5) and out["cameras"]["b"]["idf1"] == 1
    assert main(["evaluate-mot", "--gt", str(tmp_path / "gt"), "--result", str(tmp_path / "res")]) == 0
    assert "all cameras" in capsys.readouterr().out
    assert main(["evaluate-mot", "--gt", str(tmp_path / "gt"), "--result", str(tmp_path / "res" / "a.txt")]) == 1
    assert "two files or two folders" in capsys.readouterr().err
