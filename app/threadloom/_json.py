"""JSON that any tool reads: NaN and infinities become null, numpy scalars plain numbers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def strict_json(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None, recursively, ready for ``json.dumps``.

    Python's json writes NaN and Infinity, which strict readers (browsers, jq, Perfetto) refuse.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value
