"""Every return page renders, for the people who use it; actions go through the services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from returns import services
from returns.demo import advance
from returns.enums import ReturnReason, ReturnStatus
from returns.models import NonReturnableProduct, ReturnRequest
from returns.tests.conftest import line_inputs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _rma(order, *specs, status=ReturnStatus.REQUESTED):
    rma = services.return_request_create(actor=None, order=order,
                                         lines=line_inputs(order, *(specs or [(0, 1, ReturnReason.DAMAGED)])))
    advance(rma, status)
    return ReturnRequest.objects.get(pk=rma.pk)


def test_the_returns_list_filters_by_status_reason_and_age(delivered_order, login, sales_user,
                                                           django_assert_max_num_queries):
    order = delivered_order()
    damaged = _rma(order, (0, 1, ReturnReason.DAMAGED))
    unwanted = _rma(order, (1, 1, ReturnReason.NO_LONGER_NEEDED), status=ReturnStatus.APPROVED)
    ReturnRequest.objects.filter(pk=unwanted.pk).update(created_at=timezone.now() - timedelta(days=10))
    client = login(sales_user)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("returns:return_list")).content.decode()
    assert damaged.number in page and unwanted.number in page
    assert unwanted.number not in client.get(reverse("returns:return_list"), {"reason": "damaged"}).content.decode()
    assert damaged.number not in client.get(reverse("returns:return_list"), {"status": "approved"}).content.decode()
    assert damaged.number in client.get(reverse("returns:return_list"), {"status": "open"}).content.decode()
    aged = client.get(reverse("returns:return_list"), {"older_than_days": 7}).content.decode()
    assert unwanted.number in aged and damaged.number not in aged


def test_the_returns_list_asks_the_same_queries_for_many_returns(delivered_order, login, sales_user,
                                                                 django_assert_max_num_queries):
    for _ in range(5):
        _rma(delivered_order(), (0, 1, ReturnReason.DAMAGED), (1, 1, ReturnReason.OTHER))
    client = login(sales_user)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("returns:return_list")).status_code == 200


def test_people_without_the_returns_role_cannot_see_returns(client, db):
    user = UserFactory(username="nobody")
    client.force_login(user)
    assert client.get(reverse("returns:return_list")).status_code == 403


def test_the_detail_page_offers_each_role_its_actions(delivered_order, login, sales_user, warehouse_user,
                                                      finance_user, django_assert_max_num_queries):
    rma = _rma(delivered_order())
    client = login(sales_user)
    with django_assert_max_num_queries(15):
        page = client.get(rma.get_absolute_url()).content.decode()
    assert "action-approve" in page and "action-reject" in page and "action-refund" not in page
    page = login(warehouse_user).get(rma.get_absolute_url()).content.decode()
    assert "action-approve" not in page


def test_an_approved_return_offers_receipt_before_anything_is_scanned(delivered_order, login, sales_user,
                                                                      warehouse_user):
    """The receive button is django-fsm's transition from `approved`; its guard (items received)
    is asked when the quantities come back, not when the page is drawn."""
    rma = _rma(delivered_order())
    services.return_approve(actor=sales_user, return_request=rma)
    page = login(warehouse_user).get(rma.get_absolute_url()).content.decode()
    assert "action-receive" in page and 'name="code"' in page
    assert "action-approve" not in page and "action-inspect" not in page


def test_staff_walk_a_return_through_the_detail_page(delivered_order, login, sales_user, warehouse_user,
                                                     finance_user, django_capture_on_commit_callbacks):
    order = delivered_order()
    rma = _rma(order)
    url = lambda action: reverse("returns:return_action", args=[rma.number, action])  # noqa: E731
    login(sales_user).post(url("approve"), {"approve-note": ""})
    client = login(warehouse_user)
    line = rma.lines.get()
    response = client.post(reverse("returns:return_scan", args=[rma.number]), {"code": line.order_line.sku},
                           follow=True)
    assert "1 of 1 scanned" in response.content.decode()
    assert "action-receive" in response.content.decode()
    client.post(url("receive"), {f"receive-received_{line.pk}": 1})
    page = client.get(rma.get_absolute_url()).content.decode()
    assert "action-inspect" in page
    client.post(url("inspect"), {f"inspect-outcome_{line.pk}": "restock", f"inspect-note_{line.pk}": "As new"})
    client = login(finance_user)
    page = client.get(rma.get_absolute_url()).content.decode()
    assert "Suggested: items 20.00 + shipping 5.00" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("refund"), {"refund-amount": "", "refund-include_shipping": "on"}, follow=True)
    assert "Refunded 25.00 USD" in response.content.decode()
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.REFUNDED
    client.post(url("close"), {"close-note": "Done"})
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.CLOSED


def test_a_refused_action_shows_the_reason(delivered_order, login, sales_user):
    rma = _rma(delivered_order())
    response = login(sales_user).post(reverse("returns:return_action", args=[rma.number, "reject"]),
                                      {"reject-reason": ""}, follow=True)
    assert "This field is required" in response.content.decode()
    services.return_cancel(actor=None, return_request=rma, reason="Changed mind")
    response = login(sales_user).post(reverse("returns:return_action", args=[rma.number, "approve"]),
                                      {"approve-note": ""}, follow=True)
    assert "is cancelled; it cannot be approved" in response.content.decode()


def test_staff_open_a_return_from_the_order_page(delivered_order, login, sales_user):
    order = delivered_order()
    client = login(sales_user)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "order-returns" in page and reverse("returns:return_create", args=[order.number]) in page
    form_url = reverse("returns:return_create", args=[order.number])
    assert "returnable-lines" in client.get(form_url).content.decode()
    line = order.lines.order_by("position").first()
    response = client.post(form_url, {f"qty_{line.pk}": 2, f"reason_{line.pk}": "wrong_item",
                                      f"comment_{line.pk}": "Blue, not red", "note": "Phoned in"}, follow=True)
    rma = ReturnRequest.objects.get(order=order)
    assert rma.lines.get().quantity == 2 and rma.note == "Phoned in"
    assert f"Return {rma.number} opened." in response.content.decode()
    assert rma.number in client.get(order.get_absolute_url()).content.decode()


def test_the_return_form_needs_a_reason_and_refuses_what_the_policy_refuses(delivered_order, login, sales_user):
    order = delivered_order()
    line = order.lines.order_by("position").first()
    client = login(sales_user)
    form_url = reverse("returns:return_create", args=[order.number])
    assert "Say why" in client.post(form_url, {f"qty_{line.pk}": 1}).content.decode()
    NonReturnableProduct.objects.create(product=line.product, reason="Made to measure.")
    page = client.post(form_url, {f"qty_{line.pk}": 1, f"reason_{line.pk}": "other"}, follow=True).content.decode()
    assert "Made to measure." in page and not ReturnRequest.objects.exists()


def test_a_manager_accepts_a_late_return_with_a_note_on_the_form(delivered_order, login, manager_user):
    order = delivered_order()
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=40))
    line = order.lines.order_by("position").first()
    form_url = reverse("returns:return_create", args=[order.number])
    client = login(manager_user)
    page = client.post(form_url, {f"qty_{line.pk}": 1, f"reason_{line.pk}": "other"}).content.decode()
    assert "return window" in page and not ReturnRequest.objects.exists()
    client.post(form_url, {f"qty_{line.pk}": 1, f"reason_{line.pk}": "other", "override_note": "Goodwill"})
    assert ReturnRequest.objects.get(order=order).policy_override_note == "Goodwill"
    assert "Policy overridden" in client.get(ReturnRequest.objects.get(order=order).get_absolute_url()).content.decode()


def test_the_customer_files_a_return_from_the_tracking_link_and_follows_it(delivered_order, client,
                                                                          django_assert_max_num_queries):
    order = delivered_order()
    create_url = reverse("returns:customer_return_create", args=[order.tracking_token])
    assert "returnable-lines" in client.get(create_url).content.decode()
    line = order.lines.order_by("position").last()
    response = client.post(create_url, {f"qty_{line.pk}": 1, f"reason_{line.pk}": "not_as_described",
                                        f"comment_{line.pk}": "Smaller than shown"}, follow=True)
    rma = ReturnRequest.objects.get(order=order)
    assert rma.source == "customer" and rma.lines.get().customer_comment == "Smaller than shown"
    page = response.content.decode()
    assert f"your return {rma.number} is registered" in page and "We are checking your request" in page
    # the label is there once approved
    label_url = reverse("returns:customer_return_label", args=[order.tracking_token, rma.number])
    assert client.get(label_url).status_code == 404
    services.return_approve(actor=None, return_request=rma)
    with django_assert_max_num_queries(8):
        assert label_url in client.get(rma.get_customer_url()).content.decode()
    with django_assert_max_num_queries(10):
        assert client.get(create_url).status_code == 200
    pdf = client.get(label_url)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"


def test_the_customer_withdraws_a_return_before_sending_the_items(delivered_order, client):
    rma = _rma(delivered_order(), status=ReturnStatus.APPROVED)
    cancel_url = reverse("returns:customer_return_cancel", args=[rma.order.tracking_token, rma.number])
    assert cancel_url in client.get(rma.get_customer_url()).content.decode()
    response = client.post(cancel_url, follow=True)
    assert f"Your return {rma.number} is cancelled." in response.content.decode()
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.CANCELLED
    assert "is cancelled; it cannot be cancelled" in client.post(cancel_url, follow=True).content.decode()


def test_a_wrong_tracking_token_shows_nothing(delivered_order, client):
    rma = _rma(delivered_order())
    assert client.get(reverse("returns:customer_return_detail", args=["wrong", rma.number])).status_code == 404
    assert client.get(reverse("returns:customer_return_create", args=["wrong"])).status_code == 404


def test_the_tracking_panel_links_to_the_return_page(delivered_order):
    from django.template import Context, Template

    order = delivered_order()
    html = Template("{% load returns_tags %}{% tracking_returns_panel order %}").render(Context({"order": order}))
    assert reverse("returns:customer_return_create", args=[order.tracking_token]) in html


def test_staff_print_the_label_of_an_approved_return(delivered_order, login, warehouse_user):
    rma = _rma(delivered_order(), status=ReturnStatus.APPROVED)
    response = login(warehouse_user).get(reverse("returns:return_label", args=[rma.number]))
    assert response.content[:4] == b"%PDF"


def test_the_exchange_action_links_the_replacement_order(delivered_order, login, finance_user):
    rma = _rma(delivered_order(), status=ReturnStatus.INSPECTED)
    response = login(finance_user).post(reverse("returns:return_action", args=[rma.number, "exchange"]),
                                        {"exchange-note": ""}, follow=True)
    rma.refresh_from_db()
    replacement = Order.objects.get(pk=rma.replacement_order_id)
    assert f"Replacement order {replacement.number} placed" in response.content.decode()
    assert replacement.get_absolute_url() in response.content.decode()


def test_the_admin_pages_render(delivered_order, admin_client):
    rma = _rma(delivered_order())
    NonReturnableProduct.objects.create(product=rma.lines.get().order_line.product)
    for url in [reverse("admin:returns_returnrequest_changelist"),
                reverse("admin:returns_returnrequest_change", args=[rma.pk]),
                reverse("admin:returns_nonreturnableproduct_changelist"),
                reverse("admin:returns_nonreturnableproduct_add"),
                reverse("admin:notifications_notification_changelist")]:
        assert admin_client.get(url).status_code == 200, url
