"""One worker thread for the CPU-heavy rendering of big files (booklets, exports).

Rendering HTML, CSV or XLSX is pure Python: in a thread it still needs the GIL, and every
extra thread that wants it makes the event loop wait longer for its turn (each switch
can take :func:`sys.getswitchinterval`, 5 ms). So all big files share this one thread:
they take turns with each other, the event loop competes with one thread only, and the
work gets done no slower, since it could not run in parallel anyway.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_T = TypeVar("_T")
# One thread for the whole process, made on first use; it holds no state between jobs.
_RENDERER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="circles-render")


async def off_loop(work: Callable[..., _T], *args: object, **kwargs: object) -> _T:
    """``work(*args, **kwargs)`` in the render thread, with this task's context (language)."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, work, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_RENDERER, call)
