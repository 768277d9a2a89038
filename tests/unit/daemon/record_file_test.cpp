// The reconciler's record file (/run/weft/applied.json) as an earlier weftd left it: what
// it names is what a restarted weftd may remove; a file it cannot read is ignored, not fatal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "reconciler.hpp"

using namespace weft;
namespace fs = std::filesystem;

namespace {

class RecordFile : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/weft-record-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir = tmpl;
    }
    void TearDown() override { fs::remove_all(dir); }

    // The plugins a new reconciler finds in a record file holding `text`. Loading touches
    // no engine, so none is made.
    std::vector<std::string> recorded(const std::string& text) {
        std::ofstream(dir / "applied.json") << text;
        KernelEngines none;
        return Reconciler(none, dir / "applied.json").recordedPlugins();
    }

    fs::path dir;
};

TEST_F(RecordFile, NamesEveryRecordedPlugin) {
    // As Reconciler::save() writes it (see reconciler.cpp); a weftd before priority lists wrote
    // at most one range, in the same format.
    EXPECT_EQ(recorded(R"({
  "wireguard-mesh": {"tables": [], "priorities": [], "links": ["weft0"]},
  "fwmark-routing": {"tables": [[180, 181]], "priorities": [[5100, 5199], [32800, 32899]],
                     "links": []},
  "exemption-rules": {"tables": [], "priorities": [[5000, 5099]], "links": []},
  "old-weft": {"tables": [[4294967295, 4294967295]]}
})"),
              (std::vector<std::string>{"exemption-rules", "fwmark-routing", "old-weft",
                                        "wireguard-mesh"}));
}

TEST_F(RecordFile, IgnoresAFileItCannotRead) {
    EXPECT_TRUE(recorded("").empty());
    EXPECT_TRUE(recorded(R"({"fwmark-routing": {"tables": [[180, )").empty());
    EXPECT_TRUE(recorded(R"(["fwmark-routing"])").empty());
    EXPECT_TRUE(recorded(R"({"fwmark-routing": {"tables": [["180", 180]]}})").empty());
    EXPECT_TRUE(recorded(R"({"fwmark-routing": {"links": [7]}})").empty());
}

TEST_F(RecordFile, NoFileNoRecords) {
    KernelEngines none;
    EXPECT_TRUE(Reconciler(none, dir / "absent.json").recordedPlugins().empty());
}

}  // namespace
