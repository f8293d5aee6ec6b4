"""Caps on what one import may hold, checked before any row is parsed (issue 15, "Caps").

A zip of blank lines (204 KB that unpacks to hundreds of megabytes of newlines) once kept
a worker busy for 970 s. The check below streams each file once in 1 MiB blocks, counting
bytes and newlines at C speed, and stops at the first cap it passes, so such a file is
refused after reading a few megabytes. The sizes are the decompressed ones: a zip member is
read through `zipfile`, which never returns more than the member's declared size.

The caps are settings (IMPORT_MAX_BYTES for the whole import, IMPORT_MAX_LINES per file);
README.md, "Import jobs".
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from django.conf import settings

from students.importers.csvio import ImportFileError, open_source

BLOCK = 1 << 20


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MB"


def check_limits(path: str | os.PathLike, *, anchor: str | None = None) -> int:
    """Raise ImportFileError naming the file that passes a cap; return the import's line count.

    `path` is a file, a folder or a zip, as the importers take it. The line count is the
    total of every file's lines (the progress bar's 100 %).
    """
    max_bytes: int = settings.IMPORT_MAX_BYTES
    max_lines: int = settings.IMPORT_MAX_LINES
    declared = declared_size(path)
    if declared > max_bytes:
        raise ImportFileError(
            Path(path).name,
            f"the zip archive unpacks to {_mib(declared)}, more than the {_mib(max_bytes)} an import may hold; "
            "split it into smaller files (the limit is IMPORT_MAX_BYTES)",
        )
    source = open_source(path, anchor=anchor)  # an unreadable path is the importer's to report
    total_bytes = total_lines = 0
    with source:
        for name in source.names():
            _stored, opener = source.find(name)
            lines = 0
            try:
                with opener() as stream:
                    while block := stream.read(BLOCK):
                        total_bytes += len(block)
                        lines += block.count(b"\n")
                        if total_bytes > max_bytes:
                            raise ImportFileError(
                                name,
                                f"the import unpacks to more than {_mib(max_bytes)} (reached while reading "
                                f"{name}); split it into smaller files (the limit is IMPORT_MAX_BYTES)",
                            )
                        if lines > max_lines:
                            raise ImportFileError(
                                name,
                                f"{name} has more than {max_lines:,} lines; split it into smaller files "
                                "(the limit is IMPORT_MAX_LINES)",
                            )
            except (OSError, zipfile.BadZipFile, RuntimeError, EOFError):
                continue  # unreadable: the importer reports it with its own words
            total_lines += lines
    return total_lines


def declared_size(path: str | os.PathLike) -> int:
    """What a zip says it unpacks to (0 for anything else): refused before reading a byte."""
    path = Path(path)
    if not path.is_file():
        return 0
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return 0
