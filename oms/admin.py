from django.contrib import admin

from oms.models import DeferredTask, Sequence


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ("name", "last_value")
    readonly_fields = ("name", "last_value")


@admin.register(DeferredTask)
class DeferredTaskAdmin(admin.ModelAdmin):
    list_display = ("task_name", "created_at", "attempts", "dispatched_at")
    list_filter = ("dispatched_at",)
    readonly_fields = ("task_name", "kwargs", "error", "attempts", "created_at", "dispatched_at")
