"""Fixtures the re-id tests share (built once per test process)."""
from __future__ import annotations

import pytest

from pipeline.cli import main
from tests.conftest import shared_path


@pytest.fixture(scope="session")
def cuhk03_subset(tmp_path_factory):
    """120 CUHK03 training identities (links to the shared images, never copies) as a store."""
    import os

    src = shared_path("cuhk03-np", "detected")
    root = tmp_path_factory.mktemp("cuhk-subset")
    for part in ("bounding_box_train", "query", "bounding_box_test"):
        (root / "detected" / part).mkdir(parents=True)
    ids = sorted({p.name[:4] for p in (src / "bounding_box_train").iterdir()})[:120]
    for p in (src / "bounding_box_train").iterdir():
        if p.name[:4] in ids:
            os.symlink(p, root / "detected" / "bounding_box_train" / p.name)
    for part in ("query", "bounding_box_test"):  # the layout wants them; the test does not use them
        for p in sorted((src / part).iterdir())[:4]:
            os.symlink(p, root / "detected" / part / p.name)
    out = root / "subset.h5"
    assert main(["import", "cuhk03-detected", str(root), "-o", str(out), "-q"]) == 0
    return out


@pytest.fixture(scope="session")
def cuhk03(tmp_path_factory):
    """The real CUHK03 store (imported once per test process)."""
    root = shared_path("cuhk03-np")
    out = tmp_path_factory.mktemp("cuhk") / "cuhk03.h5"
    assert main(["import", "cuhk03-detected", str(root), "-o", str(out), "-q"]) == 0
    return out
