#include "base/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace mailtrail {

namespace {
// Dotted IPv4 exactly as inet_pton(AF_INET) takes it (four decimal parts of
// 1-3 digits, 0..255, no leading zero): most addresses in a log. Anything
// else goes the general way below.
bool ParseDottedQuad(std::string_view t, uint8_t* out) {
  if (t.size() < 7 || t.size() > 15) return false;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= t.size() || t[i] != '.') return false;
      ++i;
    }
    const size_t start = i;
    unsigned v = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9' && i - start < 3) v = v * 10 + (t[i++] - '0');
    if (i == start || v > 255 || (i - start > 1 && t[start] == '0')) return false;
    out[part] = static_cast<uint8_t>(v);
  }
  return i == t.size();
}
}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  {
    IpAddress ip;
    if (ParseDottedQuad(text, ip.bytes_.data())) return ip;  // v4_ is true
  }
  if (text.size() > 5 && (text.substr(0, 5) == "ipv6:" || text.substr(0, 5) == "IPv6:"))
    text.remove_prefix(5);
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
      text.find('\0') != std::string_view::npos)  // inet_pton would stop there
    return std::nullopt;
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
    // IPv4-mapped (::ffff:a.b.c.d) is that IPv4 address, as Postfix logs it.
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(ip.bytes_.data(), kMapped, sizeof kMapped) == 0) {
      std::memmove(ip.bytes_.data(), ip.bytes_.data() + 12, 4);
      std::memset(ip.bytes_.data() + 4, 0, 12);
      ip.v4_ = true;
    }
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

bool IpAddress::IsLoopback() const {
  if (v4_) return bytes_[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (bytes_[i] != 0) return false;
  return bytes_[15] == 1;
}

std::optional<HostPort> ParseLoopbackHostPort(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (port.empty() || port.size() > 5) return std::nullopt;
  int p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    p = p * 10 + (c - '0');
  }
  auto ip = IpAddress::Parse(host);
  if (!ip || !ip->IsLoopback() || p > 65535) return std::nullopt;
  return HostPort{*ip, p};
}

}  // namespace mailtrail
