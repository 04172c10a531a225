"""Shared helpers of the interoperability tests: compile the schema with
grpcio-tools' protoc, and load the reader published in README.md."""
import atexit
import importlib
import os
import re
import shutil
import sys
import tempfile


# The mismatches a check found; `fail` records one, `report` prints the
# first 20 and exits 1 (also as soon as there are more than 20).
failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) > 20:
        report()


def report():
    for f in failures[:20]:
        print("MISMATCH:", f)
    sys.exit(1)


def compile_schema(repo):
    """Compiles proto/netcap.proto into a temporary module `netcap_pb2`."""
    try:
        from grpc_tools import protoc
    except ImportError:
        sys.exit("grpcio-tools is missing: pip install -r tests/python/requirements.txt")
    out = tempfile.mkdtemp(prefix="netcap-pb2-")
    atexit.register(shutil.rmtree, out, True)
    proto_dir = os.path.join(repo, "proto")
    rc = protoc.main(["grpc_tools.protoc", f"-I{proto_dir}", f"--python_out={out}", os.path.join(proto_dir, "netcap.proto")])
    if rc != 0:
        sys.exit(f"protoc failed with status {rc}")
    sys.path.insert(0, out)
    return importlib.import_module("netcap_pb2")


def doc_reader(repo):
    """The `read_ncap` function of README.md's first Python block."""
    with open(os.path.join(repo, "README.md"), encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"```python\n(.*?)```", text, re.S)
    if not block:
        sys.exit("README.md has no python block")
    code = block.group(1)
    lines = [l for l in code.splitlines() if l.strip()]
    if len(lines) > 13:
        sys.exit(f"the README.md snippet grew to {len(lines)} lines")
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["read_ncap"]


def epoch_text(ns, digits):
    """Seconds since the epoch with `digits` fraction digits, floored."""
    secs, frac = divmod(ns, 1_000_000_000)
    if digits == 9:
        return f"{secs}.{frac:09d}"
    return f"{secs}.{frac // 1000:06d}"


def is_timestamp(field):
    from google.protobuf.descriptor import FieldDescriptor as FD
    return field.type == FD.TYPE_INT64 and field.name.startswith("Timestamp")


def is_repeated(field):
    # `label` is deprecated in recent protobuf releases.
    rep = getattr(field, "is_repeated", None)
    if rep is not None:
        return rep() if callable(rep) else rep
    return field.label == field.LABEL_REPEATED
