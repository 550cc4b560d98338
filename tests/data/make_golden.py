#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes golden-v1.prof and golden-v1.dump: a profile encoded from docs/format.md independently of
# src/format.c, and the text `prof_dump` must print for it. Re-run only when the format changes.
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def svarint(v):
    v = (v + 2**63) % 2**64 - 2**63  # wrap to int64, as the writer's subtraction does
    return varint(((v << 1) ^ (v >> 63)) & (2**64 - 1))


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return varint(len(b)) + b


def record(rtype, body):
    return varint(rtype) + varint(len(body)) + body


def chunk(payload):
    z = zlib.compress(payload, 9)
    head = struct.pack("<4I", 0x4B4E4843, len(payload), len(z), zlib.crc32(z))
    return head + struct.pack("<I", zlib.crc32(head)) + z


def u(*vals):
    return b"".join(varint(v) for v in vals)


U64 = 2**64 - 1
dump = ["file {path} version=1 flags=0"]
c0 = b""
c0 += record(1, u(31337, 1) + string("/opt/ünï/app") + u(2) + string("app") + string("a b")
             + u(1700000000123456789, 9000000000, 3, 250, 2, 2, 64, 500, 0) + string("golden")
             + u(0))
dump.append("chunk 0 HEADER pid=31337 ppid=1 exe=/opt/ünï/app argc=2 argv=[app \"a b\"] "
            "start_realtime_ns=1700000000123456789 start_monotonic_ns=9000000000 modes=cpu,wall "
            "hz=250 timer=cputime unwinder=fp max_depth=64 flush_ms=500 alloc_rate=0 "
            "hostname=golden timer_requested=auto")
c0 += record(2, u(1, 0) + string("/opt/ünï/app") + string(bytes([0xAB, 0xCD, 0x01])) + u(0x555555554000, 2)
             + u(0x555555554000, 0x1000, 0, 4) + u(0x555555555000, 0x2345, 0x1000, 5))
dump += ["chunk 0 MODULE id=1 load_ns=0 path=/opt/ünï/app build_id=abcd01 bias=0x555555554000 nsegs=2",
         "    seg start=0x555555554000 size=0x1000 file_offset=0x0 flags=r--",
         "    seg start=0x555555555000 size=0x2345 file_offset=0x1000 flags=r-x"]
c0 += record(4, u(31337) + string("app") + u(0))
dump.append("chunk 0 THREAD tid=31337 name=app time_ns=0")
frames = [0x555555555123, 0x555555555f00, 0x555555555010, U64]
c0 += record(5, u(1, 1, len(frames), frames[0])
             + b"".join(svarint(frames[i] - frames[i - 1]) for i in range(1, len(frames))))
dump.append("chunk 0 STACK id=1 flags=1 nframes=4 frames=" + " ".join(hex(f) for f in frames))
c1 = b""
# SAMPLES with 7 fields per sample: the 7th is skipped.
samples = [(31337, 1, 4000000, 1, 0, 0), (31337, 1, 8000000, 3, 2, 5), (31337, 1, 7999000, 1, 1, 0)]
body = u(7, len(samples))
prev = 0
for tid, sid, t, w, kind, reg in samples:
    body += u(tid, sid) + svarint(t - prev) + u(w, kind, reg, 99)
    prev = t
c1 += record(6, body)
dump.append("chunk 1 SAMPLES count=3")
for tid, sid, t, w, kind, reg in samples:
    dump.append("    tid=%d stack=%d time_ns=%d weight=%d kind=%s region=%d"
                % (tid, sid, t, w, ["cpu", "wall-on", "wall-off"][kind], reg))
c1 += record(64, bytes(range(40)))
dump.append("chunk 1 type 64 (unknown) len=40 data=" + bytes(range(32)).hex() + "...")
c1 += record(9, u(8100000) + string("a \"quoted\"\tline"))
dump.append("chunk 1 WARNING time_ns=8100000 message=\"a \\\"quoted\\\"\\x09line\"")
c1 += record(7, u(9000000, 2, 1, 3, 42, 7))
dump += ["chunk 1 COUNTERS time_ns=9000000 n=2", "    key=1 (samples) value=3",
         "    key=42 (unknown) value=7"]
c1 += record(8, u(9500000, 0) + b"\x05future")
dump.append("chunk 1 END end_ns=9500000 reason=exit")
dump.append("end: 9 records in 2 chunks")

data = b"\x89PROF\r\n\x1a" + struct.pack("<II", 1, 0) + chunk(c0) + chunk(c1)
with open(os.path.join(HERE, "golden-v1.prof"), "wb") as f:
    f.write(data)
with open(os.path.join(HERE, "golden-v1.dump"), "w", encoding="utf-8") as f:
    f.write("\n".join(dump) + "\n")
