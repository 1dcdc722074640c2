"""Demand forecast: a moving average of daily demand, and what it means for reordering.

Demand is what customers asked for, so it is read from the ledger's allocation
movements (stock reserved for orders), not from shipments, which lag behind and
miss backorders that never shipped. A simple moving average over a window is robust
for the small, lumpy volumes of one SKU in one warehouse; `window_days` sets how
quickly it reacts.
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from inventory.enums import MovementKind
from inventory.models import StockMovement

DEFAULT_WINDOW_DAYS = 28
# Days of demand a purchase order should cover beyond the supplier's lead time.
REVIEW_PERIOD_DAYS = 14


@dataclass(frozen=True)
class Forecast:
    daily_demand: float
    days_of_cover: float | None  # None: no demand, stock lasts indefinitely
    suggested_quantity: int


def daily_demand_by_level(level_ids, *, window_days: int = DEFAULT_WINDOW_DAYS, now=None) -> dict[int, float]:
    """Average units allocated per day over the last `window_days`, per stock level id."""
    since = (now or timezone.now()) - timedelta(days=window_days)
    rows = (
        StockMovement.objects.filter(stock_level_id__in=list(level_ids), kind=MovementKind.ALLOCATION,
                                     created_at__gte=since)
        .values("stock_level_id").annotate(units=Sum("allocated_delta"))
    )
    return {row["stock_level_id"]: row["units"] / window_days for row in rows}


def forecast(*, daily_demand: float, available: int, incoming: int, reorder_point: int, reorder_quantity: int,
             lead_time_days: int) -> Forecast:
    """Days the available stock lasts, and how much to order to cover lead time plus a review period."""
    days_of_cover = available / daily_demand if daily_demand > 0 else None
    needed = math.ceil(daily_demand * (lead_time_days + REVIEW_PERIOD_DAYS)) + reorder_point
    shortfall = needed - max(available, 0) - incoming
    suggested = max(shortfall, reorder_quantity if shortfall > 0 else 0, 0)
    return Forecast(daily_demand=round(daily_demand, 2),
                    days_of_cover=None if days_of_cover is None else round(days_of_cover, 1),
                    suggested_quantity=suggested)
