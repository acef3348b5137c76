"""Writing a faculty workbook: the template's sheets with the rows filled in, as text."""

from __future__ import annotations

from pathlib import Path

from adapters.workbook.template import new_workbook
from bot.faculty.sheets import SHEETS, Workbook


def write(book: Workbook, path: Path) -> None:
    """Write `book` to `path` as .xlsx; every cell is text, so codes such as 00DA keep their
    leading zeros, and a name typed as `=HYPERLINK(...)` stays a name, never a formula."""
    out = new_workbook()
    for spec in SHEETS:
        sheet = out[spec.name]
        for row in book.of(spec):
            sheet.append([row.cells.get(column.key, "") or None for column in spec.columns])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl reads a leading = as a formula
    out.save(path)


def write_template(path: Path) -> None:
    write(Workbook(), path)
