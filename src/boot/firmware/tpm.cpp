// SPDX-License-Identifier: LGPL-2.1-or-later

#include "tpm.hpp"

#include "../efi/cc-measurement.hpp"
#include "../efi/tcg2.hpp"
#include "log.hpp"
#include "pages.hpp"

namespace zuki::boot {

namespace {

// Descriptions are short (a section name or a command line); the event is built on the stack up
// to this size and truncated beyond it: the description is informational, the digest is over the
// data, never over the description.
constexpr size_t kMaxEventData = 4096;

efi::Tcg2Protocol *find_tcg2(efi::BootServices *bs) {
        efi::Tcg2Protocol *tcg2 = nullptr;
        if (efi::is_error(bs->LocateProtocol(&efi::Tcg2Protocol::kGuid, nullptr, reinterpret_cast<void **>(&tcg2))) ||
            !tcg2)
                return nullptr;
        efi::Tcg2BootServiceCapability cap = {};
        cap.Size = sizeof(cap);
        if (efi::is_error(tcg2->GetCapability(tcg2, &cap)) || !cap.TPMPresentFlag)
                return nullptr;
        return tcg2;
}

efi::CcMeasurementProtocol *find_cc(efi::BootServices *bs) {
        efi::CcMeasurementProtocol *cc = nullptr;
        if (efi::is_error(bs->LocateProtocol(&efi::CcMeasurementProtocol::kGuid, nullptr,
                                             reinterpret_cast<void **>(&cc))))
                return nullptr;
        return cc;
}

// The UTF-16 description with its NUL, as bytes, written to `out`; returns its size.
size_t write_description(const measure::Event &e, uint8_t *out, size_t capacity) {
        if (!e.raw_description.empty()) {
                size_t n = e.raw_description.size() < capacity ? e.raw_description.size() : capacity;
                __builtin_memcpy(out, e.raw_description.data(), n);
                return n;
        }
        size_t units = 0;
        size_t max_units = capacity / 2;
        auto put = [&](char16_t c) {
                if (units < max_units) {
                        out[2 * units] = (uint8_t) c;
                        out[2 * units + 1] = (uint8_t) (c >> 8);
                }
                units++;
        };
        if (e.ascii_description) {
                for (const char *p = e.ascii_description; *p; p++)
                        put((char16_t) (uint8_t) *p);
        } else {
                for (size_t i = 0; i < e.description.size() && e.description[i]; i++)
                        put(e.description[i]);
        }
        if (units >= max_units)
                units = max_units - 1; // truncate, keep room for the NUL
        out[2 * units] = out[2 * units + 1] = 0;
        return 2 * (units + 1);
}

} // namespace

efi::Status measure_plan(efi::BootServices *bs, const measure::Plan &plan, MeasureResult *result) {
        efi::Tcg2Protocol *tcg2 = find_tcg2(bs);
        efi::CcMeasurementProtocol *cc = find_cc(bs);
        if (!tcg2 && !cc) {
                log_debug("No TPM and no CC measurement protocol, not measuring");
                return efi::kSuccess;
        }

        for (size_t i = 0; i < plan.count; i++) {
                const measure::Event &e = plan.events[i];
                alignas(8) uint8_t buffer[sizeof(efi::Tcg2Event) + sizeof(efi::Tcg2TaggedEvent) + kMaxEventData];
                const bool tagged = e.type == measure::kEvEventTag;
                size_t prefix = sizeof(efi::Tcg2Event) + (tagged ? sizeof(efi::Tcg2TaggedEvent) : 0);
                size_t desc = write_description(e, buffer + prefix, kMaxEventData);

                if (tcg2) {
                        auto *ev = reinterpret_cast<efi::Tcg2Event *>(buffer);
                        ev->Size = (uint32_t) (prefix + desc);
                        ev->Header.HeaderSize = sizeof(efi::Tcg2EventHeader);
                        ev->Header.HeaderVersion = efi::Tcg2Protocol::kEventHeaderVersion;
                        ev->Header.PCRIndex = e.pcr;
                        ev->Header.EventType = e.type;
                        if (tagged) {
                                auto *t = reinterpret_cast<efi::Tcg2TaggedEvent *>(buffer + sizeof(efi::Tcg2Event));
                                t->EventId = e.tag;
                                t->EventSize = (uint32_t) desc;
                        }
                        efi::Status s = tcg2->HashLogExtendEvent(tcg2, 0, (efi::PhysicalAddress) (uintptr_t) e.data.data(),
                                                                 e.data.size(), ev);
                        if (efi::is_error(s)) {
                                result->failed_pcr = e.pcr;
                                return s;
                        }
                        result->any_measured = true;
                        if (e.pcr < 24)
                                result->pcr_measured[e.pcr] = true;
                }

                // The CC protocol takes plain EV_IPL events only (as systemd-stub does).
                if (cc && e.type == measure::kEvIpl) {
                        uint32_t mr = 0;
                        efi::Status s = cc->MapPcrToMrIndex(cc, e.pcr, &mr);
                        if (efi::is_error(s)) {
                                result->failed_pcr = e.pcr;
                                return s;
                        }
                        size_t cc_prefix = sizeof(efi::CcEvent);
                        alignas(8) uint8_t cc_buffer[sizeof(efi::CcEvent) + kMaxEventData];
                        size_t cc_desc = write_description(e, cc_buffer + cc_prefix, kMaxEventData);
                        auto *ev = reinterpret_cast<efi::CcEvent *>(cc_buffer);
                        ev->Size = (uint32_t) (cc_prefix + cc_desc);
                        ev->Header.HeaderSize = sizeof(efi::CcEventHeader);
                        ev->Header.HeaderVersion = efi::CcMeasurementProtocol::kEventHeaderVersion;
                        ev->Header.MrIndex = mr;
                        ev->Header.EventType = e.type;
                        s = cc->HashLogExtendEvent(cc, 0, (efi::PhysicalAddress) (uintptr_t) e.data.data(), e.data.size(), ev);
                        if (efi::is_error(s)) {
                                result->failed_pcr = e.pcr;
                                return s;
                        }
                        result->any_measured = true;
                }
        }
        return efi::kSuccess;
}

} // namespace zuki::boot
