"""Working on many orders at once: each order through its own service, refusals reported one by one."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from fulfillment.tests.conftest import place, shipped  # noqa: F401 (orders placed and shipped with a shipment)
from orders.bulk import bulk_job_create, bulk_job_run
from orders.enums import BulkJobStatus, OrderEventType, OrderStatus, Priority
from orders.models import BulkJob, Order, OrderEvent, OrderHold, Tag
from orders.services import order_submit
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def _bulk(client, capture, **data):
    with capture(execute=True):
        return client.post(reverse("orders:order_bulk"), data, follow=True)


def test_bulk_cancel_of_200_orders_cancels_what_it_may_and_reports_each_refusal(
        login, manager_user, shipped, django_capture_on_commit_callbacks):
    sent = [shipped()[0] for _ in range(3)]
    open_orders = [make_order() for _ in range(197)]

    client = login(manager_user)
    _bulk(client, django_capture_on_commit_callbacks, scope="filter", query="", action="cancel",
          message="Customer asked by phone")

    job = BulkJob.objects.get()
    page = client.get(job.get_absolute_url())
    assert (job.status, job.total, job.processed, job.succeeded) == (BulkJobStatus.DONE, 200, 200, 197)
    assert Order.objects.filter(pk__in=[o.pk for o in open_orders], status=OrderStatus.CANCELLED).count() == 197
    assert all(Order.objects.get(pk=o.pk).status == OrderStatus.SHIPPED for o in sent)
    refusals = {r.order.number: r.message for r in job.results.filter(ok=False).select_related("order")}
    assert set(refusals) == {o.number for o in sent}
    assert all("cannot be cancelled" in message for message in refusals.values())
    html = page.content.decode()
    assert "197 succeeded, 3 refused" in html
    assert all(number in html for number in refusals)


def test_ticked_orders_are_tagged_and_the_list_filters_by_the_tag(login, sales_user,
                                                                   django_capture_on_commit_callbacks):
    chosen, other = make_order(), make_order()
    client = login(sales_user)

    _bulk(client, django_capture_on_commit_callbacks, scope="selected", orders=[chosen.number], action="tag",
          tag="  VIP ")
    _bulk(client, django_capture_on_commit_callbacks, scope="selected", orders=[chosen.number, other.number],
          action="tag", tag="vip")  # the same tag, whatever its case

    assert list(Tag.objects.values_list("name", flat=True)) == ["VIP"]
    assert list(Order.objects.filter(tags__name="VIP").order_by("pk")) == [chosen, other]
    assert OrderEvent.objects.filter(order=chosen, type=OrderEventType.UPDATED, message="Tagged VIP.").count() == 1
    listed = client.get(reverse("orders:order_list"), {"tag": "VIP"}).content.decode()
    assert chosen.number in listed and other.number in listed
    _bulk(client, django_capture_on_commit_callbacks, scope="selected", orders=[other.number], action="untag", tag="VIP")
    listed = client.get(reverse("orders:order_list"), {"tag": "VIP"}).content.decode()
    assert chosen.number in listed and other.number not in listed


def test_a_new_priority_moves_the_promise_dates_and_a_shipped_order_keeps_its_own(
        login, sales_user, place, shipped, django_capture_on_commit_callbacks):
    waiting = place()
    sent, _ = shipped()
    ship_by = waiting.ship_by

    _bulk(login(sales_user), django_capture_on_commit_callbacks, scope="selected",
          orders=[waiting.number, sent.number], action="priority", priority=Priority.RUSH)

    waiting.refresh_from_db()
    assert waiting.priority == Priority.RUSH and waiting.ship_by < ship_by
    assert Order.objects.get(pk=sent.pk).priority == Priority.STANDARD
    assert "its priority can no longer change" in BulkJob.objects.get().results.get(ok=False).message


def test_a_job_run_twice_acts_on_each_order_once(manager_user):
    orders = [order_submit(actor=None, order=make_order()) for _ in range(3)]  # placed, not yet verified
    job = bulk_job_create(actor=manager_user, action="hold", order_ids=[o.pk for o in orders],
                          params={"message": "Check the address"})  # not run: no commit in this test

    bulk_job_run(job_id=job.pk)
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.RUNNING)  # as if a worker died at the end
    job = bulk_job_run(job_id=job.pk)

    assert (job.processed, job.succeeded) == (3, 3)
    assert job.results.count() == 3
    assert OrderHold.objects.count() == 3
    assert Order.objects.filter(status=OrderStatus.ON_HOLD).count() == 3


def test_a_role_is_offered_only_the_bulk_actions_it_may_take(login, warehouse_user, sales_user,
                                                              django_capture_on_commit_callbacks):
    order = make_order()
    warehouse_page = login(warehouse_user).get(reverse("orders:order_list")).content.decode()
    sales_page = login(sales_user).get(reverse("orders:order_list")).content.decode()

    assert 'value="cancel"' not in warehouse_page and 'value="print_packing_slips"' in warehouse_page
    assert 'value="cancel"' in sales_page
    page = _bulk(login(warehouse_user), django_capture_on_commit_callbacks, scope="selected",
                 orders=[order.number], action="cancel", message="no")
    assert "You are not allowed to cancel orders." in page.content.decode()
    assert not BulkJob.objects.exists() and Order.objects.get(pk=order.pk).status == OrderStatus.DRAFT


@pytest.mark.parametrize("data, message", [
    ({"scope": "selected", "action": "cancel", "message": "x"}, "Choose at least one order."),
    ({"scope": "selected", "orders": ["SO-NOPE"], "action": "hold", "message": "x"}, "Choose at least one order."),
    ({"scope": "selected", "orders": ["X"], "action": "", "message": "x"}, "Choose an action."),
    ({"scope": "selected", "orders": ["X"], "action": "delete-everything"}, "Choose an action."),
])
def test_a_bulk_form_without_orders_or_action_says_so_and_changes_nothing(login, manager_user, data, message,
                                                                          django_capture_on_commit_callbacks):
    order = make_order()
    data = {k: ([order.number] if v == ["X"] else v) for k, v in data.items()}

    page = _bulk(login(manager_user), django_capture_on_commit_callbacks, **data)

    assert message in page.content.decode()
    assert not BulkJob.objects.exists()


def test_a_hold_without_a_reason_is_refused_before_any_order_changes(login, manager_user, place,
                                                                    django_capture_on_commit_callbacks):
    order = place()
    page = _bulk(login(manager_user), django_capture_on_commit_callbacks, scope="selected", orders=[order.number],
                 action="hold", message="   ")
    assert "Say why the orders are held." in page.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED


def test_packing_slips_and_invoices_of_the_selection_print_as_one_document(login, manager_user, place, shipped):
    waiting = place()
    sent, _ = shipped()
    client = login(manager_user)

    slips = client.post(reverse("orders:order_bulk"), {"scope": "selected", "orders": [waiting.number],
                                                       "action": "print_packing_slips"})
    invoices = client.post(reverse("orders:order_bulk"), {"scope": "selected", "orders": [waiting.number, sent.number],
                                                          "action": "print_invoices"})

    text = lambda r: "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)  # noqa: E731
    assert slips["Content-Type"] == "application/pdf" and waiting.number in text(slips)
    assert invoices["Content-Type"] == "application/pdf" and sent.number in text(invoices)
    nothing = client.post(reverse("orders:order_bulk"), {"scope": "selected", "orders": [waiting.number],
                                                         "action": "print_invoices"}, follow=True)
    assert "None of the selected orders has an invoice yet." in nothing.content.decode()


def test_another_users_job_is_not_shown(login, manager_user, sales_user):
    job = bulk_job_create(actor=manager_user, action="hold", order_ids=[make_order().pk], params={"message": "m"})
    assert login(sales_user).get(reverse("orders:bulk_job", args=[job.pk])).status_code == 404
    assert login(manager_user).get(reverse("orders:bulk_job", args=[job.pk])).status_code == 200


def test_the_admin_shows_tags_and_bulk_jobs_with_their_outcomes(admin_client, admin_user):
    job = bulk_job_create(actor=admin_user, action="tag", order_ids=[make_order().pk], params={"tag": "gift"})
    bulk_job_run(job_id=job.pk)

    assert admin_client.get(reverse("admin:orders_tag_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:orders_bulkjob_changelist")).status_code == 200
    detail = admin_client.get(reverse("admin:orders_bulkjob_change", args=[job.pk]))
    assert detail.status_code == 200 and b"tagged gift" in detail.content
