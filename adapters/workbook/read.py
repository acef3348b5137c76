"""Reading a faculty workbook from an .xlsx file or a folder of CSV files (organisations.csv,
sites.csv, teams.csv, people.csv, targets.csv), with the template's header rows.

Columns are found by their headers, so they may be in any order; a missing sheet or file is an
empty one, a missing column is a problem to fix, and empty rows are passed over."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import load_workbook

from bot.faculty.sheets import SHEETS, Problem, Row, SheetSpec, Workbook
from bot.kernel.text import clean


class Unreadable(Exception):
    """The file is not a workbook PlaceBot can read; the message says why."""


def read(path: Path) -> tuple[Workbook, list[Problem]]:
    if path.is_dir():
        return _rows_of(_csv_sheets(path))
    if not path.exists():
        raise Unreadable(f"There is no file or folder {path}.")
    try:
        loaded = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a file that is not .xlsx
        raise Unreadable(
            f"{path} is not an Excel workbook (.xlsx) ({error}); start from "
            "`placebot setup template FILE.xlsx`, or give a folder of CSV files."
        ) from error
    try:
        sheets = {
            spec: list(loaded[spec.name].iter_rows(values_only=True))
            for spec in SHEETS
            if spec.name in loaded.sheetnames
        }
    finally:
        loaded.close()
    return _rows_of(sheets)


def _csv_sheets(folder: Path) -> dict[SheetSpec, list[Sequence[object]]]:
    sheets: dict[SheetSpec, list[Sequence[object]]] = {}
    for spec in SHEETS:
        file = folder / spec.file_name
        if file.exists():
            with file.open(newline="", encoding="utf-8-sig") as handle:
                sheets[spec] = list(csv.reader(handle))
    if not sheets:
        names = ", ".join(spec.file_name for spec in SHEETS)
        raise Unreadable(f"The folder {folder} has none of the files {names}.")
    return sheets


def _text(value: object) -> str:
    """A cell as one clean line of text (controls and invisible characters removed)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(clean(str(value)).split())


def _rows_of(
    sheets: dict[SheetSpec, list[Sequence[object]]],
) -> tuple[Workbook, list[Problem]]:
    book = Workbook()
    problems: list[Problem] = []
    for spec, rows in sheets.items():
        if not rows:
            continue
        positions = _positions(spec, rows[0], problems)
        for number, values in enumerate(rows[1:], start=2):
            cells = [_text(value) for value in values]
            if not any(cells):
                continue
            book.of(spec).append(
                Row(number, {key: cells[at] if at < len(cells) else "" for key, at in positions})
            )
    return book, problems


def _positions(
    spec: SheetSpec, header: Iterable[object], problems: list[Problem]
) -> list[tuple[str, int]]:
    """Where each column is, matched by its full header or the words before its bracket."""
    found = {}
    for at, value in enumerate(header):
        text = _text(value).lower()
        found.setdefault(text, at)
        found.setdefault(text.split(" (")[0], at)
    positions = []
    for column in spec.columns:
        short = column.header.lower().split(" (")[0]
        at = found.get(column.header.lower(), found.get(short))
        if at is None:
            problems.append(Problem(spec, 1, column.key, (
                f"There is no column “{column.header}”; copy the header row from "
                "`placebot setup template FILE.xlsx`."
            )))  # fmt: skip
        else:
            positions.append((column.key, at))
    return positions
