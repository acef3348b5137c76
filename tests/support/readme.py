"""The README's "Set up your faculty" as a test reads it: the lines of its ```sh and ```text
blocks in order, its one-at-a-time set-up commands as the CLI parses them, and the workbook rows
an administrator would type to make the same faculty."""

from __future__ import annotations

import argparse
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from adapters import cli, cli_setup

README = Path(__file__).parents[2] / "README.md"
SECTION = "## Set up your faculty"


@dataclass(frozen=True)
class Step:
    kind: str  # "sh": a command line; "text": what someone types in chat
    line: str


def section(readme: str) -> str:
    start = readme.index(f"\n{SECTION}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else len(readme)]


def section_steps(text: str) -> list[Step]:
    """The lines of the section's ```sh and ```text blocks, in order; any other block is an
    error, so a command cannot hide from the test in a block it does not read."""
    fences = re.findall(r"^```(\S*)\n(.*?)^```$", text, re.M | re.S)
    assert fences, f"no fenced blocks under {SECTION!r} in README.md"
    steps = []
    for kind, block in fences:
        assert kind in ("sh", "text"), f"a ```{kind} block in {SECTION!r}: use ```sh or ```text"
        for line in block.splitlines():
            assert not line.rstrip().endswith("\\"), f"one command a line, please: {line!r}"
            if line.strip():
                steps.append(Step(kind, line.strip()))
    return steps


def readme_steps() -> list[Step]:
    return section_steps(section(README.read_text(encoding="utf-8")))


def setup_commands(steps: list[Step]) -> list[argparse.Namespace]:
    """The one-at-a-time set-up commands (`placebot org|site|team|person|role|target`), parsed
    by the CLI's own parser, so a mistyped option fails here."""
    parsed = []
    for step in steps:
        words = shlex.split(step.line) if step.kind == "sh" else [""]
        if words[0] == "placebot" and words[1] in cli_setup.VERBS and words[1] != "setup":
            parsed.append(cli._parser().parse_args(words[1:]))
    return parsed


def find(commands: list[argparse.Namespace], verb: str, **wanted: object) -> argparse.Namespace:
    """The first of `commands` of `verb` whose arguments are as `wanted`."""
    for args in commands:
        if args.verb == verb and all(getattr(args, k, None) == v for k, v in wanted.items()):
            return args
    raise AssertionError(f"no `placebot {verb}` with {wanted} under {SECTION!r}")


def workbook_rows(commands: list[argparse.Namespace]) -> dict[str, list[list[str]]]:
    """The rows, sheet by sheet, that make what `commands` make."""
    joined = ", ".join
    sheets: dict[str, list[list[str]]] = {
        name: [] for name in ("Organisations", "Sites", "Teams", "People", "Targets")
    }
    names = {a.email: a.name for a in commands if a.verb == "person"}
    for a in commands:
        match a.verb, getattr(a, "kind", None) or a.action:
            case "org", "hei":
                row = ["hei", a.name, a.ukprn, "", "", joined(a.professions or ()), ""]
                sheets["Organisations"].append(row)
            case "org", "provider":
                domains = joined(a.email_domains or ())
                sheets["Organisations"].append(["provider", a.name, "", a.ods, a.type, "", domains])
            case "site", "add":
                sheets["Sites"].append([a.organisation, a.name, a.ods or ""])
            case "team", "add":
                row = [a.organisation, a.name, a.site or "", joined(a.professions or ())]
                sheets["Teams"].append(row)
            case "person", "add":
                row = [a.email, a.name, a.role or "", a.organisation or "", a.team or ""]
                sheets["People"].append([*row, joined(a.professions or ()), ""])
            case "role", "grant":
                row = [a.email, names[a.email], a.role, "", "", "", a.organisation or ""]
                sheets["People"].append(row)
            case "target", "set":
                sheets["Targets"].append([a.profession, a.year, a.extra, a.baseline or ""])
            case _:
                raise AssertionError(f"no workbook row makes what {a} makes")
    return sheets


def fill_in(template: Path, commands: list[argparse.Namespace]) -> None:
    """Type the rows into the template, as an administrator would, and save it."""
    book = load_workbook(template)
    for sheet, rows in workbook_rows(commands).items():
        for row in rows:
            book[sheet].append(row)
    book.save(template)
