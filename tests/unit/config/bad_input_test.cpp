// Input that once took weftd down (issue 15, items 4-6): floods of errors, bytes that are
// not UTF-8, files that are not regular files or are far too large.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "bus_text.hpp"
#include "config/error_limit.hpp"
#include "config/file_reader.hpp"
#include "config_test_util.hpp"

using namespace weft;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif
namespace fs = std::filesystem;

namespace {

class BadInput : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/weft-bad-input-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        sp_.root = root_;
        fs::create_directories(root_ / "etc/weft/x.conf.d");
        write("etc/weft/x.conf", "[Main]\nPort=1\n");
        ::alarm(20);  // a config read that blocks would hang the test: fail it instead
    }
    void TearDown() override {
        ::alarm(0);
        fs::remove_all(root_);
    }

    fs::path write(const std::string& rel, const std::string& text) {
        std::ofstream(root_ / rel, std::ios::binary) << text;
        return root_ / rel;
    }

    // The errors of loading x's files; fails the test when they load.
    std::vector<ConfigError> loadErrors() {
        try {
            config::load(sp_, "x", test::testSchema());
        } catch (const ConfigException& e) {
            EXPECT_TRUE(isValidUtf8(e.what())) << e.what();
            return e.errors();
        }
        ADD_FAILURE() << "expected a ConfigException";
        return {};
    }

    fs::path root_;
    config::SearchPath sp_;
};

std::string repeat(const std::string& line, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i)
        s += line;
    return s;
}

std::vector<ConfigError> parseErrors(const std::vector<std::pair<std::string, std::string>>& t) {
    try {
        config::parseTexts(t, test::testSchema());
    } catch (const ConfigException& e) {
        return e.errors();
    }
    return {};
}

}  // namespace

// ---------------------------------------------------------------- item 6: what is read

TEST_F(BadInput, AFifoIsRefusedWithoutBlocking) {
    ASSERT_EQ(::mkfifo((root_ / "etc/weft/x.conf.d/10-fifo.conf").c_str(), 0644), 0);
    auto errors = loadErrors();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].str(), (root_ / "etc/weft/x.conf.d/10-fifo.conf").string() +
                                   ":0: cannot read file: not a regular file (FIFO)");
}

TEST_F(BadInput, ALinkToADeviceIsRefused) {
    fs::create_symlink("/dev/zero", root_ / "etc/weft/x.conf.d/10-zero.conf");
    // Reading /dev/zero whole would eat the machine's memory: fail with bad_alloc instead.
    // (Not under AddressSanitizer, which reserves terabytes of address space up front.)
    struct rlimit old {};
    ASSERT_EQ(::getrlimit(RLIMIT_AS, &old), 0);
    struct rlimit cap = old;
    cap.rlim_cur = std::min<rlim_t>(old.rlim_max, rlim_t(2) << 30);
    if (!kAddressSanitizer) {
        ASSERT_EQ(::setrlimit(RLIMIT_AS, &cap), 0);
    }
    auto errors = loadErrors();
    if (!kAddressSanitizer)
        ::setrlimit(RLIMIT_AS, &old);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].str(), (root_ / "etc/weft/x.conf.d/10-zero.conf").string() +
                                   ":0: cannot read file: not a regular file (character device)");
}

TEST_F(BadInput, AFileLargerThanTheLimitIsRefused) {
    std::string big = "[Main]\n" + repeat("# padding padding padding padding\n", 500000);
    ASSERT_GT(big.size(), config::kMaxConfigFileSize);
    write("etc/weft/x.conf.d/10-big.conf", big);
    auto errors = loadErrors();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].str(), (root_ / "etc/weft/x.conf.d/10-big.conf").string() +
                                   ":0: cannot read file: larger than 16 MiB (" +
                                   std::to_string(big.size()) + " bytes)");
}

TEST_F(BadInput, AFileOfExactlyTheLimitIsRead) {
    std::string text = "[Main]\nPort=7\n";
    text += std::string(config::kMaxConfigFileSize - text.size() - 1, '#') + "\n";
    write("etc/weft/x.conf.d/10-full.conf", text);
    EXPECT_EQ(config::load(sp_, "x", test::testSchema()).section("Main")->integer("Port"), 7);
}

TEST_F(BadInput, ReadConfigFileRefusesADirectory) {
    std::string text, why;
    EXPECT_FALSE(config::readConfigFile(root_ / "etc/weft", text, why));
    EXPECT_EQ(why, "cannot read file: Is a directory");
    EXPECT_TRUE(config::readConfigFile(root_ / "etc/weft/x.conf", text, why));
    EXPECT_EQ(text, "[Main]\nPort=1\n");
}

// ---------------------------------------------------------------- item 4: error floods

TEST_F(BadInput, AFloodOfSyntaxErrorsIsCappedWithACount) {
    auto dropIn = write("etc/weft/x.conf.d/10-garbage.conf", repeat("garbage\n", 100000));
    auto errors = loadErrors();
    ASSERT_EQ(errors.size(), kMaxReportedErrors + 1);
    EXPECT_EQ(errors[0].str(), dropIn.string() + ":1: expected Key=value");
    EXPECT_EQ(errors[99].str(), dropIn.string() + ":100: expected Key=value");
    EXPECT_EQ(errors[100].reason, "... and 99900 more errors");
    EXPECT_EQ(errors[100].where.str(), dropIn.string() + ":101");  // the first one not listed
}

TEST_F(BadInput, AFloodOfSchemaErrorsIsCappedWithACount) {
    auto errors = parseErrors({{"a.conf", "[Main]\n" + repeat("Bogus=1\n", 150)},
                               {"b.conf", "[Main]\n" + repeat("x\n", 300)}});
    ASSERT_EQ(errors.size(), kMaxReportedErrors + 1);
    EXPECT_EQ(errors[0].str(), "a.conf:2: [Main] Bogus: unknown key 'Bogus'");
    EXPECT_EQ(errors[100].str(), "a.conf:102: ... and 350 more errors");
}

TEST(ErrorLimit, LimitingTwiceKeepsTheCountExact) {
    std::vector<ConfigError> a(250, ConfigError{Location{"a.conf", 1}, "", "", "bad"});
    config::limitErrors(a, 7);
    ASSERT_EQ(a.size(), kMaxReportedErrors + 1);
    EXPECT_EQ(a.back().reason, "... and 157 more errors");
    // Two plugins' lists merged, then limited again: the summary counts what it stands for.
    std::vector<ConfigError> merged(50, ConfigError{Location{"b.conf", 1}, "", "", "bad"});
    merged.insert(merged.end(), a.begin(), a.end());
    config::limitErrors(merged);
    ASSERT_EQ(merged.size(), kMaxReportedErrors + 1);
    EXPECT_EQ(merged.back().reason, "... and 207 more errors");  // 50 + 250 + 7 - 100 shown
    std::vector<ConfigError> few(3, ConfigError{Location{"c.conf", 1}, "", "", "bad"});
    config::limitErrors(few);
    EXPECT_EQ(few.size(), 3u);
}

TEST(ErrorLimit, JoinLimitedCountsTheRest) {
    std::vector<std::string> items(130, "e");
    std::string text = joinLimited(items, "; ");
    EXPECT_EQ(text.substr(0, 7), "e; e; e");
    EXPECT_EQ(text.substr(text.size() - 18), "e; ... and 30 more");
    EXPECT_EQ(joinLimited({"a", "b"}, "; "), "a; b");
}

// ---------------------------------------------------------------- item 5: UTF-8

TEST(Utf8, ValidityFollowsWhatSdBusAccepts) {
    EXPECT_TRUE(isValidUtf8("plain ascii"));
    EXPECT_TRUE(isValidUtf8("Grüße, 日本, \xF0\x9F\x98\x80"));
    EXPECT_FALSE(isValidUtf8("\xFF"));
    EXPECT_FALSE(isValidUtf8("a\xC3"));                 // cut short
    EXPECT_FALSE(isValidUtf8("\xC0\xAF"));              // overlong '/'
    EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));          // overlong '/'
    EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));          // a UTF-16 surrogate
    EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));      // past U+10FFFF
    EXPECT_FALSE(isValidUtf8("\xEF\xBF\xBE"));          // U+FFFE
    EXPECT_FALSE(isValidUtf8(std::string("a\0b", 3)));  // sd-bus strings end at NUL
    EXPECT_FALSE(isValidUtf8("\x80"));
}

TEST(Utf8, EscapingKeepsValidCharactersAndShowsTheBadBytes) {
    EXPECT_EQ(escapeInvalidUtf8("ok"), "ok");
    EXPECT_EQ(escapeInvalidUtf8("f\xFFo\xC3\xA9"), "f\\xffo\xC3\xA9");
    EXPECT_EQ(escapeInvalidUtf8("\xED\xA0\x80"), "\\xed\\xa0\\x80");
    EXPECT_TRUE(isValidUtf8(escapeInvalidUtf8("\xC0\xAF\xFE\xFF")));
}

TEST(Utf8, BusTextIsBoundedAndNeverSplitsACharacter) {
    std::string s = repeat("\xC3\xA9", 100);  // 200 bytes of 'é'
    std::string t = busText(s, 51);
    EXPECT_TRUE(isValidUtf8(t));
    EXPECT_EQ(t, repeat("\xC3\xA9", 25) + " [... 150 more bytes]");
    EXPECT_EQ(busText("short", 51), "short");
    EXPECT_LE(busText(std::string(1 << 20, 'x')).size(), kMaxBusText + 32);
}

TEST(Utf8, ASectionNameKeyOrValueThatIsNotUtf8IsRefusedWithItsLine) {
    auto errors = test::errorsOf("[Main]\nName=caf\xE9\n[Ma\xFFin]\nPort=5\n[Main]\nN\xFFme=x\n");
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_EQ(errors[0], "t.conf:2: [Main]: line is not valid UTF-8");
    // The refused header opens no section, and its Port=5 lands in none.
    EXPECT_EQ(errors[1], "t.conf:3: line is not valid UTF-8");
    EXPECT_EQ(errors[2], "t.conf:6: [Main]: line is not valid UTF-8");
    EXPECT_TRUE(test::errorsOf("[Main]\nName=café\n# comment \xFF is ignored\n").empty());
}

TEST_F(BadInput, AFileNameThatIsNotUtf8IsRefusedAndShownEscaped) {
    write("etc/weft/x.conf.d/10-\xFF.conf", "[Main]\nPort=2\n");
    auto errors = loadErrors();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].str(), (root_ / "etc/weft/x.conf.d/10-\\xff.conf").string() +
                                   ":0: file name is not valid UTF-8; rename the file");
}
