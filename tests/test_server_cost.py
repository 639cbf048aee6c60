"""What a page view costs the server (issue #15): the collector's pass after each run, and the
per-language things every session shares instead of keeping its own copy."""

from __future__ import annotations

import gc
import os
import sys

import pytest

from tests.apptest_helpers import new_app


def test_a_warm_server_hides_its_long_lived_objects_from_the_collector():
    """Streamlit runs gc.collect(2) after every script run: once the app is warm, that pass must not
    walk the modules, CLDR data and catalogues again (dashboard.process.freeze_warm_heap)."""
    from dashboard.process import freeze_warm_heap

    gc.unfreeze()
    freeze_warm_heap.clear()
    at = new_app().run()
    assert not at.exception
    frozen = gc.get_freeze_count()
    assert frozen > 50_000, frozen  # the app's modules alone are well over that
    tracked = len(gc.get_objects())  # what a full collection walks (frozen objects are not listed)
    assert tracked < frozen / 2, (tracked, frozen)

    # Another session in English freezes nothing more (frozen objects freed by reference counting
    # leave the count); the first run in French (its CLDR data and catalogue) does, once.
    assert not new_app().run().exception
    assert gc.get_freeze_count() <= frozen
    assert not new_app(lang="fr").run().exception
    in_french = gc.get_freeze_count()
    assert in_french > frozen
    assert not new_app(lang="fr", q="lyon").run().exception
    assert gc.get_freeze_count() <= in_french


# Run in a fresh interpreter: a thread (its own glibc arena, as a session's script thread) mallocs
# about 180 MB in blocks over pymalloc's 512 bytes and keeps one in 20 (holes everywhere, as a run's
# peak leaves them); then one full collection. Prints how much RSS that collection gave back.
TRIM_PROBE = r"""
import gc, sys, threading
import psutil
if sys.argv[1] == "trim":
    from dashboard.process import return_freed_memory
    assert return_freed_memory()
keep = []
def work():
    blocks = [bytes(3000 + i % 7) for i in range(60_000)]
    keep.extend(blocks[::20])
thread = threading.Thread(target=work)
thread.start()
thread.join()
before = psutil.Process().memory_info().rss
gc.collect()
print((before - psutil.Process().memory_info().rss) / 1e6)
"""


def _given_back_mb(mode: str, probe: str = TRIM_PROBE) -> float:
    import subprocess

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-c", probe, mode], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120, check=True)
    return float(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_a_full_collection_gives_freed_memory_back_to_the_system():
    """A session's script thread leaves its run's freed memory in its own malloc arena (17 to 20 MB
    per extra session on a 10,000-office table); dashboard.process hands it back after the
    collection Streamlit makes after each run."""
    assert _given_back_mb("plain") < 40  # without it the holes stay in the process
    assert _given_back_mb("trim") > 100


# A thread frees a 1 MB block (glibc then raises its threshold for mappings to that size), then
# allocates 150 more with small blocks between them that stay (so the arena cannot shrink from its
# top), and frees the large ones; no collection runs. Prints how much RSS the frees gave back.
MMAP_PROBE = r"""
import gc, sys, threading
import psutil
gc.disable()
if sys.argv[1] == "threshold":
    from dashboard.process import return_freed_memory
    assert return_freed_memory()
keep, large = [], []
def work():
    del_me = bytearray(1 << 20)
    del del_me
    for i in range(150):
        large.append(bytearray(1 << 20))
        keep.append(bytes(2000 + i))
thread = threading.Thread(target=work)
thread.start()
thread.join()
before = psutil.Process().memory_info().rss
large.clear()
print((before - psutil.Process().memory_info().rss) / 1e6)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mmap threshold")
def test_large_blocks_go_back_to_the_system_when_freed():
    """A run's large strings and buffers (a 10,000-office layer is about 1 MB, and each copy on its
    way to the browser) must not stay in the session thread's arena once freed."""
    assert _given_back_mb("plain", MMAP_PROBE) < 40
    assert _given_back_mb("threshold", MMAP_PROBE) > 120


def test_every_run_sets_up_the_trim_first():
    from dashboard import process

    process.return_freed_memory.clear()
    if process._trim_after_full_collection in gc.callbacks:
        gc.callbacks.remove(process._trim_after_full_collection)
    assert not new_app().run().exception
    assert process._trim_after_full_collection in gc.callbacks
    assert gc.callbacks.count(process._trim_after_full_collection) == 1
    assert not new_app().run().exception
    assert gc.callbacks.count(process._trim_after_full_collection) == 1
