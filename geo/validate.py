"""Check an office table: ``python -m geo.validate PATH``.

Prints ``ok: N offices`` and exits 0, or prints one line per problem and exits 1. Repairs that
were assumed (a byte-order mark, semicolons, swapped coordinates) are printed as ``note:`` lines.
"""

from __future__ import annotations

import argparse
import sys

from geo.offices.table import OfficeTableError, load_offices


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo.validate", description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the office table (CSV, UTF-8)")
    parser.add_argument(
        "--allow-missing-coordinates",
        action="store_true",
        help="accept rows without latitude and longitude (they can be geocoded later)",
    )
    args = parser.parse_args(argv)
    try:
        frame = load_offices(args.path, require_coordinates=not args.allow_missing_coordinates)
    except OfficeTableError as err:
        for problem in err.problems:
            print(problem)
        return 1
    for note in frame.attrs.get("notes", []):
        print(f"note: {note}")
    print(f"ok: {len(frame)} offices")
    return 0


if __name__ == "__main__":
    sys.exit(main())
