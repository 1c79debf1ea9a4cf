"""Any ONNX re-id embedder as a model (onnxruntime), and ONNX export of ours.

Downloaded re-id models (torchreid's model zoo as BoxMOT exports it, fast-reid exports) take
RGB images scaled to 0-1 and normalised with ImageNet mean and std, at the size the graph names
(256 x 128 for OSNet). Our embedding loop already produces exactly that tensor; `OnnxEmbedder`
hands it to onnxruntime, or converts it first when a model wants another convention (BGR, 0-1
without normalising, or 0-255).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from tracklet_reid.errors import InputError, first_line

SCALES = ("imagenet", "unit", "255")  # what the model expects: normalised, 0-1, or 0-255


class OnnxEmbedder(nn.Module):
    """An ONNX graph (N, 3, H, W) -> (N, D) run by onnxruntime, as a module of our embedding loop."""

    def __init__(self, path: str | Path, scale: str = "imagenet", bgr: bool = False):
        super().__init__()
        try:
            import onnxruntime as ort
        except ImportError:
            raise InputError("ONNX models need onnxruntime: pip install onnxruntime") from None
        if scale not in SCALES:
            raise InputError(f"--pixel-scale {scale!r}: choose one of {', '.join(SCALES)}")
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{path}: no such ONNX model")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=_providers(ort))
        except Exception as exc:  # onnxruntime raises its own exception types for bad files
            first = first_line(exc, 160, type(exc).__name__)
            raise InputError(f"{path}: not a usable ONNX model ({first})") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise InputError(f"{path}: expected one image input (N, 3, H, W), found "
                             f"{[(i.name, i.shape) for i in inputs]}")
        self.input_name = inputs[0].name
        self.scale, self.bgr = scale, bgr
        h, w = inputs[0].shape[2:4]
        self.graph_hw = (h, w) if isinstance(h, int) and isinstance(w, int) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from reid.models.pixels import denormalize_batch

        if self.scale != "imagenet":
            x = denormalize_batch(x) * (255.0 if self.scale == "255" else 1.0)
        if self.bgr:
            x = x.flip(1)
        arr = np.ascontiguousarray(x.detach().float().cpu().numpy())
        out = self.session.run(None, {self.input_name: arr})[0]
        return torch.from_numpy(np.asarray(out, np.float32).reshape(len(arr), -1))


def _onnx2torch_export_shim() -> None:
    """onnx2torch's Shape/Reshape modules ask `torch.onnx.symbolic_helper.GLOBALS` for the opset
    while exporting; torch 2.9+ keeps it in the TorchScript exporter's own module. Without this, a
    model adapted from an ONNX graph exports only when it is the first export of the process."""
    from torch.onnx import symbolic_helper

    if hasattr(symbolic_helper, "GLOBALS"):
        return
    try:
        from torch.onnx._internal.torchscript_exporter import _globals
    except ImportError:
        return
    symbolic_helper.GLOBALS = _globals.GLOBALS


def onnx_input_hw(path: str | Path, default: tuple[int, int] = (256, 128)) -> tuple[int, int]:
    """The input size an ONNX graph declares (``default`` when it leaves it open)."""
    try:
        import onnx

        dims = onnx.load(str(path), load_external_data=False).graph.input[0].type.tensor_type.shape.dim
    except Exception:
        return default  # unreadable here: loading it for training says why in one line
    hw = [d.dim_value if d.HasField("dim_value") else 0 for d in dims[2:4]]
    return (hw[0], hw[1]) if len(hw) == 2 and all(hw) else default


def _providers(ort) -> list[str]:
    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


def export_onnx(module: nn.Module, input_hw: tuple[int, int], path: Path) -> Path:
    """``module`` (images -> embeddings) as ONNX with a dynamic batch dimension, input `images`
    and output `output` (the names torchreid/BoxMOT exports use), written atomically."""
    import copy
    import os
    import warnings

    m = copy.deepcopy(module).cpu().eval().to(memory_format=torch.contiguous_format)
    x = torch.randn(2, 3, *input_hw)
    tmp = path.with_name(path.name + ".tmp")
    _onnx2torch_export_shim()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes; the caller checks the file on another batch size
            torch.onnx.export(m, (x,), str(tmp), input_names=["images"], output_names=["output"],
                              dynamic_axes={"images": {0: "batch"}, "output": {0: "batch"}}, opset_version=17,
                              dynamo=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def onnx_to_torch(path: str | Path | bytes) -> nn.Module:
    """A downloaded ONNX embedder as a trainable torch module (onnx2torch), for `learn
    --pretrained X.onnx`. Exports that flatten with Shape/Gather/Reshape leave later tensors without
    a known rank, which onnx2torch needs (e.g. for BatchNormalization); one onnxruntime run on a
    dummy batch measures every intermediate shape and records it in the graph first."""
    try:
        import onnx
        import onnx2torch
    except ImportError:
        raise InputError("--pretrained X.onnx needs onnx and onnx2torch: pip install onnx onnx2torch") from None
    where = "the model's ONNX graph" if isinstance(path, bytes) else str(path)
    try:
        model = onnx.load_from_string(path) if isinstance(path, bytes) else onnx.load(str(path))
    except Exception as exc:
        raise InputError(f"{where}: not a readable ONNX file ({type(exc).__name__})") from None
    model = _with_measured_shapes(_constants_as_initializers(model), where)
    try:
        return onnx2torch.convert(model)
    except Exception as exc:
        first = first_line(exc, 160, type(exc).__name__)
        raise InputError(f"{where}: onnx2torch cannot convert this graph for training ({first}); use it as a "
                         "--model for evaluation, merge and match instead") from None


def _constants_as_initializers(model):
    """Weights that an exporter wrote as Constant nodes, or passed through Identity nodes (torch's
    exporter does both for folded conv weights), become initializers: onnx2torch makes parameters
    of initializers only."""
    from onnx import numpy_helper

    weights = {t.name: t for t in model.graph.initializer}
    keep = []
    for node in model.graph.node:
        tensor = None
        if node.op_type == "Constant" and len(node.attribute) == 1 and node.attribute[0].name == "value":
            tensor = numpy_helper.to_array(node.attribute[0].t)
        elif node.op_type == "Identity" and node.input[0] in weights:
            tensor = numpy_helper.to_array(weights[node.input[0]])
        if tensor is None:
            keep.append(node)
            continue
        weights[node.output[0]] = numpy_helper.from_array(tensor, node.output[0])
        model.graph.initializer.append(weights[node.output[0]])
    del model.graph.node[:]
    model.graph.node.extend(keep)
    return model


def _with_measured_shapes(model, path: str | Path):
    import onnx
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    known = {o.name for o in probe.graph.output}
    for node in probe.graph.node:
        for name in node.output:
            if name and name not in known:
                probe.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
                known.add(name)
    inp = probe.graph.input[0]
    dims = [d.dim_value if d.HasField("dim_value") else 0 for d in inp.type.tensor_type.shape.dim]
    shape = [2, dims[1] or 3, dims[2] or 256, dims[3] or 128]
    try:
        session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
        outs = session.run(None, {inp.name: np.zeros(shape, np.float32)})
    except Exception as exc:
        first = first_line(exc, 160, type(exc).__name__)
        raise InputError(f"{path}: onnxruntime cannot run this graph ({first})") from None
    measured = {o.name: a for o, a in zip(session.get_outputs(), outs)}
    # exporters often list intermediate tensors with no shape at all: those entries are replaced
    shaped = [v for v in model.graph.value_info if len(v.type.tensor_type.shape.dim)]
    del model.graph.value_info[:]
    model.graph.value_info.extend(shaped)
    have = {v.name for v in shaped} | {o.name for o in model.graph.output}
    for name, arr in measured.items():
        if name in have or not isinstance(arr, np.ndarray) or arr.dtype != np.float32:
            continue
        # the batch dimension stays symbolic; the rest are what this graph computes
        dims_out: list = ["batch", *arr.shape[1:]] if arr.ndim and arr.shape[0] == 2 else list(arr.shape)
        model.graph.value_info.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims_out))
    return model
