"""Streaming CSV reading shared by the importers (rosters now, scores later).

Files are never read whole. A bounded sample (the first 64 KiB) decides the
encoding and the delimiter and catches files of another format; the rows then
stream through `csv.reader` over a text wrapper of the binary stream, which is a
file on disk or a member of a zip archive.

What real exports do, and what this module therefore accepts:

* encodings: UTF-8, UTF-8 with a byte-order mark (Excel's "CSV UTF-8") and
  Windows-1252 (Excel's plain "CSV" on Windows). A file that starts in plain
  ASCII is read as UTF-8 and falls back to Windows-1252 byte by byte, so a lone
  `é` written by Excel far down the file still reads. UTF-16, binary files and
  other formats (PNG, PDF, zip/xlsx, JSON, HTML) get a message naming what they are;
* delimiters `,` `;` tab `|`, found with `csv.Sniffer` and checked against the header;
* headers matched without regard to case, spaces, punctuation or doubled
  letters, so `prefferedGivenName` finds `preferredGivenName`; callers add aliases
  for other known misspellings; unknown extra columns are reported, not fatal;
* rows shorter than the header (missing trailing values), blank lines, and rows
  of nothing but delimiters;
* dates as `2023-01-05`, `2023/01/05`, `1/05/2023`, `9/4/2019` (month first, as in
  the US) and `15/06/2023` (day first, when the first number cannot be a month),
  with or without a time part.

Line numbers are physical lines, counting the header as line 1; a quoted value
spanning lines reports the line where its row starts.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from mtss.spreadsheet import formula_safe
from students.importers import progress

SAMPLE_SIZE = 64 * 1024
DELIMITERS = ",;\t|"
ERRORS_CSV_HEADER = ["file", "line", "column", "reason"]

Opener = Callable[[], BinaryIO]


# --- errors -----------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One rejected row (or a whole file when `line` is None or the header's 1)."""

    file: str
    line: int | None
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "reason": self.reason}


class ImportFileError(Exception):
    """The file as a whole cannot be used: missing, another format or encoding, bad header."""

    def __init__(
        self, file: str, reason: str, *, line: int | None = None, column: str = "", errors: list[RowError] | None = None
    ):
        self.errors = errors or [RowError(file, line, column, reason)]
        super().__init__("; ".join(_describe(e) for e in self.errors))


def _describe(error: RowError) -> str:
    where = (
        error.file
        + (f", line {error.line}" if error.line else "")
        + (f", column {error.column}" if error.column else "")
    )
    return f"{where}: {error.reason}"


class ErrorLog:
    """Every rejected row, with a bounded memory: the first `keep` are kept, all are counted.

    `entity` tags an error with what the row would have become (students, staff...),
    so a report can say how many rows of each kind were rejected.
    """

    def __init__(self, keep: int = 100_000):
        self.keep = keep
        self.items: list[RowError] = []
        self.total = 0
        self._rows: dict[str, set[tuple[str, int | None]]] = {}

    def add(self, file: str, line: int | None, column: str, reason: str, *, entity: str = "") -> None:
        self.total += 1
        if len(self.items) < self.keep:
            self.items.append(RowError(file, line, column, reason))
        self._rows.setdefault(entity, set()).add((file, line))

    def add_row(self, row: Row, *, entity: str = "") -> None:
        for column, reason in row.problems:
            self.add(row.file, row.line, column, reason, entity=entity)

    def extend(self, errors: Iterable[RowError], *, entity: str = "") -> None:
        for error in errors:
            self.add(error.file, error.line, error.column, error.reason, entity=entity)

    def rejected_rows(self, entity: str | None = None) -> int:
        if entity is not None:
            return len(self._rows.get(entity, ()))
        return len(set().union(*self._rows.values())) if self._rows else 0

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Iterator[RowError]:
        return iter(self.items)


class ImportErrors:
    """What an import's plan knows of its problems: `file_errors` (whole files that could
    not be read) and `errors` (an ErrorLog of rejected rows). Shared by the roster,
    score and norms imports."""

    file_errors: list[RowError]
    errors: ErrorLog

    @property
    def refused_whole(self) -> bool:
        """A file could not be read at all: nothing of the import can be trusted."""
        return bool(self.file_errors)

    @property
    def all_errors(self) -> list[RowError]:
        return [*self.file_errors, *self.errors.items]

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + self.errors.total


def write_errors_csv(errors: Iterable[RowError | dict], stream: TextIO) -> int:
    """Write rejected rows as CSV (file, line, column, reason); returns the row count.

    Values that a spreadsheet would run as a formula are prefixed with `'`.
    """
    writer = csv.writer(stream)
    writer.writerow(ERRORS_CSV_HEADER)
    count = 0
    for error in errors:
        data = error.as_dict() if isinstance(error, RowError) else error
        writer.writerow([formula_safe(data.get(key)) for key in ERRORS_CSV_HEADER])
        count += 1
    return count


# --- encodings and formats ------------------------------------------------------------


@dataclass(frozen=True)
class Encoding:
    codec: str
    errors: str
    label: str


def _cp1252_fallback(error: UnicodeError):
    # Decode the offending bytes as Windows-1252; bytes that code page leaves
    # undefined still raise, with the original position.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252"), error.end


codecs.register_error("mtss-cp1252-fallback", _cp1252_fallback)

_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive or an Excel .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel .xls (or other Office) file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xff\xfe\x00\x00", "UTF-32 text"),
    (b"\x00\x00\xfe\xff", "UTF-32 text"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
]
SAVE_AS = "Save or export it as CSV (UTF-8 or Windows-1252)."


def describe_binary(sample: bytes) -> str | None:
    """What a non-text file looks like, from its first bytes; None for text."""
    for magic, what in _MAGIC:
        if sample.startswith(magic):
            return what
    if b"\x00" in sample:
        return "binary data (or UTF-16 text without a byte-order mark)"
    return None


def detect_encoding(sample: bytes, *, name: str, complete: bool) -> Encoding:
    """UTF-8 (with or without BOM) or Windows-1252, from a sample of the file's start.

    `complete` says the sample is the whole file (a multi-byte character cut at
    the end of a partial sample is not an error).
    """
    if sample.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig", "strict", "utf-8 with BOM")
    what = describe_binary(sample)
    if what is not None:
        raise ImportFileError(name, f"this is not a CSV text file: it looks like {what}. {SAVE_AS}", line=None)
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        if text.isascii():
            return Encoding("utf-8", "mtss-cp1252-fallback", "utf-8")
        return Encoding("utf-8", "strict", "utf-8")
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            name,
            f"the text is neither UTF-8 nor Windows-1252 (byte 0x{sample[error.start]:02x} at offset "
            f"{error.start}). {SAVE_AS}",
        ) from None
    return Encoding("cp1252", "strict", "windows-1252")


_JSON_START = re.compile(r"\s*(\{|\[\s*([\[{\"\d\]-]|true|false|null|$))")


def _check_text_format(text: str, *, name: str) -> None:
    start = text.lstrip()[:1]
    if _JSON_START.match(text):
        raise ImportFileError(name, f"this is not a CSV file: it looks like JSON. {SAVE_AS}")
    if start == "<":
        raise ImportFileError(name, f"this is not a CSV file: it looks like HTML or XML. {SAVE_AS}")


def sniff_delimiter(text: str) -> str:
    """The delimiter: csv.Sniffer's guess if the header agrees, else whichever splits the header most."""
    lines = [line for line in text.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    widths = {d: len(next(csv.reader([lines[0]], delimiter=d))) for d in DELIMITERS}
    best = max(widths.values())
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in widths and widths[sniffed] == best:
        return sniffed
    if widths[","] == best:
        return ","
    return max(DELIMITERS, key=lambda d: widths[d])


# --- headers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column a reader knows: its canonical name, whether a file must have it, other spellings."""

    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()


def header_key(name: str) -> str:
    """Compare headers loosely: case, spacing, punctuation and doubled letters do not count."""
    text = re.sub(r"[^a-z0-9]", "", name.replace("\ufeff", "").strip().lower())
    return re.sub(r"(.)\1+", r"\1", text)


def _column_keys(columns: Iterable[Column]) -> dict[str, Column]:
    keys: dict[str, Column] = {}
    for column in columns:
        for spelling in (column.name, *column.aliases):
            key = header_key(spelling)
            if key in keys and keys[key].name != column.name:
                raise ValueError(f"columns {keys[key].name!r} and {column.name!r} read alike")
            keys[key] = column
    return keys


# --- values ---------------------------------------------------------------------------

_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_SLASH_DATE = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})")
_SHORT_YEAR = re.compile(r"\d{1,2}[/-]\d{1,2}[/-]\d{2}")
DATE_FORMATS = "YYYY-MM-DD or M/D/YYYY"
TRUE = {"true", "t", "yes", "y", "1"}
FALSE = {"false", "f", "no", "n", "0"}


def parse_date(value: str) -> dt.date:
    """A calendar date from the forms exports use; ValueError says what was wrong.

    `1/05/2023` is 5 January (month first, as US systems write it); `15/06/2023`
    can only be 15 June. A time part (`2023-05-01T18:25:43Z`, `1/5/2023 0:00`) is dropped.
    """
    text = value.strip()
    day_part = re.split(r"[T ]", text, maxsplit=1)[0] if text else text
    try:
        if match := _ISO_DATE.fullmatch(day_part):
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        if match := _SLASH_DATE.fullmatch(day_part):
            first, second, year = (int(g) for g in match.groups())
            month, day = (second, first) if first > 12 >= second else (first, second)
            return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date on the calendar") from None
    if _SHORT_YEAR.fullmatch(day_part):
        raise ValueError(f"{text!r} has a two-digit year; write the full year ({DATE_FORMATS})")
    raise ValueError(f"{text!r} is not a date ({DATE_FORMATS})")


def parse_datetime(value: str) -> dt.datetime:
    """An instant: ISO 8601 (with `Z`, an offset or none: UTC) or any date `parse_date` reads (midnight UTC)."""
    text = value.strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        day = parse_date(text)  # raises with the message
        moment = dt.datetime(day.year, day.month, day.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def parse_bool(value: str) -> bool:
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"{value.strip()!r} is not true or false")


def parse_list(value: str) -> list[str]:
    """A comma-separated list inside one (quoted) value: `"a, b,c"` -> ["a", "b", "c"]."""
    return [item.strip() for item in value.split(",") if item.strip()]


# --- rows and tables ---------------------------------------------------------------------


class Row:
    """One data row. Getters record a problem (and return None/"") instead of raising,
    so a row reports every bad value at once; check `row.problems` after reading it."""

    __slots__ = ("file", "line", "_values", "_index", "problems")

    def __init__(self, file: str, line: int, values: list[str], index: dict[str, int]):
        self.file = file
        self.line = line
        self._values = values
        self._index = index
        self.problems: list[tuple[str, str]] = []

    def has(self, column: str) -> bool:
        """The file has this column (the value may still be blank)."""
        return column in self._index

    def values(self) -> tuple[str, ...]:
        """The row's known values in column order: equal for rows that say the same."""
        return tuple(self.raw(column) for column in sorted(self._index))

    def raw(self, column: str) -> str:
        position = self._index.get(column)
        if position is None or position >= len(self._values):
            return ""
        return self._values[position].strip()

    def reject(self, column: str, reason: str) -> None:
        self.problems.append((column, reason))

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.raw(column)
        if required and not value:
            self.reject(column, "a value is required")
        elif max_length is not None and len(value) > max_length:
            self.reject(column, f"longer than {max_length} characters")
            return value[:max_length]
        return value

    def _parsed(self, column: str, parser, required: bool):
        value = self.raw(column)
        if not value:
            if required:
                self.reject(column, "a value is required")
            return None
        try:
            return parser(value)
        except ValueError as error:
            self.reject(column, str(error))
            return None

    def date(self, column: str, *, required: bool = False) -> dt.date | None:
        return self._parsed(column, parse_date, required)

    def datetime(self, column: str, *, required: bool = False) -> dt.datetime | None:
        return self._parsed(column, parse_datetime, required)

    def boolean(self, column: str, *, required: bool = False) -> bool | None:
        return self._parsed(column, parse_bool, required)

    def items(self, column: str) -> list[str]:
        return parse_list(self.raw(column))


class CsvTable:
    """The rows of one CSV file, streamed. Iterate once."""

    def __init__(self, name: str, text: TextIO, *, delimiter: str, encoding: Encoding, columns: Iterable[Column]):
        self.name = name
        self.delimiter = delimiter
        self.encoding = encoding.label
        self._reader = csv.reader(text, delimiter=delimiter, quotechar='"', doublequote=True)
        header = self._next()
        if header is None:
            raise ImportFileError(name, "the file is empty: a header row is required", line=1)
        self.header = [cell.replace("\ufeff", "").strip() for cell in header]
        self._index, self.renamed, self.ignored = self._map_header(columns)

    def _map_header(self, columns: Iterable[Column]):
        columns = list(columns)
        keys = _column_keys(columns)
        index: dict[str, int] = {}
        renamed: list[tuple[str, str]] = []
        ignored: list[str] = []
        errors: list[RowError] = []
        for position, raw in enumerate(self.header):
            column = keys.get(header_key(raw)) if raw else None
            if column is None:
                if raw:
                    ignored.append(raw)
                continue
            if column.name in index:
                errors.append(
                    RowError(
                        self.name,
                        1,
                        raw,
                        f"the column {column.name} appears twice (columns {index[column.name] + 1} and {position + 1})",
                    )
                )
                continue
            index[column.name] = position
            if raw != column.name:
                renamed.append((raw, column.name))
        for column in columns:
            if column.required and column.name not in index:
                errors.append(RowError(self.name, 1, column.name, "this required column is missing from the header"))
        if errors:
            raise ImportFileError(self.name, errors[0].reason, errors=errors)
        return index, renamed, ignored

    @property
    def columns(self) -> set[str]:
        return set(self._index)

    def _next(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except UnicodeDecodeError as error:
            raise ImportFileError(
                self.name,
                f"the text after line {self._reader.line_num} is not valid {self.encoding} "
                f"(byte 0x{error.object[error.start]:02x}). {SAVE_AS}",
                line=self._reader.line_num + 1,
            ) from None
        except csv.Error as error:
            raise ImportFileError(self.name, f"unreadable CSV: {error}", line=self._reader.line_num) from None

    def __iter__(self) -> Iterator[Row]:
        width = len(self.header)
        job = progress.tracker()  # an import job's progress bar (progress.py); None outside a job
        while True:
            start = self._reader.line_num + 1
            values = self._next()
            if values is None:
                return
            if not any(v.strip() for v in values):
                continue  # blank line, or nothing but delimiters
            row = Row(self.name, start, values, self._index)
            if job is not None:
                job.row_read()
            if len(values) > width and any(v.strip() for v in values[width:]):
                row.reject("", f"the row has {len(values)} values but the header has {width} columns")
            yield row


@contextmanager
def open_csv(opener: Opener, *, name: str, columns: Iterable[Column]) -> Iterator[CsvTable]:
    """Open one CSV file for streaming: sample, detect, then read through a text wrapper.

    `opener` returns a fresh binary stream each call (a path or a zip member), so
    the sample needs no seeking.
    """
    try:
        with opener() as raw:
            sample = raw.read(SAMPLE_SIZE)
            complete = len(sample) < SAMPLE_SIZE or not raw.read(1)
    except (OSError, zipfile.BadZipFile, RuntimeError) as error:
        raise ImportFileError(name, f"cannot be read: {error}") from None
    if not sample.strip():
        raise ImportFileError(name, "the file is empty: a header row is required", line=1)
    encoding = detect_encoding(sample, name=name, complete=complete)
    text_sample = codecs.getincrementaldecoder(encoding.codec)(errors="replace").decode(sample, final=complete)
    _check_text_format(text_sample, name=name)
    if not complete:
        text_sample = text_sample.rsplit("\n", 1)[0]  # the last line may be cut off
    delimiter = sniff_delimiter(text_sample)
    with opener() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding.codec, errors=encoding.errors, newline="")
        try:
            yield CsvTable(name, text, delimiter=delimiter, encoding=encoding, columns=columns)
        finally:
            text.detach()


# --- sources: a folder, a zip, or one file ---------------------------------------------------


class Source:
    """The files of one import, found by name without regard to case.

    A zip may hold its files in one folder; `anchor` (e.g. manifest.csv) picks it, and a
    zip whose files all sit in one folder (a zipped folder) is read from that folder.
    """

    def __init__(
        self, label: str, openers: dict[str, tuple[str, Opener]], *, kind: str, closer: Callable[[], None] | None = None
    ):
        self.label = label
        self.kind = kind  # "folder", "zip" or "file"
        self._openers = openers  # lower-case name -> (name as stored, opener)
        self._closer = closer

    def names(self) -> list[str]:
        return sorted(stored for stored, _ in self._openers.values())

    def find(self, name: str) -> tuple[str, Opener] | None:
        return self._openers.get(name.lower())

    def close(self) -> None:
        if self._closer:
            self._closer()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_source(path: str | os.PathLike, *, anchor: str | None = None) -> Source:
    """A folder, a zip archive (recognised by content, not by name) or a single file."""
    path = Path(path)
    label = path.name
    if not path.exists():
        raise ImportFileError(label, f"{path} does not exist")
    if path.is_dir():
        openers = {
            child.name.lower(): (child.name, _path_opener(child)) for child in sorted(path.iterdir()) if child.is_file()
        }
        return Source(label, openers, kind="folder")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise ImportFileError(label, f"cannot be read: {error}") from None
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_source(path, anchor=anchor)
    return Source(label, {path.name.lower(): (path.name, _path_opener(path))}, kind="file")


def _path_opener(path: Path) -> Opener:
    return lambda: path.open("rb")


def _single_folder(names: list[str]) -> str:
    """The folder a zip keeps all its files in ("cdf/"), when it has no file at its top.

    "Compress" on a folder (Windows' Send to > Compressed folder, macOS' Compress) zips the
    folder itself, so an export's files arrive one level down (issue #15: NWEA MAP CDFs).
    """
    if not names or any("/" not in name for name in names):
        return ""
    folders = {name.split("/", 1)[0] for name in names}
    if len(folders) != 1:
        return ""
    top = folders.pop() + "/"
    deeper = _single_folder([name[len(top) :] for name in names])
    return top + deeper


def _zip_source(path: Path, *, anchor: str | None) -> Source:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportFileError(path.name, f"is not a readable zip archive: {error}") from None
    members = [info for info in archive.infolist() if not info.is_dir() and "__MACOSX/" not in info.filename]
    folder = ""
    if anchor:
        anchored = sorted(
            (info.filename for info in members if info.filename.rsplit("/", 1)[-1].lower() == anchor.lower()),
            key=lambda name: name.count("/"),
        )
        if anchored:
            folder = anchored[0][: -len(anchored[0].rsplit("/", 1)[-1])]
    if not folder:
        folder = _single_folder([info.filename for info in members])
    openers = {}
    for info in members:
        if not info.filename.startswith(folder) or "/" in info.filename[len(folder) :]:
            continue
        name = info.filename[len(folder) :]
        openers[name.lower()] = (name, (lambda member=info: archive.open(member)))
    return Source(path.name, openers, kind="zip", closer=archive.close)
