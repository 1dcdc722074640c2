"""Each audited model's admin page gets a History button: who changed what, and when.

The admin classes stay where their apps define them; this adds simple-history's view to each.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from simple_history.admin import SimpleHistoryAdmin

from inventory.models import Product
from orders.models import Customer

AUDITED_MODELS = [Product, Customer, get_user_model(), Group]


def _add_history_view(model) -> None:
    current = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    admin.site.register(model, type(current.__name__, (SimpleHistoryAdmin, current), {}))


for _model in AUDITED_MODELS:
    _add_history_view(_model)
