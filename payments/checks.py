"""Payment authorization, the verification pipeline's external check.

It runs after the verifying transaction has committed, with no lock held, because it
calls the payment gateway. Cards, debit cards and PayPal are authorized for the order
total; wire and ACH are paid before release (guarded on `Order.release`); cash on
delivery is collected by the carrier; account terms are invoiced (credit is checked
by `customer_credit`).
"""

from oms.exceptions import DomainError
from orders.enums import HoldReason
from orders.verification import CheckResult, register_check
from payments.enums import AUTHORIZE_METHODS, PAY_BEFORE_RELEASE_METHODS, PaymentMethod, PaymentStatus, \
    TransactionOutcome

NOT_AUTHORIZED_MESSAGES = {
    PaymentMethod.COD: "Cash on delivery: collected by the carrier.",
    PaymentMethod.TERMS: "Account terms: invoiced, payable in 30 days.",
}


def _authorizes(order) -> bool:
    """Only card, debit and PayPal orders call the gateway at verification; the others
    (wire, ACH, cash on delivery, terms) are verified in one transaction, no external phase."""
    return order.payment_method in AUTHORIZE_METHODS


@register_check(name="payment_authorization", label="Payment authorized", position=40, external=True,
                applies=_authorizes)
def check_payment_authorization(order, *, actor) -> CheckResult:
    from payments.services import payment_authorize, payment_for_order

    payment = payment_for_order(order=order)
    if order.payment_method in PAY_BEFORE_RELEASE_METHODS:
        return CheckResult.passed(f"{order.get_payment_method_display()}: to be paid before release.")
    if order.payment_method not in AUTHORIZE_METHODS:
        return CheckResult.passed(NOT_AUTHORIZED_MESSAGES.get(order.payment_method, ""))
    if payment.status != PaymentStatus.PENDING and payment.status != PaymentStatus.FAILED:
        return CheckResult.passed(f"Payment already {payment.get_status_display().lower()}.")
    try:
        row = payment_authorize(actor=actor, payment=payment)
    except DomainError as exc:
        return CheckResult.hold(HoldReason.PAYMENT_DECLINED, f"Payment not authorized: {exc.message}")
    if row.outcome == TransactionOutcome.SUCCEEDED:
        return CheckResult.passed(f"Authorized {row.amount} {row.currency} ({row.gateway_reference}).")
    if row.outcome == TransactionOutcome.UNKNOWN:
        return CheckResult.hold(HoldReason.PAYMENT_DECLINED,
                                "The payment gateway did not answer; release the hold to retry the authorization.",
                                code=row.error_code)
    card = f" ending {payment.card_last4}" if payment.card_last4 else ""
    return CheckResult.hold(HoldReason.PAYMENT_DECLINED,
                            f"{row.error_message or 'The card was declined.'} "
                            f"Ask the customer for another card{card and ' than the one' + card}.",
                            code=row.error_code)
