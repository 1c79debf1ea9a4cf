"""Which settings made each stage's output in a demo folder, so that a rerun reuses a stage only
when they are the same (and says so), redoes it and everything after it when they are not (naming
the setting that changed), and resumes a stage an interrupted run left unfinished."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from tracklet_reid.errors import InputError

RECORD_FILE = "demo-record.json"
# what each stage leaves in the folder: removed before the stage is made again
STAGE_OUTPUTS = {"world": ("world",), "extract": ("tracklets.h5", "tracklets.h5.parts", "mot"), "learn": ("model",)}
# what a finished stage must have left for it to be reused
STAGE_PRODUCT = {"world": "world/world.json", "extract": "tracklets.h5", "learn": "model/model.pt"}
STAGE_NAMES = {"world": "the world", "extract": "the tracklets", "learn": "the model"}
REUSE, RESUME, FRESH = "reuse", "resume", "fresh"


def _plain(value: dict) -> dict:
    return json.loads(json.dumps(value))  # tuples as lists: keys compare as they were saved


class DemoRecord:
    def __init__(self, out: Path):
        self.out = out
        self.path = out / RECORD_FILE
        self.stages: dict[str, dict] = {}
        if self.path.exists():
            try:
                self.stages = json.loads(self.path.read_text())["stages"]
            except (ValueError, KeyError, TypeError):
                raise InputError(f"{self.path}: damaged demo record; delete it (or the folder) to start "
                                 "the demo again") from None
        else:
            self._refuse_unrecorded()
        self._redone: list[str] = []  # stages made again in this run: the ones after them follow

    def begin(self, stage: str, key: dict) -> str:
        """How this run gets ``stage``: REUSE (same settings, finished), RESUME (same settings,
        interrupted) or FRESH (made again, its old output removed, with one line saying why)."""
        key = _plain(key)
        old = self.stages.get(stage)
        if not self._redone and old is not None and old.get("key") == key:
            if old.get("done") and (self.out / STAGE_PRODUCT[stage]).exists():
                print(f"   reusing {STAGE_NAMES[stage]} in {self.out} (made by an earlier run with the same "
                      "settings)", file=sys.stderr, flush=True)
                return REUSE
            print(f"   resuming {STAGE_NAMES[stage]}: an earlier run with the same settings was interrupted",
                  file=sys.stderr, flush=True)
            self._redone.append(stage)
            return RESUME
        why = self._why(stage, old, key)
        if why:
            print(f"   {why}: making {STAGE_NAMES[stage]} again", file=sys.stderr, flush=True)
        for name in STAGE_OUTPUTS[stage]:
            path = self.out / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        self._redone.append(stage)
        self.stages[stage] = {"key": key, "done": False}
        self._save()
        return FRESH

    def finish(self, stage: str) -> None:
        self.stages[stage]["done"] = True
        self._save()

    def _refuse_unrecorded(self) -> None:
        """Files where the demo writes, with no record of a demo having made them: someone's own
        files, or a demo of an earlier version. Never removed; the user decides."""
        found = [n for names in STAGE_OUTPUTS.values() for n in names if (self.out / n).exists()]
        if found:
            raise InputError(f"{self.out} holds {', '.join(found)} but no {RECORD_FILE}: not a folder this demo "
                             "made (or made by an earlier version); give another --out, or delete them")

    def _why(self, stage: str, old: dict | None, key: dict) -> str | None:
        if old is None:  # never made here: nothing to explain
            return None
        if self._redone:
            return f"{STAGE_NAMES[self._redone[0]]} changed"
        if old.get("key") == key:
            return f"{STAGE_PRODUCT[stage]} is missing"
        before = old.get("key", {})
        changed = [f"{k} {_show(before.get(k))} -> {_show(v)}" for k, v in key.items() if before.get(k) != v]
        return f"{', '.join(changed) or 'settings'} since the earlier run in {self.out}"

    def _save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"stages": self.stages}, indent=1))
        tmp.replace(self.path)


def _show(v) -> str:
    return "x".join(map(str, v)) if isinstance(v, list) else str(v)
