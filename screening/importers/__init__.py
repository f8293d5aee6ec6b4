"""Score importers: one reader per vendor export, one shared pipeline.

Readers (`FORMATS`) stream a file into `ScoreRecord`s; `pipeline.ScoreImport`
matches them to the district (students, catalog measures, windows), computes each
score's risk level from the policy (screening/risk.py), stages the valid rows and
writes them set-based. README: "Score import".
"""

from __future__ import annotations

from screening.importers.aimsweb import AimswebReader
from screening.importers.behavior import SaebrsReader, SrssIeReader
from screening.importers.dibels8 import Dibels8Reader
from screening.importers.generic import GenericReader
from screening.importers.iready import IReadyReader
from screening.importers.nwea_map import NweaMapReader
from screening.importers.star import StarReader

FORMATS = {
    reader.format: reader
    for reader in (
        NweaMapReader,
        IReadyReader,
        StarReader,
        AimswebReader,
        Dibels8Reader,
        SrssIeReader,
        SaebrsReader,
        GenericReader,
    )
}


def format_choices() -> list[tuple[str, str]]:
    return [(key, reader.label) for key, reader in FORMATS.items()]
