// SPDX-License-Identifier: LGPL-2.1-or-later

#include "wx.hpp"

namespace zuki::wx {

namespace {

uint64_t page_down(uint64_t v) { return v & ~(kPageSize - 1); }
uint64_t page_up(uint64_t v) { return align_up(v, kPageSize); }

} // namespace

Result<Plan> plan(const pe::View &image, uint64_t image_size) {
        if (image_size % kPageSize != 0)
                return Error::BadImageSize;
        Plan p;
        uint64_t cursor = 0; // everything below is planned
        for (size_t i = 0; i < image.section_count(); i++) {
                pe::Section s = image.section(i);
                if (!s.executable() || s.memory_size() == 0)
                        continue;
                uint64_t start = page_down(s.virtual_address);
                uint64_t end = page_up((uint64_t) s.virtual_address + s.memory_size());
                if (end > image_size)
                        return Error::SectionOutOfBounds;
                // A writable section on any of these pages makes them W+X (this one included,
                // when it is writable itself).
                for (size_t j = 0; j < image.section_count(); j++) {
                        pe::Section w = image.section(j);
                        if (!w.writable() || w.memory_size() == 0)
                                continue;
                        uint64_t ws = page_down(w.virtual_address), we = page_up((uint64_t) w.virtual_address + w.memory_size());
                        if (ws < end && start < we)
                                return Error::WxConflict;
                }
                if (start < cursor) {
                        // Adjacent code sections sharing a page: extend the previous code range.
                        if (p.count == 0 || !p.ranges[p.count - 1].executable)
                                return Error::WxConflict;
                        Range &last = p.ranges[p.count - 1];
                        if (end > cursor)
                                last.size = end - last.offset;
                        cursor = last.offset + last.size;
                        continue;
                }
                if (start > cursor) {
                        if (p.count == Plan::kCapacity)
                                return Error::TooManySections;
                        p.ranges[p.count++] = Range{cursor, start - cursor, false};
                }
                if (p.count == Plan::kCapacity)
                        return Error::TooManySections;
                p.ranges[p.count++] = Range{start, end - start, true};
                cursor = end;
        }
        if (cursor < image_size) {
                if (p.count == Plan::kCapacity)
                        return Error::TooManySections;
                p.ranges[p.count++] = Range{cursor, image_size - cursor, false};
        }
        return p;
}

} // namespace zuki::wx
