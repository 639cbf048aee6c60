"""INTERPOL General Secretariat offices: the Streamlit entry point (served by ``streamlit run
launch.py``, which adds the security headers; ``streamlit run app.py`` and AppTest run it bare).

Thin on purpose. Streamlit serves this file at ``/`` and each script of ``pages/`` at its own
path (``/briefing``, ``/directory``, ``/about``); every page does one job and starts with
``dashboard.page.start_page()``, which sets the page up and draws the shared sidebar (with the
translated navigation: Streamlit's own, untranslatable one is switched off in
.streamlit/config.toml). The home page is the map.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent / "pages" / "map.py"), run_name="__main__")
