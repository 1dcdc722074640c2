"""Orders from outside: the JSON intake API (web shops, marketplaces) and CSV import.

Both turn their input into `IntakeOrder`s here, with every problem reported at once, and
hand them to `orders.services.order_intake`, which is idempotent per channel and
external reference: a replayed request or a re-imported file creates nothing twice.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from inventory.models import Product
from orders.enums import Channel, Priority
from orders.models import ADDRESS_FIELDS, REQUIRED_ADDRESS_FIELDS, Address, AddressSnapshot
from orders.services import LineInput
from payments.enums import PaymentMethod

MAX_LINES = 200


@dataclass
class IntakeOrder:
    external_reference: str
    customer_email: str
    customer_name: str
    shipping_address: AddressSnapshot
    lines: list[LineInput]
    billing_address: AddressSnapshot | None = None
    customer_phone: str = ""
    customer_company: str = ""
    priority: str = Priority.STANDARD
    payment_method: str = PaymentMethod.CARD
    currency: str = ""
    shipping_total: Decimal = Decimal("0")
    customer_note: str = ""


@dataclass
class Problems:
    """Errors keyed by where they are (`lines[2].sku`, `row 7`), all reported together."""

    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, where: str, message: str) -> None:
        self.errors.setdefault(where, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)


def _unreadable(value: str) -> str:
    """Why no database column can hold this text, or "" when it can."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains text that is not valid Unicode (a lone surrogate)"
    return ""


def _text(data: dict, key: str, problems: Problems, where: str, *, required=False, max_length=200) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, (str, int)):
        problems.add(f"{where}{key}", "must be a string")
        return ""
    value = str(value).strip()
    unreadable = _unreadable(value)
    if unreadable:
        problems.add(f"{where}{key}", unreadable)
        return ""
    if required and not value:
        problems.add(f"{where}{key}", "is required")
    if len(value) > max_length:
        problems.add(f"{where}{key}", f"is longer than {max_length} characters")
    return value


def _decimal(value, where: str, problems: Problems, *, default="0") -> Decimal:
    if value in (None, ""):
        return Decimal(default)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        problems.add(where, "must be a number")
        return Decimal(default)
    if not amount.is_finite() or amount < 0:
        problems.add(where, "must be zero or more")
        return Decimal(default)
    if amount > Decimal("999999999.99") or amount != amount.quantize(Decimal("0.01")):
        problems.add(where, "must have at most 2 decimals and be below one billion")
        return Decimal(default)
    return amount


def _choice(value, choices, where: str, problems: Problems, default: str) -> str:
    if value in (None, ""):
        return default
    if value not in choices:
        problems.add(where, f"must be one of {', '.join(choices)}")
        return default
    return value


def _address(data, where: str, problems: Problems, *, required: bool) -> AddressSnapshot | None:
    if data in (None, {}) and not required:
        return None
    if not isinstance(data, dict):
        problems.add(where, "must be an object with name, line1, city, postal_code, country")
        return None
    values = {f: _text(data, f, problems, f"{where}.", required=f in REQUIRED_ADDRESS_FIELDS,
                       max_length=Address._meta.get_field(f).max_length) for f in ADDRESS_FIELDS}
    country = values["country"].upper()
    if country and (len(country) != 2 or not country.isalpha()):
        problems.add(f"{where}.country", "must be a two-letter country code")
    values["country"] = country
    return AddressSnapshot(**values)


def _lines(raw, problems: Problems, products: dict[str, Product]) -> list[LineInput]:
    if not isinstance(raw, list) or not raw:
        problems.add("lines", "must be a non-empty list")
        return []
    if len(raw) > MAX_LINES:
        problems.add("lines", f"at most {MAX_LINES} lines")
        return []
    lines = []
    for index, item in enumerate(raw):
        where = f"lines[{index}]"
        if not isinstance(item, dict):
            problems.add(where, "must be an object with sku and quantity")
            continue
        sku = _text(item, "sku", problems, f"{where}.", required=True, max_length=64)
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 100000:
            problems.add(f"{where}.quantity", "must be a whole number from 1 to 100000")
            continue
        product = products.get(sku.upper())
        if sku and product is None:
            problems.add(f"{where}.sku", f"no product on sale with SKU {sku!r}")
            continue
        unit_price = item.get("unit_price")
        price = None if unit_price in (None, "") else _decimal(unit_price, f"{where}.unit_price", problems)
        discount = _decimal(item.get("discount"), f"{where}.discount", problems)
        if product is not None:
            lines.append(LineInput(product=product, quantity=quantity, unit_price=price, discount=discount))
    return lines


def _products_for(skus: set[str]) -> dict[str, Product]:
    found = Product.objects.active().filter(sku__in={s for s in skus} | {s.upper() for s in skus})
    return {p.sku.upper(): p for p in found}


def _skus(raw_lines) -> set[str]:
    """The SKUs that can be looked up: a NUL or a surrogate is reported on its line, not sent to the database."""
    if not isinstance(raw_lines, list):
        return set()
    return {sku for sku in (str(line.get("sku", "")).strip() for line in raw_lines if isinstance(line, dict))
            if not _unreadable(sku)}


def parse_intake_json(payload, products: dict[str, Product] | None = None) -> tuple[IntakeOrder | None, Problems]:
    """One order from the intake API's JSON body; `products` by upper-case SKU when the caller
    looked up those of many orders at once (else they are looked up here)."""
    problems = Problems()
    if not isinstance(payload, dict):
        problems.add("body", "must be a JSON object")
        return None, problems
    reference = _text(payload, "external_reference", problems, "", required=True, max_length=100)
    customer = payload.get("customer")
    if not isinstance(customer, dict):
        problems.add("customer", "must be an object with email and name")
        customer = {}
    email = _text(customer, "email", problems, "customer.", required=True, max_length=254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.add("customer.email", "is not a valid e-mail address")
    raw_lines = payload.get("lines")
    if products is None:
        products = _products_for(_skus(raw_lines))
    order = IntakeOrder(
        external_reference=reference,
        customer_email=email,
        customer_name=_text(customer, "name", problems, "customer.", required=True, max_length=200),
        customer_phone=_text(customer, "phone", problems, "customer.", max_length=40),
        customer_company=_text(customer, "company", problems, "customer."),
        shipping_address=_address(payload.get("shipping_address"), "shipping_address", problems, required=True),
        billing_address=_address(payload.get("billing_address"), "billing_address", problems, required=False),
        lines=_lines(raw_lines, problems, products),
        priority=_choice(payload.get("priority"), Priority.values, "priority", problems, Priority.STANDARD),
        payment_method=_choice(payload.get("payment_method"), PaymentMethod.values, "payment_method", problems,
                               PaymentMethod.CARD),
        currency=_choice(payload.get("currency"), list(settings.OMS_CURRENCIES), "currency", problems,
                         settings.OMS_DEFAULT_CURRENCY),
        shipping_total=_decimal(payload.get("shipping_total"), "shipping_total", problems),
        customer_note=_text(payload, "note", problems, "", max_length=2000),
    )
    return (None if problems else order), problems


CSV_COLUMNS = [
    "external_reference", "customer_email", "customer_name", "ship_name", "ship_line1", "ship_line2", "ship_city",
    "ship_region", "ship_postal_code", "ship_country", "ship_phone", "sku", "quantity", "unit_price", "priority",
    "payment_method", "shipping_total", "note",
]
CSV_REQUIRED = ["external_reference", "customer_email", "customer_name", "ship_name", "ship_line1", "ship_city",
                "ship_postal_code", "ship_country", "sku", "quantity"]
MAX_CSV_ROWS = 20000
MAX_CSV_BYTES = 5 * 1024 * 1024

# Where the JSON intake names a problem, and the CSV column it comes from.
_CSV_COLUMN_OF = {
    "external_reference": "external_reference", "customer.email": "customer_email", "customer.name": "customer_name",
    "priority": "priority", "payment_method": "payment_method", "shipping_total": "shipping_total", "note": "note",
    **{f"shipping_address.{f}": f"ship_{f}" for f in ADDRESS_FIELDS},
}
_LINE_PROBLEM = re.compile(r"lines\[(\d+)\](?:\.(\w+))?")


@dataclass(frozen=True)
class RowProblem:
    """A problem with one row of a file, numbered as a spreadsheet shows it (the header is row 1)."""

    row: int
    column: str
    message: str
    external_reference: str = ""


@dataclass
class CsvOrder:
    """The rows of a file that share one external_reference, as the JSON intake reads an order."""

    external_reference: str
    rows: list[int]
    payload: dict


def _header_and_records(text: str) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """The column names, and (row number, row) for each data row; reading raises csv.Error on text
    that is not CSV. Rows are numbered as a spreadsheet shows the file (a blank line is a row too);
    rows with nothing in them are left out."""
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader, [])]

    def records():
        for row_number, values in enumerate(reader, start=2):
            if any(value.strip() for value in values):
                yield row_number, dict(zip(header, values))

    return header, records()


def csv_shape_problems(text: str) -> tuple[int, list[str]]:
    """(data rows, what is wrong with the file as a whole): what an upload is checked for before
    it is accepted. The rows themselves are checked when they are imported."""
    if "\x00" in text:
        return 0, ["The file contains NUL characters: is it really a CSV text file?"]
    try:
        header, records = _header_and_records(text)
        rows = sum(1 for _ in records)
    except csv.Error as exc:
        return 0, [f"The file is not readable as CSV ({exc})."]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        return rows, [f"The header row is missing columns: {', '.join(missing)}. "
                      f"The first row must name the columns (see the list on this page)."]
    if not rows:
        return 0, ["The file has a header row but no orders."]
    if rows > MAX_CSV_ROWS:
        return rows, [f"The file has {rows:,} rows; at most {MAX_CSV_ROWS:,} per file. Split it and upload each part."]
    return rows, []


def csv_orders(text: str) -> tuple[list[CsvOrder], list[RowProblem]]:
    """The file's orders in the order their references first appear (a file checked by
    `csv_shape_problems`), and the rows that belong to no order."""
    grouped: dict[str, CsvOrder] = {}
    problems = []
    for row_number, row in _header_and_records(text)[1]:
        reference = (row.get("external_reference") or "").strip()
        if not reference:
            problems.append(RowProblem(row_number, "external_reference", "is required"))
            continue
        quantity = (row.get("quantity") or "").strip()
        order = grouped.get(reference)
        if order is None:
            order = grouped[reference] = CsvOrder(reference, [], {
                "external_reference": reference,
                "customer": {"email": row.get("customer_email"), "name": row.get("customer_name")},
                "shipping_address": {f: row.get(f"ship_{f}", "") for f in ADDRESS_FIELDS},
                "priority": (row.get("priority") or "").strip(),
                "payment_method": (row.get("payment_method") or "").strip(),
                "shipping_total": (row.get("shipping_total") or "").strip(), "note": row.get("note") or "",
                "lines": [],
            })
        order.rows.append(row_number)
        order.payload["lines"].append({
            "sku": row.get("sku"),
            "quantity": int(quantity) if quantity.isdecimal() and quantity.isascii() else quantity,
            "unit_price": (row.get("unit_price") or "").strip(),
        })
    return list(grouped.values()), problems


def csv_order_problems(order: CsvOrder, errors: dict[str, list[str]]) -> list[RowProblem]:
    """The intake's or a service's problems with an order, on the rows and columns they come from:
    a line's on its own row, the order's on its first row."""
    problems = []
    for where, messages in errors.items():
        row, column = order.rows[0], _CSV_COLUMN_OF.get(where, "")
        line = _LINE_PROBLEM.fullmatch(where)
        if line and int(line[1]) < len(order.rows):
            row, column = order.rows[int(line[1])], line[2] or ""
        elif where not in _CSV_COLUMN_OF and where != "__all__":
            messages = [f"{where}: {message}" for message in messages]
        problems += [RowProblem(row, column, message, order.external_reference) for message in messages]
    return problems


def csv_orders_parse(orders: list[CsvOrder]) -> list[tuple[CsvOrder, IntakeOrder | None, list[RowProblem]]]:
    """Each order checked as the JSON intake checks one (the products of all of them looked up at once)."""
    products = _products_for(set().union(*(_skus(order.payload["lines"]) for order in orders)))
    parsed = []
    for order in orders:
        intake, problems = parse_intake_json(order.payload, products)
        parsed.append((order, intake, csv_order_problems(order, problems.errors)))
    return parsed
