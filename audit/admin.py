"""Each audited model's admin page gets a History button: who changed what, and when.

The admin classes stay where their apps define them; this adds simple-history's view to each.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from inventory.models import Product
from orders.models import Customer

AUDITED_MODELS = [Product, Customer, get_user_model(), Group]


class HistoryAdmin(SimpleHistoryAdmin):
    def history_view(self, request, object_id, extra_context=None):
        # simple-history looks the id up in the history table as it is: an id that is not one
        # (letters for a number) would end in a server error instead of "not found".
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except (ValidationError, ValueError):
            raise Http404("No such object.") from None
        return super().history_view(request, object_id, extra_context)


def _add_history_view(model) -> None:
    current = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    admin.site.register(model, type(current.__name__, (HistoryAdmin, current), {}))


for _model in AUDITED_MODELS:
    _add_history_view(_model)
