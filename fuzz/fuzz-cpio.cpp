// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The newc cpio writer: a counting pass and a writing pass over the same entries agree on every
// status and on the size, the written archive reads back as the entries that succeeded, and a
// too-small buffer gives NoSpace without a byte written past it (a guard region follows it).
//
// Input: le32 first inode, le16 buffer cut, then entries until the input ends (at most 64):
//   op (bit 0: directory, bit 1 with bit 0: finish; bit 7: path repeated 20 times), le16
//   permissions, path length, path bytes (a NUL ends the path early), and for files le16 data
//   length and the data. finish() is always called last.

#include <cstring>
#include <string>
#include <vector>

#include "cpio.hpp"
#include "fuzz-common.hpp"

using namespace zuki;

namespace {

enum class Kind { File, Directory, Finish };

struct Op {
        Kind kind;
        std::string path;
        uint32_t permissions = 0;
        std::vector<uint8_t> data;
};

struct Reader {
        const uint8_t *p;
        size_t n, i = 0;
        bool more() const { return i < n; }
        uint8_t byte() { return i < n ? p[i++] : 0; }
        uint16_t le16() {
                uint16_t lo = byte();
                return (uint16_t) (lo | byte() << 8);
        }
};

std::vector<Status> run(cpio::Writer *w, const std::vector<Op> &ops, std::vector<size_t> *starts) {
        std::vector<Status> out;
        for (const Op &op : ops) {
                if (starts)
                        starts->push_back(w->size());
                switch (op.kind) {
                case Kind::File:
                        out.push_back(w->add_file(op.path.c_str(), Bytes(op.data.data(), op.data.size()), op.permissions));
                        break;
                case Kind::Directory:
                        out.push_back(w->add_directory(op.path.c_str(), op.permissions));
                        break;
                case Kind::Finish:
                        out.push_back(w->finish());
                        break;
                }
        }
        return out;
}

uint32_t hex_field(const uint8_t *p) {
        uint32_t v = 0;
        for (int i = 0; i < 8; i++) {
                char c = (char) p[i];
                // Lower case, except the trailer's name size, which systemd spells "0000000B".
                FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == 'B', "bad hex digit");
                v = v << 4 | (uint32_t) (c <= '9' ? c - '0' : c == 'B' ? 11 : c - 'a' + 10);
        }
        return v;
}

// Reads the archive back: one entry per successful op, in order.
void check_archive(const uint8_t *a, size_t size, const std::vector<Op> &ops, const std::vector<Status> &st,
                   uint32_t first_inode) {
        size_t pos = 0;
        uint32_t inode = first_inode;
        for (size_t k = 0; k < ops.size(); k++) {
                const Op &op = ops[k];
                uint32_t expect_inode = op.kind == Kind::Finish ? 0 : inode++;
                if (!st[k].ok())
                        continue;
                std::string name = op.kind == Kind::Finish ? "TRAILER!!!" : op.path;
                FUZZ_CHECK(pos % 4 == 0 && pos + 110 <= size);
                FUZZ_CHECK(memcmp(a + pos, "070701", 6) == 0);
                uint32_t f[13];
                for (int i = 0; i < 13; i++)
                        f[i] = hex_field(a + pos + 6 + 8 * i);
                uint32_t mode = op.kind == Kind::File        ? cpio::kModeRegular | (op.permissions & 07777)
                                : op.kind == Kind::Directory ? cpio::kModeDirectory | (op.permissions & 07777)
                                                             : 0;
                FUZZ_CHECK(f[0] == expect_inode && f[1] == mode, "inode %u mode %o", f[0], f[1]);
                FUZZ_CHECK(f[4] == 1u); // nlink 1 for directories too, as systemd-stub writes it
                FUZZ_CHECK(f[6] == op.data.size() && f[11] == name.size() + 1);
                pos += 110;
                FUZZ_CHECK(pos + name.size() + 1 <= size && memcmp(a + pos, name.c_str(), name.size() + 1) == 0);
                pos += name.size() + 1;
                for (; pos % 4; pos++)
                        FUZZ_CHECK(pos < size && a[pos] == 0);
                FUZZ_CHECK(pos + op.data.size() <= size);
                if (!op.data.empty())
                        FUZZ_CHECK(memcmp(a + pos, op.data.data(), op.data.size()) == 0);
                pos += op.data.size();
                for (; pos % 4; pos++)
                        FUZZ_CHECK(pos < size && a[pos] == 0);
        }
        FUZZ_CHECK(pos == size, "archive has %zu bytes, entries end at %zu", size, pos);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Reader r{data, size};
        uint32_t first_inode = r.le16();
        first_inode |= (uint32_t) r.le16() << 16;
        uint16_t cut = r.le16();
        std::vector<Op> ops;
        while (r.more() && ops.size() < 64) {
                uint8_t op = r.byte();
                Op o;
                o.kind = (op & 3) == 3 ? Kind::Finish : (op & 1) ? Kind::Directory : Kind::File;
                o.permissions = r.le16();
                size_t len = r.byte();
                for (size_t i = 0; i < len && r.more(); i++)
                        o.path.push_back((char) r.byte());
                o.path = std::string(o.path.c_str()); // what the writer sees through a C string
                if (op & 0x80) {
                        std::string one = o.path;
                        for (int i = 0; i < 20; i++)
                                o.path += one;
                }
                if (o.kind == Kind::File) {
                        size_t n = r.le16();
                        for (size_t i = 0; i < n && r.more(); i++)
                                o.data.push_back(r.byte());
                }
                ops.push_back(o);
        }
        ops.push_back(Op{Kind::Finish, "", 0, {}});

        // Counting pass.
        cpio::Writer counter{MutableBytes(), first_inode};
        FUZZ_CHECK(counter.counting());
        std::vector<Status> counted = run(&counter, ops, nullptr);
        size_t total = counter.size();
        for (size_t k = 0; k < ops.size(); k++) {
                bool too_long = ops[k].kind != Kind::Finish && ops[k].path.size() + 1 > 4096;
                FUZZ_CHECK(counted[k].ok() != too_long && (counted[k].ok() || counted[k].error() == Error::SizeLimit));
        }
        FUZZ_CHECK(total % 4 == 0);

        // Writing pass into exactly that many bytes.
        fuzz::Buffer exact(total);
        cpio::Writer writer{exact.bytes(), first_inode};
        std::vector<Status> written = run(&writer, ops, nullptr);
        FUZZ_CHECK(writer.size() == total, "wrote %zu bytes, counted %zu", writer.size(), total);
        for (size_t k = 0; k < ops.size(); k++)
                FUZZ_CHECK(written[k].error() == counted[k].error());
        check_archive(exact.data, total, ops, written, first_inode);

        // Too small: NoSpace, never a byte past the buffer, and what was written before the first
        // failure is the start of the real archive.
        size_t small = total ? cut % total : 0;
        const size_t kGuard = 64;
        uint8_t *buf = (uint8_t *) malloc(small + kGuard);
        memset(buf, 0x5a, small + kGuard);
        cpio::Writer tight{MutableBytes(buf, small), first_inode};
        std::vector<size_t> starts;
        std::vector<Status> got = run(&tight, ops, &starts);
        bool failed = false;
        size_t prefix = tight.size();
        for (size_t k = 0; k < ops.size(); k++) {
                if (got[k].error() == counted[k].error())
                        continue;
                FUZZ_CHECK(got[k].error() == Error::NoSpace, "unexpected %s", describe(got[k].error()));
                if (!failed)
                        prefix = starts[k];
                failed = true;
        }
        FUZZ_CHECK(failed, "%zu bytes suffice for a %zu-byte archive", small, total);
        FUZZ_CHECK(tight.size() <= small);
        for (size_t i = small; i < small + kGuard; i++)
                FUZZ_CHECK(buf[i] == 0x5a, "wrote past the buffer at +%zu", i - small);
        FUZZ_CHECK(memcmp(buf, exact.data, prefix) == 0);
        free(buf);
        return 0;
}
