"""Decodes netcap files with Python's protobuf (an implementation
independent of netcap's) through the reader of README.md, and checks
that `netcap read` prints the same values, as JSON Lines and as CSV.

usage: interop.py REPO NETCAP FILE...
"""
import csv
import io
import json
import subprocess
import sys

from common import compile_schema, doc_reader, epoch_text, fail, failures, is_repeated, is_timestamp, report

try:
    from google.protobuf.descriptor import FieldDescriptor as FD
except ImportError:
    sys.exit("protobuf is missing: pip install -r tests/python/requirements.txt")

FLOATS = (FD.TYPE_DOUBLE, FD.TYPE_FLOAT)


def netcap(binary, *args):
    out = subprocess.run([binary, *args], capture_output=True)
    if out.returncode != 0:
        sys.exit(f"netcap {args} failed: {out.stderr.decode()}")
    return out.stdout.decode()


def json_same(msg, obj, digits, where, nested=False):
    """msg (protobuf) against obj (JSON parsed with floats as text)."""
    fields = printed_fields(msg, nested)
    if list(obj.keys()) != [f.name for f in fields]:
        fail(f"{where}: keys {list(obj.keys())}")
        return
    for f in fields:
        value, got = getattr(msg, f.name), obj[f.name]
        w = f"{where}.{f.name}"
        if f.type == FD.TYPE_MESSAGE:
            if is_repeated(f):
                if not isinstance(got, list) or len(got) != len(value):
                    fail(f"{w}: {got!r} vs {len(value)} elements")
                    continue
                for i, (m, o) in enumerate(zip(value, got)):
                    json_same(m, o, digits, f"{w}[{i}]", True)
            elif not msg.HasField(f.name):
                if got is not None:
                    fail(f"{w}: absent message should be null, got {got!r}")
            else:
                json_same(value, got, digits, w, True)
        elif is_repeated(f):
            items = list(value)
            if len(items) != len(got):
                fail(f"{w}: {got!r} vs {items!r}")
            for i, (v, g) in enumerate(zip(items, got)):
                scalar_json(f, v, g, digits, f"{w}[{i}]")
        else:
            scalar_json(f, value, got, digits, w)


def printed_fields(msg, nested):
    """The fields netcap prints of msg: all of them, except that a record
    type nested in another (IPv6's HopByHop) leaves out the packet key
    FrameNumber (field 100), which belongs to the record, not to its parts."""
    return [f for f in msg.DESCRIPTOR.fields if not (nested and f.name == "FrameNumber" and f.number == 100)]


def scalar_json(f, value, got, digits, w):
    if is_timestamp(f):
        ok = got == value and type(got) is int  # -ts ns: exact integer nanoseconds
    elif f.type in FLOATS:
        ok = isinstance(got, str) and float(got) == value
    elif f.type == FD.TYPE_BYTES:
        ok = got == value.hex()
    elif f.type == FD.TYPE_BOOL:
        ok = got is value
    else:
        ok = got == value and type(got) is type(value)
    if not ok:
        fail(f"{w}: netcap printed {got!r}, protobuf decoded {value!r}")


def text(f, value, digits, sym):
    """A value as netcap's CSV writes it, built here from the protobuf value."""
    if f.type == FD.TYPE_MESSAGE:
        return sym[0] + sym[1].join(cell(value, g, digits, sym) for g in printed_fields(value, True)) + sym[2]
    if is_timestamp(f):
        return epoch_text(value, digits)
    if f.type == FD.TYPE_BOOL:
        return "true" if value else "false"
    if f.type == FD.TYPE_BYTES:
        return value.hex()
    if f.type in FLOATS:
        return repr(float(value))
    return str(value)


def cell(msg, f, digits, sym):
    value = getattr(msg, f.name)
    if is_repeated(f):
        return sym[0] + sym[1].join(text(f, v, digits, sym) for v in value) + sym[2]
    if f.type == FD.TYPE_MESSAGE and not msg.HasField(f.name):
        return ""
    return text(f, value, digits, sym)


def csv_same(msg, row, digits, where, sym):
    for f, got in zip(msg.DESCRIPTOR.fields, row):
        want = cell(msg, f, digits, sym)
        same = got == want
        if not same and f.type in FLOATS and not is_repeated(f):
            same = float(got) == float(want)  # same number, maybe other spelling
        if not same:
            fail(f"{where}.{f.name}: CSV has {got!r}, protobuf gives {want!r}")


def main():
    repo, binary, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    pb2 = compile_schema(repo)
    read_ncap = doc_reader(repo)
    total = 0
    for path in files:
        pairs = list(read_ncap(path))
        if not pairs:
            sys.exit(f"{path}: no records")
        header = pairs[0][0]
        records = [r for _, r in pairs]
        digits = 9 if header.TimestampDigits == 9 else 6
        if type(records[0]).__name__ != header.Type or not hasattr(pb2, header.Type):
            fail(f"{path}: header type {header.Type}")
        names = [f.name for f in records[0].DESCRIPTOR.fields]

        lines = netcap(binary, "-r", path, "-json", "-ts", "ns").splitlines()
        if len(lines) != len(records):
            fail(f"{path}: {len(lines)} JSON lines for {len(records)} records")
        for i, (rec, line) in enumerate(zip(records, lines)):
            json_same(rec, json.loads(line, parse_float=str), digits, f"{path} record {i + 1}")

        for sep, sym in ((",", ("(", "-", ")")), (";", ("[", "|", "]"))):
            out = netcap(binary, "-r", path, "-sep", sep, "-begin", sym[0], "-struct-sep", sym[1], "-end", sym[2])
            rows = list(csv.reader(io.StringIO(out), delimiter=sep))
            if rows[0] != names:
                fail(f"{path}: CSV header {rows[0]} vs schema {names}")
            if len(rows) - 1 != len(records):
                fail(f"{path}: {len(rows) - 1} CSV rows for {len(records)} records")
            for i, (rec, row) in enumerate(zip(records, rows[1:])):
                csv_same(rec, row, digits, f"{path} record {i + 1} (sep {sep!r})", sym)
        total += len(records)
        print(f"{path}: {len(records)} {header.Type} records agree")
    if failures:
        report()
    print(f"interop: {total} records in {len(files)} files decode to the values netcap prints")


if __name__ == "__main__":
    main()
