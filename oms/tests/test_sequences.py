import pytest
from django.db import transaction

from oms.sequences import sequence_next

pytestmark = pytest.mark.django_db


def test_a_gapless_counter_gives_back_a_rolled_back_number():
    first = sequence_next(name="invoice-test")
    with pytest.raises(RuntimeError), transaction.atomic():
        sequence_next(name="invoice-test")
        raise RuntimeError
    assert sequence_next(name="invoice-test") == first + 1


def test_order_numbers_keep_counting_up():
    numbers = [sequence_next(name="order") for _ in range(3)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
