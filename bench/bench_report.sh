#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profreport speed: a synthetic profile of 1,000,000 samples over 50,000 distinct code addresses
# (in libc.so.6 and libdw.so.1, real files with symbols / DWARF where installed) must report in
# under a second. Symbolization is cached per (module, address) and per distinct stack, so the cost
# is ~distinct addresses + distinct stacks, not samples x depth.
# Usage: bench/bench_report.sh [PROFREPORT] [SAMPLES] [ADDRESSES] [STACKS]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROFREPORT=${1:-${PROFREPORT:-$HERE/../build/tools/profreport/profreport}}
NSAMPLES=${2:-1000000}
NADDR=${3:-50000}
NSTACKS=${4:-20000}
[[ -x $PROFREPORT ]] || { echo "profreport not found: $PROFREPORT" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-report.XXXXXX")
trap '[[ -n ${KEEP:-} ]] && cp "$TMP/bench.prof" "$KEEP"; rm -rf "$TMP"' EXIT

python3 - "$TMP/bench.prof" "$NSAMPLES" "$NADDR" "$NSTACKS" <<'PY'
# Writes a version-1 profile (docs/format.md) with a seeded pseudo-random, deterministic content.
import random, re, struct, subprocess, sys, zlib

out, nsamples, naddr, nstacks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(532)

def varint(v):
    b = bytearray()
    while True:
        byte = v & 0x7f
        v >>= 7
        if v:
            b.append(byte | 0x80)
        else:
            b.append(byte)
            return bytes(b)

def svarint(v):
    return varint((v << 1) ^ (v >> 63) if v >= 0 else ((-v) << 1) - 1)

def string(s):
    s = s.encode() if isinstance(s, str) else s
    return varint(len(s)) + s

def record(t, body):
    return varint(t) + varint(len(body)) + body

def chunk(payload):
    stored = zlib.compress(payload, 1)
    head = struct.pack('<IIII', 0x4B4E4843, len(payload), len(stored), zlib.crc32(stored))
    return head + struct.pack('<I', zlib.crc32(head)) + stored

def module_info(path):
    loads = []
    for line in subprocess.run(['readelf', '-lW', path], capture_output=True, text=True).stdout.splitlines():
        f = line.split()
        if f and f[0] == 'LOAD':
            off, vaddr, memsz = int(f[1], 16), int(f[2], 16), int(f[5], 16)
            flags = sum(v for k, v in (('R', 4), ('W', 2), ('E', 1)) if k in ''.join(f[6:-1]))
            loads.append((vaddr, memsz, off, flags))
    notes = subprocess.run(['readelf', '-n', path], capture_output=True, text=True).stdout
    m = re.search(r'Build ID: ([0-9a-f]+)', notes)
    return loads, bytes.fromhex(m.group(1)) if m else b''

libs = ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libdw.so.1']
payload = bytearray()
payload += record(1, varint(4242) + varint(1) + string('/usr/bin/bench') + varint(1) + string('bench')
                  + varint(1700000000000000000) + varint(1000) + varint(1) + varint(1000) + varint(1)
                  + varint(1) + varint(256) + varint(1000) + varint(0) + string('bench') + varint(0))
code = []  # (start, end) of executable ranges, runtime addresses
for i, path in enumerate(libs):
    loads, bid = module_info(path)
    bias = 0x7f0000000000 + i * 0x10000000
    segs = b''.join(varint(bias + v) + varint(sz) + varint(off) + varint(fl) for v, sz, off, fl in loads)
    payload += record(2, varint(i + 1) + varint(0) + string(path) + string(bid) + varint(bias)
                      + varint(len(loads)) + segs)
    code += [(bias + v, bias + v + sz) for v, sz, off, fl in loads if fl & 1]
payload += record(4, varint(4242) + string('bench') + varint(0))
addrs = []
for _ in range(naddr):
    lo, hi = rng.choice(code)
    addrs.append(rng.randrange(lo, hi))
stacks = []
for sid in range(1, nstacks + 1):
    depth = rng.randrange(4, 24)
    frames = [rng.choice(addrs) for _ in range(depth)]
    body = varint(sid) + varint(0) + varint(depth) + varint(frames[0])
    body += b''.join(svarint(frames[k] - frames[k - 1]) for k in range(1, depth))
    payload += record(5, body)
out_f = open(out, 'wb')
out_f.write(b'\x89PROF\r\n\x1a' + struct.pack('<II', 1, 0))
out_f.write(chunk(bytes(payload)))
# Samples in batches of 100k per chunk; a skewed stack choice like a real profile.
done = 0
while done < nsamples:
    n = min(100000, nsamples - done)
    body = bytearray(varint(6) + varint(n))
    for _ in range(n):
        sid = min(nstacks, int(rng.paretovariate(1.2))) if rng.random() < 0.5 else rng.randrange(1, nstacks + 1)
        body += varint(4242) + varint(sid) + svarint(1000000) + varint(1) + varint(0) + varint(0)
    out_f.write(chunk(record(6, bytes(body))))
    done += n
tail = record(7, varint(nsamples * 1000000) + varint(2) + varint(1) + varint(nsamples) + varint(6) + varint(nsamples * 1000000))
tail += record(8, varint(nsamples * 1000000) + varint(0))
out_f.write(chunk(tail))
out_f.close()
PY

echo "profile: $(stat -c %s "$TMP/bench.prof") bytes, $NSAMPLES samples, $NADDR addresses, $NSTACKS stacks"
best=
for run in 1 2 3; do
    start=$(date +%s%N)
    "$PROFREPORT" --top 20 "$TMP/bench.prof" >"$TMP/out.txt"
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))
    echo "run $run: ${ms} ms"
    [[ -z $best || $ms -lt $best ]] && best=$ms
done
grep -q "^Samples: $NSAMPLES " "$TMP/out.txt" || { echo "report does not count $NSAMPLES samples" >&2; exit 1; }
echo "best: ${best} ms (target < 1000 ms)"
((best < 1000)) && echo "PASS" || echo "SLOW"
