"""The audit trail (django-simple-history): staff changes to prices, credit limits, users and
permissions are kept with who made them and when, and shown on the admin's History page."""

from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.forms import MultiWidget
from django.urls import reverse

from inventory.models import Product
from orders.models import Customer
from orders.services import customer_create
from tests.factories import ProductFactory


def admin_change(client, model, obj, **changes):
    """Post the admin change form of `obj` as a person would: the form as shown, with `changes`."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    page = client.get(url)
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        forms += list(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(field.widget, MultiWidget):  # a date and a time in two inputs
                data.update({f"{form.add_prefix(name)}_{i}": part
                             for i, part in enumerate(field.widget.decompress(value))})
                continue
            data[form.add_prefix(name)] = [v.pk if hasattr(v, "pk") else v for v in value] \
                if isinstance(value, (list, tuple)) else value
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def test_a_price_change_in_the_admin_records_who_changed_it_and_the_old_price(admin_client, admin_user):
    product = ProductFactory(sku="AUD-1", unit_price=Decimal("10.00"))

    admin_change(admin_client, Product, product, unit_price="12.50")

    latest, before = product.history.all()[:2]
    assert latest.unit_price == Decimal("12.50") and before.unit_price == Decimal("10.00")
    assert latest.history_user == admin_user and latest.history_type == "~"
    assert [c.field for c in latest.diff_against(before).changes] == ["unit_price"]
    history = admin_client.get(reverse("admin:inventory_product_history", args=[product.pk]))
    assert history.status_code == 200 and admin_user.username in history.content.decode()


def test_a_credit_limit_change_records_who_changed_it(admin_client, admin_user, sales_user):
    customer = customer_create(actor=sales_user, name="Acme", email="buyer@acme.example")

    admin_change(admin_client, Customer, customer, credit_limit="5000.00")

    latest = customer.history.first()
    assert latest.credit_limit == Decimal("5000.00") and latest.history_user == admin_user
    assert admin_client.get(reverse("admin:orders_customer_history", args=[customer.pk])).status_code == 200


def test_a_group_permission_change_is_recorded(admin_client, admin_user):
    group = Group.objects.get(name="sales")
    extra = Permission.objects.get(codename="override_hold")
    permissions = list(group.permissions.values_list("pk", flat=True)) + [extra.pk]

    admin_change(admin_client, Group, group, permissions=permissions)

    latest = group.history.first()
    assert latest.history_user == admin_user
    assert extra.pk in latest.permissions.values_list("permission_id", flat=True)
    assert admin_client.get(reverse("admin:auth_group_history", args=[group.pk])).status_code == 200


def test_a_user_given_a_role_is_recorded_without_the_password_hash(admin_client, admin_user, sales_user):
    finance = Group.objects.get(name="finance")

    admin_change(admin_client, type(sales_user), sales_user, groups=[finance.pk, *sales_user.groups.values_list("pk", flat=True)])

    latest = sales_user.history.first()
    assert latest.history_user == admin_user
    assert finance.pk in latest.groups.values_list("group_id", flat=True)
    assert not hasattr(latest, "password")
    assert admin_client.get(reverse("admin:auth_user_history", args=[sales_user.pk])).status_code == 200


def test_signing_in_updates_the_last_login_without_a_history_row(login, sales_user):
    before = sales_user.history.count()

    login(sales_user)

    sales_user.refresh_from_db()
    assert sales_user.last_login is not None
    assert sales_user.history.count() == before
