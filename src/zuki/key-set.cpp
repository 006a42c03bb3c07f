// SPDX-License-Identifier: LGPL-2.1-or-later

#include "key-set.hpp"

#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "encoding.hpp"
#include "failure.hpp"
#include "file-io.hpp"
#include "keys.hpp"

namespace zuki {

nlohmann::ordered_json generate_key_set(const KeySetRequest &request) {
        // Refuse before generating anything: every output must be new and named once.
        std::vector<std::string> outputs = request.pcr_private;
        outputs.insert(outputs.end(), request.pcr_public.begin(), request.pcr_public.end());
        if (!request.sb_key.empty())
                outputs.insert(outputs.end(), {request.sb_key, request.sb_cert});
        std::set<std::string> seen;
        for (const std::string &o : outputs) {
                if (!seen.insert(o).second)
                        throw UsageError(o + " is named twice");
                struct stat st;
                if (::lstat(o.c_str(), &st) == 0)
                        fail(o + " already exists; not overwriting it");
        }

        // Written so far, removed again if a later one fails (no half-made key set).
        std::vector<std::string> written;
        nlohmann::ordered_json report = nlohmann::ordered_json::array();
        auto write = [&](const std::string &path, const Buffer &data, unsigned mode, const char *what, EVP_PKEY *key) {
                write_file_new(path, bytes_of(data), mode);
                written.push_back(path);
                report.push_back({{"file", path}, {"content", what}, {"pkfp", to_hex(bytes_of(key_fingerprint(key)))}});
        };
        try {
                for (size_t i = 0; i < request.pcr_private.size(); i++) {
                        Pkey key = generate_rsa_key(2048);
                        SecretBuffer pem(private_key_pem(key.get()));
                        write(request.pcr_private[i], pem.get(), 0600, "PCR signing private key", key.get());
                        if (i < request.pcr_public.size())
                                write(request.pcr_public[i], public_key_pem(key.get()), 0644, "PCR signing public key", key.get());
                }
                if (!request.sb_key.empty()) {
                        Pkey key = generate_rsa_key(2048);
                        SecretBuffer pem(private_key_pem(key.get()));
                        Buffer cert = self_signed_certificate_pem(key.get(), request.common_name, request.validity_days);
                        write(request.sb_key, pem.get(), 0600, "Secure Boot private key", key.get());
                        write(request.sb_cert, cert, 0644, "Secure Boot certificate", key.get());
                }
        } catch (...) {
                for (const std::string &w : written)
                        ::unlink(w.c_str());
                throw;
        }
        return report;
}

} // namespace zuki
