#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The interop matrix (issue 17): every host tool a distribution runs over EFI images, against
every kind of zuki image, host-only. Prints one table (tool x image kind; the arch is in the
kind's name) with a cell per pair:

  ok       the tool read/checked/round-tripped the image and the result agreed with zuki's
  no: WHY  the tool cannot do it, known and documented (docs/compatibility.md); not a failure
  n/a: WHY the pair makes no sense (e.g. verifying an unsigned image)
  FAIL     a cell expected to work did not: exit 1

  matrix.py --zuki ZUKI --stub-x64 STUB --stub-aa64 STUB --zboot-x64 IMG --zboot-aa64 IMG
            --kernel-x64 VMLINUZ --kernel-aa64 VMLINUZ --release-x64 R --release-aa64 R
            [--markdown] [--check DOC] [--update DOC]

--markdown prints the table as Markdown; --check DOC also compares it with the table between
the "interop-matrix" markers in DOC and fails when they differ (so the checked-in table stays
true); --update DOC writes this run's table there instead. Optional tools come from the environment the assets define (ZUKI_UKIFY, ZUKI_UKIFY262,
ZUKI_SYSTEMD_MEASURE257, ZUKI_SYSTEMD_MEASURE262); a missing one gives "skip" cells and, when
nothing failed, exit 77 (SKIP) with the reason instead of comparing or writing the table.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SYSTEM_PYTHON = "/usr/bin/python3"
UKI_SECTIONS = {".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".dtbauto", ".hwids",
                ".uname", ".sbat", ".pcrsig", ".pcrpkey", ".profile", ".efifw"}


class Cell:
    def __init__(self, status, note=""):
        self.status, self.note = status, note

    def text(self):
        return self.status + (": " + self.note if self.note and self.status != "ok" else "")


def ok(note=""):
    return Cell("ok", note)


def no(why):
    return Cell("no", why)


def na(why):
    return Cell("n/a", why)


def fail(why):
    return Cell("FAIL", why)


def skip(why):
    return Cell("skip", why)


def run(cmd, **kw):
    """Run CMD; returns (rc, stdout, stderr) as text."""
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", **kw)
    return p.returncode, p.stdout, p.stderr


def last(text, n=160):
    text = " ".join(text.strip().splitlines()[-2:])
    return text[:n]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Image:
    def __init__(self, name, path, arch, kind, signed, release, direct=False, source=None):
        self.name, self.path, self.arch, self.kind = name, path, arch, kind
        self.signed, self.release, self.direct, self.source = signed, release, direct, source


class Matrix:
    def __init__(self, a, tmp):
        self.a, self.tmp = a, tmp
        self.zuki = a.zuki
        self.cert = os.path.join(tmp, "db.crt")
        self.key = os.path.join(tmp, "db.key")
        self.other = os.path.join(tmp, "other.crt")

    def p(self, name):
        return os.path.join(self.tmp, name)

    def must(self, cmd, what):
        rc, out, err = run(cmd)
        if rc != 0:
            sys.exit(f"matrix: cannot {what}: {last(out + err)}")
        return out

    # --- the images ---------------------------------------------------------------------------
    def make_images(self):
        a = self.a
        for name, cn in (("db", "zuki matrix"), ("other", "zuki other")):
            self.must(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.p(name + ".key"),
                       "-out", self.p(name + ".crt"), "-subj", f"/CN={cn}/", "-days", "3650", "-sha256"],
                      "make a certificate")
        with open(self.p("initrd"), "wb") as f:
            f.write(b"zuki interop matrix initrd\n" * 100)
        with open(self.p("os-release"), "w") as f:
            f.write('ID=zuki-matrix\nNAME="zuki matrix"\nVERSION_ID=1\n')
        imgs = []
        imgs.append(Image("zboot-x64-direct", a.zboot_x64, "x64", "zboot", False, a.release_x64, direct=True,
                          source=a.kernel_x64))
        efistub = self.p("zboot-x64-efistub.efi")
        self.must([self.zuki, "zboot", "--x86-boot=efistub", "--level", "3", "--stub", a.stub_x64, "--output", efistub, a.kernel_x64],
                  "make an efistub zboot image")
        imgs.append(Image("zboot-x64-efistub", efistub, "x64", "zboot", False, a.release_x64, source=a.kernel_x64))
        imgs.append(Image("zboot-aa64", a.zboot_aa64, "aa64", "zboot", False, a.release_aa64, source=a.kernel_aa64))
        for arch, stub, zboot, rel in (("x64", a.stub_x64, a.zboot_x64, a.release_x64),
                                       ("aa64", a.stub_aa64, a.zboot_aa64, a.release_aa64)):
            out = self.p(f"uki-{arch}.efi")
            self.must([self.zuki, "build", "--stub", stub, "--linux", zboot, "--initrd", self.p("initrd"),
                       "--cmdline", "console=ttyS0 zuki.matrix=1", "--os-release", "@" + self.p("os-release"),
                       "--output", out], f"build the {arch} UKI")
            imgs.append(Image(f"uki-{arch}", out, arch, "uki", False, rel, source=zboot))
        for im in list(imgs):
            if im.name in ("zboot-x64-efistub",):
                continue
            out = self.p(im.name + "-signed.efi")
            self.must([self.zuki, "sign", "--private-key", self.key, "--certificate", self.cert, "--output", out,
                       im.path], "sign " + im.name)
            imgs.append(Image(im.name + "+signed", out, im.arch, im.kind, True, im.release, im.direct, im.source))
        self.images = imgs

    # --- helpers ------------------------------------------------------------------------------
    def zinspect(self, path):
        rc, out, err = run([self.zuki, "inspect", "--json", path])
        if rc != 0:
            return None, last(err or out)
        try:
            return json.loads(out), ""
        except ValueError as e:
            return None, f"zuki inspect --json: {e}"

    def sections_pefile(self, path):
        rc, out, err = run([SYSTEM_PYTHON, "-c",
                            "import sys, pefile\n"
                            "pe = pefile.PE(sys.argv[1], fast_load=True)\n"
                            "print('\\n'.join(s.Name.rstrip(b'\\0').decode() for s in pe.sections))\n"
                            "for w in pe.get_warnings(): print('WARNING', w)\n", path])
        if rc != 0:
            return None, [last(err)]
        names = [l for l in out.splitlines() if not l.startswith("WARNING ")]
        warnings = [l[8:] for l in out.splitlines() if l.startswith("WARNING ")]
        return names, warnings

    def binutils_cannot(self, im):
        """binutils 2.40 has no arm64 PE target: "no" for a valid arm64 image, a failure otherwise."""
        if im.arch != "aa64":
            return False
        rc, _, err = run(["llvm-readobj", "--file-headers", im.path])
        return rc == 0 and "warning" not in err.lower()

    # --- the tools (rows) ---------------------------------------------------------------------
    def t_llvm_readobj(self, im):
        if not shutil.which("llvm-readobj"):
            return skip("llvm-readobj not installed")
        rc, out, err = run(["llvm-readobj", "--file-headers", "--sections", im.path])
        if rc != 0 or "warning" in err.lower():
            return fail(last(err))
        names = re.findall(r"^\s+Name: (\.\w+)", out, re.M)
        want, _ = self.sections_pefile(im.path)
        return ok() if names == want else fail(f"sections {names} != pefile's {want}")

    def t_objdump(self, im):
        if not shutil.which("objdump"):
            return skip("objdump not installed")
        rc, out, err = run(["objdump", "-h", im.path])
        if rc != 0 and "file format not recognized" in err and self.binutils_cannot(im):
            return no("binutils 2.40 has no pei-aarch64")
        if rc != 0:
            return fail(last(err))
        return ok()

    def t_llvm_objdump(self, im):
        if not shutil.which("llvm-objdump"):
            return skip("llvm-objdump not installed")
        rc, out, err = run(["llvm-objdump", "-h", im.path])
        return ok() if rc == 0 and "warning" not in err.lower() else fail(last(err))

    def t_pefile(self, im):
        names, warnings = self.sections_pefile(im.path)
        if names is None:
            return fail(warnings[0])
        if warnings:
            return fail("warns: " + warnings[0][:100])
        return ok()

    def t_sbverify(self, im):
        if not im.signed:
            return na("unsigned")
        rc, out, err = run(["sbverify", "--cert", self.cert, im.path])
        if rc != 0:
            return fail(last(out + err))
        rc, _, _ = run(["sbverify", "--cert", self.other, im.path])
        return ok() if rc != 0 else fail("accepts another certificate")

    def t_osslsigncode(self, im):
        if not im.signed:
            return na("unsigned")
        rc, out, err = run(["osslsigncode", "verify", "-CAfile", self.cert, "-in", im.path])
        if rc != 0:
            return fail(last(out + err))
        calc = re.search(r"Calculated message digest\s*:\s*([0-9A-Fa-f ]+)", out)
        got = calc.group(1).replace(" ", "").lower() if calc else ""
        want = self.zuki_digest(im)
        return ok() if got == want else fail(f"calculated digest {got[:16]}.. != zuki's {want[:16]}..")

    def zuki_digest(self, im):
        rc, out, _ = run([self.zuki, "verify", "--json", "--certificate", self.cert, im.path])
        try:
            return json.loads(out)["signatures"][0]["signed_digest"]
        except (ValueError, KeyError, IndexError):
            return ""

    def t_pesign(self, im):
        if not shutil.which("pesign"):
            return skip("pesign not installed")
        rc, out, err = run(["pesign", "--hash", "-i", im.path])
        m = re.search(r"^hash: ([0-9a-f]{64})", out, re.M)
        if rc != 0 or not m:
            return fail(last(out + err))
        if not im.signed:
            return ok()
        if m.group(1) != self.zuki_digest(im):
            return fail("pesign --hash differs from the digest zuki signed")
        rc, out, err = run(["pesign", "-S", "-i", im.path])
        if rc != 0 or "zuki matrix" not in out:
            return fail("pesign -S: " + last(out + err))
        return ok()

    def t_sbsign(self, im):
        if im.signed:
            return na("signed already")
        out = self.p(im.name + "-sbsign.efi")
        rc, o, e = run(["sbsign", "--key", self.key, "--cert", self.cert, "--output", out, im.path])
        if rc != 0:
            return fail(last(o + e))
        rc, o, e = run([self.zuki, "verify", "--certificate", self.cert, out])
        if rc != 0:
            return fail("zuki verify: " + last(o + e))
        j, why = self.zinspect(out)
        if j is None or j.get("type") != im.kind:
            return fail("zuki inspect after sbsign: " + (why or str(j.get("type"))))
        return ok()

    def t_objcopy(self, im):
        if im.signed:
            return na("signed: any rewrite breaks it")
        out = self.p(im.name + "-objcopy.efi")
        rc, o, e = run(["objcopy", im.path, out])
        if rc != 0 and "file format not recognized" in e and self.binutils_cannot(im):
            return no("binutils 2.40 has no pei-aarch64")
        if rc != 0:
            return fail(last(o + e))
        j, why = self.zinspect(out)
        if j is None:
            return fail("zuki inspect: " + why)
        if j.get("type") != im.kind:
            return fail(f"zuki inspect says {j.get('type')}")
        return ok()

    def measure_cell(self, im, tool, label):
        if im.kind != "uki":
            return na("not a UKI")
        if not tool or not os.access(tool, os.X_OK):
            return skip(f"{label} not available")
        d = self.p(im.name + "-sections")
        if not os.path.isdir(d):
            rc, o, e = run([self.zuki, "extract", "--sections", d, im.path])
            if rc != 0:
                return fail("zuki extract --sections: " + last(o + e))
        args = []
        for f in sorted(os.listdir(d)):
            if f in ("linux", "osrel", "cmdline", "initrd", "ucode", "splash", "dtb", "uname", "sbat", "pcrpkey"):
                args.append(f"--{f}={os.path.join(d, f)}")
        rc, o, e = run([tool, "calculate", *args, "--bank=sha256", "--json=short"])
        if rc != 0:
            return fail(f"{label} calculate: " + last(e))
        rc, z, e = run([self.zuki, "measure", "--bank", "sha256", "--json=short", im.path])
        if rc != 0:
            return fail("zuki measure: " + last(e))
        norm = lambda s: sorted((x["phase"], x["pcr"], x["hash"]) for x in json.loads(s)["sha256"])
        return ok() if norm(o) == norm(z) else fail(f"PCR 11 differs from {label}")

    def t_measure257(self, im):
        return self.measure_cell(im, os.environ.get("ZUKI_SYSTEMD_MEASURE257"), "systemd-measure 257")

    def t_measure262(self, im):
        return self.measure_cell(im, os.environ.get("ZUKI_SYSTEMD_MEASURE262"), "systemd-measure 262")

    def ukify_cell(self, im, key, label):
        tool = os.environ.get(key)
        if not tool or not os.access(tool, os.X_OK):
            return skip(f"{label} not available")
        rc, o, e = run([SYSTEM_PYTHON, tool, "inspect", im.path, "--json=short"])
        if rc != 0:
            return fail(last(e))
        try:
            got = list(json.loads(o).keys())
        except ValueError:
            return fail("no JSON")
        # ukify lists the sections a UKI can have, in file order.
        names, _ = self.sections_pefile(im.path)
        want = [n for n in names if n in UKI_SECTIONS]
        if got != want:
            return fail(f"sections {got} != pefile's {want}")
        return ok()

    def t_ukify257(self, im):
        return self.ukify_cell(im, "ZUKI_UKIFY", "ukify 257")

    def t_ukify262(self, im):
        return self.ukify_cell(im, "ZUKI_UKIFY262", "ukify 262")

    def t_zuki_inspect(self, im):
        j, why = self.zinspect(im.path)
        if j is None:
            return fail(why)
        if j.get("type") != im.kind:
            return fail(f"type {j.get('type')}")
        if im.kind == "zboot" and im.release not in json.dumps(j):
            return fail("kernel release not found")
        names = [s["name"] for s in j.get("pe", {}).get("sections", [])]
        want, _ = self.sections_pefile(im.path)
        return ok() if names == want else fail(f"sections {names} != pefile's {want}")

    def t_zuki_verify(self, im):
        if not im.signed:
            rc, o, e = run([self.zuki, "verify", "--certificate", self.cert, im.path])
            return na("unsigned") if rc == 1 else fail(f"unsigned image: exit {rc}")
        rc, o, e = run([self.zuki, "verify", "--certificate", self.cert, im.path])
        if rc != 0:
            return fail(last(e))
        rc, o, e = run([self.zuki, "verify", "--certificate", self.other, im.path])
        return ok() if rc == 1 else fail(f"another certificate: exit {rc}")

    def t_zuki_extract(self, im):
        out = self.p(im.name + "-kernel")
        rc, o, e = run([self.zuki, "extract", "--output", out, im.path])
        if im.direct or (im.kind == "uki" and im.arch == "x64"):
            if rc == 1 and not os.path.exists(out):
                return no("direct payload is no bzImage (by design)")
            return fail(f"direct payload: exit {rc}")
        if rc != 0:
            return fail(last(e))
        want = im.source if im.kind == "zboot" else None
        if im.kind == "uki":
            # The UKI's kernel: the zboot image inside, extracted to the kernel zuki zboot was given.
            want = self.a.kernel_x64 if im.arch == "x64" else self.a.kernel_aa64
        if sha256(out) != sha256(want):
            return fail("not the kernel zuki zboot was given")
        return ok()

    ROWS = [
        ("llvm-readobj", t_llvm_readobj, "`llvm-readobj --file-headers --sections`: no warning, sections as pefile lists them"),
        ("llvm-objdump", t_llvm_objdump, "`llvm-objdump -h`: no warning"),
        ("objdump (binutils)", t_objdump, "`objdump -h`"),
        ("pefile", t_pefile, "python3-pefile parses the image without warnings"),
        ("sbverify", t_sbverify, "`sbverify --cert` accepts zuki's signature, rejects another certificate"),
        ("osslsigncode verify", t_osslsigncode, "`osslsigncode verify -CAfile` accepts it; its calculated digest is the one zuki signed"),
        ("pesign", t_pesign, "`pesign --hash` digest (= the one zuki signed); `pesign -S` lists the signer"),
        ("sbsign round trip", t_sbsign, "`sbsign` signs the image; `zuki verify` accepts it, `zuki inspect` still reads it"),
        ("objcopy round trip", t_objcopy, "`objcopy IN OUT`; `zuki inspect` of OUT gives the same kind of image"),
        ("systemd-measure 257", t_measure257, "`systemd-measure calculate` (trixie) on the sections `zuki extract --sections` wrote: PCR 11 (sha256, every phase) = `zuki measure`"),
        ("systemd-measure 262", t_measure262, "the same with sid's systemd-measure 262"),
        ("ukify 257 inspect", t_ukify257, "`ukify inspect` (trixie) lists the UKI sections pefile lists, in the same order"),
        ("ukify 262 inspect", t_ukify262, "the same with sid's ukify 262"),
        ("zuki inspect", t_zuki_inspect, "kind of image and the kernel release inside"),
        ("zuki verify", t_zuki_verify, "accepts for the signing certificate, rejects another"),
        ("zuki extract", t_zuki_extract, "the kernel, byte for byte what `zuki zboot` was given"),
    ]

    def run_all(self):
        self.table = []
        for name, fn, _ in self.ROWS:
            cells = []
            for im in self.images:
                try:
                    c = fn(self, im)
                except Exception as e:  # a tool that crashes the check is a failure, not a traceback
                    c = fail(f"{type(e).__name__}: {e}")
                cells.append(c)
            self.table.append((name, cells))


def render_text(m):
    heads = ["tool"] + [im.name for im in m.images]
    rows = [[name] + [c.status for c in cells] for name, cells in m.table]
    w = [max(len(r[i]) for r in [heads] + rows) for i in range(len(heads))]
    lines = ["  ".join(h.ljust(w[i]) for i, h in enumerate(heads))]
    lines += ["  ".join(v.ljust(w[i]) for i, v in enumerate(r)) for r in rows]
    notes = []
    for name, cells in m.table:
        for im, c in zip(m.images, cells):
            if c.status != "ok" and c.note:
                notes.append(f"  {name} x {im.name}: {c.status}: {c.note}")
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def render_markdown(m):
    heads = ["tool"] + [f"`{im.name}`" for im in m.images]
    out = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for name, cells in m.table:
        out.append("| " + " | ".join([name] + [c.text() for c in cells]) + " |")
    out.append("")
    out.append("What each row checks:")
    out.append("")
    for name, _, what in Matrix.ROWS:
        out.append(f"- **{name}**: {what}.")
    return "\n".join(out) + "\n"


BEGIN, END = "<!-- interop-matrix begin (test/interop/matrix.py --markdown) -->", "<!-- interop-matrix end -->"


def main():
    ap = argparse.ArgumentParser()
    for opt in ("zuki", "stub-x64", "stub-aa64", "zboot-x64", "zboot-aa64", "kernel-x64", "kernel-aa64",
                "release-x64", "release-aa64"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--check")
    ap.add_argument("--update", help="rewrite the table between the markers in this file")
    a = ap.parse_args()
    for opt in ("zuki", "stub_x64", "stub_aa64", "zboot_x64", "zboot_aa64", "kernel_x64", "kernel_aa64"):
        setattr(a, opt, os.path.realpath(getattr(a, opt)))
    for tool in ("openssl", "sbsign", "sbverify", "osslsigncode", "objcopy"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not installed")
            sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="zuki-matrix.") as tmp:
        m = Matrix(a, tmp)
        m.make_images()
        m.run_all()
    print(render_text(m), end="")
    md = render_markdown(m)
    if a.markdown:
        print()
        print(md, end="")
    failed = [(n, im.name, c.note) for n, cells in m.table for im, c in zip(m.images, cells) if c.status == "FAIL"]
    rc = 0
    for n, i, why in failed:
        print(f"FAIL: {n} x {i}: {why}")
        rc = 1
    skipped = sorted({c.note for _, cells in m.table for c in cells if c.status == "skip"})
    if skipped and rc == 0:
        # Not every tool is here: the table cannot be the checked-in one, and that is no failure.
        print("SKIP: " + "; ".join(skipped) + " (tools/setup.sh fetches them)")
        return 77
    if a.update:
        doc = open(a.update).read()
        if BEGIN not in doc or END not in doc:
            print(f"FAIL: {a.update} has no interop-matrix markers")
            return 1
        head, rest = doc.split(BEGIN, 1)
        doc = head + BEGIN + "\n" + md + END + rest.split(END, 1)[1]
        with open(a.update + ".tmp", "w") as f:
            f.write(doc)
        os.replace(a.update + ".tmp", a.update)
        print(f"updated {a.update}")
    if a.check:
        doc = open(a.check).read()
        if BEGIN not in doc or END not in doc:
            print(f"FAIL: {a.check} has no interop-matrix markers")
            return 1
        have = doc.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
        if have != md:
            print(f"FAIL: the table in {a.check} is not what this run gives; regenerate it with --markdown:")
            import difflib
            sys.stdout.writelines(difflib.unified_diff(have.splitlines(True), md.splitlines(True), a.check, "this run"))
            rc = 1
    print("PASS" if rc == 0 else f"{len(failed)} cells failed")
    return rc


if __name__ == "__main__":
    sys.exit(main())
