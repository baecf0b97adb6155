"""Filing a case (``POST /api/v1/cases``, the tip line, inspections) is gridgov's busiest write. Most of its cost
through the ORM was building SQL: the same few statements, compiled again for every case. Here they are built
once per process and run on the connection's cursor, with the ORM's own value preparation on the way in
(``get_db_prep_save``) and its converters on the way out, so that rows and instances are exactly what
``save()`` and a queryset would give.

Nothing here caches data: every call reads and writes the database, so a category or region changed by another
process is seen at once. Model signals are not sent; none is connected to these models (gridgov keeps business
rules out of signals, ARCHITECTURE §4.8), and ``insert`` falls back to ``save()`` if one ever is.
"""

from functools import cache

from django.db import connection
from django.db.models import signals


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _converters(model, vendor: str) -> dict:
    """attname → (column expression, the converters a queryset applies to its values), for every concrete field."""
    out = {}
    for field in model._meta.concrete_fields:
        col = field.get_col(model._meta.db_table)
        out[field.attname] = (
            col,
            tuple(connection.ops.get_db_converters(col) + field.get_db_converters(connection)),
        )
    return out


@cache
def _attnames(model) -> tuple[str, ...]:
    fields = model._meta.concrete_fields
    assert fields[0].primary_key
    return tuple(f.attname for f in fields)


def select_list(model, alias: str, attnames=None) -> str:
    """The columns of ``attnames`` (default: every concrete field, primary key first) as ``alias.column``."""
    fields = model._meta.concrete_fields if attnames is None else [model._meta.get_field(a) for a in attnames]
    return ", ".join(f"{alias}.{_qn(f.column)}" for f in fields)


def instance(model, values, attnames=None):
    """A model instance from a row of ``attnames`` (default: every concrete field, as ``select_list`` lists them),
    the others deferred as ``only()`` leaves them; None for a row of NULLs (a LEFT JOIN that found nothing)."""
    if values[0] is None:
        return None
    attnames = _attnames(model) if attnames is None else attnames
    converters = _converters(model, connection.vendor)
    out = []
    for attname, value in zip(attnames, values, strict=True):
        col, convs = converters[attname]
        for conv in convs:
            value = conv(value, col, connection)
        out.append(value)
    return model.from_db(connection.alias, attnames, out)


def split(row, *models):
    """Instances of ``models`` from one row holding their ``select_list`` one after the other."""
    out, start = [], 0
    for model in models:
        width = len(model._meta.concrete_fields)
        out.append(instance(model, row[start : start + width]))
        start += width
    return out


@cache
def _prepared(build, vendor: str) -> str:
    return build()


def prepared(build) -> str:
    """The SQL ``build()`` returns, built once per process and database vendor."""
    return _prepared(build, connection.vendor)


def fetch_row(sql: str, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


@cache
def _insert_sql(model, vendor: str) -> tuple[str, str, str, tuple, dict[str, int]]:
    """The INSERT … RETURNING pk, its head and tail around the VALUES, the fields in column order and their
    positions."""
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(_qn(f.column) for f in fields)
    head = f"INSERT INTO {_qn(model._meta.db_table)} ({columns})"
    tail = f"RETURNING {_qn(model._meta.pk.column)}"
    sql = f"{head} VALUES ({', '.join(['%s'] * len(fields))}) {tail}"
    return sql, head, tail, fields, {f.attname: i for i, f in enumerate(fields)}


class Insert:
    """``obj.save(force_insert=True)`` as one prepared statement: the fields' ``pre_save`` (auto_now_add …) and
    ``get_db_prep_save`` run as the ORM runs them, but when the Insert is made, so that a transaction holds its
    locks (on SQLite, the database's write lock) only while the statements run. ``set`` fills in what is known
    only inside the transaction (a case's number, the new case's id); ``run`` executes and reads the new primary
    key back with RETURNING."""

    def __init__(self, obj):
        model = type(obj)
        self.obj = obj
        # save() itself if a signal receiver is ever connected: it must see the save happen
        self.direct = signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)
        self.sql, self.head, self.tail, self.fields, self.positions = _insert_sql(model, connection.vendor)
        if not self.direct:
            self.params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in self.fields]

    def set(self, attname: str, value) -> "Insert":
        setattr(self.obj, attname, value)
        if not self.direct:
            i = self.positions[attname]
            self.params[i] = self.fields[i].get_db_prep_save(value, connection)
        return self

    def values_sql(self, expressions: dict[str, tuple[str, list]], returning: tuple[str, ...] = ()):
        """The statement and its parameters, with the columns in ``expressions`` given as SQL and its parameters
        (over the names of a WITH clause) instead of values, and ``returning`` more columns than the primary key:
        the parts of one statement that inserts a row and the rows that refer to it (see
        ``gridgov.cases.services.intake``).

        NULLs are written into the SQL rather than passed: a row of a new case is half empty, and fewer parameters
        keep the long statement within the driver's cache of parsed queries (psycopg caches those with at most
        50); the SQL differs only by which columns are empty."""
        marks, params = [], []
        for field, value in zip(self.fields, self.params, strict=True):
            if field.attname in expressions:
                expression, values = expressions[field.attname]
                marks.append(expression)
                params += values
            elif value is None:
                marks.append("NULL")
            else:
                marks.append("%s")
                params.append(value)
        tail = ", ".join([self.tail, *(_qn(c) for c in returning)])
        return f"{self.head} VALUES ({', '.join(marks)}) {tail}", params

    def inserted(self, pk) -> None:
        """Marks the object saved under ``pk`` (after a statement from ``values_sql`` ran)."""
        self.obj.pk = pk
        self.obj._state.adding = False
        self.obj._state.db = connection.alias

    def run(self):
        obj = self.obj
        if self.direct:
            obj.save(force_insert=True)
            return obj
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            self.inserted(cursor.fetchone()[0])
        return obj


def insert(obj):
    """``obj.save(force_insert=True)`` on a prepared statement (see Insert)."""
    return Insert(obj).run()
