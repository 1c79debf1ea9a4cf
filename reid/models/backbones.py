"""Backbones: ResNet-50 (the paper's), DenseNet-121 (the paper's Table 11 alternative), ResNet-18
and MobileNetV2 for CPU-sized runs.

Pretrained weights: torchvision's ImageNet weights (`imagenet`, downloaded when online), a local
file (a state dict or a whole checkpoint; older key layouts are matched by order and shape), or
none.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reid.models.torch_files import load_torch_file
from tracklet_reid.errors import InputError, first_line

if TYPE_CHECKING:
    from torch import nn

BACKBONES = {"resnet50": 2048, "densenet121": 1024, "resnet18": 512, "mobilenet_v2": 1280}


def _torchvision_model(name: str, imagenet: bool) -> nn.Module:
    # torch is imported where it is used: this module's names are read by the command-line parser
    import torchvision

    ctor = getattr(torchvision.models, name)
    if not imagenet:
        return ctor(weights=None)
    weights = {"resnet50": "ResNet50_Weights", "resnet18": "ResNet18_Weights",
               "mobilenet_v2": "MobileNet_V2_Weights", "densenet121": "DenseNet121_Weights"}[name]
    try:
        return ctor(weights=getattr(torchvision.models, weights).IMAGENET1K_V1)
    except Exception as exc:  # URLError, RuntimeError from the hub, ...
        first = first_line(exc, 120, type(exc).__name__)
        raise InputError(f"cannot fetch torchvision's ImageNet weights for {name} (offline? {first}); "
                         "give --pretrained PATH to a local weights file, or --pretrained none") from None


def _trunk(model: nn.Module, name: str) -> nn.Module:
    from torch import nn

    if name.startswith("resnet"):
        return nn.Sequential(*list(model.children())[:-2])  # up to the last conv block
    if name.startswith("densenet"):
        # DenseNet's forward applies a ReLU after its last batch norm, outside `features`
        return nn.Sequential(model.features, nn.ReLU(inplace=True))
    features: nn.Module = model.features
    return features


def load_weights_by_order(module: nn.Module, state: dict, source: str) -> None:
    """Load ``state`` into ``module``: by key when keys match, else by order when every tensor
    lines up in shape (older torchvision layouts such as `features.N.conv.0` vs `N.conv.0.0`)."""
    target = module.state_dict()
    stripped = {k.split("features.", 1)[-1] if k.startswith("features.") else k: v for k, v in state.items()}
    for cand in (state, stripped):
        if set(cand) == set(target) and all(cand[k].shape == target[k].shape for k in target):
            module.load_state_dict(cand)
            return
    sv, tv = list(state.values()), list(target.items())
    if len(sv) == len(tv) and all(a.shape == b.shape for a, (_, b) in zip(sv, tv)):
        module.load_state_dict({k: v for (k, _), v in zip(tv, sv)})
        return
    raise InputError(f"{source}: weights do not fit this backbone ({len(sv)} tensors vs {len(tv)} expected)")


def build_backbone(name: str, pretrained: str | None = None) -> tuple[nn.Module, int]:
    """(trunk producing a feature map, its channels). ``pretrained``: 'imagenet', a path, or None/'none'."""
    if name not in BACKBONES:
        raise InputError(f"unknown backbone {name!r}: choose one of {', '.join(BACKBONES)}")
    pre = None if pretrained in (None, "", "none") else pretrained
    model = _torchvision_model(name, imagenet=pre == "imagenet")
    trunk = _trunk(model, name)
    if pre and pre != "imagenet":
        path = Path(pre)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in {".pt", ".pth", ".bin"})
            if not files:
                raise InputError(f"{path}: no .pt/.pth weights file in this folder")
            path = files[0]
        if not path.is_file():
            raise InputError(f"{path}: no such weights file")
        state = load_torch_file(path, "torch weights file")
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        if not isinstance(state, dict):
            raise InputError(f"{path}: holds no state dict")
        # a whole-classifier state dict: keep the trunk's part
        if name.startswith("resnet") and "fc.weight" in state:
            state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        if name in ("mobilenet_v2", "densenet121") and any(k.startswith("classifier.") for k in state):
            state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
        load_weights_by_order(trunk, state, str(path))
    return trunk, BACKBONES[name]
