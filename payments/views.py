"""Finance screens: payments and their transactions, capture/void/refund, manual receipts, invoices."""

import json

import stripe
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from oms.decorators import staff_required
from oms.customer_pages import customer_page
from oms.exceptions import DomainError
from oms.webhooks import signed_webhook
from oms.exports import CHUNK, export_response, path_columns
from orders.models import Order
from payments import selectors, services, stripe_events
from payments.documents import invoice_pdf
from payments.enums import TransactionOutcome
from payments.forms import (
    CaptureForm,
    CardForm,
    InvoiceFilterForm,
    ManualPaymentForm,
    PaymentFilterForm,
    RefundForm,
    VoidForm,
)
from payments.models import Invoice, Payment

PAGE_SIZE = 50
DEV_WEBHOOK_SECRET = "dev-webhook-secret"


def _report(request, row, done: str) -> None:
    """Tell staff how a gateway operation ended."""
    if row.outcome == TransactionOutcome.SUCCEEDED:
        messages.success(request, done)
    elif row.outcome == TransactionOutcome.FAILED:
        messages.error(request, f"The gateway refused: {row.error_message or row.error_code}")
    else:
        messages.warning(request, row.error_message or "The outcome is not known yet; try again in a moment.")


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label or field.replace("_", " ").capitalize() if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


@staff_required("payments.view_payment")
def payment_list(request):
    form = PaymentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    payments = selectors.payment_list(status=filters.get("status", ""), method=filters.get("method", ""),
                                      query=filters.get("q", ""))
    page = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "payments/payment_list.html", {"form": form, "page": page})


@staff_required("payments.view_payment")
def payment_detail(request, pk: int):
    payment = get_object_or_404(Payment.objects.for_list(), pk=pk)
    transactions = list(selectors.payment_transactions(payment))
    context = {
        "payment": payment,
        "order": payment.order,
        "order_payment_status": selectors.payment_status_of(payment.order, payment),
        "transactions": transactions,
        "has_unknown": any(row.outcome == TransactionOutcome.UNKNOWN for row in transactions),
        "invoices": payment.order.invoices.all(),
        "capture_form": CaptureForm(initial={"amount": payment.capturable or None}),
        "refund_form": RefundForm(initial={"amount": payment.refundable or None}),
        "void_form": VoidForm(),
        "manual_form": ManualPaymentForm(initial={"currency": payment.currency, "amount": payment.outstanding or None}),
        "card_form": CardForm(),
    }
    return render(request, "payments/payment_detail.html", context)


def _form_key(payment: Payment, operation: str, data: dict) -> str:
    """The idempotency key of a staff form's money operation: the form's one-time request key makes a
    double click or a resubmitted form the same operation."""
    return f"payment-{payment.pk}:{operation}:form:{data['request_key']}"


def _payment_action(request, pk: int, form_class, action):
    payment = get_object_or_404(Payment, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(payment)
    try:
        action(payment, form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(payment)


@require_POST
@staff_required("payments.capture_payment")
def payment_capture(request, pk: int):
    def capture(payment, data):
        row = services.payment_capture(actor=request.user, payment=payment, amount=data["amount"],
                                       idempotency_key=_form_key(payment, "capture", data))
        _report(request, row, f"Captured {row.amount} {row.currency}.")

    return _payment_action(request, pk, CaptureForm, capture)


@require_POST
@staff_required("payments.void_payment")
def payment_void(request, pk: int):
    def void(payment, data):
        row = services.payment_void(actor=request.user, payment=payment)
        _report(request, row, "The authorization was voided.")

    return _payment_action(request, pk, VoidForm, void)


@require_POST
@staff_required("payments.refund_payment")
def payment_refund(request, pk: int):
    def refund(payment, data):
        row = services.payment_refund(actor=request.user, payment=payment, amount=data["amount"],
                                      reason=data["reason"], idempotency_key=_form_key(payment, "refund", data))
        _report(request, row, f"Refunded {row.amount} {row.currency}.")

    return _payment_action(request, pk, RefundForm, refund)


@require_POST
@staff_required("payments.record_manual_payment")
def payment_record_manual(request, pk: int):
    def record(payment, data):
        row = services.payment_record_manual(
            actor=request.user, order=payment.order, amount=data["amount"], currency=data["currency"],
            reference=data["reference"], note=data["note"],
            idempotency_key=_form_key(payment, "manual", data),
        )
        messages.success(request, f"Recorded {row.amount} {row.currency} received.")

    return _payment_action(request, pk, ManualPaymentForm, record)


@require_POST
@staff_required("payments.capture_payment")
def payment_retry_unknown(request, pk: int):
    payment = get_object_or_404(Payment, pk=pk)
    rows = services.payment_retry_unknown(actor=request.user, payment=payment)
    settled = [row for row in rows if row.is_final]
    messages.info(request, f"Asked the gateway again about {len(rows)} call(s); {len(settled)} now settled.")
    return redirect(payment)


@require_POST
@staff_required("payments.retry_payment")
def payment_card_update(request, pk: int):
    def update(payment, data):
        payment = services.payment_details_set(actor=request.user, order=payment.order,
                                               card_number=data.get("card_number", ""),
                                               payment_method=data.get("payment_method_id", ""))
        messages.success(request, f"Card ending {payment.card_last4} saved. Release the order's hold to "
                                  "authorize it.")

    return _payment_action(request, pk, CardForm, update)


def _filtered_invoices(request, *, overdue: bool = False):
    form = InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, selectors.invoice_list(status=filters.get("status", ""), query=filters.get("q", ""),
                                        issued_from=filters.get("issued_from"), issued_to=filters.get("issued_to"),
                                        overdue_only=overdue)


INVOICE_COLUMNS = path_columns("number", "order__number", "status", "issued_at", "due_date", "payment_method",
                               "currency", "subtotal", "shipping_total", "tax_total", "total", "paid_at")


@staff_required("payments.view_invoice")
def invoice_export(request, fmt: str):
    """Every invoice the list's filter matches, as CSV or XLSX."""
    _, invoices = _filtered_invoices(request)
    return export_response(fmt, invoices.iterator(chunk_size=CHUNK), INVOICE_COLUMNS, "invoices", title="Invoices")


@staff_required("payments.view_invoice")
def invoice_list(request, overdue: bool = False):
    form, invoices = _filtered_invoices(request, overdue=overdue)
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "payments/invoice_list.html", {"form": form, "page": page, "overdue": overdue})


@staff_required("payments.view_invoice")
def invoice_detail(request, number: str):
    invoice = get_object_or_404(Invoice.objects.select_related("order"), number=number)
    return render(request, "payments/invoice_detail.html", {
        "invoice": invoice, "lines": invoice.lines.all(), "credit_notes": invoice.credit_notes.all(),
        "payment": Payment.objects.filter(order_id=invoice.order_id).first(),
    })


def _pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    return response


@staff_required("payments.view_invoice")
def invoice_pdf_view(request, number: str):
    return _pdf_response(get_object_or_404(Invoice, number=number))


@customer_page
def invoice_pdf_for_customer(request, token: str, number: str):
    """The customer's copy, reached from the order tracking page (the token is the secret)."""
    invoice = selectors.invoice_for_customer(tracking_token=token, number=number)
    if invoice is None:
        raise Http404("No such invoice.")
    return _pdf_response(invoice)


@require_POST
@staff_required("payments.issue_invoice")
def invoice_issue(request, order_id: int):
    order = get_object_or_404(Order, pk=order_id)
    try:
        invoice = services.invoice_issue(actor=request.user, order=order)
    except DomainError as exc:
        messages.error(request, exc.message)
        payment = Payment.objects.filter(order=order).first()
        return redirect(payment or "payments:invoice_list")
    messages.success(request, f"Invoice {invoice.number} issued.")
    return redirect(invoice)


@require_POST
@staff_required("payments.void_invoice")
def invoice_void(request, number: str):
    invoice = get_object_or_404(Invoice, number=number)
    try:
        services.invoice_void(actor=request.user, invoice=invoice)
        messages.success(request, f"Invoice {invoice.number} voided.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(invoice)


@signed_webhook(setting="OMS_PAYMENT_WEBHOOK_SECRET", development_secret=DEV_WEBHOOK_SECRET)
def gateway_webhook(request):
    """The provider's notice of how a call ended, signed with the shared secret (HMAC-SHA256 of the body).

    Replays are harmless: a transaction whose outcome is already final is left as it is.
    """
    try:
        notice = json.loads(request.body)
        key, success = str(notice["idempotency_key"]), bool(notice["success"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "expected JSON with idempotency_key and success"}, status=400)
    row = services.payment_webhook_apply(
        idempotency_key=key, success=success, reference=str(notice.get("reference", "")),
        error_code=str(notice.get("error_code", "")), error_message=str(notice.get("error_message", "")),
    )
    if row is None:
        return JsonResponse({"error": "unknown idempotency key"}, status=404)
    return JsonResponse({"transaction": row.pk, "outcome": row.outcome})


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events, verified with the Stripe-Signature header and the endpoint's signing secret.

    A bad, missing or stale signature is refused with 400 and changes nothing; events the OMS
    does not use are acknowledged (200), so Stripe stops sending them. A body that is not a JSON
    object is refused first: `construct_event` would fail on it instead of refusing it.
    """
    if not settings.STRIPE_WEBHOOK_SECRET:
        return JsonResponse({"error": "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)"}, status=400)
    try:
        event = json.loads(request.body)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return JsonResponse({"error": "expected a JSON object"}, status=400)
    try:
        stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature", ""),
                                       settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError:
        return JsonResponse({"error": "bad signature"}, status=400)
    try:
        return JsonResponse(stripe_events.stripe_event_apply(event=event))
    except (stripe_events.NotAnEvent, DomainError) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
