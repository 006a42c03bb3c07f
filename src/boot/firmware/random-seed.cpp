// SPDX-License-Identifier: LGPL-2.1-or-later

#include "random-seed.hpp"

#include "../../shared/boot-secret.hpp"
#include "../efi/graphics-output.hpp" // kLinuxRandomSeedTableGuid
#include "../efi/rng.hpp"
#include "config-table.hpp"
#include "log.hpp"
#include "variables.hpp"
#include "volume.hpp"

namespace zuki::boot {

namespace {

using secret::kSeedSize;

// LoaderFeatures bit 6, EFI_LOADER_FEATURE_RANDOM_SEED (https://systemd.io/BOOT_LOADER_INTERFACE/).
constexpr uint64_t kLoaderFeatureRandomSeed = uint64_t(1) << 6;
constexpr char16_t kLoaderDir[] = u"\\loader";
constexpr char16_t kSeedPath[] = u"\\loader\\random-seed";
// LoaderSystemToken is written by bootctl (32 bytes); we read at most this much of it.
constexpr size_t kMaxSystemToken = 4096;

// The seed file carries the FAT read-only attribute: systemd 262 leaves it alone then (for ESPs
// a firmware must not write, e.g. on self-encrypting drives).
bool seed_file_read_only(efi::FileProtocol *root) {
        File f;
        uint64_t size = 0, attributes = 0;
        efi::Status s = open_and_stat(root, kSeedPath, efi::FileProtocol::kModeRead, &f, &size, &attributes);
        if (s == efi::kNotFound)
                return false;
        if (efi::is_error(s)) {
                log_debug("Failed to open or query the random seed file, ignoring: {}", s);
                return false;
        }
        return (attributes & efi::FileInfo::kReadOnly) != 0;
}

// EFI_RNG_PROTOCOL's 32 bytes; false (and no line when it is only not ready yet) without them.
bool acquire_rng(efi::BootServices *bs, uint8_t (&out)[kSeedSize]) {
        efi::RngProtocol *rng = nullptr;
        if (efi::is_error(bs->LocateProtocol(&efi::RngProtocol::kGuid, nullptr, reinterpret_cast<void **>(&rng))) || !rng)
                return false;
        efi::Status s = rng->GetRNG(rng, nullptr, sizeof(out), out);
        if (s == efi::kNotReady)
                return false;
        if (efi::is_error(s)) {
                log_warning("Failed to acquire RNG data, proceeding without: {}", s);
                return false;
        }
        return true;
}

// Our seed table's buffer and its le32 size; freed unless install() handed it to the kernel.
efi::Status install_table(efi::SystemTable *st, const uint8_t (&seed)[kSeedSize], uint8_t *previous) {
        ConfigTable table;
        efi::Status s = table.allocate(secret::kSeedTableHeader + kSeedSize);
        if (efi::is_error(s))
                return log_error(s, "Failed to allocate the random seed table");
        store_le32(table.data(), kSeedSize);
        __builtin_memcpy(table.data() + secret::kSeedTableHeader, seed, kSeedSize);
        s = table.install(st, efi::kLinuxRandomSeedTableGuid);
        if (efi::is_error(s))
                return log_error(s, "Failed to install the random seed table");
        table.release();
        // The old seed is used up: wipe it (its memory is not ours to free).
        if (previous)
                wipe_secret(previous, secret::kSeedTableHeader + load_le32(previous));
        return efi::kSuccess;
}

efi::Status process_random_seed(efi::SystemTable *st, efi::FileProtocol *root) {
        efi::BootServices *bs = st->BootServices;

        // Without writing the file back, the same seed would come every boot: a read-only volume
        // or file means no seed from us.
        bool read_only = false;
        efi::Status s = volume_read_only(root, &read_only);
        if (efi::is_error(s))
                log_debug("Cannot tell whether the ESP is read-only, assuming not: {}", s);
        else if (read_only) {
                log_debug("The ESP is read-only, not updating the random seed");
                return efi::kSuccess;
        }
        if (seed_file_read_only(root)) {
                log_debug("The random seed file is read-only, not updating the random seed");
                return efi::kSuccess;
        }

        Sha256 key;
        secret::begin_seed_key(&key);

        uint8_t *previous = static_cast<uint8_t *>(find_config_table(st, efi::kLinuxRandomSeedTableGuid));
        Bytes previous_seed;
        if (previous)
                previous_seed = Bytes(previous + secret::kSeedTableHeader, load_le32(previous));
        secret::add_seed_input(&key, previous_seed);
        bool seeded_by_efi = previous_seed.size() >= kSeedSize;

        // The firmware's RNG guards against a seed file copied into many machines' images. Without
        // it, under Secure Boot the ESP (unsigned) must not be the only source.
        uint8_t random[kSeedSize];
        bool have_rng = acquire_rng(bs, random);
        if (!have_rng && !seeded_by_efi && secure_boot_enabled()) {
                log_debug("No EFI_RNG_PROTOCOL and no seed table under Secure Boot, not using the random seed file");
                return efi::kNotFound;
        }
        seeded_by_efi = seeded_by_efi || have_rng;
        secret::add_seed_input(&key, have_rng ? Bytes(random, sizeof(random)) : Bytes());
        wipe_secret(random, sizeof(random));

        // The installer's per-machine token (bootctl random-seed), required only when nothing
        // above was random.
        PoolArray<uint8_t> token;
        size_t token_size = 0;
        s = token.allocate(kMaxSystemToken);
        if (efi::is_error(s))
                return log_error(s, "Failed to allocate memory for LoaderSystemToken");
        s = get_loader_variable(u"LoaderSystemToken", token.data(), kMaxSystemToken, &token_size, nullptr);
        if (efi::is_error(s) && s != efi::kNotFound)
                log_error(s, "Failed to read the LoaderSystemToken EFI variable");
        if (efi::is_error(s))
                token_size = 0;
        if (!seeded_by_efi && token_size < kSeedSize) {
                log_debug("No EFI_RNG_PROTOCOL, no seed table and no LoaderSystemToken: not using the random seed file");
                return efi::kNotFound;
        }
        secret::add_seed_input(&key, Bytes(token.data(), token_size));
        wipe_secret(token.data(), token_size);

        File file;
        bool created = false;
        constexpr uint64_t kReadWrite = efi::FileProtocol::kModeRead | efi::FileProtocol::kModeWrite;
        s = root->Open(root, file.out(), kSeedPath, kReadWrite, 0);
        if (s == efi::kNotFound && seeded_by_efi) {
                // Well seeded: start a seed file (and \loader, when the ESP has none).
                s = root->Open(root, file.out(), kSeedPath, kReadWrite | efi::FileProtocol::kModeCreate, 0);
                if (s == efi::kNotFound) {
                        s = make_directory(root, kLoaderDir); // a refused write is reported as such below
                        if (!efi::is_error(s))
                                s = root->Open(root, file.out(), kSeedPath, kReadWrite | efi::FileProtocol::kModeCreate, 0);
                }
                if (efi::is_error(s)) {
                        if (write_refused(s))
                                log_debug("Cannot create the random seed file: {}", s);
                        else
                                log_error(s, "Failed to create the random seed file");
                        return s;
                }
                created = true;
        } else if (efi::is_error(s)) {
                if (s == efi::kNotFound || write_refused(s))
                        log_debug("No random seed file to update: {}", s);
                else
                        log_error(s, "Failed to open the random seed file");
                return s;
        }

        uint64_t file_size = 0, attributes = 0;
        if (!created) {
                s = file_size_and_attributes(file.get(), &file_size, &attributes);
                if (efi::is_error(s))
                        return log_error(s, "Failed to get the random seed file's info");
                // A file shorter than a seed (e.g. cut short by a power loss) counts as new.
                created = file_size < secret::kSeedFileMin;
        }
        PoolArray<uint8_t> old;
        if (created) {
                secret::add_seed_input(&key, Bytes());
        } else {
                if (file_size > secret::kSeedFileMax)
                        return log_error(efi::kInvalidParameter, "The random seed file is too large ({} bytes)", file_size);
                s = old.allocate(file_size);
                if (efi::is_error(s))
                        return log_error(s, "Failed to allocate memory for the random seed file");
                s = read_exact(file.get(), old.data(), file_size);
                if (efi::is_error(s))
                        return log_error(s, "Failed to read the random seed file");
                secret::add_seed_input(&key, Bytes(old.data(), file_size));
                wipe_secret(old.data(), file_size); // all zeros now: written over the file's tail below
                s = file->SetPosition(file.get(), 0);
                if (efi::is_error(s))
                        return log_error(s, "Failed to seek in the random seed file");
        }

        // The boot counter makes the seed differ each boot even if the ESP write is lost.
        uint64_t counter = 0;
        s = bs->GetNextMonotonicCount(&counter);
        if (efi::is_error(s) && !seeded_by_efi)
                return log_error(s, "Failed to read the monotonic counter");
        uint8_t counter_bytes[8];
        store_le64(counter_bytes, counter);
        secret::add_seed_input(&key, Bytes(counter_bytes, sizeof(counter_bytes)));

        efi::Time now = {};
        bool have_time = !efi::is_error(st->RuntimeServices->GetTime(&now, nullptr)); // flaky: no line
        secret::add_seed_input(&key, have_time ? Bytes(reinterpret_cast<const uint8_t *>(&now), sizeof(now)) : Bytes());

        uint8_t file_seed[kSeedSize], table_seed[kSeedSize];
        secret::finish_seed(&key, file_seed, table_seed);

        // A longer file keeps its length (truncating through EFI file system drivers is risky) but
        // its tail is zeroed; userspace truncates it when it writes the next seed.
        if (!created && file_size > kSeedSize) {
                s = file->SetPosition(file.get(), kSeedSize);
                if (!efi::is_error(s))
                        s = write_all(file.get(), old.data(), file_size - kSeedSize);
                if (!efi::is_error(s))
                        s = file->SetPosition(file.get(), 0);
                if (efi::is_error(s)) {
                        wipe_secret(file_seed, sizeof(file_seed));
                        wipe_secret(table_seed, sizeof(table_seed));
                        return log_error(s, "Failed to clear the random seed file's tail");
                }
        }
        // The file changes before the seed is used, so that no seed is handed out twice.
        s = write_all(file.get(), file_seed, sizeof(file_seed));
        wipe_secret(file_seed, sizeof(file_seed));
        if (efi::is_error(s)) {
                wipe_secret(table_seed, sizeof(table_seed));
                if (write_refused(s))
                        return log_error(s, "Cannot write the random seed file");
                return log_error(s, "Failed to write the random seed file");
        }
        s = install_table(st, table_seed, previous);
        wipe_secret(table_seed, sizeof(table_seed));
        return s;
}

} // namespace

void refresh_random_seed(efi::SystemTable *st, const efi::LoadedImageProtocol *loaded) {
        if (!loaded->DeviceHandle)
                return;
        uint64_t loader_features = 0;
        if (get_loader_u64(u"LoaderFeatures", &loader_features) && (loader_features & kLoaderFeatureRandomSeed))
                return; // systemd-boot did it for this boot
        // systemd-stub uses the EFI system partition of the disk it came from; we use the partition
        // we came from when it is that ESP (not yet: the ESP beside an XBOOTLDR partition).
        if (!is_esp_partition(st->BootServices, loaded->DeviceHandle)) {
                log_debug("Not started from an EFI system partition, leaving the random seed alone");
                return;
        }
        File root;
        if (efi::is_error(open_volume_root(st->BootServices, loaded->DeviceHandle, &root)))
                return;
        (void) process_random_seed(st, root.get());
}

} // namespace zuki::boot
