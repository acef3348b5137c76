"""The faculty workbook's shape, shared by its file formats (.xlsx, a folder of CSV files) and
the batch that imports it: sheets, their columns with self-explaining headers, and plain rows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    key: str  # the row's field, e.g. "ukprn"
    header: str  # what the sheet's first row says, e.g. "UKPRN (HEIs: 8 digits)"


@dataclass(frozen=True)
class SheetSpec:
    name: str  # "Organisations"; its CSV file is organisations.csv
    columns: tuple[Column, ...]

    @property
    def file_name(self) -> str:
        return f"{self.name.lower()}.csv"

    def letter(self, key: str) -> str:
        """The spreadsheet column letter of `key` (A for the first column)."""
        index = [column.key for column in self.columns].index(key)
        return chr(ord("A") + index)

    def header(self, key: str) -> str:
        return next(column.header for column in self.columns if column.key == key)


ORGANISATIONS = SheetSpec(
    "Organisations",
    (
        Column("kind", "Kind (hei or provider)"),
        Column("name", "Name (full registered name)"),
        Column("ukprn", "UKPRN (HEIs: 8 digits)"),
        Column("ods_code", "ODS code (providers, e.g. RR8)"),
        Column(
            "provider_type", "Provider type (nhs_trust, local_authority, independent, voluntary)"
        ),
        Column("professions", "Professions (HEIs: the ones it places, e.g. PT, OT)"),
        Column("email_domains", "Email domains (providers: staff's own, e.g. leedsth.nhs.uk)"),
    ),
)
SITES = SheetSpec(
    "Sites",
    (
        Column("organisation", "Organisation (provider's name, ODS code)"),
        Column("name", "Site name"),
        Column("ods_code", "ODS site code (optional, e.g. RR813)"),
    ),
)
TEAMS = SheetSpec(
    "Teams",
    (
        Column("organisation", "Organisation (provider's name, ODS code)"),
        Column("name", "Team name"),
        Column("site", "Site (name or ODS site code, optional)"),
        Column("professions", "Professions (e.g. PT, OT)"),
    ),
)
PEOPLE = SheetSpec(
    "People",
    (
        Column("email", "Work email"),
        Column("name", "Name"),
        Column("role", "Role (clinician, coordinator, hei_lead, faculty_lead)"),
        Column("organisation", "Organisation (name, ODS code or UKPRN)"),
        Column("team", "Team (name, optional)"),
        Column("professions", "Professions (e.g. PT)"),
        Column("role_at", "Role held at (blank: their organisation; or faculty-wide)"),
    ),
)
TARGETS = SheetSpec(
    "Targets",
    (
        Column("profession", "Profession (code or name, e.g. PT)"),
        Column("academic_year", "Academic year (e.g. 2026/27)"),
        Column("extra", "Extra placements (whole number)"),
        Column("baseline", "Baseline placements (optional whole number)"),
    ),
)
SHEETS = (ORGANISATIONS, SITES, TEAMS, PEOPLE, TARGETS)
FACULTY_WIDE = "faculty-wide"


@dataclass(frozen=True)
class Row:
    """One filled-in row: its number as the sheet shows it (the header is row 1) and its cells
    as text, "" where empty; a missing column reads as empty."""

    number: int
    cells: dict[str, str]

    def get(self, key: str) -> str:
        return self.cells.get(key, "").strip()


@dataclass
class Workbook:
    """The rows of each sheet, by sheet name, in the order they were read or are to be written."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {s.name: [] for s in SHEETS})

    def of(self, sheet: SheetSpec) -> list[Row]:
        return self.rows.setdefault(sheet.name, [])


@dataclass(frozen=True)
class Problem:
    """A bad cell: where it is and what to do about it."""

    sheet: SheetSpec
    row: int
    key: str
    message: str

    def line(self) -> str:
        where = f"column {self.sheet.letter(self.key)} ({self.sheet.header(self.key)})"
        return f"{self.sheet.name}, row {self.row}, {where}: {self.message}"
