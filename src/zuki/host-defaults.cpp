// SPDX-License-Identifier: LGPL-2.1-or-later

#include "host-defaults.hpp"

#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include "failure.hpp"
#include "pe.hpp"

#ifndef ZUKI_STUB_DIR
#error "ZUKI_STUB_DIR must be defined"
#endif

namespace zuki {

namespace {

bool exists(const std::string &path) {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0;
}

std::string arch_suffix(uint16_t machine) {
        switch (machine) {
        case pe::kMachineArm64: return "aa64";
        case pe::kMachineRiscv64: return "riscv64";
        default: return "x64";
        }
}

} // namespace

std::string find_stub(const std::string &explicit_stub, uint16_t machine, const char *stub_name) {
        if (!explicit_stub.empty())
                return explicit_stub;
        std::string name = stub_name + arch_suffix(machine) + ".efi.stub";
        if (const char *dir = std::getenv("ZUKI_STUB_DIR"); dir && *dir)
                return std::string(dir) + "/" + name;
        char self[4096];
        ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
                self[n] = 0;
                std::string dir(self);
                dir = dir.substr(0, dir.rfind('/'));
                std::string candidate = dir + "/../boot/" + name;
                if (exists(candidate))
                        return candidate;
        }
        return std::string(ZUKI_STUB_DIR) + "/" + name;
}

Buffer default_os_release() {
        for (const char *p : {"/etc/os-release", "/usr/lib/os-release"})
                if (exists(p))
                        return read_file(p);
        fail("No --os-release given and no /etc/os-release or /usr/lib/os-release");
}

std::string default_common_name() {
        char host[256] = "";
        if (::gethostname(host, sizeof host - 1) != 0)
                std::strcpy(host, "localhost");
        std::string cn = std::string("SecureBoot signing key on host ") + host;
        if (cn.size() > 64)
                cn = cn.substr(0, 61) + "...";
        return cn;
}

} // namespace zuki
