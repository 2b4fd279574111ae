"""Where model calls run: OpenMP limited to one thread, off the event loop when they are long.

LightGBM predicts (and computes TreeSHAP contributions) with OpenMP over all cores by default. A
single search is far too small to share out: one row cost 0.36 ms with the default threads and
0.05 ms with one on an otherwise busy two-core machine (and 20 ms against 2.6 ms for the whole
scoring path under heavier load). `OMP_NUM_THREADS` is read when the OpenMP runtime is loaded,
which happens when the CLI imports LightGBM, long before `serve` starts; so the limit is set on
the thread itself (`threadpoolctl` calls `omp_set_num_threads` there, after the model is loaded).

- One search (about a millisecond of CPU) runs inline on the event loop's thread
  (`one_openmp_thread()` first): handing it to another thread costs a GIL hand-over, which can wait
  up to the interpreter's 5 ms switch interval while the loop parses the next request.
- Longer work (batches, the fraud path with its warehouse read) runs on `ModelRunner`'s single
  thread, so the loop keeps answering; requests queue for it in arrival order, which on a small
  machine is also the fastest order: the work is CPU-bound. A large batch may ask for more OpenMP
  threads for its own call (`threads`): TreeSHAP over thousands of rows does divide.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_local = threading.local()


PARALLEL_ROWS = 500


def batch_threads(rows: int, reasons: int) -> int:
    """OpenMP threads for a batch's model calls: all cores for TreeSHAP over a large batch; one
    otherwise (a small one is not worth waking them)."""
    return (os.cpu_count() or 1) if rows >= PARALLEL_ROWS and reasons > 0 else 1


def one_openmp_thread() -> None:
    """Limit OpenMP to one thread on the calling thread (once per thread; cheap after that)."""
    if getattr(_local, "openmp", None) is not None:
        return
    from threadpoolctl import ThreadpoolController

    _local.openmp = ThreadpoolController().select(user_api="openmp")
    _local.openmp.limit(limits=1)  # this thread only, until it ends


def _call(function: Callable[..., T], threads: int, *args: Any) -> T:
    if threads <= 1:
        return function(*args)
    with _local.openmp.limit(limits=threads):
        return function(*args)


class ModelRunner:
    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, "commercelens-model", initializer=one_openmp_thread)
        return self._executor

    async def run(self, function: Callable[..., T], *args: Any, threads: int = 1) -> T:
        """`function(*args)` on the model thread, with `threads` OpenMP threads for this call."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), functools.partial(_call, function, threads, *args))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
