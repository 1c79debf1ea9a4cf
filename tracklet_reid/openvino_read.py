"""Reading an OpenVINO IR graph (`.xml` with its `.bin` beside it), for the detector and the re-id
embedder alike: every way the files can be wrong gets one line that names the file."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tracklet_reid.errors import InputError


def read_ir(path: str | Path | None, what: str, flag: str) -> tuple[Any, Any]:
    """``(openvino.Core, model)`` of the IR at ``path``; ``what`` names the user of the file in the
    errors ("the openvino detector"), ``flag`` how it is given ("--weights MODEL.xml")."""
    try:
        import openvino as ov
    except ImportError:
        raise InputError(f"{what} needs the openvino package: pip install openvino") from None
    if path is None:
        raise InputError(f"{what} needs {flag} (an OpenVINO IR graph; its .bin beside it)")
    xml = Path(path)
    if not xml.is_file():
        raise InputError(f"{xml}: no such OpenVINO model")
    if xml.suffix.lower() != ".xml":
        raise InputError(f"{xml}: an OpenVINO IR model is the .xml file (with its .bin beside it)")
    if not xml.with_suffix(".bin").is_file():
        raise InputError(f"{xml}: its weights {xml.with_suffix('.bin').name} are not beside it")
    core = ov.Core()
    try:
        return core, core.read_model(str(xml))
    except Exception as exc:  # openvino raises RuntimeError with a multi-line dump
        raise InputError(f"{xml}: not a readable OpenVINO IR model ({str(exc).splitlines()[0][:160]})") from None


def read_ir_bytes(xml: bytes, weights: bytes, where: str) -> tuple[Any, Any]:
    """``(openvino.Core, model)`` of an IR graph held in memory (a model file that carries it)."""
    import numpy as np
    import openvino as ov

    core = ov.Core()
    try:
        return core, core.read_model(model=xml.decode(), weights=ov.Tensor(np.frombuffer(weights, np.uint8).copy()))
    except Exception as exc:
        raise InputError(f"{where}: its OpenVINO graph is damaged ({str(exc).splitlines()[0][:160]})") from None
