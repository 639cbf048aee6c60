"""What a page view costs the server (issue #15): the collector's pass after each run, and the
per-language things every session shares instead of keeping its own copy."""

from __future__ import annotations

import gc

from tests.apptest_helpers import new_app


def test_a_warm_server_hides_its_long_lived_objects_from_the_collector():
    """Streamlit runs gc.collect(2) after every script run: once the app is warm, that pass must not
    walk the modules, CLDR data and catalogues again (dashboard.page.freeze_warm_heap)."""
    from dashboard.page import freeze_warm_heap

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
