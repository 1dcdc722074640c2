"""Saved views of the order list, its payment and fulfilment columns, and its count."""

from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.http import QueryDict
from django.urls import reverse

from fulfillment.tests.conftest import place, shipped  # noqa: F401 (orders placed and shipped with a shipment)
from oms.exceptions import DomainError, NotPermitted
from oms.roles import SALES, WAREHOUSE
from orders import saved_views, selectors
from orders.enums import OrderStatus, Priority
from orders.models import Order, SavedView
from tests.concurrency import run_together
from tests.factories import UserFactory, make_order

pytestmark = pytest.mark.django_db

ALL_COLUMNS = ["created_at", "customer", "channel", "priority", "status", "payment_status", "fulfillment_status",
               "total", "ship_by", "tags"]


def _save(client, query: str, **data):
    data = {"query": query, "columns": ALL_COLUMNS, "name": "Rush", **data}
    return client.post(reverse("orders:saved_view_save"), data)


def _tabs(html: str) -> str:
    return html.split('id="saved-view-tabs"')[1].split("</ul>")[0]


def test_a_saved_view_keeps_its_filter_columns_and_sort_and_opens_as_a_tab(login, sales_user):
    rush = make_order(priority=Priority.RUSH)
    standard = make_order(priority=Priority.STANDARD)
    client = login(sales_user)

    response = _save(client, "priority=rush&page=3&sort=-total&bogus=1", name="  Rush   orders ",
                     columns=["customer", "total", "status"])

    view = SavedView.objects.get()
    assert (view.name, view.query, view.sort, view.columns, view.shared_with) == (
        "Rush orders", "priority=rush", "-total", ["customer", "status", "total"], None)
    assert response.status_code == 302 and response.url == view.get_absolute_url()
    page = client.get(response.url).content.decode()
    assert "Rush orders" in _tabs(page)
    assert rush.number in page and standard.number not in page
    header = page.split("<thead")[1].split("</thead>")[0]
    assert "Customer" in header and "Total" in header and "Priority" not in header and "Payment" not in header


def test_a_shared_view_shows_to_the_role_and_a_private_one_to_its_owner_only(login, sales_user):
    colleague = UserFactory(username="sam", role=SALES)
    warehouse = UserFactory(username="will", role=WAREHOUSE)
    sales = Group.objects.get(name=SALES)
    client = login(sales_user)
    _save(client, "status=placed", name="To verify", shared_with=sales.pk)
    _save(client, "status=on_hold", name="My holds")

    assert [v.name for v in saved_views.saved_views_for(colleague)] == ["To verify"]
    assert [v.name for v in saved_views.saved_views_for(sales_user)] == ["My holds", "To verify"]
    assert list(saved_views.saved_views_for(warehouse)) == []
    mine = SavedView.objects.get(name="My holds")
    other = login(colleague)
    assert "My holds" not in _tabs(other.get(reverse("orders:order_list")).content.decode())
    # Someone else's private view, asked for by its id, is the plain list (its filter is not applied).
    page = other.get(reverse("orders:order_list"), {"view": mine.pk}).content.decode()
    assert 'class="nav-link active" href="/orders/"' in page


def test_staff_share_only_with_a_role_they_have(sales_user):
    warehouse = Group.objects.get(name=WAREHOUSE)
    with pytest.raises(NotPermitted):
        saved_views.saved_view_save(actor=sales_user, name="x", params=QueryDict(""), columns=ALL_COLUMNS,
                                    shared_with=warehouse)
    assert not SavedView.objects.exists()


@pytest.mark.parametrize("query, data, message", [
    ("status=lost", {}, "cannot be saved"),
    ("created_from=yesterday", {}, "cannot be saved"),
    ("", {"name": "   "}, "name is 1 to 60"),
    ("", {"name": "x" * 61}, "name is 1 to 60"),
    ("", {"columns": ["number; drop table"]}, "Unknown column"),
    ("", {"columns": []}, "at least one column"),
    ("sort=tracking_token", {}, "cannot be sorted"),
    ("q=" + "x" * 1200, {}, "too long"),
    ("", {"shared_with": "99999"}, "role does not exist"),
    ("", {"shared_with": "1e3"}, "role does not exist"),
])
def test_a_view_that_cannot_be_saved_says_why_and_saves_nothing(login, sales_user, query, data, message):
    client = login(sales_user)
    response = _save(client, query, **data)
    assert response.status_code == 302
    shown = client.get(response.url).content.decode()
    assert message in shown
    assert not SavedView.objects.exists()


def test_saving_the_same_name_again_updates_the_view(login, sales_user):
    client = login(sales_user)
    _save(client, "priority=rush")
    _save(client, "priority=expedited", columns=["status"])
    view = SavedView.objects.get()
    assert (view.query, view.columns) == ("priority=expedited", ["status"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_saves_of_one_name_at_once_leave_one_view(sales_user):
    """A double click sends the save twice at the same moment: one view, not an error."""
    def save():
        return saved_views.saved_view_save(actor=sales_user, name="Twice", params=QueryDict("status=placed"),
                                           columns=ALL_COLUMNS).pk

    results = run_together([save, save])
    assert SavedView.objects.filter(owner=sales_user, name="Twice").count() == 1
    assert all(not isinstance(r, Exception) for r in results), results


def test_only_the_owner_deletes_a_view(login, sales_user):
    colleague = UserFactory(username="sam", role=SALES)
    client = login(sales_user)
    _save(client, "status=placed", name="Shared", shared_with=Group.objects.get(name=SALES).pk)
    view = SavedView.objects.get()

    refused = login(colleague).post(reverse("orders:saved_view_delete", args=[view.pk]))
    assert refused.status_code == 403 and SavedView.objects.filter(pk=view.pk).exists()
    client = login(sales_user)
    assert client.post(reverse("orders:saved_view_delete", args=[view.pk])).status_code == 302
    assert not SavedView.objects.exists()
    again = client.post(reverse("orders:saved_view_delete", args=[view.pk]), follow=True)
    assert "already gone" in again.content.decode()


@pytest.mark.parametrize("view", ["abc", "-1", "99999999999999999999", "٣", ""])
def test_a_view_id_that_is_not_one_shows_the_plain_list(login, sales_user, view):
    assert login(sales_user).get(reverse("orders:order_list"), {"view": view}).status_code == 200


def test_the_list_shows_payment_and_fulfilment_status_with_a_fixed_number_of_queries(
        login, manager_user, shipped, django_assert_max_num_queries):
    sent, _shipment = shipped()
    waiting = make_order()
    Order.objects.filter(pk=waiting.pk).update(status=OrderStatus.CONFIRMED)
    client = login(manager_user)
    client.get(reverse("orders:order_list"))  # warm the session and permission caches

    with django_assert_max_num_queries(16) as queries:
        page = client.get(reverse("orders:order_list")).content.decode()
    for _ in range(20):
        make_order()
    with django_assert_max_num_queries(len(queries.captured_queries)):
        client.get(reverse("orders:order_list"))

    row = {number: page.split(f">{number}</a>")[1].split("</tr>")[0] for number in (sent.number, waiting.number)}
    assert "payment-paid" in row[sent.number] and "Shipped" in row[sent.number]
    assert "payment-unpaid" in row[waiting.number] and "Unfulfilled" in row[waiting.number]


def test_fulfilment_status_follows_the_lines(db):
    order = make_order()
    line = order.lines.get()
    cases = [
        ({"quantity_allocated": 0, "quantity_shipped": 0}, OrderStatus.CONFIRMED, "Unfulfilled"),
        ({"quantity_allocated": line.quantity}, OrderStatus.CONFIRMED, "Allocated"),
        ({"quantity_allocated": line.quantity}, OrderStatus.IN_FULFILLMENT, "In the warehouse"),
        ({"quantity_shipped": line.quantity}, OrderStatus.SHIPPED, "Shipped"),
        ({"quantity_shipped": line.quantity}, OrderStatus.DELIVERED, "Delivered"),
        ({"quantity_shipped": line.quantity, "quantity_returned": 1}, OrderStatus.DELIVERED,
         f"Returned 1 of {line.quantity}"),
        ({}, OrderStatus.CANCELLED, "—"),
    ]
    for values, status, label in cases:
        type(line).objects.filter(pk=line.pk).update(**values)
        Order.objects.filter(pk=order.pk).update(status=status)
        order.refresh_from_db()
        assert selectors.fulfillment_statuses_for([order])[order.pk][1] == label, (values, status)


def test_the_count_is_exact_up_to_the_bound_and_an_estimate_past_it(monkeypatch):
    for _ in range(4):
        make_order()
    assert str(selectors.order_count(Order.objects.all())) == "4"
    monkeypatch.setattr(selectors, "EXACT_COUNT_UP_TO", 3)
    with mock.patch.object(selectors, "_planner_rows", return_value=1_234_567):
        count = selectors.order_count(Order.objects.all())
    assert (count.exact, str(count)) == (False, "about 1,234,567")
    with mock.patch.object(selectors, "_planner_rows", return_value=None):  # no estimate (SQLite): the bound
        assert str(selectors.order_count(Order.objects.all())) == "about 4"


@pytest.mark.postgres
def test_postgresql_estimates_a_filter_without_reading_its_rows(monkeypatch):
    for _ in range(5):
        make_order()
    monkeypatch.setattr(selectors, "EXACT_COUNT_UP_TO", 2)
    count = selectors.order_count(Order.objects.filter(status=OrderStatus.DRAFT))
    assert count.exact is False and count.number >= 3


def test_the_list_says_how_many_orders_match(login, sales_user):
    make_order(priority=Priority.RUSH)
    make_order(priority=Priority.STANDARD)
    client = login(sales_user)
    assert 'id="order-count">2 orders<' in client.get(reverse("orders:order_list")).content.decode()
    assert 'id="order-count">1 order<' in client.get(reverse("orders:order_list"), {"priority": "rush"}).content.decode()


def test_the_admin_lists_saved_views(admin_client, sales_user):
    saved_views.saved_view_save(actor=sales_user, name="Mine", params=QueryDict("status=placed"), columns=ALL_COLUMNS)
    page = admin_client.get(reverse("admin:orders_savedview_changelist")).content.decode()
    assert "Mine" in page and "sally" in page
    with pytest.raises(DomainError):
        saved_views.saved_view_save(actor=sales_user, name="", params=QueryDict(""), columns=ALL_COLUMNS)
