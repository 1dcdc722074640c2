def navigation(request):
    """Which sections of the back-office the signed-in staff member may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "orders": user.has_perm("orders.view_order"),
            "add_order": user.has_perm("orders.add_order"),
            "customers": user.has_perm("orders.view_customer"),
            "products": user.has_perm("inventory.view_product"),
            "stock": user.has_perm("inventory.view_stocklevel"),
            "purchasing": user.has_perm("inventory.view_purchaseorder"),
            "payments": user.has_perm("payments.view_payment"),
            "invoices": user.has_perm("payments.view_invoice"),
            "returns": user.has_perm("returns.view_returnrequest"),
            "fulfillment": user.has_perm("fulfillment.view_shipment"),
            "reports": user.has_perm("reports.view_kpis"),
            "admin": user.is_staff,
        }
    }
