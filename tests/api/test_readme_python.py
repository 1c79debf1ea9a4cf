"""The README's "Python in 30 seconds" example runs as written, and the package imports lazily."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Python in 30 seconds", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path):
    code = _readme_example()
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    m = re.search(r"(\d+) tracklets -> (\d+) trajectories, (\d+) global identities", run.stdout)
    assert m, run.stdout
    tracklets, trajectories, identities = map(int, m.groups())
    assert tracklets > 0 and 0 < trajectories <= tracklets and 0 < identities <= trajectories
    assert (tmp_path / "model" / "model.pt").is_file()


def test_import_is_lazy_and_public_names_resolve():
    code = ("import sys, tracklet_reid as tr; assert 'torch' not in sys.modules; "
            "names = [getattr(tr, n) for n in tr.__all__]; print(len(names))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert int(run.stdout) == len(__import__("tracklet_reid").__all__)
