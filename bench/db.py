"""The benchmark database: created fresh for every run, never the demo's or production's."""

from pathlib import Path

from django.conf import settings


def describe() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite file {db['NAME']}"
    return f"PostgreSQL {db['HOST']}:{db['PORT']} database {db['NAME']}"


def _admin_connection():
    """An autocommit connection to the server's ``postgres`` database (CREATE/DROP DATABASE run outside a
    transaction and not inside the database they drop)."""
    import psycopg

    db = settings.DATABASES["default"]
    params = {
        "dbname": "postgres",
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True)


def create_database() -> None:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        path = Path(db["NAME"])
        if path != settings.BENCH_SQLITE_FILE:
            raise RuntimeError(f"bench: refusing to recreate {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal", ".writers"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    from psycopg import sql

    if db["NAME"] != settings.BENCH_DB_NAME:
        raise RuntimeError(f"bench: refusing to recreate database {db['NAME']}")
    with _admin_connection() as conn:
        name = sql.Identifier(db["NAME"])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(name))


def drop_database() -> None:
    """Drops the run's database: the PostgreSQL database, or the SQLite file and its journals."""
    from django.db import connections

    connections.close_all()
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        if Path(db["NAME"]) == settings.BENCH_SQLITE_FILE:
            for suffix in ("", "-wal", "-shm", "-journal", ".writers"):
                Path(f"{db['NAME']}{suffix}").unlink(missing_ok=True)
        return
    if db["NAME"] != settings.BENCH_DB_NAME:
        return
    from psycopg import sql

    with _admin_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db["NAME"])))
