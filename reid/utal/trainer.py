"""The training loop moved to `reid.engine.trainer` (it runs both learners) and is called
`Trainer` there; `UTALTrainer` stays importable from here for one release."""
from __future__ import annotations

import warnings
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "UTALTrainer":
        from reid.engine.trainer import Trainer

        warnings.warn("reid.utal.trainer.UTALTrainer is now reid.engine.trainer.Trainer", DeprecationWarning,
                      stacklevel=2)
        return Trainer
    raise AttributeError(f"module 'reid.utal.trainer' has no attribute {name!r}")
