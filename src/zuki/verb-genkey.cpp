// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki genkey: new PCR policy and Secure Boot keys, as `ukify genkey` makes them.

#include <cstdlib>

#include "cli.hpp"
#include "failure.hpp"
#include "host-defaults.hpp"
#include "key-set.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum {
        kOptPcrPrivateKey = cli::kFirstLongOnly, kOptPcrPublicKey, kOptSbKey, kOptSbCert, kOptSbValidity,
        kOptSbCommonName, kOptSbCertDir, kOptJson,
};

constexpr cli::Option kOptions[] = {
        {"pcr-private-key", kOptPcrPrivateKey, cli::Arg::Required, "FILE", "write a new PCR policy private key here; may repeat"},
        {"pcr-public-key", kOptPcrPublicKey, cli::Arg::Required, "FILE", "write the n-th PCR key's public key here"},
        {"secureboot-private-key", kOptSbKey, cli::Arg::Required, "FILE", "write a new Secure Boot private key here"},
        {"secureboot-certificate", kOptSbCert, cli::Arg::Required, "FILE", "write its self-signed certificate here"},
        {"secureboot-certificate-validity", kOptSbValidity, cli::Arg::Required, "DAYS", "the certificate's validity (default 3650)"},
        {"secureboot-certificate-common-name", kOptSbCommonName, cli::Arg::Required, "CN", "its common name (default: SecureBoot signing key on host HOST)"},
        {"secureboot-certificate-dir", kOptSbCertDir, cli::Arg::Required, "DIR", "accepted for ukify and ignored (no NSS database)"},
        {"json", kOptJson, cli::Arg::None, nullptr, "print a JSON list of the files written"},
};

constexpr const char *kUsage[] = {
        "--pcr-private-key FILE [--pcr-public-key FILE] [--secureboot-private-key FILE\n"
        "--secureboot-certificate FILE [--secureboot-certificate-validity DAYS]\n"
        "[--secureboot-certificate-common-name CN]] [--json]",
};

int run(const cli::Verb &verb, int argc, char **argv) {
        KeySetRequest request;
        request.common_name = default_common_name();
        bool json = false;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                switch (id) {
                case kOptPcrPrivateKey: request.pcr_private.push_back(arg); break;
                case kOptPcrPublicKey: request.pcr_public.push_back(arg); break;
                case kOptSbKey: request.sb_key = arg; break;
                case kOptSbCert: request.sb_cert = arg; break;
                case kOptSbValidity: {
                        char *end = nullptr;
                        long days = std::strtol(arg, &end, 10);
                        if (!*arg || *end || days < 1 || days > 36500)
                                throw UsageError(std::string("Invalid certificate validity (days, 1-36500): ") + arg);
                        request.validity_days = (int) days;
                        break;
                }
                case kOptSbCommonName:
                        request.common_name = arg;
                        if (request.common_name.empty() || request.common_name.size() > 64)
                                throw UsageError("The common name must be 1 to 64 bytes long");
                        break;
                case kOptSbCertDir: break; // ukify's NSS database for pesign; genkey writes files
                case kOptJson: json = true; break;
                }
        });
        if (!args)
                return 0;
        if (!args->empty())
                throw UsageError("zuki genkey takes no positional arguments");
        if (request.sb_key.empty() != request.sb_cert.empty())
                throw UsageError("--secureboot-private-key and --secureboot-certificate go together");
        if (request.pcr_public.size() > request.pcr_private.size())
                throw UsageError("Each --pcr-public-key needs a --pcr-private-key");
        if (request.pcr_private.empty() && request.sb_key.empty())
                throw UsageError("zuki genkey needs --pcr-private-key or --secureboot-private-key/--secureboot-certificate");

        nlohmann::ordered_json report = generate_key_set(request);
        if (json) {
                cli::print_json(report);
        } else {
                for (const auto &r : report)
                        std::printf("%s: %s (key fingerprint %s)\n", r["file"].get<std::string>().c_str(),
                                    r["content"].get<std::string>().c_str(), r["pkfp"].get<std::string>().c_str());
        }
        return 0;
}

} // namespace

const cli::Verb kGenkey = {
        "genkey", kUsage, "Create new keys (RSA 2048) as ukify genkey does; never overwrites a file.", kOptions, run,
};

} // namespace zuki::verbs
