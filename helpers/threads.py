"""One CPU thread for torch (and OpenMP) in every kernel that imports `helpers`, unless told otherwise.

The course's models are tiny: one thread is as fast as several, and on a class hub it keeps
80 learners on a 16-core node from starting 80 × 16 busy threads. `import helpers` calls
`limit()`, so no notebook needs its own `torch.set_num_threads` call.

- `OMP_NUM_THREADS` set before the kernel started (a hub's server environment, a teacher's
  shell) wins: `limit()` applies that number.
- Otherwise `limit()` sets `OMP_NUM_THREADS=1` in this process, which torch reads when it is
  imported later, and calls `torch.set_num_threads` if torch is already imported.
"""
from __future__ import annotations

import os
import sys

DEFAULT = 1


def wanted() -> int:
    """The thread count: $OMP_NUM_THREADS if it is a positive whole number, else DEFAULT."""
    try:
        n = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        return DEFAULT
    return n if n > 0 else DEFAULT


def limit() -> int:
    """Apply `wanted()` to OpenMP (for what starts later) and to torch (if already imported)."""
    n = wanted()
    os.environ["OMP_NUM_THREADS"] = str(n)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "get_num_threads") and torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n
