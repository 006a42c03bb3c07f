// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Host library pieces that used to live inside the CLI's verbs: ukify's list syntax, the phase
// groups of --phases, the output-over-input refusal of every writing verb, the option table over
// getopt_long, and check-unlock's refusal of a non-UKI.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "check-unlock.hpp"
#include "cli.hpp"
#include "failure.hpp"
#include "file-io.hpp"
#include "pcr-policy.hpp"

namespace zuki {
namespace {

namespace fs = std::filesystem;

TEST(UkifyLists, SplitOnCommasAndWhitespace) {
        EXPECT_EQ(policy::split_list("sha256, sha384\tsha1,,"), (std::vector<std::string>{"sha256", "sha384", "sha1"}));
        EXPECT_TRUE(policy::split_list(" , ").empty());
}

TEST(UkifyLists, PhaseGroups) {
        EXPECT_EQ(policy::parse_phase_group("enter-initrd:leave-initrd,sysinit :"),
                  (std::vector<std::string>{"enter-initrd:leave-initrd", "sysinit", ":"}));
        EXPECT_THROW(policy::parse_phase_group("enter-initrd:bogus"), UsageError);
        EXPECT_THROW(policy::parse_phase_group(" ,"), UsageError);
}

class OutputOverInput : public ::testing::Test {
protected:
        void SetUp() override {
                char tmpl[] = "/tmp/zuki-host-test-XXXXXX";
                ASSERT_NE(::mkdtemp(tmpl), nullptr);
                dir_ = tmpl;
                std::ofstream(dir_ / "kernel") << "kernel";
                std::ofstream(dir_ / "initrd") << "initrd";
        }
        void TearDown() override { fs::remove_all(dir_); }
        std::string path(const char *name) const { return (dir_ / name).string(); }
        fs::path dir_;
};

TEST_F(OutputOverInput, RefusesTheSameFileUnderAnyName) {
        std::vector<InputFile> inputs = {{path("kernel"), "kernel"}, {path("initrd"), "initrd"}};
        fs::create_symlink(path("kernel"), path("link"));
        fs::create_hard_link(path("initrd"), path("hard"));
        for (std::string out : {path("kernel"), dir_.string() + "/./kernel", path("link"), path("hard")})
                EXPECT_THROW(refuse_output_over_inputs(out, inputs), Failure) << out;
        try {
                refuse_output_over_inputs(path("hard"), inputs);
        } catch (const Failure &e) {
                EXPECT_EQ(std::string(e.what()), "Output " + path("hard") + " would replace the input initrd (" + path("initrd") + ")");
        }
}

TEST_F(OutputOverInput, AllowsNewAndOtherFiles) {
        std::vector<InputFile> inputs = {{path("kernel"), "kernel"}, {"pkcs11:token=x", "key"}};
        EXPECT_NO_THROW(refuse_output_over_inputs(path("uki.efi"), inputs));
        EXPECT_NO_THROW(refuse_output_over_inputs(path("initrd"), inputs));
        EXPECT_NO_THROW(refuse_output_over_inputs("", inputs));
}

enum { kOptFlag = cli::kFirstLongOnly, kOptValue };
constexpr cli::Option kTestOptions[] = {
        {"flag", kOptFlag, cli::Arg::None, nullptr, "a flag"},
        {"value", kOptValue, cli::Arg::Required, "V", "a value"},
        {"output", 'o', cli::Arg::Required, "OUT", "an output"},
};
constexpr const char *kTestUsage[] = {"[--flag] [--value V] [-o OUT] ARG"};
int run_nothing(const cli::Verb &, int, char **) { return 0; }
constexpr cli::Verb kTestVerb = {"test", kTestUsage, "A test verb.", kTestOptions, run_nothing};

std::optional<std::vector<std::string>> parse(std::vector<std::string> words, std::vector<std::pair<int, std::string>> *seen) {
        std::vector<char *> argv;
        for (std::string &w : words)
                argv.push_back(w.data());
        argv.push_back(nullptr);
        return cli::parse(kTestVerb, (int) words.size(), argv.data(),
                          [&](int id, const char *arg) { seen->push_back({id, arg ? arg : ""}); });
}

TEST(OptionTable, HandsOptionsInOrderAndKeepsPositionals) {
        std::vector<std::pair<int, std::string>> seen;
        auto args = parse({"test", "--value", "1", "a", "-o", "x", "--flag", "b"}, &seen);
        ASSERT_TRUE(args);
        EXPECT_EQ(*args, (std::vector<std::string>{"a", "b"}));
        EXPECT_EQ(seen, (std::vector<std::pair<int, std::string>>{{kOptValue, "1"}, {'o', "x"}, {kOptFlag, ""}}));
}

TEST(OptionTable, HelpAndRefusals) {
        std::vector<std::pair<int, std::string>> seen;
        ::testing::internal::CaptureStdout();
        EXPECT_FALSE(parse({"test", "--flag", "--help"}, &seen));
        std::string help = ::testing::internal::GetCapturedStdout();
        EXPECT_NE(help.find("Usage: zuki test [--flag]"), std::string::npos) << help;
        for (const char *line : {"      --flag", "      --value V", "  -o, --output OUT", "  -h, --help"})
                EXPECT_NE(help.find(line), std::string::npos) << line << " in\n" << help;
        EXPECT_THROW(parse({"test", "--bogus"}, &seen), UsageError);
        EXPECT_THROW(parse({"test", "--value"}, &seen), UsageError);
}

TEST(CheckUnlock, RefusesWhatIsNotAUki) {
        Buffer junk(64, 0x5a);
        try {
                uki_policy_of(bytes_of(junk), 0, "junk.efi");
                ADD_FAILURE() << "accepted junk";
        } catch (const Failure &e) {
                EXPECT_EQ(std::string(e.what()).rfind("junk.efi is not a PE image: ", 0), 0u) << e.what();
        }
}

} // namespace
} // namespace zuki
