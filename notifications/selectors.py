from notifications.models import Notification


def notifications_for_order(*, order_id: int) -> list[Notification]:
    return list(Notification.objects.filter(order_id=order_id).order_by("created_at", "pk"))
