"""Join tracklet stores extracted on several machines (each `extract --cameras` a share of one
network) into one store: the same extract settings and crop format, no camera twice.

Settings are compared without their file paths (a detections folder or a weights file sits at
another path on each machine); everything that changes what the tracker and the crops are must be
equal. The output is written beside its final name and renamed when whole.
"""
from __future__ import annotations

import os
from pathlib import Path

from tracking.extract_config import setting_differences
from tracking.multi_camera import SETTINGS_ATTR
from tracking.store import StoreInfo, StoreWriter, TrackletStore
from tracklet_reid.errors import InputError

# settings that name a file: they differ between machines and say nothing of the result
PATH_SETTINGS = {"detections", "weights", "cfg", "reid_model"}


def comparable(settings: dict | None) -> dict | None:
    if not isinstance(settings, dict):
        return settings
    return {k: comparable(v) for k, v in settings.items() if k not in PATH_SETTINGS}


def combine_stores(inputs: list[Path], out: Path) -> dict[str, str]:
    """Write every camera of ``inputs`` into ``out``; camera -> the input it came from."""
    origin, info, settings = check_combinable(inputs)
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)  # ours, from a run that was killed
    try:
        with StoreWriter.same_format(tmp, info) as w:
            if settings is not None:
                w.set_attrs(**{SETTINGS_ATTR: settings})
            for cam, src in origin.items():
                w.copy_camera_from(src, cam)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return origin


def check_combinable(inputs: list[Path]) -> tuple[dict[str, str], StoreInfo, dict | None]:
    """(camera -> input, the common crop format, the common settings), once every input is an
    extraction with the first one's settings and crop format, finished, and no camera is in two;
    else one line saying which input and why."""
    if len(inputs) < 2:
        raise InputError("combine needs two or more stores")
    stores = [TrackletStore(p) for p in inputs]
    first = stores[0]
    origin: dict[str, str] = {}
    for p, st in zip(inputs, stores):
        if "benchmark" in st.attrs:
            raise InputError(f"{p}: an imported benchmark, not an extraction: nothing to combine")
        busy = st.incomplete_cameras
        if busy:
            raise InputError(f"{p}: camera(s) {', '.join(busy)} still being extracted; finish extract first")
        if st.info != first.info:
            raise InputError(f"{p}: crops {st.info.crop_height}x{st.info.crop_width} {st.info.encoding} "
                             f"(quality {st.info.jpeg_quality}), {inputs[0]} has {first.info.crop_height}x"
                             f"{first.info.crop_width} {first.info.encoding} (quality {first.info.jpeg_quality})")
        a, b = comparable(st.attrs.get(SETTINGS_ATTR)), comparable(first.attrs.get(SETTINGS_ATTR))
        if a != b:
            raise InputError(f"{p}: extracted with other settings than {inputs[0]} "
                             f"({', '.join(sorted(setting_differences(a, b))[:4])})")
        for cam in st.cameras:
            if cam in origin:
                raise InputError(f"camera {cam} is in both {origin[cam]} and {p}: each camera in one store only")
            origin[cam] = str(p)
    info, settings = first.info, first.attrs.get(SETTINGS_ATTR)
    for st in stores:
        st.close()
    return origin, info, settings

