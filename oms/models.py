from django.conf import settings
from django.db import models
from django.urls import reverse


def user_reference() -> models.ForeignKey:
    """The staff user who did something: optional, kept as None when the account is deleted, and with no
    reverse accessor on the user (many models point at users this way)."""
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")


class KnownByNumber(models.Model):
    """A row people name by its business number (a shipment, an RMA, an invoice): it shows as that number,
    and its staff page is the URL named `detail_url_name`, given the number. Abstract and field-less: the
    subclass declares `number` itself."""

    detail_url_name = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse(self.detail_url_name, args=[self.number])


class Sequence(models.Model):
    """A named gapless counter for human-friendly numbers (invoices, credit notes, POs, RMAs).

    Incremented with one `UPDATE ... RETURNING` inside the caller's transaction: the row
    stays locked until commit, so numbers are unique and, within committed work, gapless.
    Order numbers use a native PostgreSQL sequence instead (see oms.sequences).
    """

    name = models.CharField(max_length=50, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.last_value}"


class DeferredTask(models.Model):
    """Outbox for tasks the broker refused: re-sent by a periodic sweep, so nothing is lost."""

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["dispatched_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.task_name}({self.kwargs})"
