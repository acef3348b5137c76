"""The empty faculty workbook: a README sheet on how to fill it in, then one sheet per record
kind with its header row frozen, columns wide enough to read, and drop-down lists where a cell
takes one of a few words."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from bot.faculty.sheets import ORGANISATIONS, PEOPLE, SHEETS, SheetSpec
from bot.faculty.validate import PROVIDER_TYPES, ROLES

README = [
    "PlaceBot faculty workbook",
    "",
    "Fill in one row per record, under the header row; leave a sheet empty if it has nothing.",
    "Organisations: every HEI (kind hei, with its UKPRN and the professions it places) and",
    "  every placement provider (kind provider, with its ODS code, provider type and, if its",
    "  staff have their own email domain, that domain; never a shared one such as nhs.net).",
    "Sites: a provider's hospitals and bases, with their ODS site codes where they have one.",
    "Teams: a provider's teams, the site they work at and the professions they place.",
    "People: one row per person and role, by work email. Name organisations by their full",
    "  name, ODS code or UKPRN. A role is held at the person's organisation unless 'Role held",
    "  at' names another (a coordinator for a second provider) or says faculty-wide.",
    "Targets: per profession and academic year, the extra placements planned and the baseline",
    "  (the placements that year would have had anyway).",
    "Several values in one cell are separated by commas: PT, OT.",
    "",
    "Check the file with:   placebot setup import FILE.xlsx",
    "  It lists what it would add, update or leave unchanged, or every cell to put right;",
    "  nothing is stored. Then store it with:   placebot setup import FILE.xlsx --apply",
    "Importing the same file again changes nothing; a later file updates records by their",
    "UKPRN, ODS code or work email. `placebot setup export FILE.xlsx` writes what is stored.",
]
_CHOICES = {
    (ORGANISATIONS.name, "kind"): ("hei", "provider"),
    (ORGANISATIONS.name, "provider_type"): PROVIDER_TYPES,
    (PEOPLE.name, "role"): ROLES,
}
_ROWS = 1000  # how far down the drop-down lists reach


def new_workbook() -> Workbook:
    book = Workbook()
    readme = book.active
    readme.title = "README"
    for line in README:
        readme.append([line])
    readme["A1"].font = Font(bold=True, size=14)
    readme.column_dimensions["A"].width = 100
    for spec in SHEETS:
        _sheet(book, spec)
    return book


def _sheet(book: Workbook, spec: SheetSpec) -> None:
    sheet = book.create_sheet(spec.name)
    sheet.append([column.header for column in spec.columns])
    sheet.freeze_panes = "A2"
    for column in spec.columns:
        letter = spec.letter(column.key)
        cell = sheet[f"{letter}1"]
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = max(18, min(len(column.header), 40))
        choices = _CHOICES.get((spec.name, column.key))
        if choices:
            listed = DataValidation(
                type="list", formula1=f'"{",".join(choices)}"', allow_blank=True
            )
            listed.error = f"Choose one of {', '.join(choices)}."
            sheet.add_data_validation(listed)
            listed.add(f"{letter}2:{letter}{_ROWS}")
