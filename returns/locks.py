"""Row locks for returns, in one order everywhere: the order row, then the return row, then
the order's lines (pk order), so a return and an order operation never deadlock."""

from returns.models import ReturnRequest


def lock_return(return_id: int) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update(of=("self",)).select_related("order").get(pk=return_id)
