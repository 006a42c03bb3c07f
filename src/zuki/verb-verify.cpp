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

        // The reason to report: the image's own problem, or the first signature's.
        std::string problem = r.problem;
        if (!r.valid && problem.empty() && !r.signatures.empty())
                problem = r.signatures.front().problem;
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
                for (const authenticode::SignatureCheck &s : r.signatures) {
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
                        j["signatures"].push_back(e);
                }
                cli::print_json(j);
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
        "Check an image's Authenticode signature against a certificate (exit 0 valid,\n"
        "1 invalid or unsigned, 3 could not check).",
        kOptions, run,
};

} // namespace zuki::verbs
