#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Parse a TCG2 crypto-agile event log (TCG PC Client Platform Firmware Profile, 10.2) and replay
PCRs from it. Written from the specification, independent of zuki's code, so that a test can
check the guest's PCR values against the events the firmware logged.

    eventlog.py LOG_HEX_FILE --pcr 11 [--pcr 12] [--bank sha256] [--json]
"""
import argparse
import hashlib
import json
import struct
import sys

ALGORITHMS = {0x0004: ('sha1', 20), 0x000B: ('sha256', 32), 0x000C: ('sha384', 48), 0x000D: ('sha512', 64)}


def parse(log: bytes):
    """Yields (pcr, event_type, {bank: digest}, event_data)."""
    # The first event is in the SHA-1 format and carries the Spec ID Event03 header that lists
    # the digest sizes of every bank used by the following TCG_PCR_EVENT2 records.
    pcr, etype = struct.unpack_from('<II', log, 0)
    size = struct.unpack_from('<I', log, 28)[0]
    spec = log[32:32 + size]
    if not spec.startswith(b'Spec ID Event03\0'):
        raise ValueError('not a crypto-agile event log')
    count = struct.unpack_from('<I', spec, 24)[0]
    sizes = {}
    for i in range(count):
        alg, dsize = struct.unpack_from('<HH', spec, 28 + 4 * i)
        sizes[alg] = dsize
    offset = 32 + size
    while offset + 12 <= len(log):
        pcr, etype, ndigests = struct.unpack_from('<III', log, offset)
        offset += 12
        digests = {}
        for _ in range(ndigests):
            alg = struct.unpack_from('<H', log, offset)[0]
            offset += 2
            dsize = sizes[alg]
            name = ALGORITHMS.get(alg, (f'alg{alg:#x}', dsize))[0]
            digests[name] = log[offset:offset + dsize]
            offset += dsize
        esize = struct.unpack_from('<I', log, offset)[0]
        offset += 4
        data = log[offset:offset + esize]
        offset += esize
        if pcr == 0xffffffff and etype == 0 and ndigests == 0:
            break  # padding after the last event
        yield pcr, etype, digests, data


def replay(events, pcr, bank):
    size = hashlib.new(bank).digest_size
    value = bytes(size)
    count = 0
    for p, _, digests, _ in events:
        if p == pcr:
            value = hashlib.new(bank, value + digests[bank]).digest()
            count += 1
    return value.hex(), count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('log_hex')
    ap.add_argument('--pcr', type=int, action='append', required=True)
    ap.add_argument('--bank', default='sha256')
    args = ap.parse_args()
    log = bytes.fromhex(open(args.log_hex).read().strip())
    events = list(parse(log))
    out = {}
    for pcr in args.pcr:
        value, count = replay(events, pcr, args.bank)
        descriptions = []
        for p, etype, digests, data in events:
            if p == pcr:
                try:
                    # EV_IPL descriptions are UTF-16 text; tagged events carry an 8-byte header.
                    text = (data[8:] if etype == 6 else data).decode('utf-16-le').rstrip('\0')
                except UnicodeDecodeError:
                    text = data.hex()
                descriptions.append({'type': etype, 'description': text, 'digest': digests[args.bank].hex()})
        out[str(pcr)] = {'value': value, 'events': count, 'log': descriptions}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == '__main__':
    main()
