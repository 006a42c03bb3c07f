// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki verify: is an image's Authenticode signature valid for a certificate?

#include "authenticode.hpp"
#include "cli.hpp"
#include "encoding.hpp"
#include "failure.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

// 0 valid, 1 invalid or unsigned, 2 usage, 3 could not check (see zuki(1)).
constexpr int kExitInvalid = 1;
constexpr int kExitCannotCheck = 3;

enum { kOptCert = cli::kFirstLongOnly, kOptJson };

constexpr cli::Option kOptions[] = {
        {"certificate", kOptCert, cli::Arg::Required, "CERT", "the certificate the signature must verify with (required)"},
        {"json", kOptJson, cli::Arg::None, nullptr, "print a JSON report instead of text"},
};

constexpr const char *kUsage[] = {"--certificate CERT [--json] IMAGE"};

// The reason to report: the image's own problem, else the signatures' (the only one, or the
// first of several, none of which is valid).
std::string reason(const authenticode::VerifyResult &r) {
        if (r.valid || !r.problem.empty() || r.signatures.empty())
                return r.problem;
        if (r.signatures.size() == 1)
                return r.signatures.front().problem;
        return "none of the " + std::to_string(r.signatures.size()) +
               " signatures is valid for the certificate (the first: " + r.signatures.front().problem + ")";
}

nlohmann::ordered_json signature_json(const authenticode::SignatureCheck &s) {
        nlohmann::ordered_json e;
        e["valid"] = s.valid;
        if (!s.valid)
                e["problem"] = s.problem;
        e["signer"] = s.signer;
        e["issuer"] = s.issuer;
        e["digest_algorithm"] = s.digest_algorithm;
        e["data_type"] = s.data_type;
        e["signed_digest"] = to_hex(bytes_of(s.signed_digest));
        if (s.signing_time)
                e["signing_time"] = authenticode::format_time(*s.signing_time);
        return e;
}

// {offset, size, entries: [{offset, length, revision, type, signature}], unparsed_bytes, problem}
nlohmann::ordered_json table_json(const authenticode::VerifyResult &r) {
        nlohmann::ordered_json t;
        t["offset"] = r.table.table.offset;
        t["size"] = r.table.table.size;
        t["entries"] = nlohmann::ordered_json::array();
        for (size_t i = 0; i < r.table.entries.size(); i++) {
                const authenticode::CertificateEntry &e = r.table.entries[i];
                nlohmann::ordered_json o;
                o["offset"] = e.offset;
                o["length"] = e.length;
                o["revision"] = e.revision;
                o["type"] = authenticode::certificate_type_name(e.type);
                if (r.checks[i])
                        o["signature"] = signature_json(*r.checks[i]);
                t["entries"].push_back(o);
        }
        t["unparsed_bytes"] = r.table.unparsed;
        if (!r.table.problem.empty())
                t["problem"] = r.table.problem;
        return t;
}

// One line per WIN_CERTIFICATE entry, and notes on what firmware makes of more than one entry
// or of bytes that are not an entry.
void print_table(const std::string &image_path, const std::string &cert_path, const authenticode::VerifyResult &r) {
        const authenticode::CertificateEntries &t = r.table;
        std::printf("%s: certificate table at offset %u, %u bytes, %zu %s\n", image_path.c_str(), t.table.offset,
                    t.table.size, t.entries.size(), t.entries.size() == 1 ? "entry" : "entries");
        for (size_t i = 0; i < t.entries.size(); i++) {
                const authenticode::CertificateEntry &e = t.entries[i];
                std::printf("  entry %zu: revision 0x%04x, %s, %u bytes", i + 1, e.revision,
                            authenticode::certificate_type_name(e.type).c_str(), e.length);
                if (const std::optional<authenticode::SignatureCheck> &c = r.checks[i]) {
                        std::printf(": signer %s, %s, %s\n", c->signer.empty() ? "unknown" : c->signer.c_str(),
                                    c->digest_algorithm.c_str(),
                                    c->valid ? ("valid for " + cert_path).c_str()
                                             : ("not valid for " + cert_path + ": " + c->problem).c_str());
                } else {
                        std::printf(": not a PKCS#7 signature (revision 2.0, PKCS_SIGNED_DATA), firmware skips it\n");
                }
        }
        if (t.entries.size() > 1)
                std::printf("  note: %zu entries: firmware accepts the image when one signature is valid for a db "
                            "certificate and none is in dbx\n",
                            t.entries.size());
        if (!t.problem.empty())
                std::printf("  note: %u bytes past the last entry (%s): firmware refuses the image\n", t.unparsed,
                            t.problem.c_str());
}

int run(const cli::Verb &verb, int argc, char **argv) {
        std::string cert_path;
        bool json = false;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                switch (id) {
                case kOptCert: cert_path = arg; break;
                case kOptJson: json = true; break;
                }
        });
        if (!args)
                return 0;
        if (args->size() != 1)
                throw UsageError("zuki verify takes exactly one IMAGE argument");
        if (cert_path.empty())
                throw UsageError("zuki verify needs --certificate");
        std::string image_path = args->front();

        // Inputs that cannot be read say nothing about the signature: a distinct exit status.
        X509Ptr cert;
        Buffer image;
        try {
                cert = load_certificate(cert_path);
                image = read_file(image_path);
        } catch (const Failure &e) {
                std::fprintf(stderr, "zuki: %s\n", e.what());
                return kExitCannotCheck;
        }
        authenticode::VerifyResult r = authenticode::verify_image(bytes_of(image), cert.get());

        std::string problem = reason(r);
        if (json) {
                nlohmann::ordered_json j;
                j["image"] = image_path;
                j["valid"] = r.valid;
                j["signed"] = r.is_signed;
                if (!r.valid)
                        j["problem"] = problem;
                if (!r.digest.empty())
                        j["sha256"] = to_hex(bytes_of(r.digest));
                j["signatures"] = nlohmann::ordered_json::array();
                for (const authenticode::SignatureCheck &s : r.signatures)
                        j["signatures"].push_back(signature_json(s));
                if (r.is_signed)
                        j["certificate_table"] = table_json(r);
                cli::print_json(j);
        } else if (r.is_signed) {
                print_table(image_path, cert_path, r);
        }
        if (!r.valid) {
                std::fprintf(stderr, "zuki: %s: signature not valid: %s\n", image_path.c_str(), problem.c_str());
                return kExitInvalid;
        }
        if (!json) {
                for (const authenticode::SignatureCheck &s : r.signatures) {
                        if (!s.valid)
                                continue;
                        std::printf("%s: valid signature by %s, sha256 %s%s%s\n", image_path.c_str(), s.signer.c_str(),
                                    to_hex(bytes_of(r.digest)).c_str(), s.signing_time ? ", signed " : "",
                                    s.signing_time ? authenticode::format_time(*s.signing_time).c_str() : "");
                        break;
                }
        }
        return 0;
}

} // namespace

const cli::Verb kVerify = {
        "verify", kUsage,
        "Check an image's Authenticode signatures against a certificate, listing every entry\n"
        "of its certificate table (exit 0 valid, 1 invalid or unsigned, 3 could not check).",
        kOptions, run,
};

} // namespace zuki::verbs
