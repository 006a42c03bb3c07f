// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki sign: an Authenticode signature for UEFI Secure Boot, in place or into --output.

#include <sys/stat.h>

#include "authenticode.hpp"
#include "cli.hpp"
#include "encoding.hpp"
#include "failure.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum { kOptKey = cli::kFirstLongOnly, kOptCert, kOptChain, kOptReplace, kOptAppend, kOptJson };

constexpr cli::Option kOptions[] = {
        {"private-key", kOptKey, cli::Arg::Required, "KEY|URI", "the signing key: a PEM file or a pkcs11: URI (required)"},
        {"certificate", kOptCert, cli::Arg::Required, "CERT", "the signing key's certificate (required)"},
        {"chain", kOptChain, cli::Arg::Required, "FILE", "an intermediate certificate to embed; may repeat"},
        {"replace", kOptReplace, cli::Arg::None, nullptr, "replace existing signatures (the whole certificate table) instead of refusing"},
        {"append", kOptAppend, cli::Arg::None, nullptr, "add this signature after the existing ones (e.g. old and new CA)"},
        {"output", 'o', cli::Arg::Required, "OUT", "write the signed image here (default: IMAGE, in place)"},
        {"json", kOptJson, cli::Arg::None, nullptr, "print a JSON summary instead of text"},
};

constexpr const char *kUsage[] = {
        "--private-key KEY|pkcs11:URI --certificate CERT [--chain FILE]... [--replace|--append]\n"
        "[--output OUT] [--json] IMAGE",
};

int run(const cli::Verb &verb, int argc, char **argv) {
        std::string key, cert, output;
        std::vector<std::string> chain;
        authenticode::SignOptions sopt;
        std::vector<authenticode::ExistingSignatures> existing;
        bool json = false;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                switch (id) {
                case kOptKey: key = arg; break;
                case kOptCert: cert = arg; break;
                case kOptChain: chain.push_back(arg); break;
                case kOptReplace: existing.push_back(authenticode::ExistingSignatures::Replace); break;
                case kOptAppend: existing.push_back(authenticode::ExistingSignatures::Append); break;
                case 'o': output = arg; break;
                case kOptJson: json = true; break;
                }
        });
        if (!args)
                return 0;
        if (args->size() != 1)
                throw UsageError("zuki sign takes exactly one IMAGE argument");
        if (key.empty() || cert.empty())
                throw UsageError("zuki sign needs --private-key and --certificate");
        if (existing.size() > 1)
                throw UsageError("zuki sign takes one of --replace and --append");
        if (!existing.empty())
                sopt.existing = existing.front();
        std::string image_path = args->front();
        if (output.empty())
                output = image_path; // signed in place, atomically
        // Over the image is the point of signing in place; over a key or certificate it is not.
        std::vector<InputFile> inputs = {{key, "private key"}, {cert, "certificate"}};
        for (const std::string &c : chain)
                inputs.push_back({c, "chain certificate"});
        refuse_output_over_inputs(output, inputs);
        sopt.signing_time = authenticode::source_date_epoch();

        Buffer image = read_file(image_path);
        authenticode::Signer signer = authenticode::load_signer(key, cert, chain);
        authenticode::SignResult r;
        try {
                r = authenticode::sign_image(bytes_of(image), signer, sopt);
        } catch (const Failure &e) {
                fail(image_path + ": " + e.what());
        }
        struct stat st;
        unsigned mode = same_file(image_path, output) && ::stat(output.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
        write_file_atomic(output, bytes_of(r.image), mode);

        std::string digest = to_hex(bytes_of(r.digest));
        if (json) {
                nlohmann::ordered_json j;
                j["output"] = output;
                j["signer"] = r.signer;
                j["sha256"] = digest;
                j["signing_time"] = authenticode::format_time(r.signing_time);
                j["replaced"] = r.replaced;
                j["signatures"] = r.kept_entries + 1;
                j["certificate_table"] = {{"offset", r.table.offset}, {"size", r.table.size}};
                j["signature_size"] = r.signature_size;
                j["size"] = r.image.size();
                cli::print_json(j);
        } else {
                std::string how = r.replaced ? " (old signatures replaced)"
                                  : r.kept_entries ? " (signature " + std::to_string(r.kept_entries + 1) + ", after " +
                                                             std::to_string(r.kept_entries) + " kept)"
                                                   : "";
                std::printf("%s: signed by %s, sha256 %s%s\n", output.c_str(), r.signer.c_str(), digest.c_str(), how.c_str());
        }
        return 0;
}

} // namespace

const cli::Verb kSign = {
        "sign", kUsage, "Authenticode-sign a PE image (SHA-256, PKCS#7) for UEFI Secure Boot; --append adds\n"
        "a second signature (another certificate chain) after the first.", kOptions, run,
};

} // namespace zuki::verbs
