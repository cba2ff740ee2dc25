"""CSV in and out: writing with formula-injection escaping, reading uploads safely.

Writing: every cell goes through `csv_safe`, so a value such as ``=HYPERLINK(...)`` that a member
typed into their profile is shown as text by Excel/LibreOffice instead of being run as a formula
(OWASP "CSV injection"). Files start with a UTF-8 byte-order mark so Excel opens å, ä and ö right.

Reading: `csv_read` decodes an upload (UTF-8 with or without BOM, falling back to Windows-1252
and reporting that it did), sniffs the delimiter (comma or semicolon), enforces size and row
limits before parsing, and returns the rows with their line numbers in the file.
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 50_000


def csv_safe(value: Any) -> str:
    """One cell as text that a spreadsheet will not evaluate.

    None is empty; booleans are "yes"/"no"; dates ISO 8601; anything starting with = + - @ tab
    or carriage return gets a leading apostrophe. Plain negative numbers (Decimal, int, float)
    stay numbers: they come from our own columns, never from a person's input.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    text = str(value)
    # Spreadsheets skip leading spaces before a formula sign, so look past them too.
    if text.startswith(FORMULA_PREFIXES) or text.lstrip(" ").startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() returns what it was given (for streaming)."""

    def write(self, value: str) -> str:
        return value


def csv_rows_write(stream: Any, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    """Write the header and rows, every cell escaped with csv_safe, to a text stream."""
    writer = csv.writer(stream)
    writer.writerow([csv_safe(h) for h in header])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The file as lines of text, BOM first; nothing is held in memory beyond one row."""
    writer = csv.writer(_Echo())
    yield BOM
    yield writer.writerow([csv_safe(h) for h in header])
    for row in rows:
        yield writer.writerow([csv_safe(v) for v in row])


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """The whole file as UTF-8 bytes with a BOM (for ZIP archives and attachments)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    csv_rows_write(buffer, header, rows)
    return buffer.getvalue().encode("utf-8")


def attachment_header(filename: str) -> str:
    """Content-Disposition for a download (RFC 6266): an ASCII `filename` for old clients
    ("sommarkunder-aao.csv") and `filename*` in UTF-8 for the rest ("sommarkunder-åäö.csv")."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c for c in ascii_name if c.isalnum() or c in "._-") or "export"
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def csv_response(
    filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download (UTF-8 with BOM, attachment). `rows` may be a lazy iterator,
    e.g. a queryset's .iterator() or values_list(), so large lists are never built in memory."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(header, rows)),
        content_type="text/csv; charset=utf-8",
    )
    # Letters of any language survive (RFC 6266 filename*, with an ASCII fallback for old
    # clients); anything that could break the header or a path is dropped.
    safe_name = "".join(c for c in filename if c.isalnum() or c in "._-") or "export.csv"
    if not safe_name.lower().endswith(".csv"):
        safe_name += ".csv"
    response["Content-Disposition"] = attachment_header(safe_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Reading ---------------------------------------------------------------------------------


class CsvReadError(Exception):
    """The file as a whole cannot be read (too big, not text, no header). `message` is
    translated and meant for the person who uploaded it."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class CsvTable:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, {column: value})
    encoding: str
    delimiter: str
    notices: list[str] = field(default_factory=list)


def csv_decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, else Windows-1252 (a superset of Latin-1
    for printable characters, which is what Excel on Windows saves)."""
    if b"\x00" in data:  # anywhere: no text column can hold NUL, and PostgreSQL refuses it
        raise CsvReadError(_("The file is not a text CSV file (it contains binary data)."))
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte.
        return data.decode("latin-1"), "latin-1"


def csv_sniff_delimiter(first_line: str) -> str:
    """Comma or semicolon (Excel in Swedish saves with semicolons): the one the header uses
    more often."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _header_key(name: str) -> str:
    return name.strip().lstrip(BOM).strip().lower().replace(" ", "_").replace("-", "_")


def csv_read(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> CsvTable:
    """Parse an uploaded CSV. Cells are returned stripped and as plain text: a cell such as
    "=1+2" is the string "=1+2", never evaluated. Blank lines are skipped. Raises CsvReadError
    for a file that cannot be read at all."""
    if len(data) > max_bytes:
        raise CsvReadError(
            _("The file is %(size).1f MB; at most %(limit).1f MB can be imported at once.")
            % {"size": len(data) / 1024 / 1024, "limit": max_bytes / 1024 / 1024}
        )
    if not data.strip():
        raise CsvReadError(_("The file is empty."))
    text, encoding = csv_decode(data)
    notices: list[str] = []
    if encoding != "utf-8":
        notices.append(
            str(
                _(
                    "The file is not UTF-8; it was read as %(encoding)s. Check that letters "
                    "such as å, ä and ö look right below."
                )
                % {"encoding": encoding}
            )
        )
    first_line = text.split("\n", 1)[0]
    delimiter = csv_sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header_row = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise CsvReadError(_("The first line must name the columns.")) from exc
    header = [_header_key(h) for h in header_row]
    if not any(header):
        raise CsvReadError(_("The first line must name the columns."))
    rows: list[tuple[int, dict[str, str]]] = []
    line_no = reader.line_num
    try:
        for cells in reader:
            start = line_no + 1
            line_no = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= max_rows:
                raise CsvReadError(
                    _("The file has more than %(limit)d rows; split it into smaller files.")
                    % {"limit": max_rows}
                )
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                cells_dict = {"__extra__": "1"}
            else:
                cells_dict = {}
            for i, name in enumerate(header):
                cells_dict[name] = cells[i].strip() if i < len(cells) else ""
            rows.append((start, cells_dict))
    except csv.Error as exc:
        raise CsvReadError(
            _("Line %(line)d cannot be read as CSV: %(error)s")
            % {"line": reader.line_num, "error": exc}
        ) from exc
    return CsvTable(
        header=header, rows=rows, encoding=encoding, delimiter=delimiter, notices=notices
    )
