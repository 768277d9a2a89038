// The loader's refusals: unsafe directories and files, missing or wrong ABI, throwing
// constructors. Needs root (ownership checks), no kernel.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "plugin_loader.hpp"

namespace fs = std::filesystem;
using weft::PluginLoader;
using weft::PluginLoadError;

namespace {

class LoaderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("weft-loader-" + std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        chmod(dir_.c_str(), 0755);
        for (auto* n : {"good", "throws", "no_abi", "wrong_abi"}) {
            fs::copy_file(fs::path(LIBDIR) / (std::string(n) + ".so"),
                          dir_ / (std::string(n) + ".so"));
            chmod((dir_ / (std::string(n) + ".so")).c_str(), 0755);
        }
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string loadError(const std::string& name) {
        try {
            PluginLoader({dir_}).load(name);
        } catch (const PluginLoadError& e) {
            return e.what();
        }
        return "";
    }
    fs::path dir_;
};

TEST_F(LoaderTest, LoadsAGoodPluginAndUnloadsItAfterTheObject) {
    auto plugin = PluginLoader({dir_}).load("good");
    ASSERT_TRUE(plugin);
    EXPECT_EQ(plugin->info().name, "good");
    EXPECT_EQ(plugin->describe(), "{}");
    plugin.reset();  // deleter runs plugin code, then unloads: must not crash
}

TEST_F(LoaderTest, ReadsTheAbiWithoutLoading) {
    EXPECT_EQ(PluginLoader::readAbi(dir_ / "good.so"), weft::kPluginAbi);
    EXPECT_EQ(PluginLoader::readAbi(dir_ / "wrong_abi.so"), 99u);
    EXPECT_EQ(PluginLoader::readAbi(dir_ / "no_abi.so"), std::nullopt);
}

TEST_F(LoaderTest, RefusesAWrongAbiNamingBothNumbers) {
    auto e = loadError("wrong_abi");
    EXPECT_NE(e.find("ABI 99"), std::string::npos) << e;
    EXPECT_NE(e.find("ABI " + std::to_string(weft::kPluginAbi)), std::string::npos) << e;
}

TEST_F(LoaderTest, RefusesALibraryWithoutAbiMarker) {
    EXPECT_NE(loadError("no_abi").find("no ABI marker"), std::string::npos);
}

TEST_F(LoaderTest, ReportsAThrowingConstructor) {
    auto e = loadError("throws");
    EXPECT_NE(e.find("constructor exploded"), std::string::npos) << e;
}

TEST_F(LoaderTest, RefusesAWorldWritableDirectory) {
    chmod(dir_.c_str(), 0777);
    auto e = loadError("good");
    EXPECT_NE(e.find("group- or world-writable"), std::string::npos) << e;
    EXPECT_NE(e.find(dir_.string()), std::string::npos) << e;
}

TEST_F(LoaderTest, RefusesAGroupWritableFile) {
    chmod((dir_ / "good.so").c_str(), 0775);
    EXPECT_NE(loadError("good").find("group- or world-writable"), std::string::npos);
}

TEST_F(LoaderTest, RefusesADirectoryNotOwnedByRoot) {
    ASSERT_EQ(chown(dir_.c_str(), 65534, 65534), 0);
    auto e = loadError("good");
    EXPECT_NE(e.find("owned by uid 65534"), std::string::npos) << e;
}

TEST_F(LoaderTest, NamesTheSearchedDirectoriesWhenMissing) {
    auto e = loadError("absent");
    EXPECT_NE(e.find("not found"), std::string::npos);
    EXPECT_NE(e.find(dir_.string()), std::string::npos);
}

}  // namespace
