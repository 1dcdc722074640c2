from django.db import models


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "E-mail"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


UNFINISHED_STATUSES = (NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.FAILED)
