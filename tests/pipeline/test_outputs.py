"""The CSV writer merge and match use at site scale writes what csv.writer writes, row by row."""
from __future__ import annotations

import csv
import io

import numpy as np

from pipeline.outputs import write_csv


def test_column_csv_equals_the_csv_module(tmp_path):
    rng = np.random.default_rng(0)
    cameras = ["cam1", 'gate "north", left', "plain"]
    n = 1000
    cam = rng.integers(0, 3, n)
    ints, dist = rng.integers(-5, 10**6, n), rng.uniform(0, 30, n)
    write_csv(tmp_path / "x.csv", ["camera", "value", "distance"],
              [np.array(cameras, dtype=object)[cam], ints, np.char.mod("%.4f", dist)])
    want = io.StringIO(newline="")
    w = csv.writer(want)
    w.writerow(["camera", "value", "distance"])
    for c, v, d in zip(cam, ints, dist):
        w.writerow([cameras[c], int(v), f"{d:.4f}"])
    assert (tmp_path / "x.csv").read_bytes().decode() == want.getvalue()
    rows = list(csv.reader(open(tmp_path / "x.csv", newline="")))
    assert len(rows) == n + 1 and {r[0] for r in rows[1:]} <= set(cameras)


def test_an_empty_table_is_its_header(tmp_path):
    write_csv(tmp_path / "e.csv", ["a", "b"], [np.zeros(0, np.int64), np.zeros(0, np.int64)])
    assert (tmp_path / "e.csv").read_text() == "a,b\n"
