"""What is wrong with an office table: located problems, repair notes, and how values are quoted.

Every problem names the file, the row (spreadsheet numbering: the header is row 1) and the column,
and quotes the value with :func:`show` (shortened, control characters made visible).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

MAX_PROBLEMS = 100


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a table, located as precisely as possible."""

    source: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.source]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class OfficeTableError(ValueError):
    """The table cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Findings:
    """The problems and repair notes gathered while one table is read (at most MAX_PROBLEMS listed)."""

    source: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unlisted: int = 0
    noted: set[str] = field(default_factory=set)

    def problem(self, message: str, row: int | None = None, column: str | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.source, message, row, column))
        else:
            self.unlisted += 1

    def note_once(self, key: str, note: str) -> None:
        """Add ``note`` unless a note of this kind was already added (one note per kind of repair)."""
        if key not in self.noted:
            self.noted.add(key)
            self.notes.append(note)

    def fail_if_any(self) -> None:
        if self.problems:
            problems = list(self.problems)
            if self.unlisted:
                problems.append(
                    Problem(
                        self.source,
                        f"and {self.unlisted:,} more problems (only the first {MAX_PROBLEMS} are listed)",
                    )
                )
            raise OfficeTableError(problems)

    def refuse(self, message: str, row: int | None = None, column: str | None = None) -> NoReturn:
        """Add a problem that stops the reading at once (raises OfficeTableError)."""
        self.problem(message, row, column)
        self.fail_if_any()
        raise AssertionError("unreachable: a problem was just added")


def show(value: str, limit: int = 60) -> str:
    """Quote a cell value for a message, shortened and with control characters made visible."""
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(shown)


def megabytes(size: int) -> str:
    """A size in MB with one decimal, for the size of a file."""
    return f"{size / (1024 * 1024):.1f} MB"


def limit_megabytes(size: int) -> str:
    """A limit in MB as written in the code ("20 MB", "2.5 MB")."""
    return f"{size / (1024 * 1024):g} MB"
