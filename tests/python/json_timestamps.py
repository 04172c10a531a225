"""Reads `netcap read -json` output with Python's json module and pandas
and prints the nanoseconds each gets for every record's Timestamp, so the
Rust test can compare them with tshark's frame.time_epoch.

usage: json_timestamps.py REPO NETCAP FILE
prints one line per record: json_default pandas_default json_ns pandas_ns
"""
import io
import json
import subprocess
import sys

try:
    import pandas as pd
except ImportError as e:
    sys.exit(f"{e.name} is missing: pip install -r tests/python/requirements.txt")


def main():
    binary, path = sys.argv[2], sys.argv[3]
    default = subprocess.run([binary, "-r", path, "-json"], capture_output=True, check=True).stdout
    ns = subprocess.run([binary, "-r", path, "-json", "-ts", "ns"], capture_output=True, check=True).stdout
    # The default: an RFC 3339 string, parsed as a timestamp by pandas.
    json_default = [pd.Timestamp(json.loads(l)["Timestamp"]).value for l in default.splitlines()]
    df = pd.read_json(io.BytesIO(default), lines=True)
    if df["Timestamp"].dtype.kind != "M":
        sys.exit(f"pandas reads the default Timestamp as {df['Timestamp'].dtype}, not a datetime")
    pandas_default = [int(t.value) for t in df["Timestamp"]]
    # -ts ns: an integer, exact in json and in pandas' int64.
    json_ns = [json.loads(l)["Timestamp"] for l in ns.splitlines()]
    if not all(type(v) is int for v in json_ns):
        sys.exit(f"-ts ns gives {json_ns!r}, not integers")
    pandas_ns = [int(v) for v in pd.read_json(io.BytesIO(ns), lines=True, dtype=False)["Timestamp"]]
    for row in zip(json_default, pandas_default, json_ns, pandas_ns):
        print(*row)


main()
