"""One badge partial for every state machine, its colours in one stylesheet."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from orders.enums import OrderStatus
from payments.enums import InvoiceStatus, PaymentStatus
from returns.enums import ReturnStatus

MACHINES = {"order": OrderStatus, "rma": ReturnStatus, "payment": PaymentStatus, "invoice": InvoiceStatus}
CSS = (Path(settings.BASE_DIR) / "static" / "css" / "oms.css").read_text()


@pytest.mark.parametrize("kind", MACHINES)
def test_every_status_of_every_state_machine_has_a_badge_colour(kind):
    missing = []
    for status in MACHINES[kind].values:
        selector = f".status-{status}" if kind == "order" else f".{kind}-status.status-{status}"
        if not re.search(re.escape(selector) + r"\s*[,{]", CSS):
            missing.append(status)
    assert missing == []


def test_the_badge_names_its_machine_and_status_and_shows_the_label():
    html = render_to_string("partials/status_badge.html", {"kind": "rma", "status": "items_received",
                                                          "label": "Items received"})
    assert html.strip().endswith('<span class="badge status-badge rma-status status-items_received">'
                                 "Items received</span>")
