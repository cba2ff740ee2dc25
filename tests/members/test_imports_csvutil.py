"""members.csvutil: formula-injection escaping on the way out, safe decoding on the way in."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest

from members.csvutil import (
    BOM,
    CsvReadError,
    csv_bytes,
    csv_read,
    csv_response,
    csv_rows_write,
    csv_safe,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("Åsa", "Åsa"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+46701234567", "'+46701234567"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        (True, "yes"),
        (Decimal("-12.50"), "-12.50"),
        (datetime.date(2024, 5, 1), "2024-05-01"),
    ],
)
def test_csv_safe_escapes_formulas(value, expected):
    # given a value / when escaped / then formulas are text and plain values unchanged
    assert csv_safe(value) == expected


def test_csv_rows_write_escapes_every_cell():
    # given a row with a formula
    stream = io.StringIO()
    # when written
    csv_rows_write(stream, ["name", "city"], [["=1+1", "Malmö"]])
    # then the formula is quoted text and the header is first
    assert stream.getvalue().splitlines() == ["name,city", "'=1+1,Malmö"]


def test_csv_response_streams_utf8_with_bom_as_attachment():
    # given rows with Swedish letters
    response = csv_response("medlemmar 2024.csv", ["namn"], iter([["Åke Öst"], ["=cmd"]]))
    # when the stream is read
    body = b"".join(response.streaming_content)
    # then it is UTF-8 with a BOM, escaped, and offered as a download with a safe file name
    assert body.startswith(BOM.encode("utf-8"))
    assert body.decode("utf-8-sig").splitlines() == ["namn", "Åke Öst", "'=cmd"]
    assert response["Content-Disposition"] == 'attachment; filename="medlemmar2024.csv"'
    assert response["Content-Type"].startswith("text/csv")


def test_csv_read_utf8_bom_semicolon_and_line_numbers():
    # given a UTF-8 file with BOM, semicolons, a blank line and a quoted multi-line cell
    data = (BOM + 'First Name;city\nÅsa;Malmö\n\n"two\nlines";Lund\nBo;=1+2\n').encode("utf-8")
    # when read
    table = csv_read(data)
    # then header keys are normalised, line numbers are those of the file, formulas are text
    assert table.header == ["first_name", "city"]
    assert table.delimiter == ";"
    assert table.encoding == "utf-8"
    assert [line for line, _ in table.rows] == [2, 4, 6]
    assert table.rows[0][1] == {"first_name": "Åsa", "city": "Malmö"}
    assert table.rows[2][1]["city"] == "=1+2"
    assert table.notices == []


def test_csv_read_windows_1252_is_detected_and_reported():
    # given a file saved by Excel on Windows
    data = "first_name,city\nÅsa,Göteborg\n".encode("cp1252")
    # when read
    table = csv_read(data)
    # then the letters are right and the person is told the encoding
    assert table.encoding == "windows-1252"
    assert table.rows[0][1]["city"] == "Göteborg"
    assert "windows-1252" in table.notices[0]


def test_csv_read_refuses_large_binary_empty_and_too_many_rows():
    # given files that cannot be imported / when read / then a clear error
    with pytest.raises(CsvReadError, match="MB"):
        csv_read(b"x" * (5 * 1024 * 1024 + 1))
    with pytest.raises(CsvReadError, match="binary"):
        csv_read(b"a,b\n\x00\x01\x02")
    with pytest.raises(CsvReadError, match="empty"):
        csv_read(b"  \n")
    with pytest.raises(CsvReadError, match="more than 2 rows"):
        csv_read(b"a\n1\n2\n3\n", max_rows=2)


def test_csv_bytes_has_bom():
    # given / when / then
    assert csv_bytes(["a"], [["ö"]]) == (BOM + "a\r\nö\r\n").encode("utf-8")
