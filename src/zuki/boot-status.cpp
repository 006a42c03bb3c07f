// SPDX-License-Identifier: LGPL-2.1-or-later

#include "boot-status.hpp"

#include <cstring>
#include <fstream>
#include <memory>
#include <openssl/evp.h>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.hpp"
#include "failure.hpp"
#include "file-io.hpp"
#include "keys.hpp"
#include "pcr-policy.hpp"
#include "pcr-predict.hpp"

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
std::optional<Buffer> read_optional(const std::string &path) {
        if (!is_file(path))
                return std::nullopt;
        std::ifstream in(path, std::ios::binary);
        if (!in)
                return std::nullopt;
        Buffer data;
        char chunk[4096];
        while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
                data.insert(data.end(), chunk, chunk + in.gcount());
                if (data.size() > kMaxSmallFile)
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

// UTF-16LE with an optional terminating NUL -> UTF-8. Anything else (odd length, unpaired
// surrogates) gives nullopt.
std::optional<std::string> utf16_to_utf8(const Buffer &b) {
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

json string_variable(const std::string &root, const char *name, const char *guid = kLoaderGuid) {
        std::optional<Buffer> v = efi_variable(root, name, guid);
        if (!v)
                return nullptr;
        std::optional<std::string> s = utf16_to_utf8(*v);
        return s ? json(*s) : json(to_hex(bytes_of(*v)));
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
                                  policy::verify_for_policy_authorize(key.get(), bytes_of(matched->pol), bytes_of(matched->sig));
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

        // "kaslr=K wx=W" from the zuki stub.
        json placement = nullptr;
        json raw = string_variable(root, "StubZukiPlacement");
        if (raw.is_string()) {
                placement = json::object();
                std::istringstream words(raw.get<std::string>());
                std::string w;
                while (words >> w)
                        if (size_t eq = w.find('='); eq != std::string::npos)
                                placement[w.substr(0, eq)] = w.substr(eq + 1);
        }
        report["placement"] = placement;

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
        line("boot loader", l["info"]);
        line("boot entry", l["entry_selected"]);
        line("secure boot", r["secure_boot"].is_null() ? json(nullptr) : json(r["secure_boot"].get<bool>() ? "on" : "off"));
        line("PCR 11 now", p["now"]);
        line("signed policies", p["signature_file"].is_null() ? json(nullptr)
                                                                : json(std::to_string(p["signed_policies"].get<size_t>()) +
                                                                       " in " + p["signature_file"].get<std::string>()));
        line("policy match", p["match"]);
        line("TPM unlock", p.contains("reason") ? json(str(p["unlock"]) + " (" + str(p["reason"]) + ")") : p["unlock"]);
        return out;
}

std::string unlock_warning(const json &report) {
        const json &p = report["pcr11"];
        if (p.value("unlock", "") != "would-fail")
                return "";
        return "the next TPM2 unlock with the UKI's signed PCR policy would fail: " + p.value("reason", std::string("?"));
}

} // namespace zuki
