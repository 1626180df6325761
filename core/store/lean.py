"""sqlite-utils, imported without pandas or numpy (the store imports this module first).

Where pandas is installed (a dependency of evalplus' `datasets`, in the dev environment),
sqlite-utils imports it only to map `pandas.Timestamp` to TEXT, which Assay never stores;
that import was over a third of every `assay` command's start (0.3-0.5 s of 0.9). numpy
it imports only to map numpy scalar types to column types when it creates tables from
Python values; the store writes its schema and rows in SQL, so that was ~0.1 s of every
command's start for nothing (the commands that need numpy, the quality checks, import it
when they run). Later imports of either, by anything else, work as usual.
"""

from __future__ import annotations

import sys

_KEPT_OUT = ("pandas", "numpy")

if "sqlite_utils" in sys.modules:
    import sqlite_utils
else:
    blocked = [name for name in _KEPT_OUT if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError
    try:
        import sqlite_utils
    finally:
        for name in blocked:
            del sys.modules[name]

__all__ = ["sqlite_utils"]
