#!/usr/bin/env python3
# Time under the packet taps, from `perf script -F comm,period,ip,sym` of a
# system-wide `perf record -g` (bench/groups.sh): the samples of the
# generator and the ksoftirqd threads (where the veth receive path runs)
# whose call chain holds an AF_PACKET receive handler: the fanout demux and
# its program, socket filters, the ring copy and the reader's wake-up, i.e.
# what the capture adds to the receive path. Prints ns per packet.
# Usage: perf script ... | perf-taps.py PACKETS
import sys

TAPS = {"tpacket_rcv", "packet_rcv_fanout", "packet_rcv", "packet_rcv_spkt"}
packets = int(sys.argv[1])
taps = 0
ours = hit = False
period = 0
for line in sys.stdin:
    if not line.strip():
        if ours and hit:
            taps += period
        ours = hit = False
        continue
    if not line[0].isspace():
        # a sample's first line: comm, period (cpu-clock: ns since the last)
        f = line.split()
        ours = f[0] == "pfq-gen" or f[0].startswith("ksoftirqd")
        period = int(f[-1])
        continue
    f = line.split()
    if len(f) >= 2 and f[1].split("+")[0] in TAPS:
        hit = True
if ours and hit:
    taps += period
print(f"{taps / packets:.1f}")
