// SPDX-License-Identifier: LGPL-2.1-or-later

#include "tpm.hpp"

#include "../../shared/tcg-log.hpp"

#include "../efi/cc-measurement.hpp"
#include "../efi/tcg2.hpp"
#include "../timings.hpp"
#include "log.hpp"
#include "pages.hpp"

namespace zuki::boot {

namespace {

// Descriptions are short (a section name or a command line); the event is built on the stack up
// to this size and truncated beyond it: the description is informational, the digest is over the
// data, never over the description.
constexpr size_t kMaxEventData = 4096;

// Set when an extend failed: measuring stops for the rest of this boot.
constinit bool g_measuring_failed = false;

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

// Every event of `plan` through the protocols present; stops at the first failure.
efi::Status measure_events(efi::Tcg2Protocol *tcg2, efi::CcMeasurementProtocol *cc, const measure::Plan &plan,
                           MeasureResult *result) {
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
                        result->claimed[(size_t) e.claim] = true;
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
                        result->claimed[(size_t) e.claim] = true;
                }
        }
        return efi::kSuccess;
}

} // namespace

bool confidential_vm(efi::BootServices *bs) { return find_cc(bs) != nullptr; }

bool tpm_active_pcr_banks(efi::BootServices *bs, uint32_t *banks) {
        efi::Tcg2Protocol *tcg2 = find_tcg2(bs);
        if (!tcg2)
                return false;
        efi::Tcg2BootServiceCapability cap = {};
        cap.Size = sizeof(cap);
        if (efi::is_error(tcg2->GetCapability(tcg2, &cap)))
                return false;
        *banks = cap.ActivePcrBanks;
        return true;
}

efi::Status measure_plan(efi::BootServices *bs, const measure::Plan &plan, MeasureResult *result) {
        PhaseTimer timer(Phase::Measure);
        *result = MeasureResult();
        if (g_measuring_failed) {
                log_debug("Not measuring: the TPM failed earlier in this boot");
                return efi::kAborted;
        }
        efi::Tcg2Protocol *tcg2 = find_tcg2(bs);
        efi::CcMeasurementProtocol *cc = find_cc(bs);
        if (!tcg2 && !cc) {
                log_debug("No TPM and no CC measurement protocol, not measuring");
                return efi::kSuccess;
        }
        efi::Status s = measure_events(tcg2, cc, plan, result);
        if (!efi::is_error(s))
                add_measured_events((uint32_t) plan.count);
        if (efi::is_error(s)) {
                // Some PCRs got part of their events: none of them may be reported as measured.
                uint32_t failed_pcr = result->failed_pcr;
                *result = MeasureResult();
                result->failed_pcr = failed_pcr;
                g_measuring_failed = true;
                log_warning("Measuring into PCR {} failed ({}); booting on with incomplete measurements, without the TPM",
                            failed_pcr, s);
        }
        return s;
}

void install_event_log_for_linux(efi::SystemTable *st, ConfigTable *table) {
        efi::BootServices *bs = st->BootServices;
        efi::Tcg2Protocol *tcg2 = find_tcg2(bs);
        if (!tcg2)
                return;
        uint32_t format = efi::kTcg2EventLogFormatTcg2;
        efi::PhysicalAddress first = 0, last = 0;
        uint8_t truncated = 0;
        efi::Status s = tcg2->GetEventLog(tcg2, format, &first, &last, &truncated);
        if (efi::is_error(s) || !first) {
                format = efi::kTcg2EventLogFormatTcg12;
                s = tcg2->GetEventLog(tcg2, format, &first, &last, &truncated);
        }
        if (efi::is_error(s) || !first || last < first) {
                log_debug("No TPM event log to hand to the kernel");
                return;
        }

        // The log runs from its first to the end of its last event; the firmware bounds neither,
        // so the sizes are taken from the events themselves, with a generous cap.
        constexpr uint64_t kMaxLog = 64u << 20;
        if (last - first > kMaxLog) {
                log_warning("TPM event log is implausibly large, not handing it to the kernel");
                return;
        }
        Bytes head(reinterpret_cast<const uint8_t *>(first), (size_t) (last - first) + kMaxLog);
        Bytes tail(reinterpret_cast<const uint8_t *>(last), kMaxLog);
        tcg::DigestSizes digests;
        Result<size_t> last_size = Error::BadTcgLog;
        if (format == efi::kTcg2EventLogFormatTcg2) {
                Result<tcg::DigestSizes> d = tcg::spec_id_digests(head);
                if (d) {
                        digests = *d;
                        last_size = last == first ? tcg::legacy_event_size(tail) : tcg::event2_size(tail, digests);
                }
        } else {
                last_size = tcg::legacy_event_size(tail);
        }
        if (!last_size) {
                log_warning("TPM event log does not parse ({}), not handing it to the kernel", last_size.error());
                return;
        }
        uint64_t log_size = (last - first) + *last_size;

        // Events already in the final events table are in the copy too; the kernel skips them.
        uint64_t preboot = 0;
        if (format == efi::kTcg2EventLogFormatTcg2) {
                for (uintptr_t i = 0; i < st->NumberOfTableEntries; i++) {
                        if (!(st->ConfigurationTable[i].VendorGuid == efi::kTcg2FinalEventsTableGuid))
                                continue;
                        const uint8_t *t = static_cast<const uint8_t *>(st->ConfigurationTable[i].VendorTable);
                        uint64_t n = load_le64(t + 8);
                        Result<size_t> size = tcg::events2_size(Bytes(t + 16, kMaxLog), n, digests);
                        if (size)
                                preboot = *size;
                }
        }

        // struct linux_efi_tpm_eventlog: le32 size, le32 final_events_preboot_size, u8 version, log.
        constexpr size_t kHeader = 9;
        if (efi::is_error(table->allocate(kHeader + log_size))) {
                log_warning("Cannot allocate {} bytes for the TPM event log copy", log_size);
                return;
        }
        uint8_t *p = table->data();
        store_le32(p, (uint32_t) log_size);
        store_le32(p + 4, (uint32_t) preboot);
        p[8] = (uint8_t) format;
        __builtin_memcpy(p + kHeader, reinterpret_cast<const void *>(first), log_size);
        if (efi::is_error(table->install(st, efi::kLinuxTpmEventLogGuid))) {
                table->reset();
                log_warning("Cannot install the TPM event log table for the kernel");
                return;
        }
        log_debug("TPM event log ({} bytes, format {}) handed to the kernel", log_size, (uint64_t) format);
}

} // namespace zuki::boot
