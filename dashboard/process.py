"""What the app does to its server process (issue #15): freed memory handed back, and the collector's work.

Both are measured on a real ``streamlit run`` (``python -m bench --only memory|server-cpu``,
bench/memtrace.py, py-spy); both act once per process and change nothing a page shows.
"""

from __future__ import annotations

import ctypes
import gc
import sys

import streamlit as st

import i18n

# mallopt(3)'s M_MMAP_THRESHOLD (<malloc.h>): blocks of at least this size get their own mapping,
# which goes back to the system when freed. Set once, it also stops glibc from raising the threshold
# each time such a block is freed (up to 32 MiB), after which a run's large strings and buffers
# (a 10,000-office layer is about 1 MB, and each copy on its way to the browser as much) would stay
# in the thread's arena.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def _glibc():
    """The C library when it is glibc (it has malloc_trim and mallopt), else None (not Linux, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        trim, mallopt = libc.malloc_trim, libc.mallopt
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = (ctypes.c_size_t,), ctypes.c_int
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return libc


LIBC = _glibc()


def _trim_after_full_collection(phase: str, info: dict) -> None:
    if phase == "stop" and info.get("generation") == 2 and LIBC is not None:
        LIBC.malloc_trim(0)


@st.cache_resource(show_spinner=False)
def return_freed_memory() -> bool:
    """Once per server: large blocks in mappings of their own (M_MMAP_THRESHOLD), and after every
    full collection (Streamlit makes one after each script run) the memory malloc holds free handed
    back to the system (malloc_trim). Returns True when that is set up (Linux with glibc).

    Streamlit runs each session's script in a thread of its own, and glibc gives threads arenas of
    their own (up to 8 per core) that keep what a run freed: with ten sessions opening at once on a
    10,000-office table, RSS grew by 18.6 MB per extra session, while tracemalloc saw the sessions
    hold about 3.5 MB each (bench/memtrace.py). With the trim alone: 15.9 MB; with the fixed
    threshold too: 4.9 to 7.6 MB in three runs (bench/RESULTS.md). ``MALLOC_ARENA_MAX=2`` in the
    server's environment (with the trim alone): 4.8 MB; it must be set before the server starts its
    threads (./run, the Dockerfile): set from the app, it comes too late.
    """
    if LIBC is None:
        return False
    LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    if _trim_after_full_collection not in gc.callbacks:
        gc.callbacks.append(_trim_after_full_collection)
    return True


# Streamlit collects every generation of garbage after each script run (runner.postScriptGC): a full
# pass over every object the collector tracks, about 236,000 once the app's modules, Babel's locale
# data and the catalogues are loaded, i.e. about 200 ms of CPU after each run of each session on this
# machine, the largest part of a page view's server CPU (py-spy, issue #15). What a warm server holds
# for good (modules, CLDR data, catalogues, the shared tables) is moved out of the collector's sight
# with gc.freeze() once per language, after a collection: the pass after each run then looks only at
# what the runs made since. Reference counting still frees frozen objects; only a reference cycle
# among them (e.g. in the state of the session whose run did the freeze, if it closes) is never freed.
@st.cache_resource(show_spinner=False, max_entries=len(i18n.LANGUAGES))
def freeze_warm_heap(lang: str) -> int:
    """Once per server and language (the first run in ``lang`` loads its CLDR data and catalogue):
    collect, then freeze what is left. Returns how many objects are frozen now."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
