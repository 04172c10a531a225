"""Spark in local mode over a Hive-partitioned Parquet dataset that
`netcap export -hive` made from several captures: the record count of every
(type, capture) partition equals the records of the capture's .ncap.gz.

usage: spark_check.py NETCAP DATASET CAPTURE=NCAP_DIR...
"""
import glob
import os
import subprocess
import sys

try:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import ArrayType, BooleanType, IntegerType, LongType, StringType, StructType
except ImportError as e:
    sys.exit(f"{e}: pip install -r tests/python/requirements.txt")


def records(netcap, path):
    out = subprocess.run([netcap, "read", "-json", path], capture_output=True)
    if out.returncode != 0:
        sys.exit(f"netcap read -json {path} failed: {out.stderr.decode()}")
    return out.stdout.count(b"\n")


def main():
    netcap, dataset, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
    want = {}
    for pair in pairs:
        capture, ncap_dir = pair.split("=", 1)
        for path in sorted(glob.glob(os.path.join(ncap_dir, "*.ncap.gz"))):
            t = os.path.basename(path)[: -len(".ncap.gz")]
            want[(t, capture)] = records(netcap, path)
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("netcap-parquet")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "512m")
        # Spark has no nanosecond timestamp type and refuses Parquet's
        # TIMESTAMP(NANOS) unless told to read it as int64 nanoseconds.
        .config("spark.sql.legacy.parquet.nanosAsLong", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # The whole directory is one dataset: type and capture are partition
    # columns, and counting needs no column of the (per type) schemas.
    rows = spark.read.parquet(dataset).groupBy("type", "capture").count().collect()
    got = {(r["type"], r["capture"]): r["count"] for r in rows}
    bad = [f"{k}: spark {got.get(k)}, netcap {v}" for k, v in sorted(want.items()) if got.get(k) != v]
    bad += [f"{k}: spark {v}, netcap has no such file" for k, v in sorted(got.items()) if k not in want]
    # One type read with its own schema: the types Spark gets.
    tcp = spark.read.option("basePath", dataset).parquet(os.path.join(dataset, "type=TCP"))
    fields = {f.name: f.dataType for f in tcp.schema.fields}
    expect = {
        "Timestamp": LongType(), "SrcPort": IntegerType(), "SYN": BooleanType(), "capture": StringType(),
    }
    for name, t in expect.items():
        if fields.get(name) != t:
            bad.append(f"TCP.{name}: Spark type {fields.get(name)}, expected {t}")
    if not isinstance(fields.get("Options"), ArrayType) or not isinstance(fields["Options"].elementType, StructType):
        bad.append(f"TCP.Options: Spark type {fields.get('Options')}, expected an array of structs")
    if not isinstance(fields.get("SeqNum"), LongType):
        bad.append(f"TCP.SeqNum (uint32): Spark type {fields.get('SeqNum')}, expected LongType")
    per_capture = {r["capture"]: r["count"] for r in tcp.groupBy("capture").count().collect()}
    for (t, capture), n in want.items():
        if t == "TCP" and per_capture.get(capture) != n:
            bad.append(f"TCP/{capture}: typed read counts {per_capture.get(capture)}, netcap {n}")
    spark.stop()
    if bad:
        for b in bad[:30]:
            print("MISMATCH:", b)
        sys.exit(1)
    captures = len({c for _, c in want})
    print(f"spark: {len(want)} partitions of {captures} captures, {sum(want.values())} records agree")


main()
