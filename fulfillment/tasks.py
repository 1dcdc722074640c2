"""Fulfillment's side effects after commit; every task takes ids and is safe to run twice."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def shipments_flag_late_task() -> int:
    """Beat: flag shipments still on the way past their order's promised delivery time."""
    from fulfillment.services import shipments_flag_late

    return shipments_flag_late()
