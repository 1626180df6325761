"""sqlite-utils, imported without pandas (the store imports this module first).

Where pandas is installed (a dependency of evalplus' `datasets`, in the dev environment),
sqlite-utils imports it only to map `pandas.Timestamp` to TEXT, which Assay never stores;
that import was over a third of every `assay` command's start (0.3-0.5 s of 0.9). Later
imports of pandas, by anything else, work as usual.
"""

from __future__ import annotations

import sys

if "pandas" in sys.modules or "sqlite_utils" in sys.modules:
    import sqlite_utils
else:
    sys.modules["pandas"] = None  # type: ignore[assignment]  # `import pandas` raises ImportError
    try:
        import sqlite_utils
    finally:
        del sys.modules["pandas"]

__all__ = ["sqlite_utils"]
