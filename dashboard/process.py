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


def _glibc_malloc_trim():
    """glibc's malloc_trim(3), or None where there is none (not Linux, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    return trim


def _trim_after_full_collection(phase: str, info: dict) -> None:
    if phase == "stop" and info.get("generation") == 2:
        TRIM(0)


TRIM = _glibc_malloc_trim()


@st.cache_resource(show_spinner=False)
def return_freed_memory() -> bool:
    """Once per server: after every full collection (Streamlit makes one after each script run),
    hand the memory malloc holds free back to the system (glibc's malloc_trim). Returns True when
    that is set up (Linux with glibc).

    Streamlit runs each session's script in a thread of its own, and glibc gives threads arenas of
    their own (up to 8 per core) that keep what a run freed: ten sessions opening at once on a
    10,000-office table left each run's peak behind, and RSS grew by 17 to 20 MB per extra session
    while the sessions themselves hold about 4 MB (tracemalloc, bench/memtrace.py). Capping the
    arenas (``MALLOC_ARENA_MAX=2`` in the server's environment) showed the same: 4.1 MB; a cap set
    from the app comes too late, after the server's threads have made their arenas.
    """
    if TRIM is None:
        return False
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
