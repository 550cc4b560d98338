#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes tests/data/corrupt/*.prof: hand-made damaged and hostile profiles (docs/format.md), encoded
# independently of src/format.c. Each must make profreport and profdiff exit 2 with one
# "TOOL: FILE: reason" line, never crash, hang or use unbounded memory (tests/cli/test_corrupt.sh).
# Deterministic: re-running produces the same bytes. Usage: make_corrupt.py [OUTDIR]
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corrupt")
U64 = 2**64 - 1
MAGIC = b"\x89PROF\r\n\x1a"
CHNK = 0x4B4E4843


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def svarint(v):
    v = (v + 2**63) % 2**64 - 2**63
    return varint(((v << 1) ^ (v >> 63)) & U64)


def u(*vals):
    return b"".join(varint(v) for v in vals)


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return varint(len(b)) + b


def record(rtype, body):
    return varint(rtype) + varint(len(body)) + body


def file_header(version=1, flags=0, magic=MAGIC):
    return magic + struct.pack("<II", version, flags)


def frame(raw_len, stored, stored_len=None, data_crc=None, magic=CHNK, bad_header_crc=False):
    """A chunk frame around `stored` with any of its fields forged."""
    stored_len = len(stored) if stored_len is None else stored_len
    data_crc = zlib.crc32(stored) if data_crc is None else data_crc
    head = struct.pack("<4I", magic, raw_len, stored_len, data_crc)
    hcrc = zlib.crc32(head) ^ (1 if bad_header_crc else 0)
    return head + struct.pack("<I", hcrc) + stored


def chunk(payload, level=6):
    return frame(len(payload), zlib.compress(payload, level))


# ---- well-formed pieces ----
EXE = "/nonexistent/libprof-corrupt/app"  # never readable: symbolization stays offline


def header_rec(pid=4242, argc=None, argv=("app",)):
    argc = len(argv) if argc is None else argc
    return record(1, u(pid, 1) + string(EXE) + u(argc) + b"".join(string(a) for a in argv)
                  + u(1700000000000000000, 5000000000, 1, 100, 1, 1, 128, 1000, 0) + string("host")
                  + u(0))


def module_rec(mid=1, path=EXE, start=0x400000, size=0x10000, nsegs=None, load_ns=0):
    segs = u(start, size, 0, 5)
    return record(2, u(mid, load_ns) + string(path) + string(b"") + u(start)
                  + u(1 if nsegs is None else nsegs) + segs)


def thread_rec(tid=100, name="worker"):
    return record(4, u(tid) + string(name) + u(0))


def stack_rec(sid, frames, flags=0, nframes=None):
    n = len(frames) if nframes is None else nframes
    body = u(sid, flags, n)
    if frames:
        body += varint(frames[0])
        body += b"".join(svarint(frames[i] - frames[i - 1]) for i in range(1, len(frames)))
    return record(5, body)


def samples_rec(samples, nfields=7, count=None):
    body = u(nfields, len(samples) if count is None else count)
    prev = 0
    for tid, sid, t, w in samples:
        body += u(tid, sid) + svarint(t - prev) + u(w, 0, 0) + u(*([7] * (nfields - 6)))
        prev = t
    return record(6, body)


def end_rec():
    return record(8, u(5000000, 0))


def good_chunk0():
    """HEADER, MODULE, THREAD, STACK 1 and 3 samples: a usable start."""
    return (header_rec() + module_rec() + thread_rec()
            + stack_rec(1, [0x401000, 0x402000, 0x403000])
            + samples_rec([(100, 1, 1000, 1), (100, 1, 2000, 1), (100, 1, 3000, 1)]))


def good_file():
    return file_header() + chunk(good_chunk0()) + chunk(samples_rec([(100, 1, 4000, 1)]) + end_rec())


# A chunk whose inflated payload is damaged from `extra` on, after a usable chunk 0: the loader
# keeps chunk 0 and the tools must still exit 2.
def after_good(payload):
    return file_header() + chunk(good_chunk0()) + chunk(payload)


def in_chunk0(extra):
    """Damage inside chunk 0, after the HEADER."""
    return file_header() + chunk(header_rec() + extra)


def build():
    files = {}
    good = good_file()
    c0 = chunk(good_chunk0())

    # ---- file header ----
    files["empty"] = b""
    files["magic-only"] = MAGIC
    files["truncated-file-header"] = good[:11]
    files["bad-magic"] = b"\x89PROF\r\n\x1b" + good[8:]
    files["bad-version"] = file_header(version=2) + good[16:]
    files["bad-flags"] = file_header(flags=1) + good[16:]
    files["header-only"] = file_header()

    # ---- truncation ----
    files["truncated-chunk-header"] = file_header() + c0[:10]
    files["truncated-chunk0"] = file_header() + c0[: len(c0) // 2]
    files["truncated-chunk1"] = good[: len(file_header()) + len(c0) + 25]

    # ---- checksums and lengths ----
    files["bad-header-crc"] = file_header() + frame(len(good_chunk0()), zlib.compress(good_chunk0()),
                                                    bad_header_crc=True)
    z0 = zlib.compress(good_chunk0())
    files["bad-data-crc"] = file_header() + frame(len(good_chunk0()), z0, data_crc=zlib.crc32(z0) ^ 4)
    files["bad-data-crc-chunk1"] = (file_header() + c0
                                    + frame(20, zlib.compress(end_rec()), data_crc=0xDEADBEEF))
    files["bad-chunk-magic"] = file_header() + frame(len(good_chunk0()), z0, magic=0x4B4E4844)
    files["huge-raw-len"] = file_header() + frame(0xFFFFFFFF, z0)
    files["huge-stored-len"] = file_header() + frame(len(good_chunk0()), z0, stored_len=0xFFFFFFF0)
    # Within the 64 MiB limit but the file is short: must not allocate 64 MiB up front.
    files["stored-len-beyond-eof"] = file_header() + frame(1 << 20, z0, stored_len=(64 << 20))
    files["zero-stored-len"] = file_header() + frame(0, b"")
    files["raw-len-ratio-lie"] = file_header() + frame(60 << 20, z0)
    files["raw-len-too-small"] = file_header() + frame(len(good_chunk0()) - 5, z0)
    files["raw-len-too-big"] = file_header() + frame(len(good_chunk0()) + 5, z0)
    files["bytes-after-stream"] = file_header() + frame(len(good_chunk0()), z0 + b"\0\0\0\0")
    damaged = bytearray(z0)
    for i in range(10, len(damaged) - 6, 7):
        damaged[i] ^= 0x55
    files["zlib-damaged"] = file_header() + frame(len(good_chunk0()), bytes(damaged))
    files["not-zlib"] = file_header() + frame(12, b"hello, world")

    # ---- decompression bombs ----
    # A 64 MiB stream of zeros declared as 1 KiB: inflation must stop at raw_len + 1 bytes.
    zeros = zlib.compress(b"\0" * (64 << 20), 9)
    files["bomb-lying-raw-len"] = file_header() + frame(1024, zeros)
    # Declared honestly as 64 MiB: a HEADER then one unknown record whose body is 64 MiB of zeros,
    # four times, then a cut chunk. Memory must stay bounded (the reader reuses one payload buffer).
    big = header_rec()
    pad = (64 << 20) - len(big) - 12
    big += record(64, b"\0" * pad)
    zbig = zlib.compress(big, 9)
    rest = record(64, b"\0" * ((64 << 20) - 12 - 6))
    zrest = zlib.compress(rest, 9)
    files["bomb-honest-64mib"] = (file_header() + frame(len(big), zbig)
                                  + frame(len(rest), zrest) * 3 + frame(len(rest), zrest)[:100])
    # 64 MiB of minimal SAMPLES (~11 M samples from ~70 KB on disk), then a cut chunk: the loader
    # may run out of memory under ulimit (exit 2, "Cannot allocate memory") or load it (exit 2 for
    # the damage), but must not crash.
    one = u(100, 1) + svarint(0) + u(1, 0, 0, 0)
    nsamp = ((64 << 20) - 512) // len(one)
    sbody = u(7, nsamp) + one * nsamp
    spay = (header_rec() + thread_rec() + stack_rec(1, [0x401000])
            + varint(6) + varint(len(sbody)) + sbody)
    files["bomb-samples"] = file_header() + chunk(spay, 9) + chunk(end_rec())[:30]

    # ---- record framing ----
    files["first-record-not-header"] = file_header() + chunk(thread_rec() + header_rec())
    files["second-header"] = in_chunk0(header_rec())
    files["record-overruns-chunk"] = in_chunk0(varint(4) + varint(1000) + b"abc")
    files["record-type-huge"] = in_chunk0(varint(1 << 40) + varint(0))
    files["varint-overlong"] = in_chunk0(b"\x84" + b"\xff" * 10 + b"\x01" + varint(0))
    files["empty-chunks-only"] = file_header() + chunk(b"") * 1000
    files["header-body-cut"] = file_header() + chunk(record(1, u(4242, 1) + varint(200) + b"/bin"))

    # ---- counts and lengths inside records ----
    files["argc-huge"] = file_header() + chunk(header_rec(argc=1 << 62))
    files["string-overrun"] = in_chunk0(record(4, u(100) + varint(1 << 30) + b"abc"))
    files["nsegs-huge"] = after_good(module_rec(mid=2, nsegs=1 << 60))
    files["stack-too-deep"] = after_good(stack_rec(2, [0x401000] * 1025))
    files["stack-count-lie"] = after_good(stack_rec(2, [0x401000, 0x401010], nframes=1000))
    files["samples-count-huge"] = after_good(samples_rec([(100, 1, 5000, 1)], count=1 << 62))
    files["samples-nfields-5"] = after_good(record(6, u(5, 1, 100, 1, 0, 1, 0)))
    files["samples-nfields-huge"] = after_good(record(6, u(U64, 1) + u(100, 1, 0, 1, 0, 0)))
    files["counters-count-huge"] = after_good(record(7, u(0, 1 << 61, 1, 1)))
    files["alloc-count-huge"] = after_good(record(16, u(7, 1 << 60) + u(100, 1, 0, 8, 8, 1, 0)))
    files["frees-count-huge"] = after_good(record(17, u(2, 1 << 60) + u(1, 0)))
    files["heap-count-huge"] = after_good(record(18, u(0, 1 << 60) + u(1, 8, 1)))

    # ---- references out of range ----
    files["undefined-stack"] = after_good(samples_rec([(100, 99, 5000, 1)]))
    files["undefined-stack-chunk0"] = in_chunk0(thread_rec() + samples_rec([(100, 7, 10, 1)]))
    files["tid-out-of-range"] = after_good(samples_rec([(1 << 40, 1, 5000, 1)]))
    files["thread-tid-out-of-range"] = after_good(thread_rec(tid=1 << 33))
    files["unload-undefined-module"] = after_good(record(3, u(77, 5000)))
    files["alloc-undefined-stack"] = after_good(record(16, u(7, 1) + u(100, 55, 0, 8, 8, 1, 0)))
    files["heap-undefined-stack"] = after_good(record(18, u(0, 1) + u(55, 8, 1)))

    # ---- hostile content in otherwise valid records, then damage (so exit 2 is expected) ----
    # Stack loops: deep self-recursion and a two-function cycle at the 1024-frame limit; the
    # report must count each function once per stack (no percentage above 100).
    loop_self = [0x401000] * 1024
    loop_pair = [0x401000 if i % 2 == 0 else 0x402000 for i in range(1024)]
    hostile = (stack_rec(2, loop_self) + stack_rec(3, loop_pair)
               + samples_rec([(100, 2, 5000 + i, 1) for i in range(50)]
                             + [(100, 3, 6000 + i, 1) for i in range(50)]))
    files["stack-loop"] = after_good(hostile) + chunk(end_rec())[:30]
    # Wrapping addresses and segments.
    files["segment-wraps"] = (file_header()
                              + chunk(header_rec() + module_rec(start=U64 - 0x10, size=0x1000)
                                      + thread_rec() + stack_rec(1, [U64, 0, U64 - 1, 1])
                                      + samples_rec([(100, 1, 10, 1)]))
                              + chunk(end_rec())[:30])
    # Module paths that must not be opened blindly by the symbolizer: a character device that
    # never ends, a directory, the tool's own stdin.
    for name, path in (("module-dev-zero", "/dev/zero"), ("module-directory", "/"),
                       ("module-stdin", "/proc/self/fd/0"), ("module-dev-urandom", "/dev/urandom")):
        files[name] = (file_header()
                       + chunk(header_rec() + module_rec(path=path) + thread_rec()
                               + stack_rec(1, [0x401000, 0x402000]) + samples_rec([(100, 1, 10, 1)]))
                       + chunk(end_rec())[:30])
    # Time deltas that wrap around 2^64.
    files["time-wraps"] = (after_good(samples_rec([(100, 1, U64, 1), (100, 1, 5, 1)]))
                           + chunk(end_rec())[:10])
    return files


def main():
    os.makedirs(OUT, exist_ok=True)
    files = build()
    for old in os.listdir(OUT):
        if old.endswith(".prof") and old[:-5] not in files:
            os.unlink(os.path.join(OUT, old))
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name + ".prof"), "wb") as f:
            f.write(data)
    print("make_corrupt: %d files in %s" % (len(files), OUT))


if __name__ == "__main__":
    main()
