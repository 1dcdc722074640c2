"""Warehouse screens (queue, waves and pick lists, packing, shipments), the carrier webhook,
and the customer's tracking page (no login)."""

import json
from datetime import timezone as dt_timezone

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tables2 import LazyPaginator

from fulfillment import documents, selectors, services
from fulfillment.bulk_actions import packing_slips
from fulfillment.enums import CARRIER_STATUS_TRANSITIONS, LIVE_LABEL_STATUSES, LabelStatus, ShipmentStatus, TrackingSource
from fulfillment.forms import (
    LabelBuyForm,
    PackageForm,
    ScanForm,
    ShipForm,
    StartPackingForm,
    TrackingEventForm,
    TrackingLookupForm,
    WarehouseChoiceForm,
)
from fulfillment.models import Shipment, Wave
from inventory.models import Warehouse
from oms.client_address import client_ip
from oms.customer_pages import customer_page
from oms.decorators import staff_required
from oms.exceptions import DomainError
from oms.exports import CHUNK, export_response, path_columns
from oms.webhooks import signed_webhook
from orders.models import Order

PAGE_SIZE = 50
DEV_CARRIER_WEBHOOK_SECRET = "dev-carrier-webhook-secret"


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _found(detail, number: str, model, missing: str):
    """The `model` row the selector `detail` finds for `number`; a 404 saying `missing` when there is none."""
    try:
        return detail(number)
    except model.DoesNotExist:
        raise Http404(missing) from None


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _selected_orders(request) -> list[Order]:
    numbers = [n for n in request.POST.getlist("orders") if n]
    return list(Order.objects.filter(number__in=numbers).select_related("customer").order_by("pk"))


# -- queue and waves ------------------------------------------------------------------------


QUEUE_PAGES = 10_000


def queue_page_number(page: str | None) -> int:
    """The page asked for, or the first for anything that is not a page (an OFFSET past bigint fails)."""
    if page and page.isdecimal() and page.isascii() and 1 <= int(page) <= QUEUE_PAGES:
        return int(page)
    return 1


@staff_required("fulfillment.view_shipment")
def queue(request: HttpRequest) -> HttpResponse:
    form = WarehouseChoiceForm(request.GET or None)
    warehouse = form.cleaned_data.get("warehouse") if form.is_valid() else None
    search = request.GET.get("q", "")[:100]
    # No COUNT(*) of the whole queue: the pager only asks whether a next page exists.
    paginator = LazyPaginator(selectors.fulfillment_queue(warehouse=warehouse, search=search), PAGE_SIZE)
    try:
        page = paginator.page(queue_page_number(request.GET.get("page")))
    except EmptyPage:
        page = paginator.page(1)
    return render(request, "fulfillment/queue.html", {
        "form": form, "page": page, "warehouse": warehouse, "search": search,
        "rows": selectors.queue_rows(list(page)),
        "warehouses": Warehouse.objects.filter(active=True),
    })


@require_POST
@staff_required("fulfillment.add_wave")
def wave_create(request: HttpRequest) -> HttpResponse:
    warehouse = Warehouse.objects.filter(pk=request.POST.get("warehouse") or 0, active=True).first()
    if warehouse is None:
        messages.error(request, "Choose the warehouse the wave is picked in.")
        return redirect("fulfillment:queue")
    try:
        outcome = services.wave_create(actor=request.user, warehouse=warehouse, orders=_selected_orders(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("fulfillment:queue")
    for message in outcome.refused:
        messages.warning(request, message)
    messages.success(request, f"Wave {outcome.wave.number} created with {outcome.wave.orders.count()} order(s).")
    return redirect(outcome.wave)


@require_POST
@staff_required("fulfillment.view_shipment")
def packing_slips_bulk(request: HttpRequest) -> HttpResponse:
    """Packing slips of the selected orders, one PDF (what is still to ship of each)."""
    orders = _selected_orders(request)
    if not orders:
        messages.error(request, "Choose at least one order.")
        return redirect("fulfillment:queue")
    try:
        pdf = packing_slips(orders)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("fulfillment:queue")
    return _pdf(pdf, "packing-slips.pdf")


@staff_required("fulfillment.view_wave")
def wave_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.waves_for_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "fulfillment/wave_list.html", {"page": page})


@staff_required("fulfillment.view_wave")
def wave_detail(request: HttpRequest, number: str) -> HttpResponse:
    wave = _found(selectors.wave_detail, number, Wave, "No such wave")
    orders = list(wave.orders.all())
    return render(request, "fulfillment/wave_detail.html", {
        "wave": wave, "orders": orders, "rows": selectors.pick_list(warehouse=wave.warehouse, orders=orders)})


@staff_required("fulfillment.view_wave")
def wave_pick_list_pdf(request: HttpRequest) -> HttpResponse:
    """Pick lists of one or more waves (?wave=W-1&wave=W-2) as one PDF."""
    waves = [selectors.wave_detail(number) for number in request.GET.getlist("wave")
             if Wave.objects.filter(number=number).exists()]
    if not waves:
        raise Http404("No such wave")
    pages = [(wave, selectors.pick_list(warehouse=wave.warehouse, orders=list(wave.orders.all()))) for wave in waves]
    name = waves[0].number if len(waves) == 1 else "pick-lists"
    return _pdf(documents.pick_list_pdf(waves=pages), f"{name}.pdf")


# -- packing and shipments ------------------------------------------------------------------


@staff_required("fulfillment.pack_shipment")
def order_pack(request: HttpRequest, number: str) -> HttpResponse:
    """Where packing an order starts: the warehouses that hold its stock, its open shipments."""
    order = get_object_or_404(Order.objects.select_related("customer"), number=number)
    if request.method == "POST":
        form = StartPackingForm(request.POST)
        if form.is_valid():
            try:
                shipment = services.shipment_start(actor=request.user, order=order,
                                                   warehouse=form.cleaned_data["warehouse"])
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("fulfillment:order_pack", number=order.number)
            return redirect(shipment)
        messages.error(request, _form_errors(form))
    warehouses = []
    for warehouse in Warehouse.objects.filter(active=True, allocations__order=order).distinct():
        left = sum(services.packable_quantities(order=order, warehouse=warehouse).values())
        warehouses.append((warehouse, left))
    return render(request, "fulfillment/order_pack.html", {
        "order": order, "warehouses": warehouses, "shipments": selectors.order_shipments(order)})


def _shipment_context(shipment: Shipment) -> dict:
    context = {"shipment": shipment, "order": shipment.order}
    if shipment.status == ShipmentStatus.PACKING:
        left = services.packable_quantities(order=shipment.order, warehouse=shipment.warehouse)
        context.update(scan_form=ScanForm(), package_form=PackageForm(),
                       rows=selectors.packing_lines(order=shipment.order, shipment=shipment, left=left))
    labels = list(shipment.labels.select_related("service_level__carrier")[:5])
    live_label = next((label for label in labels if label.status in LIVE_LABEL_STATUSES), None)
    context.update(labels=labels, live_label=live_label)
    if shipment.status == ShipmentStatus.PACKED:
        quotes = services.shipping_quotes(order=shipment.order, warehouse=shipment.warehouse,
                                          weight_kg=services.shipment_weight(shipment))
        suggested = services.suggest_service(quotes)
        chosen = live_label.service_level if live_label else (suggested.service_level if suggested else None)
        context.update(quotes=quotes, suggested=suggested, offers_labels=services.label_service_levels().exists(),
                       ship_form=ShipForm(initial={"service_level": chosen.pk if chosen else None}))
    if shipment.status not in (ShipmentStatus.PACKING, ShipmentStatus.PACKED, ShipmentStatus.CANCELLED):
        context["track_form"] = TrackingEventForm()
    return context


@staff_required("fulfillment.view_shipment")
def shipment_detail(request: HttpRequest, number: str) -> HttpResponse:
    shipment = _found(selectors.shipment_detail, number, Shipment, "No such shipment")
    return render(request, "fulfillment/shipment_detail.html", _shipment_context(shipment))


@require_POST
@staff_required("fulfillment.pack_shipment")
def shipment_scan(request: HttpRequest, number: str) -> HttpResponse:
    """A scan at the packing bench; refused on the spot (htmx swaps the packing table)."""
    shipment = get_object_or_404(Shipment, number=number)
    form = ScanForm(request.POST)
    error, done = "", ""
    if form.is_valid():
        try:
            row = services.shipment_scan(actor=request.user, shipment=shipment, code=form.cleaned_data["code"],
                                         quantity=form.cleaned_data["quantity"])
            done = f"Packed {form.cleaned_data['quantity']} × {row.order_line.sku}."
        except DomainError as exc:
            error = exc.message
    else:
        error = _form_errors(form)
    if request.htmx:
        shipment = selectors.shipment_detail(number)
        context = _shipment_context(shipment)
        context.update(scan_error=error, scan_done=done)
        return render(request, "fulfillment/partials/packing_bench.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(shipment)


def _shipment_action(request, number: str, run, done: str, form_class=None) -> HttpResponse:
    shipment = get_object_or_404(Shipment, number=number)
    data = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return redirect(shipment)
        data = form.cleaned_data
    try:
        run(shipment, data)
    except ValidationError as exc:
        messages.error(request, services.validation_messages(exc))
        return redirect(shipment)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(shipment)
    messages.success(request, done.format(number=shipment.number))
    return redirect(shipment)


@require_POST
@staff_required("fulfillment.pack_shipment")
def shipment_line_remove(request: HttpRequest, number: str, line_id: int) -> HttpResponse:
    return _shipment_action(request, number, lambda s, d: services.shipment_line_remove(
        actor=request.user, shipment=s, line_id=line_id), "Line taken out of {number}.")


@require_POST
@staff_required("fulfillment.pack_shipment")
def package_add(request: HttpRequest, number: str) -> HttpResponse:
    return _shipment_action(request, number, lambda s, d: services.package_add(actor=request.user, shipment=s, **d),
                            "Package added to {number}.", PackageForm)


@require_POST
@staff_required("fulfillment.pack_shipment")
def package_remove(request: HttpRequest, number: str, package_id: int) -> HttpResponse:
    return _shipment_action(request, number, lambda s, d: services.package_remove(
        actor=request.user, shipment=s, package_id=package_id), "Package removed from {number}.")


def _shipment_move(service, done: str, permission: str = "fulfillment.pack_shipment"):
    """The view of a POST that moves a shipment with a service taking nothing but the actor and the shipment."""

    @require_POST
    @staff_required(permission)
    def view(request: HttpRequest, number: str) -> HttpResponse:
        return _shipment_action(request, number, lambda s, d: service(actor=request.user, shipment=s), done)

    return view


shipment_pack = _shipment_move(services.shipment_pack, "Shipment {number} packed.")
shipment_reopen = _shipment_move(services.shipment_reopen, "Shipment {number} reopened for packing.")
shipment_cancel = _shipment_move(services.shipment_cancel, "Shipment {number} cancelled.")


@require_POST
@staff_required("fulfillment.ship_shipment")
def shipment_ship(request: HttpRequest, number: str) -> HttpResponse:
    return _shipment_action(request, number, lambda s, d: services.shipment_ship(
        actor=request.user, shipment=s, service_level=d["service_level"], tracking_number=d["tracking_number"]),
        "Shipment {number} shipped.", ShipForm)


@require_POST
@staff_required("fulfillment.deliver_shipment")
def shipment_track(request: HttpRequest, number: str) -> HttpResponse:
    return _shipment_action(request, number, lambda s, d: services.shipment_track(
        actor=request.user, shipment=s, status=d["status"], location=d["location"], description=d["description"]),
        "Tracking event recorded for {number}.", TrackingEventForm)


shipment_deliver = _shipment_move(services.shipment_mark_delivered, "Shipment {number} marked delivered.",
                                  "fulfillment.deliver_shipment")


@staff_required("fulfillment.view_shipment")
def shipment_label_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The carrier's label when one was bought (PDF, or ZPL for a thermal printer), else the one drawn here."""
    shipment = get_object_or_404(Shipment.objects.for_list(), number=number)
    label = shipment.labels.filter(status=LabelStatus.BOUGHT).first()
    if label is not None:
        try:
            content = services.label_file(label=label)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(shipment)
        if label.is_pdf:
            return _pdf(content, f"label-{shipment.number}.pdf")
        response = HttpResponse(content, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="label-{shipment.number}.{label.label_format.lower()}"'
        return response
    if not shipment.tracking_number:
        raise Http404("The label is printed once the shipment has its carrier and tracking number.")
    return _pdf(documents.shipping_label_pdf(shipment), f"label-{shipment.number}.pdf")


@staff_required("fulfillment.ship_shipment")
def shipment_live_rates(request: HttpRequest, number: str) -> HttpResponse:
    """The providers' live rates for a packed shipment (htmx loads them after the page: they take a moment)."""
    shipment = get_object_or_404(Shipment.objects.for_list(), number=number)
    live = services.shipment_live_rates(shipment=shipment) if shipment.status == ShipmentStatus.PACKED else None
    return render(request, "fulfillment/partials/live_rates.html", {"shipment": shipment, "live": live})


@require_POST
@staff_required("fulfillment.ship_shipment")
def shipment_label_buy(request: HttpRequest, number: str) -> HttpResponse:
    shipment = get_object_or_404(Shipment, number=number)
    form = LabelBuyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(shipment)
    try:
        label = services.shipment_label_buy(actor=request.user, shipment=shipment,
                                            service_level=form.cleaned_data["service_level"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(shipment)
    if label.status == LabelStatus.BOUGHT:
        messages.success(request, f"Label bought: {label.service_level}, tracking number {label.tracking_number}.")
    elif label.status == LabelStatus.UNKNOWN:
        messages.warning(request, label.error_message)
    else:
        messages.error(request, label.error_message)
    return redirect(shipment)


@require_POST
@staff_required("fulfillment.ship_shipment")
def shipment_label_void(request: HttpRequest, number: str) -> HttpResponse:
    return _shipment_action(request, number, lambda s, d: services.shipment_label_void(actor=request.user, shipment=s),
                            "The label of {number} is voided; its postage is being refunded.")


shipment_address_check = _shipment_move(services.shipment_address_check,
                                        "The carrier accepts the address of {number}; the hold is lifted.",
                                        "fulfillment.ship_shipment")


@staff_required("fulfillment.view_shipment")
def shipment_packing_slip_pdf(request: HttpRequest, number: str) -> HttpResponse:
    shipment = get_object_or_404(Shipment.objects.for_list(), number=number)
    slip = {"order": shipment.order, "shipment": shipment,
            "lines": [(row.order_line, row.quantity) for row in shipment.lines.select_related("order_line")]}
    return _pdf(documents.packing_slips_pdf(slips=[slip]), f"packing-slip-{shipment.number}.pdf")


SHIPMENT_COLUMNS = path_columns("number", "order__number", "warehouse__code", "status", "carrier__name",
                                "service_level__name", "tracking_number", "shipping_cost", "created_at", "packed_at",
                                "shipped_at", "expected_delivery", "delivered_at", "deliver_by_breached")


@staff_required("fulfillment.view_shipment")
def shipment_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every shipment the list's filter matches, as CSV or XLSX."""
    status = request.GET.get("status", "")
    shipments = selectors.shipments_for_list(status=status if status in ShipmentStatus.values else "",
                                             q=request.GET.get("q", "").strip())
    return export_response(fmt, shipments.iterator(chunk_size=CHUNK), SHIPMENT_COLUMNS, "shipments",
                           title="Shipments")


@staff_required("fulfillment.view_shipment")
def shipment_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    shipments = selectors.shipments_for_list(status=status if status in ShipmentStatus.values else "",
                                             q=request.GET.get("q", "").strip())
    page = Paginator(shipments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "fulfillment/shipment_list.html", {
        "page": page, "status": status, "statuses": ShipmentStatus.choices, "q": request.GET.get("q", "")})


@require_POST
@staff_required("notifications.add_notification")
def notification_resend(request: HttpRequest, pk: int) -> HttpResponse:
    from notifications.models import Notification
    from notifications.services import notification_resend as resend

    notification = get_object_or_404(Notification.objects.filter(order__isnull=False), pk=pk)
    resend(actor=request.user, notification=notification)
    messages.success(request, f"The e-mail \u201c{notification.get_kind_display()}\u201d is sent again.")
    return redirect(notification.order)


# -- the carrier's webhook ------------------------------------------------------------------


@signed_webhook(setting="OMS_CARRIER_WEBHOOK_SECRET", development_secret=DEV_CARRIER_WEBHOOK_SECRET)
def carrier_webhook(request: HttpRequest) -> HttpResponse:
    """A carrier's tracking event, signed with the shared secret (HMAC-SHA256 of the body).

    JSON: {"event_id", "tracking_number", "status", "occurred_at"?, "location"?, "description"?}.
    Replays are harmless: an event id already recorded changes nothing.
    """
    try:
        notice = json.loads(request.body)
        event_id, tracking_number, status = (str(notice["event_id"]).strip(), str(notice["tracking_number"]).strip(),
                                             str(notice["status"]).strip())
        occurred_at = parse_datetime(str(notice["occurred_at"])) if notice.get("occurred_at") else None
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "expected JSON with event_id, tracking_number and status"}, status=400)
    if not event_id or status not in CARRIER_STATUS_TRANSITIONS:
        return JsonResponse({"error": f"unknown status {status!r}"}, status=400)
    if occurred_at is not None and timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at, dt_timezone.utc)
    shipment = Shipment.objects.filter(tracking_number=tracking_number).exclude(tracking_number="").first()
    if shipment is None:
        return JsonResponse({"error": "unknown tracking number"}, status=404)
    event = services.shipment_track(actor=None, shipment=shipment, status=status, occurred_at=occurred_at,
                                    location=str(notice.get("location", "")),
                                    description=str(notice.get("description", "")), source=TrackingSource.CARRIER,
                                    external_id=event_id)
    shipment.refresh_from_db(fields=["status"])
    return JsonResponse({"shipment": shipment.number, "status": shipment.status, "duplicate": event is None})


@csrf_exempt
@require_POST
def easypost_webhook(request: HttpRequest) -> HttpResponse:
    """EasyPost's Event objects (tracker.created / tracker.updated), signed with the webhook
    secret (X-Hmac-Signature). A tracker's status moves the shipment with its tracking code
    through the carrier-event path; replays change nothing. Answered 200 unless the signature is
    wrong (403) or the body is not an EasyPost event (400), so EasyPost does not resend the rest.
    """
    from fulfillment.carriers.easypost import tracking_update

    try:
        update = tracking_update(body=request.body, headers=request.headers)
    except PermissionError as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    except (ValueError, TypeError):
        return JsonResponse({"error": "expected an EasyPost Event with a Tracker as its result"}, status=400)
    if update is None:
        return JsonResponse({"ignored": "not a tracker event"})
    shipment, event = services.carrier_tracking_apply(update=update)
    if shipment is None:
        return JsonResponse({"ignored": "unknown tracking code"})
    shipment.refresh_from_db(fields=["status"])
    return JsonResponse({"shipment": shipment.number, "status": shipment.status, "recorded": event is not None})


# -- the customer's tracking page -----------------------------------------------------------

LOOKUP_REFUSED = "We could not find an order with that number and e-mail address. Check both and try again."


def _lookup_allowed(request: HttpRequest) -> bool:
    """Counts this lookup against the caller's address; False once over the limit (per window)."""
    key = f"fulfillment:track-lookup:{client_ip(request)}"
    window = settings.OMS_TRACKING_LOOKUP_WINDOW
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= settings.OMS_TRACKING_LOOKUP_LIMIT


@never_cache
def track_lookup(request: HttpRequest) -> HttpResponse:
    form = TrackingLookupForm(request.POST or None)
    if request.method == "POST":
        if not _lookup_allowed(request):
            return render(request, "fulfillment/track_lookup.html", {
                "form": TrackingLookupForm(), "refused": "Too many attempts. Please wait a few minutes and try again."},
                status=429)
        if form.is_valid():
            order = selectors.tracking_lookup(number=form.cleaned_data["number"], email=form.cleaned_data["email"])
            if order is not None:
                return redirect("fulfillment:track_order", token=order.tracking_token)
        return render(request, "fulfillment/track_lookup.html", {"form": form, "refused": LOOKUP_REFUSED})
    return render(request, "fulfillment/track_lookup.html", {"form": form})


@customer_page
def track_order(request: HttpRequest, token: str) -> HttpResponse:
    order = selectors.order_for_tracking(token)
    if order is None:
        raise Http404("No such order")
    return render(request, "fulfillment/track_order.html", {"page": selectors.tracking_page(order)})
