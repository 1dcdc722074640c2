"""The hand-written SQL of the allocation hot path, and only that.

Verification allocates stock for every order placed, under row locks that other orders
queue behind; there the ORM spends more time building its statements than the database
takes to run them (about a millisecond each, several per order). So the statements that
path runs per order are written here, by hand, once:

- one UPDATE that moves a different amount on each of many rows, with a guard
  (`update_per_row_sql`): the conditional allocation of several stock levels at once;
- one INSERT of many unsaved instances (`insert_rows_sql`): allocations and ledger rows;
- on PostgreSQL, those writes as one statement of data-modifying CTEs
  (`execute_guarded_writes`);
- the locked read of stock levels and their warehouses as partial instances, with just
  the columns routing reads (`lock_stock_levels_for_allocation`).

Every other write goes through the ORM. What is written here follows the models' own
metadata (`_meta.concrete_fields`, each field's `get_db_prep_save`, `auto_now`), and
`inventory/tests/test_sql.py` round-trips every concrete field of the models it writes,
so a column added to them cannot be silently left out. The SQL is portable (PostgreSQL
and SQLite).
"""

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from inventory.models import StockLevel, Warehouse


def update_per_row_sql(model, amounts: dict[int, int], assignments: dict[str, str], guard: str = "",
                       returning: bool = False) -> tuple[str, list]:
    """One UPDATE that moves a different amount on each row.

    In `assignments` and `guard`, `{n}` stands for the row's own amount
    (`CASE id WHEN .. THEN .. END`): `{"allocated": "allocated + {n}"}` with the guard
    `"on_hand - allocated >= {n}"` is the conditional allocation UPDATE for many rows.
    The model's `auto_now` columns are set too, as `save()` would.
    """
    qn = connection.ops.quote_name
    case = "(CASE id " + " ".join(["WHEN %s THEN %s"] * len(amounts)) + " END)"
    pairs = [value for pk, n in amounts.items() for value in (pk, int(n))]
    sets, params = [], []
    for column, expression in assignments.items():
        sets.append(f"{qn(column)} = {expression.format(n=case)}")
        params += pairs * expression.count("{n}")
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False):
            sets.append(f"{qn(field.column)} = %s")
            params.append(field.get_db_prep_save(timezone.now(), connection))
    params += list(amounts)
    where = f"id IN ({', '.join(['%s'] * len(amounts))})"
    if guard:
        where += f" AND {guard.format(n=case)}"
        params += pairs * guard.count("{n}")
    sql = f"UPDATE {qn(model._meta.db_table)} SET {', '.join(sets)} WHERE {where}"
    return (sql + " RETURNING 1" if returning else sql), params


def update_per_row(model, amounts: dict[int, int], assignments: dict[str, str], guard: str = "") -> int:
    """Run `update_per_row_sql`; returns the rows updated."""
    return execute(*update_per_row_sql(model, amounts, assignments, guard))


def insert_rows_sql(objs: list) -> tuple[str, list]:
    """INSERT unsaved model instances in one statement (no primary keys come back).

    Every concrete field but the primary key is written, its value through the field's own
    `get_db_prep_save`, as with `bulk_create`, without its per-call bookkeeping.
    """
    meta = type(objs[0])._meta
    now = timezone.now()
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    params = []
    for obj in objs:
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                setattr(obj, field.attname, now)
            params.append(field.get_db_prep_save(getattr(obj, field.attname), connection))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES {', '.join([row] * len(objs))}"), params


def execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def execute_guarded_writes(guarded: tuple[str, list], others: list[tuple[str, list]]) -> int:
    """Run a guarded UPDATE and the writes that go with it; returns the rows the guarded one updated.

    On PostgreSQL, as one statement (data-modifying CTEs: one round trip instead of
    four); elsewhere one after the other. When the guard refuses a row, the caller
    raises and its transaction rolls the other writes back: call inside `atomic()`.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("Guarded stock writes must run inside a transaction.")
    if connection.vendor != "postgresql":
        updated = execute(*guarded)
        for sql, params in others:
            execute(sql, params)
        return updated
    guarded_sql = guarded[0] if guarded[0].endswith(" RETURNING 1") else guarded[0] + " RETURNING 1"
    parts = [f"guarded AS ({guarded_sql})"] + [f"w{i} AS ({sql})" for i, (sql, _) in enumerate(others)]
    params = list(guarded[1]) + [p for _, ps in others for p in ps]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT count(*) FROM guarded", params)
        return cursor.fetchone()[0]


# The columns routing reads; the other fields of these partial instances load on access.
LEVEL_COLUMNS = ["id", "product_id", "warehouse_id", "on_hand", "allocated"]
WAREHOUSE_COLUMNS = ["id", "code", "country", "region", "priority"]


def lock_stock_levels_for_allocation(product_ids: Iterable[int]) -> list[StockLevel]:
    """`inventory.locks.lock_stock_levels(product_ids=..., active_only=True)` for the verification
    hot path: the same rows, lock and order (stock levels by primary key), the levels and
    their warehouses as partial instances with `LEVEL_COLUMNS` and `WAREHOUSE_COLUMNS`."""
    product_ids = list(product_ids)
    qn = connection.ops.quote_name
    lock = " FOR UPDATE OF s" if connection.features.has_select_for_update_of else ""
    columns = [f"s.{c}" for c in LEVEL_COLUMNS] + [f"w.{c}" for c in WAREHOUSE_COLUMNS]
    sql = (f"SELECT {', '.join(columns)} FROM {qn(StockLevel._meta.db_table)} s "
           f"INNER JOIN {qn(Warehouse._meta.db_table)} w ON w.id = s.warehouse_id "
           f"WHERE s.product_id IN ({', '.join(['%s'] * len(product_ids))}) AND w.active "
           f"ORDER BY s.id{lock}")
    with connection.cursor() as cursor:
        cursor.execute(sql, product_ids)
        rows = cursor.fetchall()
    levels = []
    for row in rows:
        level = StockLevel.from_db(connection.alias, LEVEL_COLUMNS, row[:len(LEVEL_COLUMNS)])
        level.warehouse = Warehouse.from_db(connection.alias, WAREHOUSE_COLUMNS, row[len(LEVEL_COLUMNS):])
        levels.append(level)
    return levels
