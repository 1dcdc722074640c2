from orders.views import ORDER_ACTIONS


def test_every_order_button_asks_before_it_acts():
    """A plain button confirms in the browser; one with a form asks in its dialog."""
    for action in ORDER_ACTIONS.values():
        assert action.confirm or action.form, action.transition
