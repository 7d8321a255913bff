"""Fast database writes and look-ups for ingestion: rows inserted and updated without model
instances, and item-id look-ups that stay cheap at a search's size.

bulk_create builds model instances, then compiles SQL and adapts every value through its field;
rows that are only ever inserted need neither. PostgreSQL takes them through one COPY (ids drawn
from the table's sequence beforehand, so none are read back); other databases get multi-row
INSERTs of up to ROWS_PER_INSERT rows, the same statement repeated through executemany.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connections, models, router

# Column types whose Python values the database drivers take as they are (str, int, bool, float).
PLAIN_TYPES = frozenset(
    {
        "CharField",
        "TextField",
        "BooleanField",
        "IntegerField",
        "PositiveIntegerField",
        "BigIntegerField",
        "FloatField",
        "ForeignKey",
    }
)
PLAIN_VALUES = (str, int, bool, float, type(None))
COPY_DECIMALS = (Decimal, type(None))
# Rows per INSERT statement: enough to spread the per-statement cost; more makes psycopg's
# client-side placeholder parsing (it grows faster than the statement) the slow part.
ROWS_PER_INSERT = 40


def insert_rows(
    *, model: type[models.Model], rows: Sequence[dict], with_ids: bool = False
) -> list[int] | None:
    """INSERT rows (field attname -> value, defaults filled in) with each value adapted once.

    With with_ids, PostgreSQL returns the new ids in row order; elsewhere None comes back and the
    caller reads ids by a natural key.
    """
    db = connections[router.db_for_write(model)]  # the connection itself, not the proxy
    if db.vendor == "postgresql":
        return _copy_rows(db=db, model=model, rows=rows, with_ids=with_ids)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = [_column_values(db=db, column=f, rows=rows, copy=False) for f in fields]
    params = list(zip(*columns, strict=True))
    # SQLite's 999-parameter limit allows 21 Listing rows per statement.
    per_statement = max(1, min(len(rows), ROWS_PER_INSERT, db.ops.bulk_batch_size(fields, rows)))
    batches = [
        [value for row in params[i : i + per_statement] for value in row]
        for i in range(0, len(params), per_statement)
    ]
    full = [batch for batch in batches if len(batch) == per_statement * len(fields)]
    with db.cursor() as cursor:
        if full:
            cursor.executemany(
                _insert_sql(db=db, model=model, fields=fields, rows=per_statement), full
            )
        for batch in batches[len(full) :]:
            cursor.execute(
                _insert_sql(db=db, model=model, fields=fields, rows=len(batch) // len(fields)),
                batch,
            )
    return None


def update_rows(*, model: type[models.Model], rows: Sequence[dict], fields: Sequence[str]) -> None:
    """UPDATE rows (attname -> value, with "id") by primary key: one statement, executemany.

    bulk_update's CASE WHEN per column makes each statement grow with the batch and the database
    match every row against every branch: re-importing changed items cost twenty times a fresh
    import. One small UPDATE per row, prepared once, costs about what its INSERT did.
    """
    if not rows:
        return
    db = connections[router.db_for_write(model)]
    meta, quote = model._meta, db.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    prepared = [_column_values(db=db, column=c, rows=rows, copy=False) for c in columns]
    prepared.append([row["id"] for row in rows])
    # Only quoted table and column names from the model are formatted in; values are parameters.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(f"{quote(c.column)} = %s" for c in columns),
        quote(meta.pk.column),
    )
    with db.cursor() as cursor:
        cursor.executemany(sql, list(zip(*prepared, strict=True)))


def _column_values(*, db, column, rows: Sequence[dict], copy: bool) -> list:
    """One column's values as the driver (or, for COPY, the server) takes them."""
    name, default = column.attname, column.get_default()
    values = [row.get(name, default) for row in rows]
    kind = column.get_internal_type()
    if kind in PLAIN_TYPES:
        taken = PLAIN_VALUES
    elif kind == "DecimalField" and copy:
        taken = COPY_DECIMALS  # text COPY: the server parses a Decimal's text itself
    else:
        taken = ()
    prepare, last, last_value = column.get_db_prep_save, None, None
    for i, value in enumerate(values):
        if type(value) in taken:
            continue
        if kind == "DecimalField" and type(value) is Decimal and value.is_finite():
            # What get_db_prep_save ends in, without re-validating a Decimal we made.
            values[i] = db.ops.adapt_decimalfield_value(
                value, column.max_digits, column.decimal_places
            )
            continue
        if value is not last or last_value is None:  # one `now` for every row: adapt it once
            last, last_value = value, prepare(value, db)
        values[i] = last_value
    return values


def _copy_rows(*, db, model: type[models.Model], rows: Sequence[dict], with_ids: bool) -> list[int]:
    """PostgreSQL: the rows in one COPY; with_ids, their ids drawn from the sequence first.

    COPY sends every value as text for the server to parse by column type, so psycopg neither
    parses a statement with thousands of placeholders nor quotes each value as an SQL literal.
    """
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table, quote = model._meta.db_table, db.ops.quote_name
    ids: list[int] = []
    with db.cursor() as cursor:
        if with_ids and rows:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(table), pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        columns = ([pk] if ids else []) + fields
        # Only quoted table and column names from the model are formatted in.
        sql = "COPY {} ({}) FROM STDIN".format(
            quote(table), ", ".join(quote(f.column) for f in columns)
        )
        prepared = [_column_values(db=db, column=f, rows=rows, copy=True) for f in fields]
        if ids:
            prepared.insert(0, ids)
        with cursor.cursor.copy(sql) as copy:
            for row in zip(*prepared, strict=True):
                copy.write_row(row)
    return ids


def _insert_sql(*, db, model: type[models.Model], fields: list, rows: int) -> str:
    quote = db.ops.quote_name
    placeholders = [["%s"] * len(fields)] * rows
    # Only quoted table and column names from the model are formatted in; values are parameters.
    return "INSERT INTO {} ({}) {}".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        db.ops.bulk_insert_sql(fields, placeholders),
    )


class _EqualsAny(models.Lookup):
    """PostgreSQL's `column = ANY(array)`: one array parameter however many values it holds."""

    prepare_rhs = False  # the list goes to the driver as an array, not through the field

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def item_ids_in(model: type[models.Model], item_ids: Iterable[str]) -> models.Q:
    """Rows of model with these item ids.

    On PostgreSQL the ids go as one array: psycopg parses a statement with a placeholder per
    id afresh each time (it caches only short ones), which costs more than the query itself.
    """
    item_ids = list(item_ids)
    if connections[router.db_for_read(model)].vendor == "postgresql":
        return models.Q(_EqualsAny(models.F("item_id"), item_ids))
    return models.Q(item_id__in=item_ids)
