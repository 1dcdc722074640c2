"""The order intake API for web shops and marketplaces (JSON over HTTPS, bearer key per client).

    POST /api/v1/orders/           create and submit an order (idempotent per external_reference)
    GET  /api/v1/orders/<number>/  the order's status, as the channel may see it
"""

from django.core.exceptions import ValidationError

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from oms.exceptions import DomainError
from oms.json_input import UnreadableJSON, load_bounded_json
from orders import selectors, services
from orders.idempotency import IntakeReplayDiffers
from orders.intake import parse_intake_json
from orders.models import ApiClient, Order


def _client(request: HttpRequest) -> ApiClient | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    key = header.removeprefix("Bearer ").strip()
    client = ApiClient.objects.filter(key_hash=ApiClient.hash_key(key), is_active=True).first()
    if client is not None:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return client


def _unauthorized() -> JsonResponse:
    response = JsonResponse({"error": "A valid API key is needed: Authorization: Bearer <key>."}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


def order_json(order: Order) -> dict:
    return {
        "number": order.number,
        "external_reference": order.external_reference,
        "channel": order.channel,
        "status": order.status,
        "currency": order.currency,
        "subtotal": str(order.subtotal),
        "discount_total": str(order.discount_total),
        "shipping_total": str(order.shipping_total),
        "tax_total": str(order.tax_total),
        "total": str(order.total),
        "placed_at": order.placed_at.isoformat() if order.placed_at else None,
        "ship_by": order.ship_by.isoformat() if order.ship_by else None,
        "lines": [
            {"sku": line.sku, "name": line.name, "quantity": line.quantity, "unit_price": str(line.unit_price),
             "line_total": str(line.line_total), "quantity_shipped": line.quantity_shipped}
            for line in order.lines.all()
        ],
    }


@csrf_exempt
@require_POST
def order_create(request: HttpRequest) -> JsonResponse:
    client = _client(request)
    if client is None:
        return _unauthorized()
    try:
        payload = load_bounded_json(request.body)
    except UnreadableJSON as exc:
        return JsonResponse({"errors": {"body": [str(exc)]}}, status=400)
    intake, problems = parse_intake_json(payload)
    if problems:
        return JsonResponse({"errors": problems.errors}, status=400)
    try:
        order, created = services.order_intake(actor=None, channel=client.channel, intake=intake,
                                                api_client=client, request_body=payload)
    except IntakeReplayDiffers as exc:
        return JsonResponse({"errors": {"external_reference": [exc.message]}, "differences": exc.fields},
                            status=409)
    except ValidationError as exc:
        return JsonResponse({"errors": exc.message_dict if hasattr(exc, "error_dict") else {"order": exc.messages}},
                            status=400)
    except DomainError as exc:
        return JsonResponse({"errors": {"order": [exc.message]}}, status=409)
    if not created:
        first = selectors.intake_first_answer(api_client=client, external_reference=intake.external_reference)
        if first is not None:
            return JsonResponse(first.answer, status=first.answer_status)
    answer = order_json(Order.objects.prefetch_related("lines").get(pk=order.pk))
    if created:
        services.intake_answer_record(actor=None, order=order, api_client=client, status=201, answer=answer)
    return JsonResponse(answer, status=201 if created else 200)


@require_GET
def order_status(request: HttpRequest, number: str) -> JsonResponse:
    client = _client(request)
    if client is None:
        return _unauthorized()
    order = Order.objects.prefetch_related("lines").filter(number=number, api_client=client).first()
    if order is None:
        return JsonResponse({"error": "No such order from this client."}, status=404)
    return JsonResponse(order_json(order))
