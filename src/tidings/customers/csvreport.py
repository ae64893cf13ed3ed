"""What a CSV import reports, whatever it imports (customers and contacts, subscribers): each
row's problem, the file's own, and whether anything was written."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_ERRORS = 1000  # a report longer than this helps nobody; the count says how many more


@dataclass(frozen=True)
class RowError:
    row: int  # 1 is the header; 0 means the file as a whole
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    """What every CSV import reports besides its counts: the rows' problems (with any, nothing
    is imported), whether it was only a check, and whether the file was too large to read."""

    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    too_large: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def errors_dict(self) -> dict[str, Any]:
        return {
            "error_count": len(self.errors),
            "errors": [e.as_dict() for e in self.errors[:MAX_ERRORS]],
        }
