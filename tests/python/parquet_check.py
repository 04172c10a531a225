"""Loads netcap's Parquet tables with pyarrow, pandas, Polars and DuckDB and
checks the types every reader gets with no hints, and that every value
equals `netcap read -json` of the same records, nanoseconds included.

usage: parquet_check.py NETCAP DIR
DIR holds <Type>.ncap.gz and <Type>.parquet of one capture (-format both).
"""
import calendar
import datetime
import decimal
import glob
import json
import math
import os
import subprocess
import sys

try:
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError as e:
    sys.exit(f"{e}: pip install -r tests/python/requirements.txt")

from common import fail, failures, report

# Kinds of column seen, so that the check cannot pass vacuously.
seen = set()


def read_json(netcap, path):
    out = subprocess.run([netcap, "read", "-json", path], capture_output=True)
    if out.returncode != 0:
        sys.exit(f"netcap read -json {path} failed: {out.stderr.decode()}")
    return [json.loads(l, parse_float=decimal.Decimal) for l in out.stdout.decode().splitlines()]


def json_ns(v):
    """A JSON timestamp as int nanoseconds: seconds with a fraction (a
    Decimal, so no float rounding) or an RFC 3339 string."""
    if isinstance(v, str):
        head, _, rest = v.partition(".")
        frac = ""
        if rest:
            i = 0
            while i < len(rest) and rest[i].isdigit():
                i += 1
            frac, zone = rest[:i], rest[i:]
        else:
            head, zone = (head[:-1], "Z") if head.endswith("Z") else (head[:19], head[19:])
        if zone not in ("Z", "+00:00", "z"):
            fail(f"timestamp {v!r} is not UTC")
        secs = calendar.timegm(datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").timetuple())
        return secs * 1_000_000_000 + int((frac + "000000000")[:9])
    return int(decimal.Decimal(v) * 1_000_000_000)


def without_timestamps(t):
    """Type `t` with every timestamp as int64 (ns), recursively."""
    if pa.types.is_timestamp(t):
        return pa.int64()
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(without_timestamps(f.type)) for f in t])
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        item = t.value_field.with_type(without_timestamps(t.value_type))
        return pa.list_(item) if pa.types.is_list(t) else pa.large_list(item)
    return t


def as_rows(table):
    """Rows as dicts, timestamps as int ns (exact, unlike datetime)."""
    schema = pa.schema([f.with_type(without_timestamps(f.type)) for f in table.schema])
    return table.cast(schema).to_pylist()


def same(want, got, t, where):
    """JSON value `want` against Arrow value `got` of type `t`."""
    if pa.types.is_timestamp(t):
        seen.add("timestamp")
        if got != json_ns(want):
            fail(f"{where}: {got} ns, JSON {want}")
    elif pa.types.is_struct(t):
        seen.add("struct")
        if want is None or got is None:
            if want is not got:
                fail(f"{where}: {got!r}, JSON {want!r}")
            return
        if list(want) != [f.name for f in t]:
            fail(f"{where}: keys {list(want)} vs {[f.name for f in t]}")
            return
        for f in t:
            same(want[f.name], got[f.name], f.type, f"{where}.{f.name}")
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        seen.add("list")
        if got is None or len(got) != len(want):
            fail(f"{where}: {got!r}, JSON {want!r}")
            return
        for i, (w, g) in enumerate(zip(want, got)):
            same(w, g, t.value_type, f"{where}[{i}]")
    elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
        if got != bytes.fromhex(want):
            fail(f"{where}: {got!r}, JSON {want!r}")
    elif pa.types.is_floating(t):
        if want is None:  # JSON has no NaN or infinities
            if got is None or math.isfinite(got):
                fail(f"{where}: {got!r}, JSON null")
        elif got != float(want):
            fail(f"{where}: {got!r}, JSON {want}")
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        seen.add("string")
        if got != want:
            fail(f"{where}: {got!r}, JSON {want!r}")
    else:
        if pa.types.is_boolean(t):
            seen.add("bool")
        elif t in (pa.int64(), pa.int32()):
            seen.add(str(t))
        if got != want or type(got) is not type(want):
            fail(f"{where}: {got!r}, JSON {want!r}")


def same_table(want, table, who, name):
    if table.num_rows != len(want):
        fail(f"{who} {name}: {table.num_rows} rows, JSON {len(want)}")
        return
    rows = as_rows(table)
    for i, (w, g) in enumerate(zip(want, rows)):
        if list(w) != list(g):
            fail(f"{who} {name}[{i}]: columns {list(g)} vs JSON {list(w)}")
            return
        for f in table.schema:
            same(w[f.name], g[f.name], f.type, f"{who} {name}[{i}].{f.name}")


def check_arrow_types(schema, name):
    """The types the schema promises, read straight from the file."""
    for f in schema:
        t = f.type
        if f.name.startswith("Timestamp") and pa.types.is_integer(t):
            fail(f"{name}.{f.name}: {t}, not a timestamp")
        if pa.types.is_timestamp(t) and (t.unit != "ns" or t.tz != "UTC"):
            fail(f"{name}.{f.name}: {t}, not timestamp[ns, tz=UTC]")
        if pa.types.is_list(t) and f.nullable:
            fail(f"{name}.{f.name}: a nullable list")


def polars_type(t):
    """The Polars type an Arrow type of netcap's should load as."""
    if pa.types.is_timestamp(t):
        return pl.Datetime("ns", "UTC")
    if pa.types.is_struct(t):
        return pl.Struct({f.name: polars_type(f.type) for f in t})
    if pa.types.is_list(t):
        return pl.List(polars_type(t.value_type))
    return {
        pa.bool_(): pl.Boolean, pa.int32(): pl.Int32, pa.int64(): pl.Int64, pa.uint32(): pl.UInt32,
        pa.uint64(): pl.UInt64, pa.float32(): pl.Float32, pa.float64(): pl.Float64,
        pa.string(): pl.String, pa.binary(): pl.Binary,
    }[t]


def duckdb_type(t):
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ_NS"
    if pa.types.is_struct(t):
        return "STRUCT(" + ", ".join(f"{f.name} {duckdb_type(f.type)}" for f in t) + ")"
    if pa.types.is_list(t):
        return duckdb_type(t.value_type) + "[]"
    return {
        pa.bool_(): "BOOLEAN", pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.uint32(): "UINTEGER",
        pa.uint64(): "UBIGINT", pa.float32(): "FLOAT", pa.float64(): "DOUBLE", pa.string(): "VARCHAR",
        pa.binary(): "BLOB",
    }[t]


def check_pandas(path, table, want, name):
    df = pd.read_parquet(path)
    if len(df) != len(want):
        fail(f"pandas {name}: {len(df)} rows, JSON {len(want)}")
        return
    for f in table.schema:
        col, t = df[f.name], f.type
        dtype = str(col.dtype)
        where = f"pandas {name}.{f.name}"
        if pa.types.is_timestamp(t):
            if dtype != "datetime64[ns, UTC]":
                fail(f"{where}: dtype {dtype}")
                continue
            got = col.dt.tz_convert(None).to_numpy().view("int64").tolist()
            exp = [json_ns(r[f.name]) for r in want]
            if got != exp:
                fail(f"{where}: {got[:3]} vs JSON {exp[:3]}")
        elif pa.types.is_string(t):
            if col.isna().any():
                fail(f"{where}: NaN in a string column")
            if col.tolist() != [r[f.name] for r in want]:
                fail(f"{where}: values differ")
        elif pa.types.is_integer(t) or pa.types.is_boolean(t):
            if dtype != str(t.to_pandas_dtype().__name__) and dtype != {"bool": "bool"}.get(str(t), ""):
                fail(f"{where}: dtype {dtype} for {t}")
            if col.tolist() != [r[f.name] for r in want]:
                fail(f"{where}: values differ")


def check_duckdb(path, table, want, name):
    con = duckdb.connect()
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    # Quotes around field names inside STRUCT(...) vary between versions.
    types = {row[0]: row[1].replace('"', "") for row in described}
    for f in table.schema:
        exp = duckdb_type(f.type)
        if types.get(f.name) != exp:
            fail(f"duckdb {name}.{f.name}: {types.get(f.name)}, expected {exp}")
    # TIMESTAMPTZ_NS: the nanoseconds, exactly (DuckDB >= 2).
    ts = [f.name for f in table.schema if pa.types.is_timestamp(f.type)]
    if ts:
        cols = ", ".join(f'epoch_ns("{c}")' for c in ts)
        got = con.execute(f"SELECT {cols} FROM read_parquet('{path}')").fetchall()
        exp = [tuple(json_ns(r[c]) for c in ts) for r in want]
        if got != exp:
            fail(f"duckdb {name}: timestamps {got[:2]} vs JSON {exp[:2]}")
    others = [f.name for f in table.schema if not pa.types.is_timestamp(f.type)]
    columns = ", ".join(f'"{c}"' for c in others)
    got_table = con.sql(f"SELECT {columns} FROM read_parquet('{path}')").to_arrow_table()
    same_table([{c: r[c] for c in others} for r in want], got_table, "duckdb", name)


def main():
    netcap, out = sys.argv[1], sys.argv[2]
    paths = sorted(glob.glob(os.path.join(out, "*.parquet")))
    if not paths:
        sys.exit(f"no Parquet files in {out}")
    total = 0
    for path in paths:
        name = os.path.basename(path)[: -len(".parquet")]
        want = read_json(netcap, os.path.join(out, name + ".ncap.gz"))
        table = pq.read_table(path)
        check_arrow_types(table.schema, name)
        same_table(want, table, "pyarrow", name)
        check_pandas(path, table, want, name)
        df = pl.read_parquet(path)
        for f in table.schema:
            if df.schema[f.name] != polars_type(f.type):
                fail(f"polars {name}.{f.name}: {df.schema[f.name]}, expected {polars_type(f.type)}")
        same_table(want, df.to_arrow(), "polars", name)
        check_duckdb(path, table, want, name)
        total += len(want)
        print(f"{name}: {len(want)} records agree")
    missing = {"timestamp", "int64", "int32", "bool", "string", "list", "struct"} - seen
    if missing:
        fail(f"no column of kind {sorted(missing)} was checked: choose a richer capture")
    if failures:
        report()
    print(f"parquet: {len(paths)} tables, {total} records agree in pyarrow, pandas, polars and duckdb")


main()
