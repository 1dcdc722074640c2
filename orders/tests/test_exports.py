"""Exports hold every row the filter matches, import again as they are, and run no spreadsheet formula."""

import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from orders.intake import csv_orders, csv_orders_parse, csv_shape_problems
from tests.exports import csv_rows
from tests.factories import CustomerFactory, ProductFactory, make_order

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    return csv_rows(response)


def test_the_order_export_holds_every_matching_order_not_only_the_page(login, sales_user):
    grace = CustomerFactory(name="Grace Hopper")
    hers = [make_order(customer=grace, products=[ProductFactory(), ProductFactory()], quantities=[1, 2])
            for _ in range(60)]  # more than one page of the list
    make_order()  # someone else's

    rows = _csv(login(sales_user).get(reverse("orders:order_export", args=["csv"]), {"customer": grace.pk}))

    assert len(rows) == 120
    assert {row["order__number"] for row in rows} == {o.number for o in hers}
    assert {row["customer_name"] for row in rows} == {"Grace Hopper"}


def test_an_exported_file_imports_again_as_the_same_orders(login, sales_user):
    orders = [make_order(products=[ProductFactory(), ProductFactory()], quantities=[2, 3]) for _ in range(5)]

    response = login(sales_user).get(reverse("orders:order_export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    files_orders, stray_rows = csv_orders(text)
    parsed = csv_orders_parse(files_orders)

    assert csv_shape_problems(text) == (10, []) and not stray_rows
    assert not [problem for _, _, problems in parsed for problem in problems]
    intakes = [intake for _, intake, _ in parsed]
    assert sorted(i.external_reference for i in intakes) == sorted(o.number for o in orders)
    by_reference = {i.external_reference: i for i in intakes}
    for order in orders:
        imported = by_reference[order.number]
        assert [(line.product.sku, line.quantity) for line in imported.lines] == [
            (line.sku, line.quantity) for line in order.lines.all()]
        assert imported.customer_email == order.customer.email


def test_a_cell_that_looks_like_a_formula_is_exported_as_text(login, sales_user):
    make_order(customer=CustomerFactory(name='=HYPERLINK("http://evil.example","x")'))

    rows = _csv(login(sales_user).get(reverse("orders:order_export", args=["csv"])))

    assert rows[0]["customer_name"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert float(rows[0]["order__total"]) > 0  # numbers stay numbers


def test_the_xlsx_export_is_a_workbook_with_the_same_rows(login, sales_user):
    order = make_order(products=[ProductFactory(sku="XLS-1")], quantities=[4])

    response = login(sales_user).get(reverse("orders:order_export", args=["xlsx"]))
    content = b"".join(response.streaming_content)

    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    with zipfile.ZipFile(io.BytesIO(content)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
        strings = workbook.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in workbook.namelist() else ""
    assert order.number in sheet + strings and "XLS-1" in sheet + strings
    assert sheet.count("<row ") == 2  # the header and the one line


def test_customers_export_with_the_search_applied(login, sales_user):
    CustomerFactory(name="Ada Lovelace", email="ada@example.com")
    CustomerFactory(name="Alan Turing")

    rows = _csv(login(sales_user).get(reverse("orders:customer_export", args=["csv"]), {"q": "ada"}))

    assert [row["email"] for row in rows] == ["ada@example.com"]


def test_an_unknown_export_format_is_a_404_and_exports_need_a_login(login, sales_user):
    assert login(sales_user).get(reverse("orders:order_export", args=["pdf"])).status_code == 404
    anonymous = Client().get(reverse("orders:order_export", args=["csv"]))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
