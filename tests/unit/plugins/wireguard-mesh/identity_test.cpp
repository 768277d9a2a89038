// The node's identity: generated once, at start (0600, atomically), reused, never exposed;
// a corrupt, exposed or vanished key file is an error, never a new identity.
#include <gmock/gmock.h>
#include <sys/stat.h>

#include "key_file.hpp"
#include "mesh_fixture.hpp"

namespace weft::mesh::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string firstLine(const fs::path& p) {
    std::string line;
    std::getline(std::ifstream(p), line);
    return line;
}

TEST_F(MeshTest, KeyIsGeneratedOnceWithMode0600AndReused) {
    start("[Mesh]\n");
    fs::path file = dir / "state" / "private.key";
    struct stat st {};
    ASSERT_EQ(stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::string priv = firstLine(file);
    ASSERT_TRUE(wg::isValidKey(priv));
    EXPECT_EQ(plugin->publicKey(), *wg::publicKeyFor(priv));
    EXPECT_EQ(std::get<std::string>(host->busObject.get("PublicKey")), plugin->publicKey());
    EXPECT_EQ(plugin->desiredState().wireguard.at(0).privateKey, priv);
    // Nothing but the key is left in the directory (the temporary file was renamed).
    EXPECT_EQ(std::distance(fs::directory_iterator(dir / "state"), fs::directory_iterator()), 1);

    std::string first = plugin->publicKey();
    start("[Mesh]\n");  // a daemon restart: a new plugin instance
    EXPECT_EQ(plugin->publicKey(), first);
    EXPECT_EQ(firstLine(file), priv);
}

TEST_F(MeshTest, PrivateKeyNeverLeavesThroughDescribeLogsOrBus) {
    std::string k = newPublicKey();
    start("[Mesh]\n[Peer b]\nPublicKey=" + k + "\nAllowedIPs=10.244.2.0/24\n");
    std::string priv = firstLine(dir / "state" / "private.key");
    EXPECT_EQ(plugin->describe().find(priv), std::string::npos);
    for (auto& line : host->logs)
        EXPECT_EQ(line.find(priv), std::string::npos) << line;
    for (auto& [name, property] : host->busObject.properties) {
        EXPECT_EQ(name.find("Private"), std::string::npos);
        BusValue v = property.second();
        if (auto* s = std::get_if<std::string>(&v)) {
            EXPECT_NE(*s, priv) << name;
        }
    }
    for (auto& r : rows()) {
        for (auto& [key, value] : r)
            EXPECT_EQ(value.find(priv), std::string::npos) << key;
    }
    EXPECT_THAT(plugin->describe(), HasSubstr(plugin->publicKey()));
}

TEST_F(MeshTest, CorruptKeyFileIsAnErrorNeverANewIdentity) {
    fs::create_directories(dir / "state");
    fs::path file = dir / "state" / "private.key";
    for (std::string junk : {std::string("garbage\n"), std::string(""),
                             wg::generatePrivateKey() + "\nsecond line\n"}) {
        writeKeyFile(file, junk);
        try {
            start("[Mesh]\n");
            FAIL() << "a corrupt key must fail start()";
        } catch (const std::runtime_error& e) {
            EXPECT_THAT(e.what(), HasSubstr(file.string()));
            EXPECT_THAT(e.what(), HasSubstr("refusing to start with another identity"));
        }
        EXPECT_EQ(readFile(file), junk) << "the file is left for the operator";
        EXPECT_TRUE(host->busObject.methods.empty()) << "a failed start registers nothing";
        EXPECT_TRUE(host->timers.empty());
    }
}

TEST_F(MeshTest, UnreadableKeyFileIsAnError) {
    // As root every file is readable: a directory in its place cannot be read either.
    fs::create_directories(dir / "state" / "private.key");
    EXPECT_THROW(start("[Mesh]\n"), std::runtime_error);
    EXPECT_TRUE(fs::is_directory(dir / "state" / "private.key"));
}

TEST_F(MeshTest, ReloadRereadsTheKeyAndRefusesACorruptOne) {
    start("[Mesh]\n");
    std::string generated = plugin->publicKey();
    std::string priv = wg::generatePrivateKey();
    fs::path other = dir / "other.key";
    writeKeyFile(other, priv + "\n");
    host->busObject.changed.clear();
    reload("[Mesh]\nPrivateKeyFile=" + other.string() + "\n");
    EXPECT_EQ(plugin->publicKey(), *wg::publicKeyFor(priv));
    EXPECT_THAT(host->busObject.changed, ::testing::Contains("PublicKey"));
    EXPECT_EQ(plugin->desiredState().wireguard.at(0).privateKey, priv);
    reload("[Mesh]\n");
    EXPECT_EQ(plugin->publicKey(), generated) << "back to the generated key";

    writeFile(dir / "state" / "private.key", "broken\n");
    auto errors = errorsOf("[Mesh]\n", plugin.get());
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_THAT(errors[0], HasSubstr("wireguard-mesh.conf:1: [Mesh]: private key: "));
    EXPECT_THAT(errors[0], HasSubstr("private.key"));
    EXPECT_EQ(plugin->publicKey(), generated) << "a refused reload keeps the identity";
    EXPECT_EQ(readFile(dir / "state" / "private.key"), "broken\n");
}

TEST_F(MeshTest, AKeyFileDeletedWhileRunningIsAnErrorNeverANewIdentity) {
    start("[Mesh]\n");
    fs::path file = dir / "state" / "private.key";
    std::string identity = plugin->publicKey();
    fs::remove(file);
    auto errors = errorsOf("[Mesh]\n", plugin.get());
    ASSERT_EQ(errors.size(), 1u) << "the reload is refused";
    EXPECT_THAT(errors[0], HasSubstr("[Mesh]: private key: " + file.string() + " does not exist"));
    EXPECT_FALSE(fs::exists(file));
    EXPECT_EQ(plugin->publicKey(), identity);

    // Deleted between validate() and configure(): the plugin fails, with nothing generated.
    plugin->configure(parse("[Mesh]\n"));
    try {
        plugin->desiredState();
        FAIL() << "a vanished key must fail the plugin";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr(file.string() + " does not exist"));
    }
    EXPECT_FALSE(fs::exists(file));

    // Only a new start of the plugin (weftd restarted) makes a new node, as documented.
    start("[Mesh]\n");
    EXPECT_TRUE(fs::exists(file));
    EXPECT_NE(plugin->publicKey(), identity);
}

TEST_F(MeshTest, AKeyFileOthersCanReadIsRefused) {
    start("[Mesh]\n");
    fs::path file = dir / "state" / "private.key";
    fs::permissions(file, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
    auto errors = errorsOf("[Mesh]\n", plugin.get());
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_THAT(errors[0], HasSubstr(file.string() + " is readable by its group or others (mode "
                                                     "0644)"));
    EXPECT_THAT(errors[0], HasSubstr("chmod 600"));
    try {
        start("[Mesh]\n");
        FAIL() << "start() must refuse an exposed key";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("readable by its group or others"));
    }

    fs::path own = dir / "node.key";
    writeKeyFile(own, wg::generatePrivateKey() + "\n");
    fs::permissions(own, fs::perms::group_read, fs::perm_options::add);
    EXPECT_THAT(errorsOf("[Mesh]\nPrivateKeyFile=" + own.string() + "\n"),
                ElementsAre(HasSubstr(":2: [Mesh] PrivateKeyFile: " + own.string() +
                                      " is readable by its group or others (mode 0640)")));
}

TEST_F(MeshTest, LeftoversOfAnInterruptedWriteAreRemovedAtStart) {
    fs::create_directories(dir / "state");
    fs::create_directories(dir / "run");
    for (auto* name : {"state/private.key.Ab12Cd", "run/peers.json.x9Y8z7"})
        writeFile(dir / name, "half");
    // Not what mkostemp() leaves: kept.
    for (auto* name : {"state/private.key.old", "run/peers.json.corrupt", "state/other.Ab12Cd"})
        writeFile(dir / name, "keep");
    start("[Mesh]\n");
    EXPECT_FALSE(fs::exists(dir / "state/private.key.Ab12Cd"));
    EXPECT_FALSE(fs::exists(dir / "run/peers.json.x9Y8z7"));
    for (auto* name : {"state/private.key.old", "run/peers.json.corrupt", "state/other.Ab12Cd"})
        EXPECT_TRUE(fs::exists(dir / name)) << name;
    EXPECT_TRUE(std::any_of(host->logs.begin(), host->logs.end(), [](auto& l) {
        return l.find("private.key.Ab12Cd, left by an interrupted write") != std::string::npos;
    }));
}

TEST_F(MeshTest, PrivateKeyFileIsUsedAndNothingIsGenerated) {
    std::string priv = wg::generatePrivateKey();
    fs::path file = dir / "node.key";
    writeKeyFile(file, priv);  // no trailing newline: as some tools write it
    start("[Mesh]\nPrivateKeyFile=" + file.string() + "\n");
    EXPECT_EQ(plugin->publicKey(), *wg::publicKeyFor(priv));
    EXPECT_FALSE(fs::exists(dir / "state" / "private.key"));
}

TEST(MeshKeyFile, AtomicWriteReplacesContentAndMode) {
    std::string pattern = (fs::temp_directory_path() / "weft-keyfile-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    fs::path d = pattern;
    writeFileAtomically(d / "f", "one", 0644);
    writeFileAtomically(d / "f", "two", 0600);
    EXPECT_EQ(readFile(d / "f"), "two");
    struct stat st {};
    ASSERT_EQ(stat((d / "f").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_THROW(writeFileAtomically(d / "missing-dir" / "f", "x", 0600), std::runtime_error);
    fs::remove_all(d);
}

}  // namespace
}  // namespace weft::mesh::test
