"""The trainer process's environment: glibc's allocator settings and thread counts.

A training step on a CPU allocates and frees the same big activation buffers (tens of MB each)
over and over. glibc serves blocks above ``M_MMAP_THRESHOLD`` with ``mmap`` and hands them back
to the system with ``munmap`` when freed, so every step faults the pages in again: measured on a
2-core machine, about 760,000 minor page faults and over 30% system time per paper AlexNet step.
Two settings keep freed memory in the process for the next step:

    MALLOC_MMAP_MAX_=0                    never mmap: every block comes from the heap
    MALLOC_TRIM_THRESHOLD_=<16 GiB>       never shrink the heap back to the system

The cost is that the trainer's resident memory stays at its peak until it exits, which is what a
trainer needs anyway. Thread counts: one intra-op thread per core this process may use (divided
among torchrun's processes), set only where the user has not set them.

Two ways in, so that the app and the command line both get it without the user knowing:
``trainer_env`` builds a child's environment (``alexnet.runs`` starts the trainer with it), and
``tune_this_process`` applies the same allocator settings to the running process with
``mallopt`` (``python -m alexnet train`` and ``bench`` call it first), which needs no re-exec.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Mapping

# glibc's names for mallopt's parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
TRIM_THRESHOLD_BYTES = 16 << 30  # larger than any heap a trainer here grows to: never trim
ALLOCATOR_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD_BYTES)}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
LAUNCHED_FLAG = "ALEXNET_TUNED"  # set in a tuned environment, so children and tests can tell


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def trainer_env(base: Mapping[str, str] | None = None, *, processes: int = 1) -> dict[str, str]:
    """``base`` (default ``os.environ``) plus the allocator settings and thread counts above.

    Values the user set already win: this only fills in what is missing.

    Args:
        processes: trainer processes sharing this machine's cores (torchrun's ``--nproc_per_node``).
    """
    env = dict(os.environ if base is None else base)
    threads = str(max(1, usable_cores() // max(1, processes)))
    for name, value in {**ALLOCATOR_ENV, **dict.fromkeys(THREAD_VARIABLES, threads)}.items():
        env.setdefault(name, value)
    env[LAUNCHED_FLAG] = "1"
    return env


def tune_this_process() -> bool:
    """Apply the allocator settings to the running process (glibc ``mallopt``); returns whether
    they took. Blocks already mapped stay so; every later allocation follows the new rules."""
    os.environ.update({name: os.environ.get(name, value) for name, value in ALLOCATOR_ENV.items()})
    os.environ[LAUNCHED_FLAG] = "1"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl): the system allocator decides
        return False
    try:  # the user's own values win, but only whole numbers mean anything to glibc
        mmap_max = int(os.environ["MALLOC_MMAP_MAX_"])
        trim = int(os.environ["MALLOC_TRIM_THRESHOLD_"])
    except ValueError:
        return False
    # mallopt takes an int: clamp the threshold to the largest one (2 GiB still never trims a step)
    return bool(mallopt(_M_MMAP_MAX, mmap_max)) and bool(mallopt(_M_TRIM_THRESHOLD, min(trim, 2**31 - 1)))


def default_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` without anything ``trainer_env`` adds: the environment a learner's own script gets."""
    env = dict(os.environ if base is None else base)
    for name in (*ALLOCATOR_ENV, *THREAD_VARIABLES, LAUNCHED_FLAG):
        env.pop(name, None)
    return env
