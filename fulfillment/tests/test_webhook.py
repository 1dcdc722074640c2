"""The carrier's tracking webhook: signed, replay-safe, idempotent."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.urls import reverse

from fulfillment.enums import ShipmentStatus
from fulfillment.models import TrackingEvent
from orders.enums import OrderStatus

pytestmark = pytest.mark.django_db
SECRET = "test-carrier-secret"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.OMS_CARRIER_WEBHOOK_SECRET = SECRET


def post(client, payload: dict, secret: str = SECRET):
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(reverse("fulfillment:carrier_webhook"), body, content_type="application/json",
                       HTTP_X_SIGNATURE=signature)


def test_a_bad_signature_is_refused_and_changes_nothing(client, shipped):
    _, shipment = shipped()

    response = post(client, {"event_id": "e1", "tracking_number": shipment.tracking_number,
                             "status": "delivered"}, secret="wrong")

    assert response.status_code == 403
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED


def test_the_same_event_three_times_moves_the_shipment_once(client, shipped):
    order, shipment = shipped()
    event = {"event_id": "evt-42", "tracking_number": shipment.tracking_number, "status": "out_for_delivery",
             "location": "Springfield depot", "occurred_at": "2030-01-02T08:00:00Z"}

    answers = [post(client, event).json() for _ in range(3)]

    assert [a["duplicate"] for a in answers] == [False, True, True]
    assert TrackingEvent.objects.filter(shipment=shipment, status="out_for_delivery").count() == 1
    assert order.events.filter(message__contains="out for delivery").count() == 1
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.OUT_FOR_DELIVERY


def test_a_delivered_event_delivers_the_order_and_flags_a_late_one(client, shipped,
                                                                  django_capture_on_commit_callbacks):
    order, shipment = shipped()
    late = (order.deliver_by + timedelta(days=1)).isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, {"event_id": "d1", "tracking_number": shipment.tracking_number,
                                 "status": "delivered", "occurred_at": late})

    assert response.status_code == 200 and response.json()["status"] == "delivered"
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.deliver_by_breached
    assert order.status == OrderStatus.COMPLETED  # delivered, invoiced and paid by card


def test_an_out_of_order_event_is_recorded_without_moving_the_shipment(client, shipped):
    _, shipment = shipped()
    post(client, {"event_id": "a", "tracking_number": shipment.tracking_number, "status": "delivered"})

    response = post(client, {"event_id": "b", "tracking_number": shipment.tracking_number, "status": "in_transit"})

    assert response.status_code == 200 and response.json()["status"] == "delivered"
    assert TrackingEvent.objects.filter(external_id="b").exists()


@pytest.mark.parametrize("payload, status", [
    ({"event_id": "x", "tracking_number": "NOPE", "status": "delivered"}, 404),
    ({"event_id": "x", "tracking_number": "NOPE", "status": "teleported"}, 400),
    ({"tracking_number": "NOPE"}, 400),
])
def test_bad_notices_are_refused(client, payload, status):
    assert post(client, payload).status_code == status


def test_production_refuses_webhooks_until_the_secret_is_set(client, settings):
    from fulfillment.views import DEV_CARRIER_WEBHOOK_SECRET

    settings.PRODUCTION = True
    settings.OMS_CARRIER_WEBHOOK_SECRET = DEV_CARRIER_WEBHOOK_SECRET
    response = post(client, {"event_id": "x", "tracking_number": "T", "status": "delivered"},
                    secret=DEV_CARRIER_WEBHOOK_SECRET)
    assert response.status_code == 403
