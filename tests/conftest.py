from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

# `make test` runs the suite in one worker per core (pytest-xdist): each worker's torch and OpenCV
# get their share of the cores instead of all of them, so two workers do not fight over two cores.
# Set before any test imports torch; subprocesses the tests start inherit it.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _share = max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    os.environ.setdefault("OMP_NUM_THREADS", str(_share))
    os.environ.setdefault("MKL_NUM_THREADS", str(_share))

# ultralytics probes the network and may pip-install at import: keep it offline and quiet.
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
os.environ.setdefault("YOLO_VERBOSE", "0")


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or a skip that says what is missing."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real data not available: {p} is absent (it lives beside the repo in shared/data)")
    return p


@pytest.fixture(autouse=True)
def _yolo_config_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path_factory.getbasetemp() / "yolo-config"))


def pytest_collection_modifyitems(config, items):
    """Test files holding a `slow` test run first, the rest in their order: the workers start on
    the long files together instead of one worker finishing a long file alone at the end."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)
