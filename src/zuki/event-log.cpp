// SPDX-License-Identifier: LGPL-2.1-or-later

#include "event-log.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "crypto.hpp"
#include "failure.hpp"
#include "measure.hpp"
#include "tcg-log.hpp"

namespace zuki {

namespace {

// TCG PC Client PFP 10.4.1: events that extend nothing.
constexpr uint32_t kEvNoAction = 0x00000003;
// PFP 10.4.5.3: the EV_NO_ACTION event that sets PCR 0's starting value to the locality.
constexpr char kStartupLocality[] = "StartupLocality"; // with its NUL: 16 bytes
// A real log has a few hundred events; this many means the file is not one.
constexpr size_t kMaxEvents = 1 << 16;
// TCG_PCClientTaggedEvent: taggedEventID (u32), taggedEventDataSize (u32), data.
constexpr size_t kTaggedHeader = 8;

Buffer copy(Bytes b) { return Buffer(b.begin(), b.end()); }

// The digest size the TCG Algorithm Registry fixes for `alg`, 0 for algorithms zuki does not
// know (those are carried with the size the Spec ID event states).
size_t registry_size(uint16_t alg) {
        switch (alg) {
        case tcg::kAlgSha1: return 20;
        case tcg::kAlgSha256: return 32;
        case tcg::kAlgSha384: return 48;
        case tcg::kAlgSha512: return 64;
        default: return 0;
        }
}

} // namespace

EventLog parse_event_log(Bytes log, const std::string &what) {
        Result<tcg::DigestSizes> sizes = tcg::spec_id_digests(log);
        if (!sizes)
                fail(what + " is not a crypto-agile TPM event log (no valid Spec ID event)", sizes.error());
        for (size_t i = 0; i < sizes->count; i++)
                if (size_t fixed = registry_size(sizes->algorithm[i]); fixed && sizes->size[i] != fixed)
                        fail(what + ": the Spec ID event gives algorithm " + std::to_string(sizes->algorithm[i]) + " " +
                             std::to_string(sizes->size[i]) + "-byte digests, not " + std::to_string(fixed));
        EventLog out;
        size_t pos = tcg::legacy_event_size(log).value();
        while (pos < log.size()) {
                if (out.events.size() == kMaxEvents)
                        fail(what + " has more than " + std::to_string(kMaxEvents) + " events");
                Result<tcg::Event2> e = tcg::parse_event2(Bytes(log.data() + pos, log.size() - pos), *sizes);
                if (!e)
                        fail(what + ": event " + std::to_string(out.events.size() + 1) + " at offset " + std::to_string(pos),
                             e.error());
                if (e->pcr >= kPcrCount)
                        fail(what + ": event " + std::to_string(out.events.size() + 1) + " names PCR " + std::to_string(e->pcr));
                LoggedEvent l;
                l.index = out.events.size() + 1;
                l.offset = pos;
                l.pcr = e->pcr;
                l.type = e->type;
                l.sha256 = copy(e->digest_of(tcg::kAlgSha256));
                l.data = copy(e->data);
                if (l.type == kEvNoAction && l.data.size() == sizeof(kStartupLocality) + 1 &&
                    std::memcmp(l.data.data(), kStartupLocality, sizeof(kStartupLocality)) == 0)
                        out.startup_locality = l.data.back();
                out.events.push_back(std::move(l));
                pos += e->size;
        }
        return out;
}

std::array<Buffer, kPcrCount> replay_sha256(const EventLog &log) {
        std::array<Buffer, kPcrCount> pcrs;
        for (size_t i = 0; i < kPcrCount; i++)
                // PCRs 17-22 (DRTM) reset to all ones; the others to zero.
                pcrs[i] = Buffer(32, i >= 17 && i <= 22 ? 0xff : 0);
        pcrs[0][31] = log.startup_locality;
        for (const LoggedEvent &e : log.events) {
                if (e.type == kEvNoAction || e.sha256.empty())
                        continue;
                pcrs[e.pcr] = sha256({bytes_of(pcrs[e.pcr]), bytes_of(e.sha256)});
        }
        return pcrs;
}

std::string event_type_name(uint32_t type) {
        static const std::pair<uint32_t, const char *> kNames[] = {
                {0x00000000, "EV_PREBOOT_CERT"}, {0x00000001, "EV_POST_CODE"}, {0x00000003, "EV_NO_ACTION"},
                {0x00000004, "EV_SEPARATOR"}, {0x00000005, "EV_ACTION"}, {0x00000006, "EV_EVENT_TAG"},
                {0x00000007, "EV_S_CRTM_CONTENTS"}, {0x00000008, "EV_S_CRTM_VERSION"}, {0x00000009, "EV_CPU_MICROCODE"},
                {0x0000000a, "EV_PLATFORM_CONFIG_FLAGS"}, {0x0000000b, "EV_TABLE_OF_DEVICES"},
                {0x0000000c, "EV_COMPACT_HASH"}, {0x0000000d, "EV_IPL"}, {0x0000000e, "EV_IPL_PARTITION_DATA"},
                {0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG"}, {0x80000002, "EV_EFI_VARIABLE_BOOT"},
                {0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION"}, {0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER"},
                {0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER"}, {0x80000006, "EV_EFI_GPT_EVENT"},
                {0x80000007, "EV_EFI_ACTION"}, {0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
                {0x80000009, "EV_EFI_HANDOFF_TABLES"}, {0x800000e0, "EV_EFI_VARIABLE_AUTHORITY"},
        };
        for (const auto &[value, name] : kNames)
                if (value == type)
                        return name;
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%08x", type);
        return hex;
}

std::vector<StubEvent> stub_events(const EventLog &log, std::initializer_list<uint32_t> pcrs) {
        // A boot loader's measurements of the options it passes are not the stub's: systemd-boot
        // < 255 logs them into PCR 12 (EV_IPL) between LoadImage and StartImage of the UKI, and
        // the stub logs them again after its sections. The stub's first event in PCRs 11/12 is
        // a section (PCR 11) or its profile tag (PCR 12, EV_EVENT_TAG): PCR 12 EV_IPL events
        // before its first PCR 11 event are left out.
        size_t first_section = log.events.size();
        for (size_t i = 0; i < log.events.size(); i++)
                if (log.events[i].pcr == measure::kPcrKernelBoot && log.events[i].type != kEvNoAction) {
                        first_section = i;
                        break;
                }
        std::vector<StubEvent> out;
        for (size_t i = 0; i < log.events.size(); i++) {
                const LoggedEvent &e = log.events[i];
                if (std::find(pcrs.begin(), pcrs.end(), e.pcr) == pcrs.end() || e.type == kEvNoAction)
                        continue;
                if (i < first_section && e.pcr == measure::kPcrKernelConfig && e.type == measure::kEvIpl)
                        continue;
                StubEvent s;
                s.pcr = e.pcr;
                s.type = e.type;
                s.sha256 = e.sha256;
                s.log_index = e.index;
                Bytes text = bytes_of(e.data);
                if (e.type == measure::kEvEventTag && text.size() >= kTaggedHeader &&
                    load_le32(text.data() + 4) == text.size() - kTaggedHeader)
                        text = Bytes(text.data() + kTaggedHeader, text.size() - kTaggedHeader);
                std::optional<std::string> d = utf16_to_utf8(text);
                s.description = d ? *d : "(" + std::to_string(e.data.size()) + " bytes of event data)";
                out.push_back(std::move(s));
        }
        return out;
}

std::optional<EventMismatch> first_mismatch(const std::vector<StubEvent> &expected, const std::vector<StubEvent> &found) {
        auto of_pcr = [](const std::vector<StubEvent> &all, uint32_t pcr) {
                std::vector<const StubEvent *> v;
                for (const StubEvent &e : all)
                        if (e.pcr == pcr)
                                v.push_back(&e);
                return v;
        };
        for (uint32_t pcr = 0; pcr < kPcrCount; pcr++) {
                std::vector<const StubEvent *> want = of_pcr(expected, pcr), got = of_pcr(found, pcr);
                for (size_t i = 0; i < std::max(want.size(), got.size()); i++) {
                        const StubEvent *w = i < want.size() ? want[i] : nullptr;
                        const StubEvent *g = i < got.size() ? got[i] : nullptr;
                        if (w && g && w->type == g->type && w->description == g->description && w->sha256 == g->sha256)
                                continue;
                        EventMismatch m;
                        m.pcr = pcr;
                        m.position = i;
                        if (w)
                                m.expected = *w;
                        if (g)
                                m.found = *g;
                        return m;
                }
        }
        return std::nullopt;
}

std::optional<std::string> utf16_to_utf8(Bytes b) {
        if (b.size() % 2)
                return std::nullopt;
        std::string out;
        for (size_t i = 0; i < b.size(); i += 2) {
                uint32_t c = b[i] | (b[i + 1] << 8);
                if (c == 0) {
                        if (i + 2 != b.size())
                                return std::nullopt;
                        break;
                }
                if (c >= 0xd800 && c < 0xdc00) {
                        if (i + 4 > b.size())
                                return std::nullopt;
                        uint32_t lo = b[i + 2] | (b[i + 3] << 8);
                        if (lo < 0xdc00 || lo >= 0xe000)
                                return std::nullopt;
                        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                        i += 2;
                } else if (c >= 0xdc00 && c < 0xe000) {
                        return std::nullopt;
                }
                if (c < 0x80) {
                        out += (char) c;
                } else if (c < 0x800) {
                        out += (char) (0xc0 | (c >> 6));
                        out += (char) (0x80 | (c & 0x3f));
                } else if (c < 0x10000) {
                        out += (char) (0xe0 | (c >> 12));
                        out += (char) (0x80 | ((c >> 6) & 0x3f));
                        out += (char) (0x80 | (c & 0x3f));
                } else {
                        out += (char) (0xf0 | (c >> 18));
                        out += (char) (0x80 | ((c >> 12) & 0x3f));
                        out += (char) (0x80 | ((c >> 6) & 0x3f));
                        out += (char) (0x80 | (c & 0x3f));
                }
        }
        return out;
}

} // namespace zuki
