"""``python -m geo.geocoding PATH``: fill in or refresh an office table's coordinates (see cli.py)."""

import sys

from geo.geocoding.cli import main

sys.exit(main())
