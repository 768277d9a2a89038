#include "bus_api.hpp"

#include "mesh_plugin.hpp"

namespace weft::mesh {

namespace {

template <typename T>
const T& arg(const std::vector<BusValue>& args, size_t index, const char* name) {
    if (index >= args.size() || !std::holds_alternative<T>(args[index]))
        throw BusError("InvalidArgument", std::string(name) + ": missing or of the wrong type");
    return std::get<T>(args[index]);
}

const std::vector<BusArg> kPeerArgs{{"name", "s"},
                                    {"publicKey", "s"},
                                    {"endpoints", "as"},
                                    {"allowedIps", "as"},
                                    {"persistentKeepaliveSeconds", "u"}};

}  // namespace

PeerArgs peerArgsFromBus(const std::vector<BusValue>& args) {
    using Strings = std::vector<std::string>;
    return PeerArgs{arg<std::string>(args, 0, "name"), arg<std::string>(args, 1, "publicKey"),
                    arg<Strings>(args, 2, "endpoints"), arg<Strings>(args, 3, "allowedIps"),
                    arg<uint32_t>(args, 4, "persistentKeepaliveSeconds")};
}

void registerBusApi(BusObject& bus, MeshPlugin& plugin) {
    // The private key has no property: secrets are never readable over D-Bus.
    bus.addProperty("PublicKey", "s", [&plugin] { return BusValue{plugin.publicKey()}; });
    bus.addProperty("ListenPort", "u",
                    [&plugin] { return BusValue{uint32_t(plugin.settings().listenPort)}; });
    bus.addProperty("Interface", "s", [&plugin] { return BusValue{plugin.settings().interface}; });
    bus.addProperty("Peers", "aa{ss}", [&plugin] { return BusValue{plugin.peerRows()}; });
    bus.addMethod(
        "AddPeer", kPeerArgs, {},
        [&plugin](const std::vector<BusValue>& a) {
            plugin.addPeer(peerArgsFromBus(a));
            return std::vector<BusValue>{};
        },
        true);
    bus.addMethod(
        "UpdatePeer", kPeerArgs, {},
        [&plugin](const std::vector<BusValue>& a) {
            plugin.updatePeer(peerArgsFromBus(a));
            return std::vector<BusValue>{};
        },
        true);
    bus.addMethod(
        "RemovePeer", {{"name", "s"}}, {},
        [&plugin](const std::vector<BusValue>& a) {
            plugin.removePeer(arg<std::string>(a, 0, "name"));
            return std::vector<BusValue>{};
        },
        true);
    bus.addSignal("PeerStateChanged", {{"name", "s"}, {"state", "s"}});
}

}  // namespace weft::mesh
