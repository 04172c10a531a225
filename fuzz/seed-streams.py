#!/usr/bin/env python3
"""Seeds the stream-decoder fuzz targets (http_decoder, tls_decoder,
ssh_decoder) with real connections from the shared captures.

Each seed is one TCP connection in the targets' event format (see
`stream_case` in harness.rs): a byte choosing max_buffer (0xff: the
default), then each segment's payload as a data event of its side
(client = the side that sent the SYN, else the side whose port is the
higher), in capture order, then a FIN event per side. tshark says which
connections carry the protocol (frame.protocols) and gives the payloads;
retransmissions are left out, as the reassembler would.

Usage: fuzz/seed-streams.py [PCAP_DIR]   (default: ../shared/pcaps beside the repo)
Fills fuzz/corpus/{http,tls,ssh}_decoder/ (gitignored); names are content
hashes, so it can be run again.
"""

import collections
import hashlib
import os
import subprocess
import sys

# protocol in MANIFEST.tsv / frame.protocols -> fuzz target
TARGETS = {"http": "http_decoder", "tls": "tls_decoder", "ssh": "ssh_decoder"}
STREAMS_PER_CAPTURE = 8
MAX_SEED_BYTES = 16 * 1024


def data_event(side, payload):
    """One data event: short payloads in the tag byte, longer with a 2-byte length."""
    out = bytearray()
    while payload:
        piece, payload = payload[:0xFFFF], payload[0xFFFF:]
        if len(piece) <= 119:
            out.append((len(piece) << 1) | side)
        else:
            out.append(0xF4 | side)
            out += len(piece).to_bytes(2, "little")
        out += piece
    return bytes(out)


def connections(path):
    """(protocols, [(side, payload)]) per TCP stream of a capture."""
    fields = ["tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
              "tcp.analysis.retransmission", "frame.protocols", "tcp.payload"]
    cmd = ["tshark", "-n", "-r", path, "-Y", "tcp", "-T", "fields", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    except subprocess.TimeoutExpired:
        return {}
    streams = collections.OrderedDict()
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) != len(fields) or not cols[0]:
            continue
        stream, sport, dport, syn, ack, retrans, protos, payload = cols
        s = streams.setdefault(stream, {"client": None, "protos": set(), "segments": []})
        if syn in ("1", "True") and ack in ("0", "False") and s["client"] is None:
            s["client"] = sport
        s["protos"].update(protos.split(":"))
        if payload and not retrans:
            s["segments"].append((sport, dport, bytes.fromhex(payload.replace(":", ""))))
    result = {}
    for key, s in streams.items():
        if not s["segments"]:
            continue
        first_src, first_dst, _ = s["segments"][0]
        client = s["client"] or (first_src if int(first_src) > int(first_dst) else first_dst)
        result[key] = (s["protos"], [(0 if src == client else 1, p) for src, _, p in s["segments"]])
    return result


def seed(events):
    out = bytearray([0xFF])
    for side, payload in events:
        if len(out) + len(payload) > MAX_SEED_BYTES:
            payload = payload[: max(0, MAX_SEED_BYTES - len(out))]
        if payload:
            out += data_event(side, payload)
        if len(out) >= MAX_SEED_BYTES:
            break
    out += bytes([0xF2, 0xF3])
    return bytes(out)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    pcaps = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "pcaps")
    manifest = os.path.join(pcaps, "MANIFEST.tsv")
    rows = []
    with open(manifest) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    added = collections.Counter()
    for row in rows:
        protos = {p.split(":")[0] for p in row.get("protocols", "").split(",")}
        wanted = [p for p in TARGETS if p in protos]
        if not wanted or row.get("fuzz_or_malformed") != "no":
            continue
        per_target = collections.Counter()
        for protos_seen, events in connections(os.path.join(pcaps, row["set_path"])).values():
            for p in wanted:
                if p not in protos_seen or per_target[p] >= STREAMS_PER_CAPTURE:
                    continue
                data = seed(events)
                folder = os.path.join(root, "fuzz", "corpus", TARGETS[p])
                os.makedirs(folder, exist_ok=True)
                name = os.path.join(folder, hashlib.sha1(data).hexdigest())
                if not os.path.exists(name):
                    with open(name, "wb") as out:
                        out.write(data)
                    added[TARGETS[p]] += 1
                per_target[p] += 1
    summary = ", ".join(f"{n} {t}" for t, n in sorted(added.items()))
    print(f"{summary} inputs added" if summary else "no new inputs (all already in fuzz/corpus)")


if __name__ == "__main__":
    main()
