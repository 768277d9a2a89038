// Reads weft's tables back from the kernel (used to adopt state on a cache miss).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nft_engine.hpp"
#include "nft_model.hpp"
#include "nft_socket.hpp"

namespace weft::kernel::nft {

/// Every table in the kernel, with its comment and owner flag.
std::vector<TableHeader> readTables(NftSocket& sock);
/// One table's sets (with elements) and chains (with rule hashes; a rule without a weft hash
/// gets hash 0, so the chain never compares equal to a desired one).
TableView readTable(NftSocket& sock, TableFamily family, const std::string& name);
/// Counters of rules with a counter expression, with their comments.
std::vector<RuleCounter> readCounters(NftSocket& sock, TableFamily family,
                                      const std::string& table);
/// The table's named counter objects and their values.
std::map<std::string, weft::nft::CounterValue> readNamedCounters(NftSocket& sock,
                                                                 TableFamily family,
                                                                 const std::string& table);

}  // namespace weft::kernel::nft
