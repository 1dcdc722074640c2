"""The one way a transition is refused: the state first, then the permission, in staff's words."""

import pytest

from oms.exceptions import NotPermitted, TransitionRefused
from oms.fsm import offered_transitions, transition_refusal
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def test_a_state_that_forbids_the_transition_is_named_before_any_permission(warehouse_user):
    draft = make_order()

    with pytest.raises(TransitionRefused) as refused:
        transition_refusal(draft, "release", actor=warehouse_user, noun="order", verb="released")

    assert str(refused.value) == f"Order {draft.number} is draft; it cannot be released."


def test_a_user_without_the_transitions_permission_is_told_so(warehouse_user):
    draft = make_order()

    with pytest.raises(NotPermitted, match="^You are not allowed to have an order submitted.$"):
        transition_refusal(draft, "submit", actor=warehouse_user, noun="order", verb="submitted")


def test_the_system_is_never_refused_a_permission():
    transition_refusal(make_order(), "submit", actor=None, noun="order", verb="submitted")


def test_a_guard_is_asked_unless_the_caller_checks_the_state_alone(sales_user):
    draft = make_order()
    draft.lines.all().delete()  # the submit guard wants lines

    with pytest.raises(TransitionRefused, match="it cannot be submitted"):
        transition_refusal(draft, "submit", actor=sales_user, noun="order", verb="submitted")
    transition_refusal(draft, "submit", actor=sales_user, noun="order", verb="submitted", conditions=False)


def test_a_screen_offers_the_transitions_of_the_state_the_user_may_take(sales_user, warehouse_user):
    draft = make_order()

    assert offered_transitions(draft, sales_user) == {"submit", "cancel"}
    assert offered_transitions(draft, warehouse_user) == set()
