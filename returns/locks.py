"""Row locks for returns, in one order everywhere: the order row, then the return row, then
the order's lines (pk order), so a return and an order operation never deadlock. A refund by line
locks the order, then its payment, then the order's lines; finishing it, the order, the refund row, then the
lines it gives back."""

from returns.models import Refund, ReturnRequest


def lock_return(return_id: int) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update(of=("self",)).select_related("order").get(pk=return_id)


def lock_refund(refund_id: int) -> Refund:
    return Refund.objects.select_for_update(of=("self",)).select_related("order").get(pk=refund_id)
