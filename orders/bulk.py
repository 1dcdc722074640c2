"""Working on many orders at once: the bulk actions of the order list, and the jobs that run them.

An action is applied to each order through that order's own service call (the same one its page's
button calls), so every rule, lock and timeline entry is the same as one by one; a refusal is
recorded with its reason and the job goes on. A job's orders are fixed when it is created (the
filter is read once), its per-order outcomes are rows unique per (job, order), so a job run twice
by a redelivered task acts on each order once.

Print actions do not change orders: they turn the selection into one PDF. Apps that own a document
register its print action here (fulfillment: packing slips and pick lists); orders registers the
invoice print itself, as it may call payments.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from oms.exceptions import DomainError, NotPermitted
from oms.tasks import enqueue_on_commit
from orders import services
from orders.enums import BulkJobStatus, HoldReason, Priority
from orders.models import BulkJob, BulkJobResult, Order, Tag

MAX_BULK_ORDERS = 10_000  # a selection past this is refused: narrow the filter
MAX_PRINT_ORDERS = 500  # one PDF; more would be a document nobody prints at once
CHUNK = 50  # orders per progress update


@dataclass(frozen=True)
class BulkAction:
    code: str
    label: str
    permission: str
    # (actor, order, params) -> what was done; raises DomainError to refuse this order
    apply: Callable | None = None
    # (orders) -> PDF bytes, for print actions
    document: Callable | None = None
    params: tuple[str, ...] = ()
    style: str = "outline-secondary"
    confirm: str = ""
    needs: dict = field(default_factory=dict)  # param -> what to say when it is missing

    @property
    def prints(self) -> bool:
        return self.document is not None


ACTIONS: dict[str, BulkAction] = {}


def register(action: BulkAction) -> None:
    ACTIONS[action.code] = action


def actions_for(user) -> list[BulkAction]:
    return [action for action in ACTIONS.values() if user.has_perm(action.permission)]


# -- the actions orders owns ------------------------------------------------------------


def _hold(actor, order, params):
    services.order_hold(actor=actor, order=order, reason=HoldReason.MANUAL, message=params["message"])
    return "put on hold"


def _release_hold(actor, order, params):
    order = services.order_release_hold(actor=actor, order=order, note=params.get("message", ""))
    return f"released; now {order.get_status_display().lower()}"


def _cancel(actor, order, params):
    services.order_cancel(actor=actor, order=order, reason=params["message"])
    return "cancelled"


def _release(actor, order, params):
    services.order_release_to_fulfillment(actor=actor, order=order)
    return "released to the warehouse"


def _priority(actor, order, params):
    order = services.order_priority_set(actor=actor, order=order, priority=params["priority"])
    return f"priority {order.get_priority_display().lower()}"


def _tag(actor, order, params):
    tag = services.tag_get_or_create(actor=actor, name=params["tag"])
    services.order_tags_change(actor=actor, order=order, add=[tag])
    return f"tagged {tag.name}"


def _untag(actor, order, params):
    tag = Tag.objects.filter(name__iexact=params["tag"].strip()).first()
    if tag is not None:
        services.order_tags_change(actor=actor, order=order, remove=[tag])
    return f"untagged {params['tag'].strip()}"


def _invoices_pdf(orders: list[Order]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    from payments.documents import invoice_pdf
    from payments.models import Invoice

    invoices = (Invoice.objects.filter(order__in=orders).prefetch_related("lines", "credit_notes")
                .select_related("order").order_by("order_id", "pk"))
    writer = PdfWriter()
    for invoice in invoices:
        writer.append(PdfReader(io.BytesIO(invoice_pdf(invoice))))
    if not writer.pages:
        raise DomainError("None of the selected orders has an invoice yet.")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


for _action in [
    BulkAction("hold", "Put on hold", "orders.hold_order", _hold, params=("message",),
               needs={"message": "Say why the orders are held."}),
    BulkAction("release_hold", "Release hold", "orders.release_hold", _release_hold, params=("message",)),
    BulkAction("cancel", "Cancel", "orders.cancel_order", _cancel, params=("message",), style="outline-danger",
               confirm="Cancel every selected order?", needs={"message": "Say why the orders are cancelled."}),
    BulkAction("release", "Release to warehouse", "orders.fulfill_order", _release),
    BulkAction("priority", "Set priority", "orders.change_order", _priority, params=("priority",),
               needs={"priority": "Choose the priority."}),
    BulkAction("tag", "Add tag", "orders.change_order", _tag, params=("tag",), needs={"tag": "Name the tag."}),
    BulkAction("untag", "Remove tag", "orders.change_order", _untag, params=("tag",), needs={"tag": "Name the tag."}),
    BulkAction("print_invoices", "Print invoices", "payments.view_invoice", document=_invoices_pdf),
]:
    register(_action)


# -- jobs ---------------------------------------------------------------------------------


def _clean_params(action: BulkAction, params: dict) -> dict:
    cleaned = {name: " ".join(str(params.get(name, "")).split())[:255] for name in action.params}
    for name, missing in action.needs.items():
        if not cleaned.get(name):
            raise DomainError(missing)
    if "priority" in cleaned and cleaned["priority"] not in Priority.values:
        raise DomainError("Choose the priority.")
    return cleaned


def bulk_job_create(*, actor, action: str, order_ids: list[int], params: dict) -> BulkJob:
    """Record what to do to which orders; a worker runs it after commit."""
    chosen = ACTIONS.get(action)
    if chosen is None or chosen.prints:
        raise DomainError("Choose an action.")
    if not actor.has_perm(chosen.permission):
        raise NotPermitted(f"You are not allowed to {chosen.label.lower()} orders.")
    ids = sorted(set(order_ids))
    if not ids:
        raise DomainError("Choose at least one order.")
    if len(ids) > MAX_BULK_ORDERS:
        raise DomainError(f"{len(ids):,} orders are selected; at most {MAX_BULK_ORDERS:,} at once. Narrow the filter.")
    with transaction.atomic():
        job = BulkJob.objects.create(action=action, params=_clean_params(chosen, params), order_ids=ids,
                                     total=len(ids), created_by=actor)
        from orders.tasks import bulk_job_run_task

        enqueue_on_commit(bulk_job_run_task, job_id=job.pk)
    return job


def _apply_one(job: BulkJob, action: BulkAction, order: Order) -> bool:
    try:
        with transaction.atomic():
            message = action.apply(job.created_by, order, job.params)
    except DomainError as exc:
        ok, message = False, exc.message
    else:
        ok = True
    try:
        with transaction.atomic():
            BulkJobResult.objects.create(job=job, order=order, ok=ok, message=message[:500])
    except IntegrityError:
        return False  # another run of this job recorded it first
    BulkJob.objects.filter(pk=job.pk).update(processed=F("processed") + 1, succeeded=F("succeeded") + int(ok))
    return True


def bulk_job_run(*, job_id: int) -> BulkJob:
    """Apply the job's action to each of its orders not done yet (safe to run twice, or after a crash)."""
    job = BulkJob.objects.select_related("created_by").get(pk=job_id)
    if job.status == BulkJobStatus.DONE:
        return job
    BulkJob.objects.filter(pk=job.pk, status=BulkJobStatus.PENDING).update(status=BulkJobStatus.RUNNING)
    action = ACTIONS[job.action]
    done = set(job.results.values_list("order_id", flat=True))
    todo = [pk for pk in job.order_ids if pk not in done]
    for start in range(0, len(todo), CHUNK):
        for order in Order.objects.filter(pk__in=todo[start:start + CHUNK]).select_related("customer").order_by("pk"):
            _apply_one(job, action, order)
    missing = set(job.order_ids) - set(job.results.values_list("order_id", flat=True))
    for pk in missing:  # deleted meanwhile (drafts): say so rather than leave the job short
        order = Order.objects.filter(pk=pk).first()
        if order is None:
            BulkJob.objects.filter(pk=job.pk).update(processed=F("processed") + 1)
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def bulk_print(*, actor, action: str, orders: list[Order]) -> bytes:
    chosen = ACTIONS.get(action)
    if chosen is None or not chosen.prints:
        raise DomainError("Choose a document to print.")
    if not actor.has_perm(chosen.permission):
        raise NotPermitted(f"You are not allowed to {chosen.label.lower()}.")
    if not orders:
        raise DomainError("Choose at least one order.")
    if len(orders) > MAX_PRINT_ORDERS:
        raise DomainError(f"At most {MAX_PRINT_ORDERS} orders print in one document; narrow the selection.")
    return chosen.document(orders)
