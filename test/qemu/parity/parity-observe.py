#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a user of the booted system can observe of the stub, as sorted text lines, from the serial
log of one parity-test.sh boot (guest-init.sh's lines plus parity-hook.sh's). Two boots of the
same kernel, initrd and ESP on two stubs compare with `diff` of these files.

    parity-observe.py SERIAL_LOG [--may-differ GLOB]... [--tis | --no-tpm] > observed.txt

--tis: the guest's kernel has no TPM driver (Debian's arm64 kernels): PCR 12 comes from
tis-pcr-read.sh's TPM2_PCR_Read through the TIS registers, and there is no PCR 1, PCR 13 or event
log to compare.

--no-tpm: the machine has no TPM: the guest must find none (every PCR the hook reads is "none"),
and there is no PCR or event log line; "tpm none" stands in their place.

Lines, in this order:
    pcr N HEX                       PCR 1, 12, 13 (sha256) read by the guest
    event pcrN #I type=T digest=D data=TEXT   PCR 1, 12 and 13 entries of the firmware's event
                                    log, parsed by eventlog.py (whose replay must give the guest's
                                    PCR); PCR 1's say why it differs (systemd-stub 258+ measures
                                    SMBIOS type 1 there)
    cmdline TEXT                    /proc/cmdline
    devicetree MARKER|none          the zuki,parity-marker property of the kernel's devicetree
                                    (only when the guest reported it)
    secureboot 0|1|none             the SecureBoot variable, as the guest read it
    file PATH TYPE MODE X           the initramfs the kernel unpacked (/.extra and the rest): X is
                                    a regular file's sha256, a symbolic link's target, else "-"
    efivar NAME VALUE [(HEX)]       Stub* and Loader* variables of the systemd vendor GUID (a stub
                                    started without a boot loader sets Loader* ones): a NUL-terminated
                                    UTF-16 string as text, other data as hex (text without its NUL
                                    as text and hex)
    may-differ efivar NAME VALUE    StubInfo, and a Stub* variable matching a --may-differ GLOB:
                                    shown, not compared
PCR 11 is not compared: it covers each stub's own .sbat. Exit 1 when the log lacks something.
"""
import argparse
import fnmatch
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PCRS = ('1', '12', '13')
EVENTLOG_PCRS = ('1', '12', '13')


def guest_lines(log):
    with open(log, 'rb') as f:
        for raw in f:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            if line.startswith('ZUKI-GUEST: '):
                yield line[len('ZUKI-GUEST: '):]


def events(log_hex):
    """eventlog.py's view of EVENTLOG_PCRS: {pcr: {value, events, log: [{type, description, digest}]}}."""
    with tempfile.NamedTemporaryFile('w', suffix='.hex') as f:
        f.write(log_hex)
        f.flush()
        args = [sys.executable, os.path.join(HERE, '..', 'eventlog.py'), f.name, '--bank', 'sha256']
        for pcr in EVENTLOG_PCRS:
            args += ['--pcr', pcr]
        return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('serial_log')
    ap.add_argument('--may-differ', action='append', default=[], metavar='GLOB')
    ap.add_argument('--tis', action='store_true')
    ap.add_argument('--no-tpm', action='store_true')
    args = ap.parse_args()

    pcrs, entries, hashes, efivars, cmdline, log_hex, done = {}, {}, {}, {}, None, None, False
    secureboot = None
    devicetree = None
    for line in guest_lines(args.serial_log):
        key, _, rest = line.partition(' ')
        if key == 'parity-pcr' and not args.tis:
            n, _, value = rest.partition(' ')
            pcrs[n] = value.lower()
        elif key.startswith('tis-pcr') and args.tis:
            # A TPM2_PCR_Read response: tag, size, a zero response code, ..., the digest last.
            if len(rest) == 124 and rest[12:20] == '00000000':
                pcrs[key[len('tis-pcr'):]] = rest[-64:].lower()
        elif key == 'parity-entry':
            kind, mode, name = rest.split('|', 2)
            path, _, target = name.partition(' -> ')
            entries[path.strip("'")] = (kind.replace(' ', '-'), mode, target.strip("'") or '-')
        elif key == 'parity-sha256':
            digest, _, path = rest.partition('  ')
            hashes[path] = digest
        elif key == 'efivar':
            name, _, value = rest.partition(' ')
            efivars.setdefault(name, [value, value])
        elif key == 'efivar-hex':
            name, _, value = rest.partition(' ')
            efivars.setdefault(name, [value, value])[1] = value
        elif key == 'cmdline' and cmdline is None:
            cmdline = rest
        elif key == 'parity-dt' and devicetree is None:
            devicetree = rest
        elif key == 'secureboot' and secureboot is None:
            secureboot = rest
        elif key == 'eventlog':
            log_hex = rest
        elif key == 'done':
            done = True

    pcr_list, eventlog_pcrs = (('12',), ()) if args.tis else (PCRS, EVENTLOG_PCRS)
    if args.no_tpm:
        found = {n: v for n, v in pcrs.items() if v != 'none'}
        if found:
            sys.exit(f'parity-observe: {args.serial_log}: the guest read PCRs on a machine without a TPM: {found}')
        pcr_list, eventlog_pcrs = (), ()
    missing = [what for what, there in (('"done"', done), ('the parity hook\'s PCRs', pcrs),
                                         ('the initramfs listing', entries),
                                         ('the event log', log_hex or args.tis or args.no_tpm),
                                         ('the command line', cmdline is not None)) if not there]
    missing += [f'PCR {n}' for n in pcr_list if pcrs.get(n, 'none') == 'none']
    if missing:
        sys.exit(f'parity-observe: {args.serial_log} lacks {", ".join(missing)}')

    out = [f'pcr {n} {pcrs[n]}' for n in pcr_list] + (['tpm none'] if args.no_tpm else [])
    replayed = events(log_hex) if eventlog_pcrs else {}
    for pcr in eventlog_pcrs:
        # The log is only worth comparing if it is the log of these PCRs.
        if replayed[pcr]['value'] != pcrs[pcr]:
            sys.exit(f'parity-observe: the event log replays PCR {pcr} to {replayed[pcr]["value"]}, '
                     f'the guest read {pcrs[pcr]}')
        for i, e in enumerate(replayed[pcr]['log']):
            out.append(f'event pcr{pcr} #{i} type={e["type"]:#x} digest={e["digest"]} data={e["description"]}')
    out.append(f'cmdline {cmdline}')
    if devicetree is not None:
        out.append(f'devicetree {devicetree}')
    out.append(f'secureboot {secureboot}')
    for path, (kind, mode, target) in sorted(entries.items()):
        out.append(f'file {path} {kind} {mode} {hashes.get(path, target)}')
    for name in sorted(efivars):
        if not name.startswith(('Stub', 'Loader')):
            continue
        may = name == 'StubInfo' or any(fnmatch.fnmatchcase(name, g) for g in args.may_differ)
        # guest-init.sh shows a UTF-16 string as text with or without its NUL: show the bytes too
        # unless they are exactly the NUL-terminated string, as systemd-stub writes it.
        text, data = efivars[name]
        if data not in (text, (text.encode('utf-16-le') + bytes(2)).hex()):
            text += f' ({data})'
        out.append(f'{"may-differ " if may else ""}efivar {name} {text}')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
