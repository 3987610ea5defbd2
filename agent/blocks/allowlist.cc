#include "agent/blocks/allowlist.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "base/run_program.h"

namespace mailtrail {

void Allowlist::Add(const Cidr& net, const std::string& source) {
  entries_.push_back({net, source});
  if (auto mapped = net.MappedV6()) entries_.push_back({*mapped, source});
}

const AllowEntry* Allowlist::Overlapping(const Cidr& net) const {
  for (const AllowEntry& e : entries_)
    if (e.net.Overlaps(net)) return &e;
  return nullptr;
}

std::vector<AllowEntry> AlwaysProtected() {
  const struct {
    const char* net;
    const char* source;
  } kNets[] = {
      {"0.0.0.0/32", "unspecified"},       {"::/128", "unspecified"},
      {"127.0.0.1/32", "loopback"},        {"::1/128", "loopback"},
      {"255.255.255.255/32", "broadcast"}, {"224.0.0.0/4", "multicast"},
      {"ff00::/8", "multicast"},
  };
  std::vector<AllowEntry> out;
  for (const auto& n : kNets) out.push_back({*Cidr::Parse(n.net), n.source});
  return out;
}

std::vector<AllowEntry> LoopbackNetworks() {
  return {{*Cidr::Parse("127.0.0.0/8"), "loopback"}, {*Cidr::Parse("::1/128"), "loopback"}};
}

std::vector<Cidr> ParseMynetworks(std::string_view value, std::vector<std::string>* skipped) {
  std::vector<Cidr> out;
  size_t pos = 0;
  while (pos < value.size()) {
    const size_t end = value.find_first_of(" ,\t\n", pos);
    std::string item(value.substr(pos, end == std::string_view::npos ? value.npos : end - pos));
    pos = end == std::string_view::npos ? value.size() : end + 1;
    if (item.empty()) continue;
    std::string net = item;
    if (net.front() == '[') {  // [ipv6]/len
      const size_t close = net.find(']');
      if (close != std::string::npos) net = net.substr(1, close - 1) + net.substr(close + 1);
    }
    if (auto c = Cidr::Parse(net)) {
      out.push_back(*c);
    } else if (skipped) {
      skipped->push_back(item);
    }
  }
  return out;
}

StatusOr<std::string> PostconfMynetworks(const std::string& config_dir,
                                         const std::string& postconf) {
  // Without a main.cf postconf only fails, after Postfix's one-second pause.
  struct stat st;
  if (stat((config_dir + "/main.cf").c_str(), &st) != 0)
    return Status::NotFound(config_dir + "/main.cf: " + std::strerror(errno));
  return RunProgram({postconf, "-c", config_dir, "-h", "mynetworks"}, kPostconfTimeoutMs);
}

bool OnlyLoopback(const std::vector<Cidr>& own) {
  return std::all_of(own.begin(), own.end(), [](const Cidr& c) { return c.base().IsLoopback(); });
}

std::vector<Cidr> OwnAddresses() {
  std::vector<Cidr> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, text,
                sizeof text);
    } else {
      continue;
    }
    if (auto c = Cidr::Parse(text)) out.push_back(*c);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace mailtrail
