"""Lists as files staff open in a spreadsheet: CSV or XLSX of every row a filter matches, in bounded memory.

Rows are read from the database in chunks (`QuerySet.iterator`) and written as they come: CSV is
streamed to the client row by row (the standard `csv` module); XLSX is written by XlsxWriter in its
constant-memory mode (each row is flushed to a temporary file as soon as the next one starts) and
the finished file is streamed. A million rows never sit in memory. django-import-export and tablib
build the whole table in memory first, which is what a million-row export cannot afford.
"""

import csv
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone

FORMATS = ("csv", "xlsx")
CHUNK = 2000
# A cell that starts like a formula is written as text: an export opened in a spreadsheet must not
# run what a customer typed into their name or address.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[object], object]
    paths: tuple[str, ...] = ()  # the fields `value` reads from a `.values()` row


def _along(record, path: str):
    for name in path.split("__"):
        if record is None:
            return None
        record = getattr(record, name)
    return record


def path_column(header: str, path: str) -> Column:
    """The `field` or `relation__field` of each record: a model instance or a `.values()` row."""
    return Column(header, lambda r: r[path] if isinstance(r, dict) else _along(r, path), (path,))


def path_columns(*paths: str) -> list[Column]:
    """A column per path, headed by the path."""
    return [path_column(path, path) for path in paths]


def values_rows(queryset, columns: list[Column]):
    """The rows as plain dicts of just the fields the columns read (no model instances: an export of a
    million rows spends its time writing, not building objects), read in chunks."""
    paths = list(dict.fromkeys(path for column in columns for path in column.paths))
    return queryset.values(*paths).iterator(chunk_size=CHUNK)


def _plain(value) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float, bool)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def _rows(records: Iterable, columns: list[Column]):
    for record in records:
        yield [_plain(column.value(record)) for column in columns]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(records: Iterable, columns: list[Column], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # so that spreadsheet programs read the file as UTF-8
        yield writer.writerow([column.header for column in columns])
        for row in _rows(records, columns):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(records: Iterable, columns: list[Column], filename: str, *, title: str = "Export") -> FileResponse:
    import xlsxwriter

    handle = tempfile.TemporaryFile()
    workbook = xlsxwriter.Workbook(handle, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "tmpdir": tempfile.gettempdir()})
    sheet = workbook.add_worksheet(title[:31])
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, [column.header for column in columns], bold)
    for index, row in enumerate(_rows(records, columns), start=1):
        sheet.write_row(index, 0, [float(v) if isinstance(v, Decimal) else v for v in row])
    workbook.close()
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"{filename}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def export_response(fmt: str, records: Iterable, columns: list[Column], filename: str, *, title: str = "Export"):
    """The rows as a download in `fmt` (csv or xlsx); any other format is a 404."""
    stamped = f"{filename}-{timezone.localtime():%Y%m%d-%H%M}"
    if fmt == "csv":
        return csv_response(records, columns, stamped)
    if fmt == "xlsx":
        return xlsx_response(records, columns, stamped, title=title)
    raise Http404("No such export format.")
