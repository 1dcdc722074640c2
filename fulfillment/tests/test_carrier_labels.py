"""Carrier labels through EasyPost: the official library against the local fake of its API."""

import pytest
from django.urls import reverse

from fulfillment import services
from fulfillment.enums import LabelStatus, ShipmentStatus
from fulfillment.models import CarrierLabel, Shipment
from oms.exceptions import DomainError
from orders.enums import OrderStatus
from orders.models import Order
from tests.factories import address

pytestmark = pytest.mark.django_db


def buy(shipment, fake):
    return services.shipment_label_buy(actor=None, shipment=shipment, service_level=fake.priority)


def test_live_rates_of_a_packed_shipment_name_the_service_level_each_one_matches(easypost, packed):
    _, shipment = packed()

    live = services.shipment_live_rates(shipment=shipment)

    assert live.errors == []
    assert [(rate.carrier, rate.service, str(rate.price)) for rate, _ in live.rates] == [
        ("USPS", "GroundAdvantage", "5.12"), ("USPS", "Priority", "7.47"), ("UPS", "Ground", "9.80")]
    assert [level for _, level in live.rates] == [None, easypost.priority, None]
    sent = next(iter(easypost.shipments.values()))
    assert sent["parcel"]["weight"] == 42.3  # 1.2 kg in ounces, as EasyPost weighs
    assert sent["to_address"]["street1"] == "12 Analytical Way"


def test_buying_a_label_keeps_the_pdf_tracking_number_tracking_page_and_price(easypost, packed):
    order, shipment = packed()

    label = buy(shipment, easypost)

    assert label.status == LabelStatus.BOUGHT
    assert label.tracking_number == easypost.bought()[0]["tracking_code"]
    assert label.tracking_url == f"https://track.easypost.com/{label.tracking_number}"
    assert str(label.rate) == "7.47" and label.currency == "USD"
    assert bytes(label.label_file).startswith(b"%PDF") and label.is_pdf
    assert easypost.calls == ["address", "create", "buy"]
    assert order.events.filter(message__contains="Carrier label bought").exists()


def test_shipping_with_a_bought_label_uses_its_tracking_number_and_page_and_the_customer_sees_them(
        easypost, packed, client, django_capture_on_commit_callbacks, carriers):
    order, shipment = packed()
    label = buy(shipment, easypost)

    with django_capture_on_commit_callbacks(execute=True):
        shipped = services.shipment_ship(actor=None, shipment=shipment, service_level=carriers["ground"])

    assert shipped.service_level == easypost.priority  # the label's service, not the one chosen
    assert shipped.tracking_number == label.tracking_number and str(shipped.shipping_cost) == "7.47"
    page = client.get(reverse("fulfillment:track_order", args=[Order.objects.get(pk=order.pk).tracking_token]))
    assert label.tracking_url in page.content.decode()


def test_a_provider_service_cannot_ship_without_its_label(easypost, packed):
    _, shipment = packed()

    with pytest.raises(DomainError, match="buy the label first"):
        services.shipment_ship(actor=None, shipment=shipment, service_level=easypost.priority)

    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.PACKED


def test_pressing_buy_again_returns_the_same_label_and_buys_nothing_more(easypost, packed):
    _, shipment = packed()
    first = buy(shipment, easypost)

    second = buy(shipment, easypost)

    assert second.pk == first.pk
    assert easypost.count("buy") == 1 and CarrierLabel.objects.count() == 1


def test_a_timeout_while_buying_changes_nothing_on_the_shipment_and_buying_again_settles_it_once(
        easypost, packed, settings):
    """The purchase went through at EasyPost but the answer came too late: the label is recorded
    as unknown with a clear message and the shipment is untouched; pressing again asks EasyPost
    about its shipment and records that label instead of buying a second one."""
    _, shipment = packed()
    settings.EASYPOST_TIMEOUT = 1
    easypost.then("buy", "delay", 2)

    label = buy(shipment, easypost)

    assert label.status == LabelStatus.UNKNOWN
    assert "did not answer in time" in label.error_message
    unchanged = Shipment.objects.get(pk=shipment.pk)
    assert unchanged.status == ShipmentStatus.PACKED and unchanged.tracking_number == ""
    easypost.wait_for("buy")  # EasyPost finishes the purchase it was slow to answer

    settled = buy(shipment, easypost)

    assert settled.pk == label.pk and settled.status == LabelStatus.BOUGHT
    assert easypost.count("buy") == 1 and len(easypost.bought()) == 1
    assert settled.tracking_number == easypost.bought()[0]["tracking_code"]


def test_a_timeout_on_live_rates_is_a_message_and_records_nothing(easypost, packed, settings):
    _, shipment = packed()
    settings.EASYPOST_TIMEOUT = 1
    easypost.then("create", "delay", 2)

    live = services.shipment_live_rates(shipment=shipment)

    assert live.rates == [] and live.errors == [
        "EasyPost did not answer in time; the outcome is unknown. Trying again is safe."]
    assert not CarrierLabel.objects.exists()


def test_a_refusal_is_recorded_with_easyposts_message_and_a_new_press_can_buy(easypost, packed):
    order, shipment = packed()
    easypost.then("buy", "status", 422, "Insufficient funds in your wallet.")

    refused = buy(shipment, easypost)
    bought = buy(shipment, easypost)

    assert refused.status == LabelStatus.FAILED
    assert refused.error_message == "EasyPost refused the label: Insufficient funds in your wallet. (422)."
    assert order.events.filter(message__contains="Insufficient funds").exists()
    assert bought.pk != refused.pk and bought.status == LabelStatus.BOUGHT


@pytest.mark.parametrize("failure", [("status", 503, "Service unavailable"), ("garbage",)])
def test_a_server_error_or_an_unreadable_answer_leaves_the_outcome_unknown(easypost, packed, failure):
    _, shipment = packed()
    easypost.then("buy", *failure)

    label = buy(shipment, easypost)

    assert label.status == LabelStatus.UNKNOWN and "the outcome is unknown" in label.error_message


def test_an_address_the_carrier_refuses_holds_the_shipment_until_corrected_and_checked_again(easypost, packed):
    order, shipment = packed(shipping_address=address(line1="1 Undeliverable St"))

    label = buy(shipment, easypost)

    held = Shipment.objects.get(pk=shipment.pk)
    assert label.status == LabelStatus.FAILED and held.address_hold_message == "Address not found"
    assert easypost.count("buy") == 0
    with pytest.raises(DomainError, match="held"):
        services.shipment_ship(actor=None, shipment=held, service_level=easypost.priority)

    Order.objects.filter(pk=order.pk).update(ship_line1="12 Analytical Way")  # staff corrected the order
    services.shipment_address_check(actor=None, shipment=held)

    assert Shipment.objects.get(pk=shipment.pk).address_hold_message == ""
    assert buy(shipment, easypost).status == LabelStatus.BOUGHT


def test_an_unused_label_is_voided_and_a_new_one_can_be_bought(easypost, packed):
    _, shipment = packed()
    label = buy(shipment, easypost)

    voided = services.shipment_label_void(actor=None, shipment=shipment)

    assert voided.pk == label.pk and voided.status == LabelStatus.VOIDED and voided.refund_status == "submitted"
    assert easypost.shipments[label.provider_shipment_id]["refund_status"] == "submitted"
    assert buy(shipment, easypost).status == LabelStatus.BOUGHT


def test_a_label_that_left_with_its_shipment_cannot_be_voided(easypost, packed):
    _, shipment = packed()
    buy(shipment, easypost)
    services.shipment_ship(actor=None, shipment=shipment, service_level=easypost.priority)

    with pytest.raises(DomainError, match="cannot be voided"):
        services.shipment_label_void(actor=None, shipment=shipment)

    assert easypost.count("refund") == 0


def test_a_missing_api_key_is_a_clear_refusal(easypost, packed, settings):
    _, shipment = packed()
    settings.EASYPOST_API_KEY = ""

    label = buy(shipment, easypost)

    assert label.status == LabelStatus.FAILED and "EASYPOST_API_KEY" in label.error_message
    assert easypost.calls == []


def test_a_shipment_of_two_packages_is_refused_before_anything_is_bought(easypost, place, release, pack):
    from decimal import Decimal

    order = release(place())
    shipment = services.shipment_start(actor=None, order=order, warehouse=order.allocations.first().warehouse)
    for line in order.lines.all():
        services.shipment_scan(actor=None, shipment=shipment, code=line.sku, quantity=line.quantity)
    for _ in range(2):
        services.package_add(actor=None, shipment=shipment, weight_kg=Decimal("1"), length_cm=Decimal("10"),
                             width_cm=Decimal("10"), height_cm=Decimal("10"))
    services.shipment_pack(actor=None, shipment=shipment)

    with pytest.raises(DomainError, match="2 packages"):
        buy(shipment, easypost)

    assert easypost.calls == [] and not CarrierLabel.objects.exists()


# -- EasyPost's tracking webhook ---------------------------------------------------------------


def post_event(client, body: bytes, signature: str):
    return client.post(reverse("fulfillment:easypost_webhook"), body, content_type="application/json",
                       HTTP_X_HMAC_SIGNATURE=signature)


def test_tracker_events_move_the_shipment_and_delivered_completes_the_order(
        easypost, packed, client, django_capture_on_commit_callbacks):
    order, shipment = packed()
    label = buy(shipment, easypost)
    with django_capture_on_commit_callbacks(execute=True):
        services.shipment_ship(actor=None, shipment=shipment, service_level=easypost.priority)

    answers = []
    for status in ("in_transit", "out_for_delivery", "delivered"):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(post_event(client, *easypost.tracker_event(tracking_code=label.tracking_number,
                                                                     status=status)))

    assert [a.json()["status"] for a in answers] == ["in_transit", "out_for_delivery", "delivered"]
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert shipment.tracking_events.filter(location="Springfield, IL, US", source="carrier").count() == 3
    assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED


def test_the_same_event_twice_moves_the_shipment_once(easypost, packed, client):
    _, shipment = packed()
    label = buy(shipment, easypost)
    services.shipment_ship(actor=None, shipment=shipment, service_level=easypost.priority)
    event = easypost.tracker_event(tracking_code=label.tracking_number, status="in_transit", event_id="evt_1")

    answers = [post_event(client, *event).json() for _ in range(2)]

    assert [a["recorded"] for a in answers] == [True, False]
    assert shipment.tracking_events.filter(external_id="easypost:evt_1").count() == 1


def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(easypost, packed, client):
    _, shipment = packed()
    label = buy(shipment, easypost)
    services.shipment_ship(actor=None, shipment=shipment, service_level=easypost.priority)
    body, _ = easypost.tracker_event(tracking_code=label.tracking_number, status="delivered")
    _, forged = easypost.tracker_event(tracking_code=label.tracking_number, status="delivered", secret="guess")

    refused = [post_event(client, body, forged), client.post(reverse("fulfillment:easypost_webhook"), body,
                                                             content_type="application/json")]

    assert [r.status_code for r in refused] == [403, 403]
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED and shipment.tracking_events.count() == 1


def test_a_signed_body_that_is_not_an_event_is_a_bad_request(easypost, client):
    import hashlib
    import hmac

    from fulfillment.tests.easypost_fake import WEBHOOK_SECRET

    body = b'{"object": "Event", "id": "evt_2", "description": "tracker.updated", "result": []}'
    signature = "hmac-sha256-hex=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()

    assert post_event(client, body, signature).status_code == 400


def test_an_event_for_a_tracking_code_the_app_does_not_know_is_acknowledged(easypost, client):
    response = post_event(client, *easypost.tracker_event(tracking_code="NOPE", status="delivered"))

    assert response.status_code == 200 and response.json() == {"ignored": "unknown tracking code"}


def test_a_purchase_whose_process_died_mid_call_is_settled_by_the_next_press(easypost, packed):
    """A worker claimed the label and died before recording anything: after a while the label no
    longer blocks, and the next press buys it (once)."""
    from datetime import timedelta

    from django.utils import timezone

    _, shipment = packed()
    claimed, _ = services._claim_label(actor=None, shipment=shipment, service_level=easypost.priority)
    with pytest.raises(DomainError, match="being bought"):
        buy(shipment, easypost)
    CarrierLabel.objects.filter(pk=claimed.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=services.LABEL_CLAIM_STALE_SECONDS + 1))

    label = buy(shipment, easypost)

    assert label.pk == claimed.pk and label.status == LabelStatus.BOUGHT and easypost.count("buy") == 1
