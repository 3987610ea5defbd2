#include "agent/cli/block_guard.h"

#include <unistd.h>

#include <cstdio>

#include "agent/config/config.h"
#include "base/text.h"

namespace mailtrail::cli {

StatusOr<BlockGuard> LoadBlockGuard(const std::optional<std::string>& config_path,
                                    const std::optional<std::string>& postfix_dir) {
  Config c;
  if (config_path) {
    auto loaded = LoadConfig(*config_path);
    if (!loaded.ok()) return loaded.status();
    c = *loaded;
  } else if (::access(kDefaultConfigPath, R_OK) == 0) {
    // The agent's own file, so that `blocks add` refuses what the agent would.
    auto loaded = LoadConfig(kDefaultConfigPath);
    if (!loaded.ok()) return loaded.status();
    c = *loaded;
  }
  if (postfix_dir) c.blocks.postfix_config_dir = *postfix_dir;
  BlockGuard g;
  g.min_subject_chars = static_cast<size_t>(c.blocks.min_subject_chars);
  for (const AllowEntry& e : AlwaysProtected()) g.allow.Add(e.net, e.source);
  for (const AllowEntry& e : LoopbackNetworks()) g.allow.Add(e.net, e.source);
  if (c.blocks.allow_own_addresses)
    for (const Cidr& a : OwnAddresses()) g.allow.Add(a, "an address of this machine");
  if (c.blocks.allow_mynetworks) {
    auto value = PostconfMynetworks(c.blocks.postfix_config_dir);
    if (value.ok()) {
      for (const Cidr& n : ParseMynetworks(*value, nullptr)) g.allow.Add(n, "Postfix's mynetworks");
    } else if (value.status().code() != Status::Code::kNotFound) {  // NotFound: no main.cf
      std::fprintf(stderr, "mailtrail blocks: mynetworks not read (%s)\n",
                   EscapeForLog(value.status().message(), 300).c_str());
    }
  }
  for (const std::string& a : c.blocks.allow)
    if (auto n = Cidr::Parse(a)) g.allow.Add(*n, "[blocks] allow");
  return g;
}

std::string ProtectedReason(const BlockGuard& guard, const Cidr& net) {
  const AllowEntry* e = guard.allow.Overlapping(net);
  if (e == nullptr) return "";
  const bool single = net.bits() == (net.base().is_v4() ? 32 : 128);
  const std::string what =
      single ? net.base().ToString() + " is in " : net.ToString() + " overlaps ";
  return what + e->net.ToString() + " (" + e->source + "), which is never blocked";
}

}  // namespace mailtrail::cli
