#include "agent/cli/block_guard.h"

#include <unistd.h>

#include <cstdio>

#include "agent/config/config.h"
#include "agent/detect/subject.h"
#include "base/host_name.h"
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
  return MakeBlockGuard(c);
}

BlockGuard MakeBlockGuard(const Config& c) {
  BlockGuard g;
  g.min_subject_chars = static_cast<size_t>(c.blocks.min_subject_chars);
  g.max_period = c.blocks.max_period;
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

StatusOr<Block> ManualBlock(const BlockGuard& guard, const std::string& kind,
                            const std::string& key, const std::string& reason, TimeUs now,
                            TimeUs period) {
  auto parsed = ParseBlockKind(kind);
  if (!parsed.ok()) return parsed.status();
  Block b;
  b.kind = *parsed;
  b.key = key;
  if (b.kind == BlockKind::kIp) {
    auto ip = IpAddress::Parse(b.key);
    if (!ip) return Status::InvalidArgument("not an IP address: " + b.key);
    b.key = ip->ToString();
  } else if (b.kind == BlockKind::kCidr) {
    auto c = Cidr::Parse(b.key);
    if (!c) return Status::InvalidArgument("not a CIDR: " + b.key);
    b.key = c->ToString();
  } else {
    b.raw_subjects = {OneLine(b.key)};  // a line break would make two rules
    const std::string given = b.key;
    b.key = NormalizeSubject(b.key);
    if (b.key.empty()) return Status::InvalidArgument("the subject is empty once normalized");
    // A key as `blocks list` prints it ("your invoice #"): header_checks
    // matches the subject as written, and a '#' or '@' standing for a
    // number or an address matches none (helper-149 F8).
    const std::string words = " " + b.key + " ";
    if (given == b.key &&
        (words.find(" # ") != std::string::npos || words.find(" @ ") != std::string::npos))
      return Status::InvalidArgument(
          "refused: '" + given +
          "' is a normalized key, as `blocks list` prints it ('#' for a number, '@' for an "
          "address): header_checks matches the subject as the mail has it; give one such "
          "subject (its numbers may differ)");
  }
  // Allowlists win over a block by hand too: refused here, with the reason,
  // whatever this machine can know (the agent checks again).
  std::string refused;
  if (b.kind != BlockKind::kSubject) {
    refused = ProtectedReason(guard, *Cidr::Parse(b.key));
  } else if (SubjectChars(b.key) < guard.min_subject_chars) {
    refused = "subject too short: '" + b.key + "' has " + std::to_string(SubjectChars(b.key)) +
              " characters once normalised, fewer than " + std::to_string(guard.min_subject_chars) +
              " ([blocks] min_subject_chars): its block would refuse mail it does not name";
  }
  if (!refused.empty()) return Status::InvalidArgument("refused: " + refused);
  b.reason = reason.empty() ? "added by hand" : reason;
  b.rule = "manual";
  b.origin_host = MachineName();
  b.created = now;
  b.expires = now + period;
  return b;
}

}  // namespace mailtrail::cli
