from decimal import Decimal

import pytest

from payments.gateways import GatewayTimeout, get_gateway
from payments.gateways.base import GatewayError
from payments.gateways.simulated import SimulatedGateway
from payments.models import SimulatedGatewayCall
from payments.tests.conftest import APPROVED, DECLINED, EXPIRED, FRAUD, INSUFFICIENT_FUNDS, SLOW

pytestmark = pytest.mark.django_db
AMOUNT = Decimal("25.00")


def authorize(card: str, key: str = "k1"):
    gateway = SimulatedGateway()
    token = gateway.tokenize(card_number=card).token
    return gateway.authorize(amount=AMOUNT, currency="USD", idempotency_key=key, source=token)


def test_the_configured_gateway_is_the_simulated_one_by_default():
    assert isinstance(get_gateway(), SimulatedGateway)


def test_tokenizing_keeps_only_a_token_and_the_last_four_digits():
    card = SimulatedGateway().tokenize(card_number="4242 4242 4242 4242")
    assert card.last4 == "4242"
    assert "4242424242424242" not in card.token


def test_an_invalid_card_number_is_refused_at_tokenizing():
    with pytest.raises(GatewayError, match="not a valid card number"):
        SimulatedGateway().tokenize(card_number="4242424242424241")


def test_the_success_card_is_approved_with_a_reference():
    result = authorize(APPROVED)
    assert result.success and result.reference.startswith("sim_auth_")


@pytest.mark.parametrize("card, code", [
    (DECLINED, "card_declined"),
    (INSUFFICIENT_FUNDS, "insufficient_funds"),
    (EXPIRED, "expired_card"),
    (FRAUD, "fraudulent"),
])
def test_each_decline_card_is_declined_with_its_code_and_a_message(card, code):
    result = authorize(card)
    assert not result.success
    assert result.error_code == code
    assert result.error_message


def test_the_slow_card_times_out_and_a_retry_with_the_same_key_returns_the_approval():
    with pytest.raises(GatewayTimeout):
        authorize(SLOW, key="slow-1")
    assert authorize(SLOW, key="slow-1").success


def test_a_repeated_key_returns_the_first_answer_without_a_second_operation():
    first = authorize(APPROVED, key="same")
    second = authorize(APPROVED, key="same")
    assert first == second
    assert SimulatedGatewayCall.objects.filter(idempotency_key="same").count() == 1


def test_a_key_reused_for_a_different_request_is_refused():
    authorize(APPROVED, key="reused")
    result = SimulatedGateway().capture(amount=AMOUNT, currency="USD", idempotency_key="reused", reference="sim_x")
    assert not result.success and result.error_code == "idempotency_key_reused"


def test_capture_of_an_unknown_authorization_fails():
    result = SimulatedGateway().capture(amount=AMOUNT, currency="USD", idempotency_key="c1", reference="other")
    assert not result.success and result.error_code == "unknown_reference"
