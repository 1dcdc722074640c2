"""Signals inventory sends so that other apps can react without inventory calling them.

`stock_replenished` is sent after the commit of any write that made stock available
again (receipt, return restock, upward adjustment, transfer in, released allocation),
with `product_ids`: the orders app listens and allocates waiting backorders.
"""

from django.dispatch import Signal

stock_replenished = Signal()  # kwargs: product_ids: list[int]
