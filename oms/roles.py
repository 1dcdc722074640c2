"""Staff roles are groups with permissions; this table is the single source of them."""

from django.contrib.auth.models import Group, Permission

SALES = "sales"
WAREHOUSE = "warehouse"
FINANCE = "finance"
MANAGER = "manager"

_ORDER_READ = ["orders.view_order", "orders.view_customer", "orders.view_address", "inventory.view_product"]

# inventory: warehouse staff see and move stock and receive goods.
_STOCK_WORK = [
    "inventory.view_warehouse", "inventory.view_stocklevel", "inventory.view_stockmovement",
    "inventory.view_allocation", "inventory.adjust_stock", "inventory.transfer_stock",
    "inventory.view_reorderalert", "inventory.view_supplier", "inventory.view_purchaseorder",
    "inventory.view_purchaseorderline", "inventory.receive_purchaseorder",
]
# Managers also decide what to buy: reorder alerts, suppliers, purchase orders, warehouses.
_STOCK_MANAGEMENT = [
    "inventory.manage_reorder", "inventory.add_purchaseorder", "inventory.change_purchaseorder",
    "inventory.add_supplier", "inventory.change_supplier", "inventory.add_warehouse", "inventory.change_warehouse",
    "inventory.change_stocklevel",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SALES: _ORDER_READ + [
        "orders.add_order", "orders.change_order", "orders.submit_order", "orders.verify_order",
        "orders.hold_order", "orders.release_hold", "orders.cancel_order",
        "orders.add_customer", "orders.change_customer", "orders.add_address", "orders.change_address",
    ],
    WAREHOUSE: _ORDER_READ + ["orders.fulfill_order"] + _STOCK_WORK,
    FINANCE: _ORDER_READ + [
        "orders.change_customer", "orders.hold_customer", "orders.hold_order", "orders.release_hold",
        "orders.override_hold", "orders.cancel_order", "orders.complete_order",
    ] + [
        # payments
        "payments.view_payment", "payments.view_paymenttransaction", "payments.capture_payment",
        "payments.void_payment", "payments.refund_payment", "payments.record_manual_payment",
        "payments.retry_payment", "payments.view_invoice", "payments.issue_invoice", "payments.void_invoice",
        "payments.view_creditnote", "payments.view_taxrate", "payments.add_taxrate", "payments.change_taxrate",
    ],
}
# fulfillment: the warehouse picks, packs, ships and records delivery; staff who talk to
# customers may resend an e-mail.
_FULFILLMENT_READ = ["fulfillment.view_shipment", "fulfillment.view_wave", "fulfillment.view_carrier",
                     "fulfillment.view_servicelevel", "fulfillment.view_shippingrate",
                     "fulfillment.view_trackingevent", "notifications.view_notification"]
ROLE_PERMISSIONS[WAREHOUSE] += _FULFILLMENT_READ + [
    "fulfillment.add_wave", "fulfillment.pack_shipment", "fulfillment.ship_shipment",
    "fulfillment.deliver_shipment", "notifications.add_notification",
]
ROLE_PERMISSIONS[SALES] += ["fulfillment.view_shipment", "notifications.view_notification",
                            "notifications.add_notification"]
# payments: sales take the customer's new card after a decline.
ROLE_PERMISSIONS[SALES] += ["payments.view_payment", "payments.retry_payment"]
ROLE_PERMISSIONS[MANAGER] = sorted(
    {p for perms in ROLE_PERMISSIONS.values() for p in perms} | {"inventory.change_product", "inventory.add_product"}
    | set(_STOCK_MANAGEMENT) | {"reports.view_kpis"}
)
# fulfillment: managers keep the carriers, their services and rate tables (in the admin).
ROLE_PERMISSIONS[MANAGER] = sorted({*ROLE_PERMISSIONS[MANAGER], *[
    f"fulfillment.{action}_{model}" for model in ("carrier", "servicelevel", "shippingrate")
    for action in ("add", "change", "delete")]})

# Prices and discounts of an order already placed are a manager's call.
ROLE_PERMISSIONS[MANAGER] = sorted({*ROLE_PERMISSIONS[MANAGER], "orders.change_order_price"})

# returns: sales open phone returns, approve and cancel them; the warehouse receives and
# inspects; finance refunds or exchanges and closes; a manager does all that and overrides the policy.
_RETURNS = {
    SALES: ["returns.view_returnrequest", "returns.add_returnrequest", "returns.approve_return",
            "returns.close_return"],
    WAREHOUSE: ["returns.view_returnrequest", "returns.receive_return"],
    FINANCE: ["returns.view_returnrequest", "returns.resolve_return", "returns.close_return", "returns.view_refund",
              "returns.view_refundline"],
    MANAGER: ["returns.override_policy", "returns.view_nonreturnableproduct", "returns.add_nonreturnableproduct",
              "returns.change_nonreturnableproduct", "returns.delete_nonreturnableproduct"],
}
for _role, _perms in _RETURNS.items():
    ROLE_PERMISSIONS[_role] = sorted(set(ROLE_PERMISSIONS[_role]) | set(_perms)
                                     | (set().union(*_RETURNS.values()) if _role == MANAGER else set()))


def roles_sync(**kwargs) -> None:
    """Create the role groups and give them exactly their permissions (idempotent)."""
    wanted = {p for perms in ROLE_PERMISSIONS.values() for p in perms}
    by_name = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.filter(
            content_type__app_label__in={p.split(".")[0] for p in wanted}
        ).values_list("pk", "content_type__app_label", "codename")
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([by_name[p] for p in perms if p in by_name])
