"""Sharded extraction: extract --cameras on each machine, pipeline combine joins the stores."""
from __future__ import annotations

import pytest

from pipeline.cli import main
from tests.helpers import assert_same_stores, world_extract_args
from tracking.store import TrackletStore
from tracklet_reid.synthetic import generate_world, world_config


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("shards")
    generate_world(out, world_config("tiny", "easy", seed=5, cameras=3, identities=5, frames=80))
    return out


def _extract(world, out, *extra):
    return main(world_extract_args(world, out, *extra))


def test_shards_combine_to_the_single_extraction(world, tmp_path):
    assert _extract(world, tmp_path / "all.h5") == 0
    assert _extract(world, tmp_path / "a.h5", "--cameras", "cam1,cam3") == 0
    assert _extract(world, tmp_path / "b.h5", "--cameras", "cam2") == 0
    assert TrackletStore(tmp_path / "a.h5").cameras == ["cam1", "cam3"]
    assert main(["combine", str(tmp_path / "a.h5"), str(tmp_path / "b.h5"), "-o", str(tmp_path / "c.h5"), "-q"]) == 0
    assert_same_stores(tmp_path / "all.h5", tmp_path / "c.h5")
    assert main(["inspect", str(tmp_path / "c.h5"), "--verify"]) == 0


def test_combine_refuses_other_settings_and_a_camera_twice(world, tmp_path, capsys):
    assert _extract(world, tmp_path / "a.h5", "--cameras", "cam1") == 0
    assert _extract(world, tmp_path / "a2.h5", "--cameras", "cam1,cam2") == 0
    assert _extract(world, tmp_path / "odd.h5", "--cameras", "cam3", "--min-length", "9") == 0
    capsys.readouterr()
    assert main(["combine", str(tmp_path / "a.h5"), str(tmp_path / "a2.h5"), "-o", str(tmp_path / "x.h5")]) == 1
    assert "camera cam1 is in both" in capsys.readouterr().err
    assert main(["combine", str(tmp_path / "a.h5"), str(tmp_path / "odd.h5"), "-o", str(tmp_path / "x.h5")]) == 1
    err = capsys.readouterr().err
    assert "other settings" in err and "min_length" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.h5").exists() and not (tmp_path / "x.h5.partial").exists()
    assert _extract(world, tmp_path / "y.h5", "--cameras", "cam7") == 1
    assert "no camera cam7" in capsys.readouterr().err
