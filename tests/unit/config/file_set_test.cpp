// The search path: overrides, masking with /dev/null, drop-ins merged across directories.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config_test_util.hpp"

using namespace weft;
namespace fs = std::filesystem;
using Paths = std::vector<fs::path>;

namespace {

class FileSet : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/weft-config-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        sp_.root = root_;
    }
    void TearDown() override { fs::remove_all(root_); }

    fs::path write(const std::string& rel, const std::string& text) {
        fs::create_directories((root_ / rel).parent_path());
        std::ofstream(root_ / rel) << text;
        return root_ / rel;
    }
    fs::path mask(const std::string& rel) {
        fs::create_directories((root_ / rel).parent_path());
        fs::create_symlink("/dev/null", root_ / rel);
        return root_ / rel;
    }
    int port() {
        return config::load(sp_, "x", test::testSchema()).section("Main")->integer("Port");
    }

    fs::path root_;
    config::SearchPath sp_;
};

}  // namespace

TEST_F(FileSet, NothingAtAllGivesDefaults) {
    EXPECT_TRUE(config::findFiles(sp_, "x").empty());
    Config c = config::load(sp_, "x", test::testSchema());
    EXPECT_TRUE(c.files.empty());
    EXPECT_EQ(c.section("Main")->integer("Port"), 80);
    EXPECT_EQ(c.section("Main")->where.str(), "x.conf:0");
}

TEST_F(FileSet, HighestDirectoryMainFileWins) {
    write("usr/lib/weft/x.conf", "[Main]\nPort=1\n");
    write("usr/local/lib/weft/x.conf", "[Main]\nPort=2\n");
    EXPECT_EQ(config::findFiles(sp_, "x"), Paths{root_ / "usr/local/lib/weft/x.conf"});
    EXPECT_EQ(port(), 2);
    write("run/weft/x.conf", "[Main]\nPort=3\n");
    EXPECT_EQ(port(), 3);
    write("etc/weft/x.conf", "[Main]\n");
    EXPECT_EQ(config::findFiles(sp_, "x"), Paths{root_ / "etc/weft/x.conf"});
    EXPECT_EQ(port(), 80) << "an override replaces the whole lower file";
    write("etc/weft/y.conf", "[Main]\nPort=9\n");
    EXPECT_EQ(port(), 80) << "other components' files are not read";
}

TEST_F(FileSet, DevNullMasksTheMainFile) {
    write("usr/lib/weft/x.conf", "[Main]\nPort=1\n");
    write("usr/lib/weft/x.conf.d/10.conf", "[Main]\nEnabled=yes\n");
    mask("etc/weft/x.conf");
    EXPECT_EQ(config::findFiles(sp_, "x"), Paths{root_ / "usr/lib/weft/x.conf.d/10.conf"});
    Config c = config::load(sp_, "x", test::testSchema());
    EXPECT_EQ(c.section("Main")->integer("Port"), 80);
    EXPECT_TRUE(c.section("Main")->boolean("Enabled"));
}

TEST_F(FileSet, DropInsMergeAcrossDirectoriesByFileName) {
    write("usr/lib/weft/x.conf", "[Main]\nPort=1\n");
    write("usr/lib/weft/x.conf.d/20-b.conf", "[Main]\nPort=20\n");
    write("usr/lib/weft/x.conf.d/40-d.conf", "[Main]\nPort=40\n");
    write("run/weft/x.conf.d/10-a.conf", "[Main]\nPort=10\n");
    write("etc/weft/x.conf.d/30-c.conf", "[Main]\nPort=30\n");
    write("etc/weft/x.conf.d/40-d.conf", "[Main]\nPort=41\n");
    write("etc/weft/x.conf.d/50-e.txt", "[Main]\nPort=50\n");
    write("etc/weft/x.conf.d/.60-hidden.conf", "[Main]\nPort=60\n");
    fs::create_directories(root_ / "etc/weft/x.conf.d/70-dir.conf");
    mask("run/weft/x.conf.d/20-b.conf");
    EXPECT_EQ(
        config::findFiles(sp_, "x"),
        (Paths{root_ / "usr/lib/weft/x.conf", root_ / "run/weft/x.conf.d/10-a.conf",
               root_ / "etc/weft/x.conf.d/30-c.conf", root_ / "etc/weft/x.conf.d/40-d.conf"}));
    EXPECT_EQ(port(), 41);
    fs::remove(root_ / "etc/weft/x.conf.d/40-d.conf");
    EXPECT_EQ(port(), 40) << "the lower 40-d.conf is visible again";
    fs::remove(root_ / "run/weft/x.conf.d/20-b.conf");
    EXPECT_EQ(config::findFiles(sp_, "x")[2], root_ / "usr/lib/weft/x.conf.d/20-b.conf");
}

TEST_F(FileSet, ADirectoryDoesNotHideALowerDropIn) {
    write("usr/lib/weft/x.conf.d/40-d.conf", "[Main]\nPort=40\n");
    fs::create_directories(root_ / "etc/weft/x.conf.d/40-d.conf");
    EXPECT_EQ(config::findFiles(sp_, "x"), Paths{root_ / "usr/lib/weft/x.conf.d/40-d.conf"});
    EXPECT_EQ(port(), 40);
}

TEST_F(FileSet, ErrorsNameTheRealFilesAndComeFromAllOfThem) {
    auto main = write("etc/weft/x.conf", "[Main]\nPort=0\n");
    auto dropIn = write("usr/lib/weft/x.conf.d/10.conf", "[Main]\nPrts=1\n");
    try {
        config::load(sp_, "x", test::testSchema());
        FAIL() << "expected a ConfigException";
    } catch (const ConfigException& e) {
        EXPECT_EQ(std::string(e.what()),
                  main.string() + ":2: [Main] Port: value 0 out of range [1, 65535]\n" +
                      dropIn.string() + ":2: [Main] Prts: unknown key 'Prts'; did you mean " +
                      "'Ports'?");
    }
}

TEST_F(FileSet, RequiredKeysOfUnwrittenSectionsNameTheMainFile) {
    KeySpec need = test::key("Need", ValueType::String);
    need.required = true;
    Schema s{{SectionSpec{"Core", false, {need}, ""}}};
    auto expectError = [&](const std::string& expected) {
        try {
            config::load(sp_, "x", s);
            ADD_FAILURE() << "expected a ConfigException";
        } catch (const ConfigException& e) {
            EXPECT_EQ(std::string(e.what()), expected);
        }
    };
    expectError("x.conf:0: [Core] Need: required key is missing");
    write("etc/weft/x.conf.d/1.conf", "");
    expectError("x.conf:0: [Core] Need: required key is missing");
    auto main = write("run/weft/x.conf", "# nothing\n");
    expectError(main.string() + ":0: [Core] Need: required key is missing");
}

TEST_F(FileSet, UnreadableFilesAreErrors) {
    fs::create_directories(root_ / "etc/weft/x.conf");  // a directory where a file should be
    write("etc/weft/x.conf.d/10.conf", "[Main]\nPort=0\n");
    try {
        config::load(sp_, "x", test::testSchema());
        FAIL() << "expected a ConfigException";
    } catch (const ConfigException& e) {
        ASSERT_EQ(e.errors().size(), 2u);
        EXPECT_EQ(e.errors()[0].str(), (root_ / "etc/weft/x.conf.d/10.conf").string() +
                                           ":2: [Main] Port: value 0 out of range [1, 65535]");
        EXPECT_EQ(e.errors()[1].str(),
                  (root_ / "etc/weft/x.conf").string() + ":0: cannot read file: Is a directory");
    }
}

TEST_F(FileSet, EmptyRootMeansTheRealDirectories) {
    config::SearchPath sp;
    sp.dirs = {root_ / "a", root_ / "b"};
    write("b/x.conf", "[Main]\nPort=5\n");
    EXPECT_EQ(config::findFiles(sp, "x"), Paths{root_ / "b/x.conf"});
    EXPECT_EQ(config::load(sp, "x", test::testSchema()).section("Main")->integer("Port"), 5);
}
