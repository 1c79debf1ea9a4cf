"""ONNX models in and out, adaptation of a downloaded model, camera normalisation, and a short
learn on real people (CUHK03 subset, skipped without ../shared)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pipeline.cli import main
from reid.models.camera_norm import standardize_per_camera
from reid.models.embedding import load_model
from reid.models.network import Embedder, ModelConfig
from reid.models.onnx_model import OnnxEmbedder, export_onnx
from tests.conftest import shared_path
from tests.helpers import write_reid_store

OSNET = ("weights", "osnet-x0_25-msmt17", "osnet_x0_25_msmt17.onnx")


def test_export_onnx_equals_torch_with_dynamic_batch(tmp_path):
    emb = Embedder(ModelConfig("mobilenet_v2", None, 32)).eval()
    with torch.no_grad():  # non-trivial BN statistics, so the check is not of zeros
        emb.bn.running_mean.uniform_(-1, 1)
        emb.bn.running_var.uniform_(0.5, 2)
    path = export_onnx(emb, (64, 32), tmp_path / "e.onnx")
    onnx = OnnxEmbedder(path)
    assert onnx.graph_hw == (64, 32)
    for batch in (1, 5):
        x = torch.randn(batch, 3, 64, 32)
        with torch.no_grad():
            want = emb(x)
        assert torch.allclose(onnx(x), want, atol=1e-4), (onnx(x) - want).abs().max()


def test_onnx_pixel_conventions(tmp_path):
    """A model that wants BGR 0-255 gets exactly the image our loop normalised for ImageNet."""
    from reid.models.pixels import MEAN, STD

    class Probe(torch.nn.Module):  # returns its input's mean per channel
        def forward(self, x):
            return x.mean(dim=(2, 3))

    path = export_onnx(Probe(), (8, 4), tmp_path / "p.onnx")
    rgb = torch.tensor([10.0, 100.0, 200.0])
    x = ((rgb / 255 - torch.as_tensor(MEAN)) / torch.as_tensor(STD)).view(1, 3, 1, 1).expand(2, 3, 8, 4)
    got = OnnxEmbedder(path, scale="255", bgr=True)(x.contiguous())
    assert torch.allclose(got[0], rgb.flip(0), atol=1e-3)


def test_camera_norm_removes_a_camera_cast():
    """Two cameras see the same people, one with a strong cast: raw features match across cameras
    by camera, standardised ones by person."""
    rng = np.random.default_rng(0)
    people = rng.normal(size=(20, 8))
    a = torch.as_tensor(people + rng.normal(0, 0.05, people.shape), dtype=torch.float32)
    b = torch.as_tensor(people * 0.3 + 5 + rng.normal(0, 0.05, people.shape), dtype=torch.float32)
    feats, cams = torch.cat([a, b]), np.r_[np.zeros(20), np.ones(20)]
    f = standardize_per_camera(feats, cams)
    nn = torch.cdist(f[:20], f[20:]).argmin(1)
    assert (nn == torch.arange(20)).float().mean() > 0.9
    assert torch.allclose(f.norm(dim=1), torch.ones(40))


def test_learn_from_an_onnx_model_and_use_the_result(tmp_path, capsys):
    """`--pretrained X.onnx`: the downloaded graph is trained as a whole; model.pt carries it (so it
    loads without the original file) and embedder.onnx equals it."""
    src = Embedder(ModelConfig("mobilenet_v2", None, 24)).eval()
    onnx_in = export_onnx(src, (64, 32), tmp_path / "downloaded.onnx")
    store = write_reid_store(tmp_path / "s.h5")
    out = tmp_path / "adapted"
    assert main(["learn", str(store), "-o", str(out), "--pretrained", str(onnx_in), "--epochs", "2", "--batch-size",
                 "24", "--workers", "0", "-q"]) == 0
    assert "ONNX downloaded.onnx" in capsys.readouterr().out
    cfg = json.loads(json.dumps(__import__("yaml").safe_load((out / "learn.yaml").read_text())))
    assert [cfg["input_height"], cfg["input_width"]] == [64, 32]  # the graph's own input size
    assert cfg["lr"] == 3.5e-5 and cfg["ccta_start"] == 0.0  # fine-tuning settings (FINE_TUNE)
    onnx_in.unlink()  # model.pt must not need it
    m = load_model(out)
    x = torch.randn(3, 3, 64, 32)
    with torch.no_grad():
        want = m.module(x)
    assert torch.allclose(OnnxEmbedder(out / "embedder.onnx")(x), want, atol=1e-4)
    assert not torch.allclose(src(x), want, atol=1e-3)  # it did train
    assert main(["match", str(store), "--model", str(out / "embedder.onnx"), "-o", str(tmp_path / "m"), "-q",
                 "--baseline", "none"]) == 0


@pytest.mark.slow
def test_osnet_onnx_reproduces_its_cuhk03_numbers(cuhk03, capsys):
    osnet = shared_path(*OSNET)
    assert main(["evaluate", "--model", str(osnet), "--data", str(cuhk03), "--no-camera-norm", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert abs(r["rank1"] - 0.307) <= 0.005 and abs(r["mAP"] - 0.310) <= 0.005, r


@pytest.mark.slow
def test_short_learn_on_real_people_improves_on_its_start(cuhk03_subset, tmp_path):
    """Three epochs adapting the downloaded OSNet to 120 real identities, without labels (the CPU
    recipe: `--preset cpu --pretrained X.onnx`): cross-camera retrieval on those identities rises
    above where the downloaded model started."""
    out = tmp_path / "m"
    assert main(["learn", str(cuhk03_subset), "-o", str(out), "--preset", "cpu", "--pretrained",
                 str(shared_path(*OSNET)), "--epochs", "3", "--eval-every", "3", "-q"]) == 0
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    start, end = rows[0], rows[-1]
    assert end["eval_mAP"] > start["eval_mAP"] + 0.02, (start["eval_mAP"], end["eval_mAP"])
