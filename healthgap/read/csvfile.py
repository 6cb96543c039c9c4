"""Reading a CSV file as people save it, with every row's line number, and one-line errors for what cannot be read.

Accepted as valid: a UTF-8 byte-order mark (Excel's "CSV UTF-8"), Windows (CRLF) or old Mac line ends,
blank lines, and quoted fields that hold commas or newlines (a row then spans several lines; it is
numbered by the line it starts on, as an editor shows it). Refused, each with one line naming the file,
the line and the column where possible: a missing or empty file, text that is not UTF-8, a control character
(a NUL byte, say; tabs and line ends are text), a header with an empty or repeated column name, a row with
more fields than the header, and a quote left open.

Written: CSV files a spreadsheet may open, every text cell that would start a formula neutralised
(:func:`neutral`).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from healthgap.read.errors import DataError

Row = tuple[int, dict[str, str]]
"""A data row: the line it starts on (the header is line 1) and its fields by column name."""


def _undecodable(raw: bytes, error: UnicodeDecodeError, name: str, header: bool = True) -> str:
    """Where a byte that is not UTF-8 sits: its line, and its column when the first line is a header
    that says which."""
    line = raw.count(b"\n", 0, error.start) + 1
    text = raw.decode("utf-8-sig", errors="replace")
    start = raw.rfind(b"\n", 0, error.start) + 1
    column = ""
    try:
        names = next(csv.reader(io.StringIO(text, newline="")))
        before = raw[start:error.start].decode("utf-8", errors="replace")
        field = next(csv.reader([before])) if before else [""]
        index = len(field) - 1
        if header and line > 1 and 0 <= index < len(names):
            column = f", column {names[index].strip()!r}"
    except (csv.Error, StopIteration):
        pass
    byte = raw[error.start:error.start + 1].hex()
    return (f"{name}, line {line}{column}: expected UTF-8 text, got the byte 0x{byte} "
            f"(save the file as CSV UTF-8)")


def read_text(path: Path, name: str, header: bool = True) -> str:
    """The file's text, decoded as UTF-8 with any byte-order mark dropped. ``header``: the first line
    names the columns (so an undecodable byte's column can be named)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{name}: file not found" if not path.is_dir() else f"{name}: expected a file, found a folder")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(_undecodable(raw, error, name, header)) from None
    refuse_controls(text, name, header)
    return text


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""A control character other than a tab, a line feed or a carriage return (C0, and DEL): never in text a person
wrote (a NUL byte is what a disk or a program that went wrong leaves). The same as the large-export reader's
(:data:`healthgap.read.layouts.CONTROL`)."""


def refuse_controls(text: str, name: str, header: bool = True) -> None:
    """Raise a DataError naming the file, line and column of the first control character in ``text`` (a NUL, a
    backspace, an escape...; tabs and line ends are text). ``header``: the first line names the columns;
    otherwise the column is numbered."""
    found = CONTROL.search(text)
    if found is None:
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    names: list[str] | None = None
    line = 1
    try:
        for record in reader:
            for index, field in enumerate(record):
                if CONTROL.search(field):
                    named = header and names is not None and index < len(names) and names[index]
                    column = repr(names[index]) if named else str(index + 1)
                    raise DataError(f"{name}, line {line}, column {column}: expected text without control "
                                    f"characters")
            if names is None:
                names = [field.strip() for field in record]
            line = reader.line_num + 1
    except csv.Error:
        pass
    line = text.count("\n", 0, found.start()) + 1  # not readable as CSV (a JSON file): the line alone
    raise DataError(f"{name}, line {line}: expected text without control characters")


def read_rows(path: Path, name: str | None = None, *, rows_required: bool = True,
              short_rows: bool = False) -> tuple[list[str], list[Row]]:
    """The header (names stripped) and each non-blank row with the line it starts on.

    ``short_rows`` accepts rows with fewer fields than the header, the missing ones empty (Fingertips'
    exports leave off trailing empty fields); otherwise a row must have as many fields as the header.
    """
    name = name or Path(path).name
    text = read_text(path, name)
    if not text.strip():
        raise DataError(f"{name}, line 1: expected a header row, got an empty file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        header = [h.strip() for h in next(reader)]
        for index, column in enumerate(header):
            if not column:
                raise DataError(f"{name}, line 1, column {index + 1}: expected a column name, got nothing")
            if header.index(column) != index:
                raise DataError(f"{name}, line 1, column {column!r}: expected each column once, got it twice")
        rows: list[Row] = []
        line = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(record) > len(header):
                    raise DataError(f"{name}, line {line}: expected {len(header)} fields as in the header, "
                                    f"got {len(record)} (a comma in a value must be inside double quotes)")
                if len(record) < len(header) and not short_rows:
                    raise DataError(f"{name}, line {line}, column {header[len(record)]!r}: expected {len(header)} "
                                    f"fields as in the header, got {len(record)}")
                record = record + [""] * (len(header) - len(record))
                rows.append((line, dict(zip(header, record))))
            line = reader.line_num + 1
    except csv.Error as error:
        if "expected after" in str(error):
            raise DataError(f"{name}, line {line}: expected a comma or the end of the line after a closing double "
                            f"quote (a double quote inside a quoted value is written twice: \"\")") from None
        if "unexpected end of data" in str(error):
            raise DataError(f"{name}, line {line}: expected a closing double quote; the quoted field that starts "
                            f"on this line runs to the end of the file") from None
        raise DataError(f"{name}, line {line}: not a readable CSV row ({error})") from None
    if rows_required and not rows:
        raise DataError(f"{name}, line 2: expected data rows after the header, found none")
    return header, rows


# --- writing: CSV files a spreadsheet may open ------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection")."""

_NUMBER = re.compile(r"[+-]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?|[+-]?(inf|nan)", re.IGNORECASE)
"""A number as a spreadsheet reads one (``-3.5``, ``-1,020.7``, ``-41%``, ``1e-3``): digits and signs only, no
formula."""


def neutral(cell: str) -> str:
    """A CSV cell as a spreadsheet may safely open it: text that begins like a formula (``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return) gets a leading single quote, as OWASP recommends; a number (``-3.5``,
    ``-41%``) is left as it is."""
    if cell.startswith(FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def neutral_frame(frame):
    """A copy of a pandas DataFrame with every text cell :func:`neutral`; numbers, of any sign, are untouched."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or str(values.dtype).startswith("str"):
            frame[column] = values.map(lambda v: neutral(v) if isinstance(v, str) else v)
    return frame


def neutralise_csv(path: Path) -> bool:
    """Rewrite a CSV file with every cell :func:`neutral`, if any cell needs it (the file is otherwise left byte
    for byte); whether it was rewritten."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if all(cell == neutral(cell) for row in rows for cell in row):
        return False
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(
        [[neutral(cell) for cell in row] for row in rows])
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return True
