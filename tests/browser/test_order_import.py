"""A person imports a CSV file of orders and follows the import on its page until it is done."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError
from playwright.sync_api import expect

from orders.models import ImportJob, Order
from orders.services import import_jobs_resume_stalled
from orders.tasks import import_job_run_task
from tests.browser.csp import assert_no_violation
from tests.factories import ProductFactory, import_file, import_row, make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_upload_a_file_and_the_page_follows_the_import_to_its_problems(
        watched_page, staff_login, live_server, sales_user, settings):
    """The broker is down at the upload, so the job waits; when the sweep runs it, the page (polled by
    htmx) shows the counts and the bad row without a reload, and links to the imported orders."""
    settings.OMS_AUTO_VERIFY = False
    ProductFactory(sku="CHAIR-1", unit_price=Decimal("189.00"))
    text = import_file([import_row("MP-1"), import_row("MP-2", sku="NOPE"), import_row("MP-3")])
    other = make_order()  # not in the file
    page = staff_login(sales_user)

    page.get_by_role("link", name="Import").click()
    page.get_by_label("Channel").select_option("marketplace")
    page.get_by_label("File").set_input_files({"name": "monday.csv", "mimeType": "text/csv", "buffer": text.encode()})
    with mock.patch.object(import_job_run_task, "apply_async", side_effect=OperationalError("broker down")):
        page.get_by_role("button", name="Upload and import").click()
        expect(page.locator("#import-summary")).to_contain_text("Waiting for a worker")

    ImportJob.objects.update(heartbeat_at=timezone.now() - timedelta(minutes=2))
    assert import_jobs_resume_stalled() == 1

    expect(page.locator("#import-summary")).to_contain_text("Done:", timeout=10_000)
    expect(page.locator("#import-created")).to_have_text("2 created")
    expect(page.locator("#import-failed")).to_have_text("1 not imported")
    expect(page.locator("#import-errors")).to_contain_text("no product on sale with SKU 'NOPE'")
    assert_no_violation(page, "import job page")
    page.get_by_role("link", name="Show the file's orders").click()
    for imported in Order.objects.filter(external_reference__in=["MP-1", "MP-3"]):
        expect(page.locator("#order-table")).to_contain_text(imported.number)
    expect(page.locator("#order-table")).not_to_contain_text(other.number)
