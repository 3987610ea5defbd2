#include "base/cidr.h"

#include <algorithm>

namespace mailtrail {

std::optional<Cidr> Cidr::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  auto ip = IpAddress::Parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  // An IPv4-mapped network (::ffff:a.b.c.d/N, N >= 96) is the IPv4 one.
  const bool mapped = ip->is_v4() && text.substr(0, slash).find(':') != std::string_view::npos;
  const int max = ip->is_v4() ? 32 : 128;
  int bits = max;
  if (slash != std::string_view::npos) {
    const std::string_view b = text.substr(slash + 1);
    if (b.empty() || b.size() > 3) return std::nullopt;
    bits = 0;
    for (char c : b) {
      if (c < '0' || c > '9') return std::nullopt;
      bits = bits * 10 + (c - '0');
    }
    if (mapped) {
      // Wider than an IPv4 /8: in Postfix's lists such an entry matches
      // nothing (clients arrive as IPv4); as 0.0.0.0/0 here it would
      // allowlist every client. Refused (mynetworks says it is skipped).
      if (bits < 96 + 8) return std::nullopt;
      bits -= 96;
    }
    if (bits > max) return std::nullopt;
  }
  // Host bits cleared: "10.1.2.3/8" means 10.0.0.0/8.
  std::string bytes = ip->Bytes();
  for (int i = 0; i < static_cast<int>(bytes.size()); ++i) {
    const int keep = std::max(0, std::min(8, bits - 8 * i));
    bytes[i] = static_cast<char>(static_cast<unsigned char>(bytes[i]) & (0xff00 >> keep));
  }
  return Cidr(*IpAddress::FromBytes(bytes), bits);
}

bool Cidr::Contains(const IpAddress& ip) const {
  if (ip.is_v4() != base_.is_v4()) return false;
  const std::string a = ip.Bytes(), b = base_.Bytes();
  for (int i = 0; i < static_cast<int>(a.size()); ++i) {
    const int keep = std::max(0, std::min(8, bits_ - 8 * i));
    const unsigned mask = 0xff00u >> keep & 0xff;
    if ((static_cast<unsigned char>(a[i]) & mask) != (static_cast<unsigned char>(b[i]) & mask))
      return false;
  }
  return true;
}

std::optional<Cidr> Cidr::MappedV6() const {
  if (!base_.is_v4()) return std::nullopt;
  std::string bytes(10, '\0');
  bytes += "\xff\xff";
  bytes += base_.Bytes();
  return Cidr(*IpAddress::FromBytes(bytes), 96 + bits_);
}

std::string Cidr::ToString() const { return base_.ToString() + "/" + std::to_string(bits_); }

}  // namespace mailtrail
