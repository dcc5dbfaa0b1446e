#!/usr/bin/env python3
"""Prints, per PID given, the number of methods the JVM's JIT has compiled so far (the counter
sun.ci.totalCompiles, jstat -compiler's "Compiled"), read from the JVM's performance data file
(hsperfdata_<user>/<pid> in the temp directory) without starting a JVM; "-" when unreadable.

    python3 bench/jit-compiles.py PID...
"""
import getpass
import os
import struct
import sys

COUNTER = b"sun.ci.totalCompiles"
MAX_BYTES = 1 << 20  # the file is 32 KiB by default (-XX:PerfDataMemorySize)


def compiles(pid):
    # HotSpot keeps it in /tmp on Linux whatever TMPDIR says
    path = os.path.join("/tmp", f"hsperfdata_{getpass.getuser()}", str(pid))
    with open(path, "rb") as f:
        data = f.read(MAX_BYTES)
    if data[:4] != b"\xca\xfe\xc0\xc0":
        return None
    order = "<" if data[4] == 1 else ">"
    entry_offset, num_entries = struct.unpack_from(order + "ii", data, 24)
    pos = entry_offset
    for _ in range(num_entries):
        length, name_off, _vlen, dtype, _flags, _units, _var, data_off = struct.unpack_from(order + "iiibbbbi", data, pos)
        if length <= 0:
            return None
        name = data[pos + name_off:data.index(b"\0", pos + name_off)]
        if name == COUNTER and dtype == ord("J"):
            return struct.unpack_from(order + "q", data, pos + data_off)[0]
        pos += length
    return None


def main():
    out = []
    for pid in sys.argv[1:]:
        try:
            n = compiles(int(pid))
        except (OSError, ValueError, struct.error):
            n = None
        out.append("-" if n is None else str(n))
    print(" ".join(out))


if __name__ == "__main__":
    main()
