from django.db import models
from django.db.models import Q
from django.utils import timezone

from notifications.enums import UNFINISHED_STATUSES, NotificationChannel, NotificationStatus
from oms.models import user_reference


# What claims a message once: the same message to the same recipient about the same thing.
UNIQUE_FIELDS = ("channel", "recipient", "kind", "about_type", "about_id", "reference")


class Notification(models.Model):
    """One message to one recipient about one thing: (channel, recipient, kind, object, reference)
    is unique, so however often it is requested it goes out once.

    `about_type` / `about_id` name the object the message is about (`orders.order`, `returns.returnrequest`,
    `payments.invoice`, ...); `order` is set when there is an order, so the order page lists its messages.
    `next_attempt_at` is when the retry sweep should look at it next (None once sent or given up).
    """

    channel = models.CharField(max_length=10, choices=NotificationChannel.choices, default=NotificationChannel.EMAIL)
    kind = models.CharField(max_length=40)
    recipient = models.CharField(max_length=254)
    about_type = models.CharField(max_length=100)
    about_id = models.CharField(max_length=64)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="notifications")
    reference = models.CharField(max_length=100, blank=True,
                                 help_text="What within the object it is about (a shipment, a refund), "
                                           "or a resend marker.")
    data = models.JSONField(default=dict, blank=True, help_text="What the message's context needs beyond the object.")
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_error = models.TextField(blank=True)
    subject = models.CharField(max_length=200, blank=True)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=UNIQUE_FIELDS, name="notification_once"),
        ]
        indexes = [
            # The retry sweep reads only unfinished rows, oldest due first.
            models.Index(fields=["next_attempt_at"], name="notification_due",
                         condition=Q(status__in=UNFINISHED_STATUSES)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.about_type} {self.about_id}{' ' + self.reference if self.reference else ''})"

    @property
    def event_reference(self) -> str:
        """The reference without a resend marker: a resend says what the first message said."""
        return self.reference.split("#", 1)[0]

    def get_kind_display(self) -> str:
        from notifications.registry import kind_label

        return kind_label(self.kind)
