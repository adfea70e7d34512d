"""Progress of long operator commands (imports, the demo), on a terminal only.

tqdm draws the bar on stderr when it is a terminal; piped or redirected
output (scripts, CI, `2> log`) gets no bar at all, only the final summary.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO

from tqdm import tqdm


def bar(total: int, desc: str, *, stream: IO[str] | None = None, unit: str = "rows") -> tqdm:  # type: ignore[type-arg]
    """A progress bar of `total` steps, disabled unless `stream` (stderr) is a terminal."""
    out = stream if stream is not None else sys.stderr
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=out,
        disable=not out.isatty(),
        leave=False,
        dynamic_ncols=True,
    )


Advance = Callable[[int], object]
