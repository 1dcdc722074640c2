"""The lifecycle flow chart: the order state machine drawn as boxes and arrows, with how many
orders stand in each state. Pure layout data; the template draws it as SVG."""

from dataclasses import dataclass

from orders.enums import OrderStatus as S

BOX_W, BOX_H = 140, 58
COLUMN, ROW = 205, 100

# Column and row of each state on the chart.
POSITIONS = {
    S.DRAFT: (0, 1), S.PLACED: (1, 1), S.CONFIRMED: (2, 1), S.IN_FULFILLMENT: (3, 1), S.SHIPPED: (4, 1),
    S.DELIVERED: (5, 1), S.COMPLETED: (6, 1),
    S.ON_HOLD: (1, 2), S.BACKORDERED: (2, 0), S.PARTIALLY_SHIPPED: (4, 0), S.CANCELLED: (2, 3),
}
EDGES = [
    (S.DRAFT, S.PLACED, "submit"), (S.PLACED, S.CONFIRMED, "verify"), (S.PLACED, S.ON_HOLD, "hold"),
    (S.ON_HOLD, S.PLACED, "release"), (S.PLACED, S.BACKORDERED, "short stock"),
    (S.BACKORDERED, S.CONFIRMED, "allocate"), (S.CONFIRMED, S.IN_FULFILLMENT, "release"),
    (S.IN_FULFILLMENT, S.PARTIALLY_SHIPPED, "ship part"), (S.PARTIALLY_SHIPPED, S.SHIPPED, "ship rest"),
    (S.IN_FULFILLMENT, S.SHIPPED, "ship"), (S.SHIPPED, S.DELIVERED, "deliver"),
    (S.DELIVERED, S.COMPLETED, "complete"), (S.ON_HOLD, S.CANCELLED, "cancel (from any state before shipping)"),
]


@dataclass(frozen=True)
class Box:
    status: str
    label: str
    count: int
    x: int
    y: int

    @property
    def cx(self) -> int:
        return self.x + BOX_W // 2

    @property
    def cy(self) -> int:
        return self.y + BOX_H // 2


@dataclass(frozen=True)
class Arrow:
    x1: int
    y1: int
    x2: int
    y2: int
    label: str

    @property
    def lx(self) -> int:
        return (self.x1 + self.x2) // 2

    @property
    def ly(self) -> int:
        return (self.y1 + self.y2) // 2 - 4


def _anchor(box: Box, toward: Box) -> tuple[int, int]:
    """Where an arrow leaves `box` heading for `toward`: the middle of the facing side."""
    dx, dy = toward.cx - box.cx, toward.cy - box.cy
    if abs(dx) * BOX_H >= abs(dy) * BOX_W:
        return (box.x + BOX_W if dx > 0 else box.x), box.cy
    return box.cx, (box.y + BOX_H if dy > 0 else box.y)


def flow_chart(counts: dict[str, int]) -> dict:
    boxes = {
        status: Box(status=status, label=S(status).label, count=counts.get(status, 0),
                    x=20 + col * COLUMN, y=20 + row * ROW)
        for status, (col, row) in POSITIONS.items()
    }
    arrows = []
    for source, target, label in EDGES:
        a, b = boxes[source], boxes[target]
        (x1, y1), (x2, y2) = _anchor(a, b), _anchor(b, a)
        if (target, source) in {(s, t) for s, t, _ in EDGES}:  # two-way pair: keep the arrows apart
            offset = 8 if source < target else -8
            x1, x2 = x1 + (offset if y1 != a.cy else 0), x2 + (offset if y2 != b.cy else 0)
            y1, y2 = y1 + (offset if y1 == a.cy else 0), y2 + (offset if y2 == b.cy else 0)
        arrows.append(Arrow(x1, y1, x2, y2, label))
    return {"boxes": list(boxes.values()), "arrows": arrows, "width": 20 + 7 * COLUMN, "height": 20 + 4 * ROW,
            "box_w": BOX_W, "box_h": BOX_H}
