"""The intake's idempotency key under real concurrency (PostgreSQL, one connection per thread)."""

import copy
from decimal import Decimal

import pytest

from orders import services
from orders.enums import Channel
from orders.idempotency import IntakeReplayDiffers, body_hash
from orders.intake import parse_intake_json
from orders.models import IntakeRequest, Order
from tests.factories import ProductFactory
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_bodies_racing_under_one_reference_make_one_order_and_the_other_body_is_refused(settings):
    settings.OMS_AUTO_VERIFY = False
    ProductFactory(sku="CHAIR-1", unit_price=Decimal("10"))
    client, _ = services.api_client_create(actor=None, name="Web shop", channel=Channel.WEB)
    first = {"external_reference": "WEB-RACE", "customer": {"email": "ada@example.com", "name": "Ada"},
             "shipping_address": {"name": "Ada", "line1": "1 Way", "city": "London", "postal_code": "N1",
                                  "country": "GB"},
             "lines": [{"sku": "CHAIR-1", "quantity": 1}]}
    second = copy.deepcopy(first)
    second["lines"][0]["quantity"] = 3
    bodies = [first, first, second, second]

    def work(i):
        intake, problems = parse_intake_json(bodies[i])
        assert not problems
        return services.order_intake(actor=None, channel=Channel.WEB, intake=intake, api_client=client,
                                     request_body=bodies[i])

    results = run_together([lambda i=i: work(i) for i in range(4)])

    created = [i for i, r in enumerate(results) if isinstance(r, tuple) and r[1]]
    assert len(created) == 1
    winner = bodies[created[0]]
    for i, result in enumerate(results):
        if bodies[i] is winner:
            assert isinstance(result, tuple), result
        else:
            assert isinstance(result, IntakeReplayDiffers) and result.fields == ["lines[0].quantity"], result
    assert Order.objects.filter(external_reference="WEB-RACE").count() == 1
    assert IntakeRequest.objects.get().body_hash == body_hash(winner)
