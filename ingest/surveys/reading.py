"""Reading a survey's result file: CSV (encoding, separator) or XLSX, as header and rows."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from ingest.surveys.spec import ENCODINGS, Problem, SurveyError, SurveySpec

# --------------------------------------------------------------------------- reading files


def read_rows(spec: SurveySpec) -> tuple[list[str], list[tuple[int, dict[str, str]]], bytes]:
    """The file's header and its rows (row number as a spreadsheet shows it), and its bytes."""
    data = spec.file.read_bytes()
    if spec.file.suffix.lower() == ".xlsx":
        header, rows = _read_xlsx(spec, data)
    else:
        header, rows = _read_csv(spec, data)
    records = [
        (row_no, _record(spec, header, cells)) for row_no, cells in rows if any(c.strip() for c in cells)
    ]
    return header, records, data


class MisalignedRow(dict):
    """The cells of a row that does not line up with the header; ``validate`` reports ``reason``."""

    def __init__(self, cells: dict[str, str], reason: str) -> None:
        super().__init__(cells)
        self.reason = reason


def _record(spec: SurveySpec, header: list[str], cells: list[str]) -> dict[str, str]:
    """A row's cells by header name. A CSV row must have as many cells as the header, and no row
    a filled cell beyond it: a separator too many or too few (a decimal comma in a
    comma-separated file, a cell cut in two) shifts every later cell of the row into the wrong
    column, which would load a wrong figure without a word."""
    record = {name: cell for name, cell in zip(header, cells, strict=False) if name}
    if spec.file.suffix.lower() != ".xlsx":
        if len(cells) != len(header):
            return MisalignedRow(
                record,
                f"the row has {len(cells)} cells, the header {len(header)}: a separator or a quote"
                " out of place (a decimal comma in a comma-separated file?)",
            )
        return record
    named = max((i + 1 for i, name in enumerate(header) if name), default=0)  # a sheet's rows are padded
    if any(c.strip() for c in cells[named:]):
        return MisalignedRow(record, "the row has filled cells right of the header's last column")
    return record


def _read_csv(spec: SurveySpec, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    where = spec.file.name
    try:
        text = data.decode(ENCODINGS[spec.encoding])
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SurveyError(
            [
                Problem(
                    where,
                    line,
                    None,
                    f"wrong encoding: byte 0x{data[exc.start]:02x} is not {spec.encoding}"
                    " (a file saved by Excel on Windows is often windows-1252: set encoding: windows-1252)",
                )
            ]
        ) from exc
    if spec.encoding != "utf-8" and re.search("Ã[\u0080-\u00bf¤¥¶]", text):
        line = text[: re.search("Ã", text).start()].count("\n") + 1
        raise SurveyError(
            [
                Problem(
                    where,
                    line,
                    None,
                    "wrong encoding: the text is UTF-8 read as windows-1252; set encoding: utf-8",
                )
            ]
        )
    first = text.split("\n", 1)[0]
    separator = spec.separator or max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        rows = list(reader)
    except csv.Error as exc:  # e.g. a quote left open: the rest of the file is one huge cell
        raise SurveyError([Problem(where, reader.line_num, None, f"not a readable CSV file: {exc}")]) from exc
    if not rows:
        raise SurveyError([Problem(where, None, None, "the file is empty")])
    return [h.strip() for h in rows[0]], [(i, r) for i, r in enumerate(rows[1:], start=2)]


def _read_xlsx(spec: SurveySpec, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    where = spec.file.name
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise SurveyError([Problem(where, None, None, f"not a readable XLSX file: {exc}")]) from exc
    if spec.sheet and spec.sheet not in book.sheetnames:
        raise SurveyError(
            [Problem(where, None, None, f"no sheet {spec.sheet!r}; sheets: {', '.join(book.sheetnames)}")]
        )
    if not spec.sheet and not book.worksheets:
        raise SurveyError([Problem(where, None, None, "the workbook has no worksheet")])
    try:  # read-only workbooks read a sheet as it is iterated: a damaged sheet fails here
        sheet = book[spec.sheet] if spec.sheet else book.worksheets[0]
        rows = [[_cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:  # noqa: BLE001 - zipfile, XML and openpyxl errors alike
        raise SurveyError([Problem(where, None, None, f"not a readable XLSX sheet: {exc}")]) from exc
    finally:
        book.close()
    if not rows:
        raise SurveyError([Problem(where, None, None, "the sheet is empty")])
    return [h.strip() for h in rows[0]], [(i, r) for i, r in enumerate(rows[1:], start=2)]


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold (numbers with '.' as decimal point)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
