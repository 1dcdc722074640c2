import io

import pytest

from returns import demo
from returns.models import ReturnRequest

pytestmark = pytest.mark.django_db


def test_the_demo_returns_cover_the_states_and_a_second_run_adds_none(delivered_order):
    for _ in range(len(demo.DEMO_RETURNS)):
        delivered_order()
    out = io.StringIO()
    demo.after_orders(stdout=out)
    assert "7 demo returns" in out.getvalue()
    assert sorted(ReturnRequest.objects.values_list("status", flat=True)) == sorted(
        str(status) for status, _, _ in demo.DEMO_RETURNS)
    demo.after_orders(stdout=out)
    assert ReturnRequest.objects.count() == len(demo.DEMO_RETURNS)
