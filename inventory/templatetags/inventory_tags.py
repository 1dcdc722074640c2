from django import template

from inventory.selectors import reorder_alerts_for_list

register = template.Library()


@register.inclusion_tag("inventory/_reorder_alerts_panel.html", takes_context=True)
def reorder_alerts_panel(context, limit: int = 8):
    """The open reorder alerts, for the dashboard of staff who may see them (one query)."""
    user = context.get("user")
    if user is None or not user.has_perm("inventory.view_reorderalert"):
        return {"visible": False}
    return {"visible": True, "alerts": reorder_alerts_for_list(open_only=True, limit=limit, with_incoming=False)}
