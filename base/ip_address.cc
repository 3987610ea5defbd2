#include "base/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace mailtrail {

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.size() > 5 && (text.substr(0, 5) == "ipv6:" || text.substr(0, 5) == "IPv6:"))
    text.remove_prefix(5);
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  if (inet_pton(AF_INET, buf, ip.bytes_.data()) == 1) {
    ip.v4_ = true;
    return ip;
  }
  if (inet_pton(AF_INET6, buf, ip.bytes_.data()) == 1) {
    ip.v4_ = false;
    return ip;
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::FromBytes(std::string_view bytes) {
  if (bytes.size() != 4 && bytes.size() != 16) return std::nullopt;
  IpAddress ip;
  ip.v4_ = bytes.size() == 4;
  std::memcpy(ip.bytes_.data(), bytes.data(), bytes.size());
  return ip;
}

std::string IpAddress::Bytes() const {
  return std::string(reinterpret_cast<const char*>(bytes_.data()), v4_ ? 4 : 16);
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

}  // namespace mailtrail
