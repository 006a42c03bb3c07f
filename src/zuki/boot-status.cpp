// SPDX-License-Identifier: LGPL-2.1-or-later

#include "boot-status.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <openssl/evp.h>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "check-unlock.hpp"
#include "crypto.hpp"
#include "event-log.hpp"
#include "expected-events.hpp"
#include "extract.hpp"
#include "failure.hpp"
#include "file-io.hpp"
#include "keys.hpp"
#include "pcr-policy.hpp"
#include "pcr-predict.hpp"
#include "text.hpp"
#include "volumes.hpp"

namespace zuki {

namespace {

using json = nlohmann::ordered_json;

constexpr const char *kLoaderGuid = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";
constexpr const char *kGlobalGuid = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
constexpr const char *kEfivars = "sys/firmware/efi/efivars";
constexpr const char *kPcr11 = "sys/class/tpm/tpm0/pcr-sha256/11";
// Where systemd-stub (and the zuki stub) hand the signed policy and its key to userspace: the
// initrd's /.extra, and the copies systemd keeps in /run after the switch to the real root.
constexpr const char *kSignatureFiles[] = {".extra/tpm2-pcr-signature.json", "run/systemd/tpm2-pcr-signature.json"};
constexpr const char *kPublicKeyFiles[] = {".extra/tpm2-pcr-public-key.pem", "run/systemd/tpm2-pcr-public-key.pem"};
// systemd-pcrphase's words, in boot order.
constexpr const char *kPhases[] = {"enter-initrd", "leave-initrd", "sysinit", "ready"};
// StubFeatures bits (https://systemd.io/BOOT_LOADER_INTERFACE/).
constexpr const char *kStubFeatures[] = {
        "report-boot-partition", "pick-up-credentials", "pick-up-sysexts", "three-pcrs",
        "random-seed", "cmdline-addons", "cmdline-smbios", "devicetree-addons",
        "pick-up-confexts", "multi-profile-uki", "report-stub-partition", "report-url",
        "measure-smbios",
};
constexpr uint32_t kKernelPcr = 11;
constexpr uint64_t kMaxSmallFile = 1 << 20;

std::string join(const std::string &root, const std::string &rel) {
        if (root.empty() || root == "/")
                return "/" + rel;
        return root.back() == '/' ? root + rel : root + "/" + rel;
}

bool is_file(const std::string &path) {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Reads to end of file: sysfs files claim 4096 bytes whatever they hold, so the size from stat
// cannot be trusted here. Unreadable (permissions, no such file) is reported as unknown.
std::optional<Buffer> read_optional(const std::string &path, uint64_t limit = kMaxSmallFile) {
        if (!is_file(path))
                return std::nullopt;
        std::ifstream in(path, std::ios::binary);
        if (!in)
                return std::nullopt;
        Buffer data;
        char chunk[4096];
        while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
                data.insert(data.end(), chunk, chunk + in.gcount());
                if (data.size() > limit)
                        return std::nullopt;
        }
        if (in.bad())
                return std::nullopt;
        return data;
}

// An efivarfs file: 4 bytes of attributes, then the data.
std::optional<Buffer> efi_variable(const std::string &root, const std::string &name, const char *guid) {
        std::optional<Buffer> raw = read_optional(join(root, std::string(kEfivars) + "/" + name + "-" + guid));
        if (!raw || raw->size() < 4)
                return std::nullopt;
        return Buffer(raw->begin() + 4, raw->end());
}

json string_variable(const std::string &root, const char *name, const char *guid = kLoaderGuid) {
        std::optional<Buffer> v = efi_variable(root, name, guid);
        if (!v)
                return nullptr;
        std::optional<std::string> s = utf16_to_utf8(bytes_of(*v));
        return s ? json(*s) : json(to_hex(bytes_of(*v)));
}

// A zuki variable of "key=value" words as an object; numeric values as numbers when `numbers`.
// null when the variable is absent.
json word_variable(const std::string &root, const char *name, bool numbers) {
        json raw = string_variable(root, name);
        if (!raw.is_string())
                return nullptr;
        json out = json::object();
        std::istringstream words(raw.get<std::string>());
        std::string w;
        while (words >> w) {
                size_t eq = w.find('=');
                if (eq == std::string::npos)
                        continue;
                std::string key = w.substr(0, eq), value = w.substr(eq + 1);
                if (numbers && !value.empty() && value.find_first_not_of("0123456789") == std::string::npos)
                        out[key] = std::stoull(value);
                else
                        out[key] = value;
        }
        return out;
}

Bytes text_bytes(const std::string &s) { return Bytes(reinterpret_cast<const uint8_t *>(s.data()), s.size()); }

// TPM2_PolicyPCR's digest for PCR 11 alone in the SHA-256 bank (the policy code's encoding).
Buffer policy_pcr11(const Buffer &pcr_value) {
        return policy::policy_pcr_digest("sha256", uint32_t(1) << kKernelPcr, bytes_of(pcr_value));
}

std::optional<Buffer> hex_value(const std::string &text) {
        std::string s;
        for (char c : text)
                if (!std::isspace((unsigned char) c))
                        s += c;
        try {
                return policy::from_hex(s, "PCR 11");
        } catch (const Failure &) {
                return std::nullopt;
        }
}

Pkey policy_key(const std::optional<Buffer> &pem, const std::string &path) {
        if (!pem)
                fail(path + " cannot be read");
        return parse_public_key(bytes_of(*pem), path);
}

// The first of `candidates` (relative to root) that is a regular file, or "".
template <typename List>
std::string first_file(const std::string &root, const List &candidates) {
        for (const char *p : candidates)
                if (is_file(join(root, p)))
                        return join(root, p);
        return "";
}

json pcr_report(const std::string &root, json *warning_detail) {
        json r;
        std::optional<Buffer> now;
        if (std::optional<Buffer> text = read_optional(join(root, kPcr11))) {
                now = hex_value(std::string(text->begin(), text->end()));
                if (now && now->size() != 32)
                        now.reset();
        }
        r["now"] = now ? json(to_hex(bytes_of(*now))) : json(nullptr);

        std::string sig_path = first_file(root, kSignatureFiles);
        r["signature_file"] = sig_path.empty() ? json(nullptr) : json(sig_path);
        std::string key_path = first_file(root, kPublicKeyFiles);
        r["public_key_file"] = key_path.empty() ? json(nullptr) : json(key_path);
        r["signed_policies"] = 0;
        r["match"] = nullptr;
        r["signature_valid"] = nullptr;
        r["unlock"] = "unknown";
        if (sig_path.empty()) {
                r["reason"] = "no signed PCR policy (the UKI has no .pcrsig)";
                return r;
        }
        if (!now) {
                r["reason"] = "PCR 11 cannot be read (no TPM)";
                return r;
        }

        // The signed entries for PCR 11 alone in the SHA-256 bank.
        std::vector<policy::SignatureEntry> entries;
        try {
                std::optional<Buffer> raw = read_optional(sig_path);
                for (policy::SignatureEntry &e : policy::parse_signature_json(raw ? bytes_of(*raw) : Bytes(), sig_path))
                        if (e.bank == "sha256" && e.pcr_mask == (uint32_t(1) << kKernelPcr))
                                entries.push_back(std::move(e));
        } catch (const Failure &f) {
                r["unlock"] = "would-fail";
                r["reason"] = f.what();
                *warning_detail = r["reason"];
                return r;
        }
        r["signed_policies"] = entries.size();

        // Now, then after each boot phase still to come.
        std::string path;
        Buffer value = *now;
        const policy::SignatureEntry *matched = nullptr;
        for (size_t step = 0; step <= std::size(kPhases) && !matched; step++) {
                if (step > 0) {
                        path += (step > 1 ? ":" : "");
                        path += kPhases[step - 1];
                        value = sha256({bytes_of(value), bytes_of(sha256({text_bytes(kPhases[step - 1])}))});
                }
                Buffer pol = policy_pcr11(value);
                for (const policy::SignatureEntry &e : entries)
                        if (e.pol == pol) {
                                matched = &e;
                                break;
                        }
                if (matched)
                        r["match"] = step == 0 ? std::string("now") : "after " + path;
        }
        if (!matched) {
                r["unlock"] = "would-fail";
                r["reason"] = "PCR 11 matches none of the " + std::to_string(entries.size()) +
                              " signed policies, now or after the boot phases still to come";
                *warning_detail = r["reason"];
                return r;
        }

        // The signature itself, with the public key the UKI carried (.pcrpkey).
        if (!key_path.empty()) {
                std::optional<Buffer> pem = read_optional(key_path);
                try {
                        Pkey key = policy_key(pem, key_path);
                        bool ok = key_fingerprint(key.get()) == matched->pkfp &&
                                  policy::verify_for_policy_authorize(key.get(), bytes_of(matched->pol), bytes_of(matched->sig),
                                                                      matched->ref);
                        r["signature_valid"] = ok;
                        if (!ok) {
                                r["unlock"] = "would-fail";
                                r["reason"] = "the matching policy's signature or key fingerprint does not verify with " + key_path;
                                *warning_detail = r["reason"];
                                return r;
                        }
                } catch (const Failure &) {
                        // An unreadable key: the signature stays unchecked (null).
                }
        }
        r["unlock"] = "ok";
        return r;
}


// The firmware's event log as Linux exports it, and the PCRs the comparison reads live. PCR 10
// (IMA) and 15-23 (systemd userspace, DRTM) are extended after the firmware log ends.
constexpr const char *kEventLog = "sys/kernel/security/tpm0/binary_bios_measurements";
constexpr const char *kLivePcrDir = "sys/class/tpm/tpm0/pcr-sha256/";
constexpr uint32_t kComparedPcrs[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14};
constexpr uint64_t kMaxEventLog = 16 << 20;
// Where an ESP or XBOOTLDR partition is mounted (the Boot Loader Specification's places), to
// find the booted UKI by the path the stub reported (StubImageIdentifier).
constexpr const char *kEspMounts[] = {"efi", "boot", "boot/efi"};
constexpr const char *kCrypttab = "etc/crypttab";
constexpr const char *kCmdline = "proc/cmdline";

std::string text_of(const std::optional<Buffer> &b) { return b ? std::string(b->begin(), b->end()) : std::string(); }

std::optional<Buffer> live_pcr(const std::string &root, uint32_t pcr) {
        std::optional<Buffer> text = read_optional(join(root, kLivePcrDir + std::to_string(pcr)));
        if (!text)
                return std::nullopt;
        std::optional<Buffer> v = hex_value(std::string(text->begin(), text->end()));
        return v && v->size() == 32 ? v : std::nullopt;
}

struct BootedUki {
        std::string path;
        Buffer bytes;
        uint32_t profile = 0;
};

// A file name without its boot counter: "x+1-2.efi" and "x+3.efi" become "x.efi" (Boot Loader
// Specification: "+LEFT[-DONE]" before the suffix). Other names are returned as they are.
std::string without_boot_counter(const std::string &name) {
        size_t dot = name.rfind('.');
        size_t plus = name.rfind('+', dot);
        if (dot == std::string::npos || plus == std::string::npos)
                return name;
        std::string counter = name.substr(plus + 1, dot - plus - 1);
        size_t dash = counter.find('-');
        auto digits = [](const std::string &t) { return !t.empty() && std::all_of(t.begin(), t.end(), ::isdigit); };
        if (!(dash == std::string::npos ? digits(counter) : digits(counter.substr(0, dash)) && digits(counter.substr(dash + 1))))
                return name;
        return name.substr(0, plus) + name.substr(dot);
}

// The UKI that booted: `explicit_path`, or the stub's StubImageIdentifier (an ESP path such as
// \EFI\Linux\x.efi) below one of the ESP mount points. With boot counting the file has usually
// been renamed since: systemd-bless-boot drops the counter ("x+1-1.efi" becomes "x.efi") once the
// boot is good, or marks it bad ("x+0-2.efi"); a file in the same directory with the same name
// but for the counter is then taken. Not finding it is not an error.
std::optional<BootedUki> find_booted_uki(const std::string &root, const std::string &explicit_path, const json &stub,
                                         std::string *why_not) {
        std::vector<std::string> candidates;
        if (!explicit_path.empty()) {
                candidates.push_back(explicit_path);
        } else if (stub["image_identifier"].is_string()) {
                std::string id = stub["image_identifier"].get<std::string>();
                for (char &c : id)
                        if (c == '\\')
                                c = '/';
                while (!id.empty() && id.front() == '/')
                        id.erase(id.begin());
                for (const char *mount : kEspMounts)
                        candidates.push_back(join(root, std::string(mount) + "/" + id));
        } else {
                *why_not = "the stub did not report its image path (StubImageIdentifier)";
                return std::nullopt;
        }
        BootedUki u;
        if (stub["profile"].is_string()) {
                const std::string &p = stub["profile"].get_ref<const std::string &>();
                if (!p.empty() && p.size() < 4 && std::all_of(p.begin(), p.end(), ::isdigit))
                        u.profile = (uint32_t) std::stoul(p);
        }
        // The same names with another boot counter, or none.
        if (explicit_path.empty()) {
                std::vector<std::string> renamed;
                for (const std::string &c : candidates) {
                        std::filesystem::path p(c);
                        std::string base = without_boot_counter(p.filename().string());
                        std::error_code ec;
                        std::vector<std::string> found;
                        for (const auto &e : std::filesystem::directory_iterator(p.parent_path(), ec)) {
                                std::string name = e.path().filename().string();
                                if (name != p.filename().string() && without_boot_counter(name) == base)
                                        found.push_back(e.path().string());
                        }
                        std::sort(found.begin(), found.end());
                        renamed.insert(renamed.end(), found.begin(), found.end());
                }
                candidates.insert(candidates.end(), renamed.begin(), renamed.end());
        }
        for (const std::string &c : candidates) {
                if (!is_file(c))
                        continue;
                try {
                        u.bytes = read_file(c);
                } catch (const Failure &f) {
                        *why_not = f.what();
                        return std::nullopt;
                }
                u.path = c;
                return u;
        }
        *why_not = "the booted UKI is not at " + candidates.front() + (candidates.size() > 1 ? " or the other ESP mount points" : "") +
                   (explicit_path.empty() ? " (nor under another boot counter)" : "");
        return std::nullopt;
}

json event_json(const StubEvent &e) {
        json j;
        j["type"] = event_type_name(e.type);
        j["description"] = e.description;
        j["digest"] = to_hex(bytes_of(e.sha256));
        return j;
}

// "12.3 ms: measure 4.1 ms (7 events), decompress 6.0 ms, ..." when the counter's frequency is
// known, else the same in cycles with each phase's share of the total.
std::string timings_text(const json &t) {
        auto cycles = [&](const char *k) { return t.contains(k) && t[k].is_number() ? t[k].get<uint64_t>() : 0; };
        const uint64_t total = cycles("total"), hz = cycles("hz");
        auto amount = [&](uint64_t c) {
                char buf[64];
                if (hz)
                        std::snprintf(buf, sizeof buf, "%.1f ms", (double) c * 1000.0 / (double) hz);
                else
                        std::snprintf(buf, sizeof buf, "%llu cycles (%.0f%%)", (unsigned long long) c,
                                      total ? 100.0 * (double) c / (double) total : 0.0);
                return std::string(buf);
        };
        std::string text = (hz ? amount(total) : std::to_string(total) + " cycles") + " from entry to the kernel: measure " +
                           amount(cycles("measure")) + " (" + std::to_string(cycles("events")) + " events), decompress " +
                           amount(cycles("decompress")) + ", load " + amount(cycles("load")) + ", initrd " +
                           amount(cycles("initrd"));
        return text;
}

// One line naming the first differing event: PCR, position, type, description, both digests.
std::string mismatch_text(const json &m) {
        std::string s = "PCR " + std::to_string(m["pcr"].get<uint32_t>()) + " event " + std::to_string(m["position"].get<size_t>() + 1);
        if (!m["log_index"].is_null())
                s += " (log event " + std::to_string(m["log_index"].get<size_t>()) + ")";
        const json &e = m["expected"], &f = m["found"];
        const json &any = e.is_null() ? f : e;
        s += " " + any["type"].get<std::string>() + " \"" + any["description"].get<std::string>() + "\"";
        if (!e.is_null() && !f.is_null() && (e["type"] != f["type"] || e["description"] != f["description"]))
                s += ", logged as " + f["type"].get<std::string>() + " \"" + f["description"].get<std::string>() + "\"";
        s += ": expected " + (e.is_null() ? std::string("no event") : e["digest"].get<std::string>()) + ", found " +
             (f.is_null() ? std::string("no event") : f["digest"].get<std::string>());
        return s;
}

// (a) the log replayed against the live PCRs; (b) the stub's events against the prediction for
// the booted UKI. Fills `*pcr11_after_stub` with the replayed PCR 11 when the log parses.
json event_log_report(const std::string &root, const std::optional<BootedUki> &uki, const std::string &uki_why_not,
                      std::optional<Buffer> *pcr11_after_stub) {
        json r;
        std::string path = join(root, kEventLog);
        r["file"] = nullptr;
        r["error"] = nullptr;
        r["consistent"] = nullptr;
        r["pcrs"] = json::array();
        r["stub_events"] = nullptr;
        r["expected_from"] = nullptr;
        r["comparison"] = nullptr;
        r["first_mismatch"] = nullptr;
        // securityfs reports a size of 0: read_optional reads to the end.
        std::optional<Buffer> raw = read_optional(path, kMaxEventLog);
        if (!raw) {
                r["comparison"] = "no event log";
                return r;
        }
        r["file"] = path;
        EventLog log;
        try {
                log = parse_event_log(bytes_of(*raw), path);
        } catch (const Failure &f) {
                r["error"] = f.what();
                r["comparison"] = "the event log does not parse";
                return r;
        }
        r["events"] = log.events.size();

        // (a) Replay against the live PCRs; PCR 11 may have moved on by the boot phases since.
        std::array<Buffer, kPcrCount> replayed = replay_sha256(log);
        *pcr11_after_stub = replayed[measure::kPcrKernelBoot];
        bool all = true, any = false;
        for (uint32_t pcr : kComparedPcrs) {
                std::optional<Buffer> now = live_pcr(root, pcr);
                if (!now)
                        continue;
                any = true;
                json p;
                p["pcr"] = pcr;
                p["replayed"] = to_hex(bytes_of(replayed[pcr]));
                p["live"] = to_hex(bytes_of(*now));
                p["after_phases"] = nullptr;
                bool same = *now == replayed[pcr];
                if (!same && pcr == measure::kPcrKernelBoot)
                        for (const std::string &phase : default_phase_paths())
                                if (extend_phase_words("sha256", replayed[pcr], phase_words(phase)) == *now) {
                                        same = true;
                                        p["after_phases"] = phase;
                                        break;
                                }
                p["consistent"] = same;
                all &= same;
                r["pcrs"].push_back(p);
        }
        r["consistent"] = any ? json(all) : json(nullptr);

        // (b) The stub's events against the measurement plan for the booted UKI.
        std::vector<StubEvent> found = stub_events(log, {measure::kPcrKernelBoot, measure::kPcrKernelConfig});
        r["stub_events"] = found.size();
        if (!uki) {
                r["comparison"] = "not compared: " + uki_why_not;
                return r;
        }
        r["expected_from"] = uki->path;
        // The command line the stub measured (an override of .cmdline) is the description it
        // logged with it; the prediction hashes that text as the stub does.
        std::optional<std::u16string> cmdline;
        for (const StubEvent &e : found)
                if (e.pcr == measure::kPcrKernelConfig && e.type == measure::kEvIpl) {
                        std::u16string u(e.description.size() + 1, 0);
                        size_t n = text::utf8_to_utf16(text_bytes(e.description), Span<char16_t>(u.data(), u.size()));
                        u.resize(std::min(n, e.description.size()));
                        u.push_back(0);
                        cmdline = u;
                }
        std::vector<StubEvent> expected;
        try {
                expected = expected_events(bytes_of(uki->bytes), uki->profile, cmdline, uki->path);
        } catch (const Failure &f) {
                r["comparison"] = std::string("not compared: ") + f.what();
                return r;
        }
        r["expected_events"] = expected.size();
        std::optional<EventMismatch> m = first_mismatch(expected, found);
        r["comparison"] = m ? "mismatch" : "match";
        if (m) {
                json j;
                j["pcr"] = m->pcr;
                j["position"] = m->position;
                j["log_index"] = m->found ? json(m->found->log_index) : json(nullptr);
                j["expected"] = m->expected ? event_json(*m->expected) : json(nullptr);
                j["found"] = m->found ? event_json(*m->found) : json(nullptr);
                r["first_mismatch"] = j;
        }
        return r;
}

// "ok", "would-fail", "unknown" or "no-signed-policy" for one volume's best answer.
const char *volume_state(UnlockAnswer a) {
        if (a == UnlockAnswer::Unlocks || a == UnlockAnswer::UnlocksWithPin)
                return "ok";
        if (a == UnlockAnswer::CannotTell)
                return "unknown";
        if (a == UnlockAnswer::NoToken)
                return "no-signed-policy";
        return "would-fail";
}

// The policy the next unlock is judged against: the booted UKI's own, else what the stub handed
// to userspace (.pcrsig, .pcrpkey) with PCR 11 as the event log says the stub left it.
std::optional<UkiPolicy> policy_for_volumes(const std::string &root, const std::optional<BootedUki> &uki,
                                            const std::optional<Buffer> &pcr11_after_stub, std::string *why_not) {
        if (uki) {
                try {
                        return uki_policy_of(bytes_of(uki->bytes), uki->profile, uki->path);
                } catch (const Failure &f) {
                        *why_not = f.what();
                        return std::nullopt;
                }
        }
        UkiPolicy p;
        p.pcr11_after_stub = pcr11_after_stub;
        if (!pcr11_after_stub)
                p.pcr11_after_stub = Buffer(); // marks "no plan"; judged below as not known
        std::string sig = first_file(root, kSignatureFiles), key = first_file(root, kPublicKeyFiles);
        if (!sig.empty()) {
                p.has_pcrsig = true;
                Buffer file = read_optional(sig).value_or(Buffer());
                Bytes json = policy::pcrsig_json(bytes_of(file));
                p.pcrsig.assign(json.begin(), json.end());
        }
        if (!key.empty()) {
                p.has_pcrpkey = true;
                p.pcrpkey = read_optional(key).value_or(Buffer());
        }
        return p;
}

json volumes_report(const std::string &root, const std::optional<UkiPolicy> &policy, const std::string &policy_why_not) {
        json out = json::array();
        std::string crypttab = text_of(read_optional(join(root, kCrypttab)));
        std::string cmdline = text_of(read_optional(join(root, kCmdline)));
        for (const ConfiguredVolume &v : configured_volumes(root, crypttab, cmdline)) {
                json j;
                j["name"] = v.name;
                j["source"] = v.source;
                j["device"] = v.device;
                j["path"] = v.path;
                j["tokens"] = json::array();
                std::vector<std::pair<int, std::string>> tokens;
                try {
                        tokens = read_tpm2_tokens(v.path);
                } catch (const Failure &f) {
                        // A command-line guess that is not LUKS2 is not a volume of ours.
                        if (v.source == "cmdline" && ::access(v.path.c_str(), F_OK) == 0)
                                continue;
                        j["state"] = "unknown";
                        j["answer"] = nullptr;
                        j["reason"] = f.what();
                        out.push_back(j);
                        continue;
                }
                if (tokens.empty()) {
                        j["state"] = "no-token";
                        j["answer"] = answer_name(UnlockAnswer::NoToken);
                        j["reason"] = "the volume has no systemd-tpm2 token";
                        out.push_back(j);
                        continue;
                }
                if (!policy) {
                        j["state"] = "unknown";
                        j["answer"] = nullptr;
                        j["reason"] = policy_why_not;
                        out.push_back(j);
                        continue;
                }
                try {
                        VolumeVerdict verdict = judge_volume(tokens, *policy, CheckUnlockOptions());
                        j["state"] = volume_state(verdict.answer);
                        j["answer"] = answer_name(verdict.answer);
                        j["reason"] = verdict.reason;
                        j["tokens"] = verdict.tokens;
                } catch (const Failure &f) {
                        j["state"] = "unknown";
                        j["answer"] = nullptr;
                        j["reason"] = f.what();
                }
                out.push_back(j);
        }
        return out;
}

// The running kernel against the booted UKI's .uname. The stub's and the boot loader's variables
// survive a kexec and the TPM's PCRs are not reset, so a kernel other than the one the firmware
// booted was started by kexec (or the UKI file was replaced since). Unknown when either side is.
json kernel_report(const std::string &root, const std::optional<BootedUki> &uki) {
        auto trimmed = [](std::string t) {
                while (!t.empty() && (t.back() == '\n' || t.back() == '\0' || t.back() == ' '))
                        t.pop_back();
                return t;
        };
        json k;
        std::string running = trimmed(text_of(read_optional(join(root, "proc/sys/kernel/osrelease"))));
        k["running"] = running.empty() ? json(nullptr) : json(running);
        json uname = nullptr;
        if (uki) {
                try {
                        for (const ExtractedSection &s : extract_uki_sections(bytes_of(uki->bytes), uki->profile, uki->path))
                                if (s.name == ".uname")
                                        uname = trimmed(std::string(s.data.begin(), s.data.end()));
                } catch (const Failure &) {
                        // not a UKI we can read: the event log report says why
                }
        }
        k["uki_uname"] = uname;
        bool known = !running.empty() && uname.is_string() && !uname.get_ref<const std::string &>().empty();
        bool other_kernel = known && running != uname.get<std::string>();
        k["kexec"] = known ? json(other_kernel) : json(nullptr);
        if (other_kernel)
                k["note"] = "the running kernel " + running + " is not the booted UKI's (" + uname.get<std::string>() +
                            "): started by kexec, the TPM's PCRs still hold the firmware boot's measurements, which "
                            "no signed PCR 11 policy for this kernel matches";
        return k;
}

// The overall answer: any TPM2-token volume that would fail, or a live PCR 11 that matches none
// of the signed policies, means the disk will not unlock by itself. Without such volumes, only
// the UKI's own policy can be judged (today's behaviour), and the report says so.
json unlock_report(const json &volumes, const json &pcr11, const json &event_log, const json &kernel) {
        json u;
        std::string failing, unknown;
        bool any_token_volume = false;
        for (const json &v : volumes) {
                std::string state = v["state"].get<std::string>();
                if (state == "no-token")
                        continue;
                any_token_volume = true;
                std::string text = "volume " + v["name"].get<std::string>() + " (" + v["device"].get<std::string>() + "): " +
                                   v["reason"].get<std::string>();
                if (state == "would-fail" && failing.empty())
                        failing = text;
                else if (state != "would-fail" && state != "ok" && unknown.empty())
                        unknown = text;
        }
        u["basis"] = any_token_volume ? "volumes" : "pcrsig";
        if (!any_token_volume)
                u["note"] = "no configured volume has a systemd-tpm2 token; judged against the UKI's own .pcrsig only";
        // The live PCR 11 matching none of the signed policies fails every signed-policy unlock.
        if (failing.empty() && pcr11["unlock"] == "would-fail")
                failing = pcr11.value("reason", std::string("?"));
        if (!failing.empty()) {
                u["state"] = "would-fail";
                u["reason"] = failing;
        } else if (!any_token_volume) {
                u["state"] = pcr11["unlock"];
                u["reason"] = pcr11.contains("reason") ? pcr11["reason"] : json(nullptr);
        } else if (!unknown.empty()) {
                u["state"] = "unknown";
                u["reason"] = unknown;
        } else {
                u["state"] = "ok";
                u["reason"] = nullptr;
        }
        // A kexec'd kernel: the volumes were judged against the UKI the firmware booted, whose
        // signed policy needs PCR 11 as a fresh boot of it leaves it; the TPM's PCR 11 carries that
        // boot's phases and whatever followed, and no stub handed this kernel a .pcrsig. Seen in
        // test/lifecycle: systemd-cryptsetup "Failed to load PCR signature", then the passphrase.
        if (kernel.contains("note") && u["state"] != "would-fail") {
                u["state"] = "would-fail";
                u["reason"] = kernel["note"];
        }
        u["first_mismatch"] = u["state"] == "would-fail" ? event_log["first_mismatch"] : json(nullptr);
        return u;
}

} // namespace

json boot_status(const StatusOptions &options) {
        const std::string &root = options.root;
        json report;
        report["root"] = root;
        report["efi"] = is_file(join(root, "sys/firmware/efi/systab")) ||
                        ::access(join(root, "sys/firmware/efi").c_str(), F_OK) == 0;
        std::optional<Buffer> sb = efi_variable(root, "SecureBoot", kGlobalGuid);
        report["secure_boot"] = sb && sb->size() == 1 ? json((*sb)[0] == 1) : json(nullptr);

        json stub;
        stub["info"] = string_variable(root, "StubInfo");
        json features = nullptr;
        if (std::optional<Buffer> f = efi_variable(root, "StubFeatures", kLoaderGuid); f && f->size() == 8) {
                uint64_t bits = 0;
                for (int i = 7; i >= 0; i--)
                        bits = bits << 8 | (*f)[i];
                features = json::array();
                for (size_t i = 0; i < 64; i++)
                        if (bits >> i & 1)
                                features.push_back(i < std::size(kStubFeatures) ? json(kStubFeatures[i]) : json("bit" + std::to_string(i)));
        }
        stub["features"] = features;
        stub["profile"] = string_variable(root, "StubProfile");
        stub["image_identifier"] = string_variable(root, "StubImageIdentifier");
        stub["device_part_uuid"] = string_variable(root, "StubDevicePartUUID");
        stub["pcr_kernel_image"] = string_variable(root, "StubPcrKernelImage");
        stub["pcr_kernel_parameters"] = string_variable(root, "StubPcrKernelParameters");
        report["stub"] = stub;

        // "kaslr=K wx=W" and "total=T measure=M ..." (cycles) from the zuki stub.
        report["placement"] = word_variable(root, "StubZukiPlacement", false);
        report["timings"] = word_variable(root, "StubZukiTimings", true);

        json loader;
        loader["info"] = string_variable(root, "LoaderInfo");
        loader["entry_selected"] = string_variable(root, "LoaderEntrySelected");
        loader["entry_default"] = string_variable(root, "LoaderEntryDefault");
        loader["image_identifier"] = string_variable(root, "LoaderImageIdentifier");
        loader["device_part_uuid"] = string_variable(root, "LoaderDevicePartUUID");
        loader["firmware_info"] = string_variable(root, "LoaderFirmwareInfo");
        loader["firmware_type"] = string_variable(root, "LoaderFirmwareType");
        report["loader"] = loader;

        json detail;
        report["pcr11"] = pcr_report(root, &detail);

        std::string why_not;
        std::optional<BootedUki> uki = find_booted_uki(root, options.uki, stub, &why_not);
        report["uki"] = uki ? json({{"path", uki->path}, {"profile", uki->profile}}) : json(nullptr);
        report["kernel"] = kernel_report(root, uki);
        std::optional<Buffer> pcr11_after_stub;
        report["event_log"] = event_log_report(root, uki, why_not, &pcr11_after_stub);
        std::string policy_why_not;
        std::optional<UkiPolicy> policy = policy_for_volumes(root, uki, pcr11_after_stub, &policy_why_not);
        report["volumes"] = volumes_report(root, policy, policy_why_not);
        report["unlock"] = unlock_report(report["volumes"], report["pcr11"], report["event_log"], report["kernel"]);
        return report;
}

std::string render_status(const json &r) {
        std::string out;
        auto str = [](const json &v) -> std::string {
                if (v.is_null())
                        return "-";
                if (v.is_string())
                        return v.get<std::string>();
                return v.dump();
        };
        auto line = [&](const std::string &k, const json &v) { out += k + ": " + str(v) + "\n"; };
        const json &s = r["stub"], &l = r["loader"], &p = r["pcr11"];
        line("stub", s["info"]);
        std::string features;
        if (s["features"].is_array())
                for (const json &f : s["features"])
                        features += (features.empty() ? "" : " ") + f.get<std::string>();
        line("stub features", s["features"].is_null() ? json(nullptr) : json(features));
        line("stub profile", s["profile"]);
        line("stub image", s["image_identifier"]);
        line("stub PCRs", s["pcr_kernel_image"].is_null() ? json(nullptr)
                                                          : json(str(s["pcr_kernel_image"]) + " (kernel image), " +
                                                                 str(s["pcr_kernel_parameters"]) + " (parameters)"));
        line("KASLR", r["placement"].is_null() ? json(nullptr) : r["placement"].value("kaslr", json(nullptr)));
        line("W^X", r["placement"].is_null() ? json(nullptr) : r["placement"].value("wx", json(nullptr)));
        line("stub time", r["timings"].is_null() ? json(nullptr) : json(timings_text(r["timings"])));
        const json &k = r["kernel"];
        line("kernel", k["running"].is_null() ? json(nullptr)
                       : k.contains("note") ? k["note"]
                       : json(str(k["running"]) + (k["uki_uname"].is_null() ? "" : ", as the booted UKI's .uname")));
        line("boot loader", l["info"]);
        line("boot entry", l["entry_selected"]);
        line("secure boot", r["secure_boot"].is_null() ? json(nullptr) : json(r["secure_boot"].get<bool>() ? "on" : "off"));
        line("PCR 11 now", p["now"]);
        line("signed policies", p["signature_file"].is_null() ? json(nullptr)
                                                                : json(std::to_string(p["signed_policies"].get<size_t>()) +
                                                                       " in " + p["signature_file"].get<std::string>()));
        line("policy match", p["match"]);

        const json &e = r["event_log"];
        if (e["file"].is_null() || !e["error"].is_null()) {
                line("event log", e["error"].is_null() ? e["comparison"] : e["error"]);
        } else {
                std::string agree, differ;
                for (const json &pcr : e["pcrs"]) {
                        std::string n = std::to_string(pcr["pcr"].get<uint32_t>());
                        if (pcr["consistent"].get<bool>())
                                agree += (agree.empty() ? "" : " ") + n +
                                         (pcr["after_phases"].is_null() ? "" : " (after " + str(pcr["after_phases"]) + ")");
                        else
                                differ += (differ.empty() ? "" : "; ") + std::string("PCR ") + n + " replays to " +
                                          str(pcr["replayed"]) + ", the TPM holds " + str(pcr["live"]);
                }
                line("event log", json(std::to_string(e["events"].get<size_t>()) + " events; " +
                                       (e["pcrs"].empty() ? std::string("no live PCRs to compare")
                                                          : differ.empty() ? "PCRs " + agree + " agree with the TPM"
                                                                           : "does not match the TPM: " + differ)));
                line("stub events", json(std::to_string(e["stub_events"].get<size_t>()) + " logged; " + str(e["comparison"]) +
                                         (e["expected_from"].is_null() ? "" : " against " + str(e["expected_from"]))));
        }
        if (!e["first_mismatch"].is_null())
                line("first differing event", json(mismatch_text(e["first_mismatch"])));
        for (const json &v : r["volumes"])
                line("volume " + str(v["name"]), json(str(v["state"]) + " (" + str(v["device"]) + ": " + str(v["reason"]) + ")"));
        const json &u = r["unlock"];
        std::string unlock = str(u["state"]);
        std::replace(unlock.begin(), unlock.end(), '-', ' ');
        if (!u["reason"].is_null())
                unlock += " (" + str(u["reason"]) + ")";
        if (u.contains("note"))
                unlock += "; " + str(u["note"]);
        line("TPM unlock", json(unlock));
        return out;
}

std::string unlock_warning(const json &report) {
        const json &u = report["unlock"];
        if (u.value("state", "") != "would-fail")
                return "";
        std::string w = u["basis"] == "volumes" ? "the next TPM2 unlock would fail: " + u.value("reason", std::string("?"))
                                                : "the next TPM2 unlock with the UKI's signed PCR policy would fail: " +
                                                          u.value("reason", std::string("?"));
        if (!u["first_mismatch"].is_null())
                w += "; first differing event: " + mismatch_text(u["first_mismatch"]);
        if (report["kernel"].contains("note") && u["reason"] != report["kernel"]["note"])
                w += "; " + report["kernel"]["note"].get<std::string>();
        return w;
}

} // namespace zuki
