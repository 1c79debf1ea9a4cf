"""Importers for the public re-id benchmarks used by the UTAL paper, each from its official
folder layout, into the tracklet store.

Training tracklets follow the paper: video sets keep their tracklets; for image sets all training
images of one identity in one camera form one tracklet (that uses the labels to build tracklets:
the benchmark protocol, not something training reads). Query and gallery keep the protocol's own
items (single images for image sets). Identities are stored only as evaluation ground truth.

Per camera the store gets a `tracklet_set` dataset (0 train, 1 query, 2 gallery, 3 test: the
query/gallery roles of PRID2011 and iLIDS-VID come from their splits) and the root attributes
`benchmark`, `junk_ids` and, for the split-based sets, `splits` (10 seeded random halves).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from reid.datasets.common import Benchmark, Item
from reid.datasets.image_sets import cuhk03, dukemtmc_reid, market1501, msmt17
from reid.datasets.split_sets import ilids_vid, prid2011
from reid.datasets.video_sets import dukemtmc_si_tracklet, dukemtmc_videoreid, mars
from reid.datasets.writer import write_benchmark

FORMATS: dict[str, Callable[[Path], Benchmark]] = {
    "market1501": market1501, "dukemtmc-reid": dukemtmc_reid, "msmt17": msmt17,
    "cuhk03-labeled": lambda r: cuhk03(r, "labeled"), "cuhk03-detected": lambda r: cuhk03(r, "detected"),
    "mars": mars, "ilids-vid": ilids_vid, "prid2011": prid2011, "dukemtmc-videoreid": dukemtmc_videoreid,
    "dukemtmc-si-tracklet": dukemtmc_si_tracklet,
}


__all__ = ["FORMATS", "Benchmark", "Item", "write_benchmark"]
