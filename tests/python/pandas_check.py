"""Loads `netcap read` CSV and TSV exports into pandas: row counts must
equal the records Python's protobuf decodes, numeric fields must load as
numeric dtypes, bool fields as bool, timestamps as float seconds.

usage: pandas_check.py REPO NETCAP FILE...
"""
import io
import subprocess
import sys

from common import compile_schema, doc_reader, is_repeated, is_timestamp

try:
    import pandas as pd
    from google.protobuf.descriptor import FieldDescriptor as FD
except ImportError as e:
    sys.exit(f"{e.name} is missing: pip install -r tests/python/requirements.txt")

INTS = {FD.TYPE_INT32, FD.TYPE_INT64, FD.TYPE_UINT32, FD.TYPE_UINT64, FD.TYPE_SINT32, FD.TYPE_SINT64,
        FD.TYPE_FIXED32, FD.TYPE_FIXED64, FD.TYPE_SFIXED32, FD.TYPE_SFIXED64}
FLOATS = {FD.TYPE_DOUBLE, FD.TYPE_FLOAT}


def main():
    repo, binary, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    compile_schema(repo)
    read_ncap = doc_reader(repo)
    problems = []
    for path in files:
        records = [r for _, r in read_ncap(path)]
        fields = records[0].DESCRIPTOR.fields
        for sep, extra in ((",", []), ("\t", ["-tsv"])):
            out = subprocess.run([binary, "-r", path, *extra], capture_output=True, check=True).stdout
            df = pd.read_csv(io.BytesIO(out), sep=sep)
            if len(df) != len(records):
                problems.append(f"{path}: pandas has {len(df)} rows, protobuf {len(records)} records")
            if list(df.columns) != [f.name for f in fields]:
                problems.append(f"{path}: columns {list(df.columns)}")
                continue
            checked = []
            for f in fields:
                if is_repeated(f) or f.type == FD.TYPE_MESSAGE:
                    continue
                kind = df[f.name].dtype.kind
                want = ("f",) if is_timestamp(f) or f.type in FLOATS else ("i", "u") if f.type in INTS else ("b",) if f.type == FD.TYPE_BOOL else None
                if want is None:
                    continue
                if kind not in want:
                    problems.append(f"{path}: {f.name} loads as {df[f.name].dtype}, expected kind {want}")
                    continue
                checked.append(f.name)
                # Values, not only types: pandas' numbers are protobuf's.
                for i, rec in enumerate(records):
                    v = getattr(rec, f.name)
                    if is_timestamp(f):
                        ok = abs(df[f.name].iloc[i] - v / 1e9) < 1e-5
                    else:
                        ok = df[f.name].iloc[i] == v
                    if not ok:
                        problems.append(f"{path} row {i + 1}: {f.name} is {df[f.name].iloc[i]!r} in pandas, {v!r} in protobuf")
                        break
            if not checked:
                problems.append(f"{path}: no numeric column checked")
        print(f"{path}: {len(records)} rows; numeric columns load as numbers")
    if problems:
        for p in problems[:20]:
            print("PROBLEM:", p)
        sys.exit(1)
    print(f"pandas: {len(files)} files load with numeric dtypes and matching row counts")


if __name__ == "__main__":
    main()
