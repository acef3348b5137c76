"""The allied health professions as reference data: codes, the words people type, HCPC registers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profession:
    code: str
    name: str
    aliases: tuple[str, ...]
    hcpc_code: str | None  # Osteopaths register with the GOsC, not the HCPC.


PROFESSIONS: tuple[Profession, ...] = (
    Profession(
        "PT", "Physiotherapy", ("physio", "physios", "physiotherapy", "physiotherapist"), "PH"
    ),
    Profession(
        "OT",
        "Occupational therapy",
        ("occupational therapy", "occupational therapist", "occ therapy"),
        "OT",
    ),
    Profession(
        "SLT",
        "Speech and language therapy",
        ("salt", "speech and language therapy", "speech therapy", "speech and language"),
        "SL",
    ),
    Profession("DIET", "Dietetics", ("dietetics", "dietitian", "dietician", "dietetic"), "DT"),
    Profession("POD", "Podiatry", ("podiatry", "podiatrist", "chiropody", "chiropodist"), "CH"),
    Profession("PARA", "Paramedic science", ("paramedic", "paramedics", "paramedic science"), "PA"),
    Profession(
        "ODP",
        "Operating department practice",
        ("operating department practice", "operating department practitioner"),
        "ODP",
    ),
    Profession("ORTHOPT", "Orthoptics", ("orthoptics", "orthoptist"), "OR"),
    Profession("OST", "Osteopathy", ("osteopathy", "osteopath", "osteo"), None),
    Profession(
        "PO",
        "Prosthetics and orthotics",
        ("prosthetics and orthotics", "prosthetics", "orthotics", "p&o"),
        "PO",
    ),
    Profession(
        "DRAD",
        "Diagnostic radiography",
        ("diagnostic radiography", "diagnostic radiographer", "radiography"),
        "RA",
    ),
    Profession(
        "TRAD",
        "Therapeutic radiography",
        ("therapeutic radiography", "therapeutic radiographer", "radiotherapy"),
        "RA",
    ),
    Profession("ART", "Art therapy", ("art therapy", "art therapist", "art psychotherapy"), "AS"),
    Profession(
        "DRAMA", "Drama therapy", ("drama therapy", "dramatherapy", "drama therapist"), "AS"
    ),
    Profession("MUSIC", "Music therapy", ("music therapy", "music therapist"), "AS"),
)

PROFESSION_CODES: tuple[str, ...] = tuple(p.code for p in PROFESSIONS)
BY_CODE: dict[str, Profession] = {p.code: p for p in PROFESSIONS}
