"""OpenVINO IR re-id models (`--model X.xml`): the strongest download a user can get here comes as
IR only. Graphs for the offline tests are made here: our own embedder exported to ONNX and saved
as IR by OpenVINO itself."""
from __future__ import annotations

import json

import pytest
import torch

from pipeline.cli import main
from reid.models.embedding import load_model
from reid.models.network import Embedder, ModelConfig
from reid.models.onnx_model import export_onnx
from tests.conftest import shared_path
from tracklet_reid.errors import InputError

ov = pytest.importorskip("openvino", reason="the openvino package is not installed")
INTEL_0277 = ("weights", "intel-person-reid-retail", "person-reidentification-retail-0277.xml")


def as_ir(module: torch.nn.Module, hw: tuple[int, int], folder, name: str = "m"):
    onnx = export_onnx(module, hw, folder / f"{name}.onnx")
    xml = folder / f"{name}.xml"
    ov.save_model(ov.Core().read_model(str(onnx)), str(xml))
    return xml


def test_an_ir_embedder_gives_the_graph_s_features_at_any_batch(tmp_path):
    """The IR graph receives BGR 0-255 (the Open Model Zoo convention): the module inside it is fed
    exactly that image, whatever batch our loop hands over."""
    from reid.models.pixels import denormalize_batch

    emb = Embedder(ModelConfig("mobilenet_v2", None, 32)).eval()
    with torch.no_grad():
        emb.bn.running_mean.uniform_(-1, 1)
        emb.bn.running_var.uniform_(0.5, 2)
    xml = as_ir(emb, (64, 32), tmp_path)
    model = load_model(xml)
    assert model.input_hw == (64, 32) and model.name == "OpenVINO m.xml"
    for batch in (1, 5):
        x = torch.randn(batch, 3, 64, 32)
        with torch.no_grad():
            want = emb((denormalize_batch(x) * 255).flip(1))  # what the graph is given: BGR 0-255
            got = model.module(x)
        assert torch.allclose(got, want, atol=1e-3), (got - want).abs().max()


def test_bad_ir_files_get_one_line(tmp_path):
    xml = tmp_path / "m.xml"
    xml.write_text("<net>not a graph")
    with pytest.raises(InputError, match="weights m.bin are not beside it"):
        load_model(xml)
    (tmp_path / "m.bin").write_bytes(b"\0" * 16)
    with pytest.raises(InputError, match="not a readable OpenVINO IR model"):
        load_model(xml)
    with pytest.raises(InputError, match="no such OpenVINO model"):
        load_model(tmp_path / "absent.xml")


def test_intel_0277_reproduces_its_cuhk03_numbers(cuhk03, capsys):
    """The shared data's independent measurement: R1 0.618 / mAP 0.636 raw, 0.744 / 0.747 per-camera
    standardised; through our store (JPEG crops) and evaluation within 0.03."""
    xml = shared_path(*INTEL_0277)
    got = {}
    for flag in ("--no-camera-norm", "--camera-norm"):
        assert main(["evaluate", "--model", str(xml), "--data", str(cuhk03), flag, "--json"]) == 0
        got[flag] = json.loads(capsys.readouterr().out)
    raw, norm = got["--no-camera-norm"], got["--camera-norm"]
    assert abs(raw["rank1"] - 0.618) <= 0.03 and abs(raw["mAP"] - 0.636) <= 0.03, raw
    assert abs(norm["rank1"] - 0.744) <= 0.03 and abs(norm["mAP"] - 0.747) <= 0.03, norm
