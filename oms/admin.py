from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ValidationError

from oms.models import DeferredTask, Sequence


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    """Numbering is read here, never made or removed by hand: a lost sequence breaks gapless numbers."""

    list_display = ("name", "last_value")
    readonly_fields = ("name", "last_value")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the services write (state machines, ledgers, immutable history): viewable, never
    added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FixedLinesInline(admin.TabularInline):
    """Lines that a service writes with their parent: shown in the parent's page, never added or removed here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyInline(FixedLinesInline):
    """Lines that only the services write: shown, not changed either."""

    def has_change_permission(self, request, obj=None):
        return False


class IgnoreUnreadableInitialMixin:
    """The add form's initial values come from the query string (`?product=12`); a value that is
    not a key of the related model would crash the form's rendering, so it is left out."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:  # not a model field: the form ignores it anyway
                continue
            if field.is_relation and field.target_field is not None:
                try:
                    field.target_field.to_python(value)
                except (ValueError, TypeError, ValidationError):
                    del initial[name]
        return initial


@admin.register(DeferredTask)
class DeferredTaskAdmin(admin.ModelAdmin):
    list_display = ("task_name", "created_at", "attempts", "dispatched_at")
    list_filter = ("dispatched_at",)
    readonly_fields = ("task_name", "kwargs", "error", "attempts", "created_at", "dispatched_at")
