// SPDX-License-Identifier: LGPL-2.1-or-later

#include "sidecar.hpp"

#include "measure.hpp"
#include "uki.hpp"

namespace zuki::sidecar {

namespace {

size_t length16(const char16_t *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

char16_t fold(char16_t c) { return (c >= u'A' && c <= u'Z') ? (char16_t) (c - u'A' + u'a') : c; }

bool ends_with_no_case(Span<const char16_t> name, const char16_t *suffix) {
        size_t n = length16(suffix);
        if (n > name.size())
                return false;
        for (size_t i = 0; i < n; i++)
                if (fold(name[name.size() - n + i]) != fold(suffix[i]))
                        return false;
        return true;
}

} // namespace

bool name_matches(Span<const char16_t> name, bool is_directory, const char16_t *suffix,
                  const char16_t *exclude_suffix) {
        if (name.empty() || name[0] == u'.' || is_directory)
                return false;
        if (!ends_with_no_case(name, suffix))
                return false;
        if (exclude_suffix && ends_with_no_case(name, exclude_suffix))
                return false;
        for (char16_t c : name)
                if (c > 0x7f)
                        return false;
        return name.size() <= kMaxNameLength;
}

int compare_names(Span<const char16_t> a, Span<const char16_t> b) {
        size_t n = a.size() < b.size() ? a.size() : b.size();
        for (size_t i = 0; i < n; i++)
                if (a[i] != b[i])
                        return a[i] < b[i] ? -1 : 1;
        return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

size_t extra_dir_of(Span<const char16_t> image_path, Span<char16_t> out) {
        static constexpr char16_t kSuffix[] = u".extra.d";
        size_t n = 0;
        // Separators: '/' becomes '\', and no '\' follows another.
        for (char16_t c : image_path) {
                if (c == 0)
                        break;
                if (c == u'/')
                        c = u'\\';
                if (c == u'\\' && n > 0 && out.size() > n - 1 && out[n - 1] == u'\\')
                        continue;
                if (n >= out.size())
                        return 0;
                out[n++] = c;
        }
        // Boot counting: the first '+' followed by digits, optionally '-' and digits, and then the
        // end or a '.', is removed up to that end or '.'.
        for (size_t plus = 0; plus < n; plus++) {
                if (out[plus] != u'+')
                        continue;
                size_t i = plus + 1, digits = 0;
                while (i < n && out[i] >= u'0' && out[i] <= u'9')
                        i++, digits++;
                if (digits && i < n && out[i] == u'-') {
                        size_t after = ++i;
                        while (i < n && out[i] >= u'0' && out[i] <= u'9')
                                i++;
                        if (i == after)
                                digits = 0;
                }
                if (digits && (i == n || out[i] == u'.')) {
                        for (size_t k = i; k < n; k++)
                                out[plus + k - i] = out[k];
                        n -= i - plus;
                }
                break; // only the first '+' counts
        }
        size_t tail = sizeof kSuffix / sizeof kSuffix[0]; // with its NUL
        if (n + tail > out.size())
                return 0;
        for (size_t i = 0; i < tail; i++)
                out[n + i] = kSuffix[i];
        return n + tail - 1;
}

void sort_files(Span<File> files) {
        // Insertion sort: stable, allocation-free, and the lists are short.
        for (size_t i = 1; i < files.size(); i++) {
                File f = files[i];
                size_t j = i;
                while (j > 0 && compare_names(files[j - 1].name, f.name) > 0) {
                        files[j] = files[j - 1];
                        j--;
                }
                files[j] = f;
        }
}

Status write_archive(const Target &target, Span<const File> files, cpio::Writer *w, EmptyArchive empty) {
        if (files.empty() && empty == EmptyArchive::Nothing)
                return ok_status();
        ZUKI_TRY(w->add_directory_tree(target.directory, target.dir_mode));
        char path[320];
        size_t dir = string_length(target.directory);
        __builtin_memcpy(path, target.directory, dir);
        path[dir] = '/';
        for (const File &f : files) {
                if (f.name.size() > kMaxNameLength || dir + 1 + f.name.size() + 1 > sizeof path)
                        return Error::SizeLimit;
                for (size_t i = 0; i < f.name.size(); i++) {
                        if (f.name[i] > 0x7f || f.name[i] == 0)
                                return Error::BadName;
                        path[dir + 1 + i] = (char) f.name[i];
                }
                path[dir + 1 + f.name.size()] = 0;
                ZUKI_TRY(w->add_file(path, f.data, target.file_mode));
        }
        return w->finish();
}

Result<size_t> archive_size(const Target &target, Span<const File> files, EmptyArchive empty) {
        cpio::Writer counter{MutableBytes()};
        ZUKI_TRY(write_archive(target, files, &counter, empty));
        return counter.size();
}

const char *describe(AddonVerdict v) {
        switch (v) {
        case AddonVerdict::Used: return "used";
        case AddonVerdict::NoKnownSection: return "no .cmdline, .dtb, .dtbauto, .initrd or .ucode section";
        case AddonVerdict::IsUki: return "it has a .linux section: a UKI, not an addon";
        case AddonVerdict::UnameMismatch: return "its .uname differs from the UKI's";
        }
        return "unknown";
}

Addon addon_of(const pe::View &view, Span<const char16_t> name, const hwids::Machine *machine) {
        Addon a;
        a.name = name;
        pe::Section sec;
        for (const AddonSection &w : kAddonSections)
                if (w.field != &Addon::dtbauto && view.find(w.name, &sec))
                        a.*(w.field) = view.data(sec);
        uki::SectionSet notes;
        if (machine && uki::choose_dtbauto(view, -1, *machine, &sec, &notes))
                a.dtbauto = view.data(sec);
        a.has_linux = view.find(".linux", &sec);
        return a;
}

AddonVerdict judge_addon(const Addon &addon, Bytes uki_uname) {
        if (addon.cmdline.empty() && addon.dtb.empty() && addon.dtbauto.empty() && addon.initrd.empty() &&
            addon.ucode.empty())
                return AddonVerdict::NoKnownSection;
        if (addon.has_linux)
                return AddonVerdict::IsUki;
        if (!uki_uname.empty() && !addon.uname.empty()) {
                // strneq8(uki, addon, size of the addon's section): equal up to that many
                // characters or up to a NUL both have at the same place.
                for (size_t i = 0; i < addon.uname.size(); i++) {
                        uint8_t a = i < uki_uname.size() ? uki_uname[i] : 0;
                        uint8_t b = addon.uname[i];
                        if (a != b)
                                return AddonVerdict::UnameMismatch;
                        if (a == 0)
                                break;
                }
        }
        return AddonVerdict::Used;
}

} // namespace zuki::sidecar
