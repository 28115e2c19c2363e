"""Keep freed heap memory in the process instead of handing it back to the kernel after every array.

The meta-gradients allocate and free arrays of a few hundred kB (T × 40 × 40 float64 per layer)
thousands of times a second. glibc returns such memory to the kernel at once (heap trimming, or
mmap for large blocks), so every new array page-faults fresh pages; inside this machine's virtual
machine that made the meta-gradients about 1.5× slower (benchmarks/results/meta_gradient.md).
Raising the trim and mmap thresholds keeps the memory for reuse. ``keep_freed_memory`` does from
inside a process what the Makefile's MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_ and
MALLOC_MMAP_THRESHOLD_ do for ``make lab`` and ``make test``; reproduce_sinusoid.py calls it. The
library itself never changes process-wide settings.
"""
import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory():
    """mallopt: trim threshold 128 MB, top pad 64 MB, mmap threshold 16 MB. Returns False where
    there is no glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return all(libc.mallopt(option, value) == 1 for option, value in
                   ((M_TRIM_THRESHOLD, 1 << 27), (M_TOP_PAD, 1 << 26), (M_MMAP_THRESHOLD, 1 << 24)))
    except (OSError, AttributeError, TypeError):
        return False
