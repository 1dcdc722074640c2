from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Rows only services write: look, don't touch (staff resend from the order page)."""

    list_display = ["created_at", "kind", "recipient", "about_type", "about_id", "reference", "status", "attempts",
                    "next_attempt_at", "sent_at"]
    list_filter = ["status", "channel", "kind"]
    list_select_related = ["order"]
    search_fields = ["order__number", "recipient", "reference", "about_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
