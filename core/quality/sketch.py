"""datasketch, imported without scipy (every module of core imports datasketch from here).

`datasketch.lsh` imports `scipy.integrate.quad` when it loads, to find an index's
(bands, rows) by numerical integration; that import was 0.4 s of CPU in every
`assay check` (a quarter of the command's own CPU on 82 Rust items, on cores the runs
share), and `lsh_index` only integrates for thresholds it has not seen. While
datasketch loads, `scipy.integrate` is a stand-in whose `quad` imports the real one on
its first call; the stand-in is gone from `sys.modules` once datasketch is loaded, so
any other import of scipy.integrate gets the real module.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


def _quad(*args: Any, **kwargs: Any) -> Any:
    return importlib.import_module("scipy.integrate").quad(*args, **kwargs)


if "datasketch" in sys.modules or "scipy.integrate" in sys.modules:
    import datasketch
else:
    _stand_in = types.ModuleType("scipy.integrate")
    _stand_in.quad = _quad  # type: ignore[attr-defined]
    sys.modules["scipy.integrate"] = _stand_in
    try:
        import datasketch
    finally:
        if sys.modules.get("scipy.integrate") is _stand_in:
            del sys.modules["scipy.integrate"]

LeanMinHash = datasketch.LeanMinHash
MinHash = datasketch.MinHash
MinHashLSH = datasketch.MinHashLSH

__all__ = ["LeanMinHash", "MinHash", "MinHashLSH"]
