// systemd INI syntax through inih: comments, continuations, line numbers, refused lines.
#include <gtest/gtest.h>

#include "config_test_util.hpp"

using namespace weft;
using weft::test::errorsOf;
using weft::test::testSchema;
using Errors = std::vector<std::string>;

namespace {
Section mainOf(const std::string& text) {
    return *config::parseText(text, "t.conf", testSchema()).section("Main");
}
}  // namespace

TEST(Syntax, CommentsOnlyAtLineStart) {
    auto m = mainOf(
        "# comment\n  ; indented comment\n\t# tab\n[Main]\n#Port=1\nName=a;b #c ; d\n"
        "Notes=x ;y\nNotes=#z\n");
    EXPECT_EQ(m.integer("Port"), 80);
    EXPECT_EQ(m.str("Name"), "a;b #c ; d") << "no inline comments";
    EXPECT_EQ(m.strings("Notes"), (std::vector<std::string>{"x ;y", "#z"}));
}

TEST(Syntax, WhitespaceAroundKeyAndValueIsTrimmed) {
    auto m = mainOf("  [Main]  \n  Port =  8080  \r\n\tName\t=\t a  b \t\n");
    EXPECT_EQ(m.integer("Port"), 8080) << "indented lines are not inih continuations";
    EXPECT_EQ(m.str("Name"), "a  b");
}

TEST(Syntax, ByteOrderMarkAndCrLf) {
    auto m = mainOf("\xEF\xBB\xBF[Main]\r\nPort=9\r\n");
    EXPECT_EQ(m.integer("Port"), 9);
}

TEST(Syntax, ValuesKeepEqualsAndColons) {
    auto m = mainOf("[Main]\nName=a=b:c\nAt=192.0.2.1:5\n");
    EXPECT_EQ(m.str("Name"), "a=b:c");
    EXPECT_EQ(std::get<Endpoint>(m.find("At")->value).port, 5);
}

TEST(Syntax, BackslashContinuesALineWithOneSpace) {
    auto m = mainOf(
        "[Main]\nName=one \\\n   two\\\n# a comment inside is skipped\nthree\n"
        "Prefixes=10.0.0.0/8 \\\n  192.0.2.0/24\nPort=\\\n81\n");
    EXPECT_EQ(m.str("Name"), "one two three");
    EXPECT_EQ(m.prefixes("Prefixes").size(), 2u);
    EXPECT_EQ(m.integer("Port"), 81);
    EXPECT_EQ(m.find("Prefixes")->where.line, 6u) << "located at the first physical line";
}

TEST(Syntax, EscapedBackslashEndsTheLine) {
    auto m = mainOf("[Main]\nName=a\\\\\nPort=81\nNotes=b\\\\\\\nc\n");
    EXPECT_EQ(m.str("Name"), "a\\\\") << "an even run of backslashes is literal";
    EXPECT_EQ(m.integer("Port"), 81);
    EXPECT_EQ(m.strings("Notes"), (std::vector<std::string>{"b\\\\ c"}));
}

TEST(Syntax, ContinuationAtEndOfText) {
    EXPECT_EQ(mainOf("[Main]\nName=end \\").str("Name"), "end");
    EXPECT_EQ(mainOf("[Main]\nName=x\n\\\n").str("Name"), "x");
}

TEST(Syntax, LineNumbersAfterContinuations) {
    EXPECT_EQ(errorsOf("[Main]\nName=a \\\nb \\\nc\nPort=0\n"),
              (Errors{"t.conf:5: [Main] Port: value 0 out of range [1, 65535]"}));
}

TEST(Syntax, LinesWithoutEqualsAreRefused) {
    EXPECT_EQ(
        errorsOf("[Main]\nPort: 5\nbare words\n=x\nKey: a=b\n"),
        (Errors{"t.conf:2: [Main]: expected Key=value", "t.conf:3: [Main]: expected Key=value",
                "t.conf:4: [Main]: expected Key=value; the key is missing",
                "t.conf:5: [Main]: expected Key=value; 'Key: a' is not a key name "
                "(letters, digits, '_', '-', '.')"}));
}

TEST(Syntax, LineAtTheLimitIsAccepted) {
    std::string name = "Name=" + std::string(199 - 5, 'x');
    ASSERT_EQ(name.size(), 199u);
    EXPECT_EQ(mainOf("[Main]\n" + name + "\nPort=7\n").str("Name"), std::string(194, 'x'));
    EXPECT_EQ(mainOf("[Main]\n" + name + "\nPort=7\n").integer("Port"), 7)
        << "inih must not read the next line as the rest of this one";
}

TEST(Syntax, LongLinesAreRefusedNotTruncated) {
    std::string line = "Prefixes=";
    while (line.size() < 200)
        line += "10.0.0.0/8 ";
    line.pop_back();  // 9 + 18 * 11 - 1 = 206 characters
    ASSERT_EQ(line.size(), 206u);
    EXPECT_EQ(errorsOf("[Main]\n" + line + "\n"),
              (Errors{"t.conf:2: [Main] Prefixes: line too long (206 characters, limit 199); "
                      "split the list over repeated Prefixes= lines"}));
}

TEST(Syntax, JoinedLinesCountAsOneLine) {
    std::string half =
        "10.0.0.0/8 10.0.0.0/8 10.0.0.0/8 10.0.0.0/8 10.0.0.0/8 10.0.0.0/8 "
        "10.0.0.0/8 10.0.0.0/8 10.0.0.0/8";  // 98 characters
    ASSERT_EQ(half.size(), 98u);
    EXPECT_EQ(errorsOf("[Main]\nPort=1\nPrefixes=" + half + " \\\n  " + half + "\n"),
              (Errors{"t.conf:3: [Main] Prefixes: line too long (206 characters, limit 199); "
                      "split the list over repeated Prefixes= lines"}));
    std::string name = "Name=" + std::string(150, 'y') + " \\\n" + std::string(43, 'z');
    EXPECT_EQ(mainOf("[Main]\n" + name + "\n").str("Name").size(), 194u);
}

TEST(Syntax, LongSectionHeaderIsRefused) {
    std::string header = "[Peer " + std::string(200, 'p') + "]";
    EXPECT_EQ(errorsOf(header + "\nPublicKey=x\n"),
              (Errors{"t.conf:1: line too long (207 characters, limit 199)"}));
}

TEST(Syntax, SectionHeaderErrors) {
    EXPECT_EQ(errorsOf("[Main\nPort=0\n[]\nPort=0\n[Main]x\n[[Main]]\n[Main]\nPort=5\n"),
              (Errors{"t.conf:1: malformed section header; expected [Name] or [Name id]",
                      "t.conf:3: malformed section header; expected [Name] or [Name id]",
                      "t.conf:5: malformed section header; expected [Name] or [Name id]",
                      "t.conf:6: malformed section header; expected [Name] or [Name id]"}))
        << "lines of a refused section are not reported again";
}

TEST(Syntax, AssignmentOutsideAnySection) {
    EXPECT_EQ(errorsOf("Port=5\n[Main]\n"),
              (Errors{"t.conf:1: Port: assignment outside of any section"}));
}

TEST(Syntax, ControlCharactersAreRefused) {
    const char text[] =
        "[Main]\nName=a\x01"
        "b\nName=a\0b\n";
    EXPECT_EQ(errorsOf(std::string(text, sizeof text - 1)),
              (Errors{"t.conf:2: [Main]: line contains a control character",
                      "t.conf:3: [Main]: line contains a control character"}));
}

TEST(Syntax, ErrorsFromAllFilesAreCollectedInFileOrder) {
    auto errors = errorsOf({{"main.conf", "[Main]\nPort=0\nbad\n"},
                            {"d/10.conf", "[Main]\nEnabled=maybe\n"},
                            {"d/20.conf", "[Mian]\n"}});
    EXPECT_EQ(errors,
              (Errors{"main.conf:2: [Main] Port: value 0 out of range [1, 65535]",
                      "main.conf:3: [Main]: expected Key=value",
                      "d/10.conf:2: [Main] Enabled: 'maybe' is not a boolean (yes/no, "
                      "true/false, on/off, 1/0)",
                      "d/20.conf:1: [Mian]: unknown section 'Mian'; did you mean 'Main'?"}));
}
