// Cidr: an IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32"; a bare address
// is a /32 or /128), only ever built through Parse(). For allowlists.
#ifndef MAILTRAIL_BASE_CIDR_H_
#define MAILTRAIL_BASE_CIDR_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/ip_address.h"

namespace mailtrail {

class Cidr {
 public:
  static std::optional<Cidr> Parse(std::string_view text);
  bool Contains(const IpAddress& ip) const;
  // Whether the two share an address (of one family): one holds the other's
  // first address.
  bool Overlaps(const Cidr& o) const { return Contains(o.base_) || o.Contains(base_); }
  // An IPv4 network as the IPv6 network of its mapped addresses
  // (::ffff:a.b.c.d/96+N), for overlap checks with IPv6 networks such as ::/0;
  // nullopt for an IPv6 network.
  std::optional<Cidr> MappedV6() const;
  const IpAddress& base() const { return base_; }
  int bits() const { return bits_; }
  std::string ToString() const;

 private:
  Cidr(IpAddress base, int bits) : base_(base), bits_(bits) {}
  IpAddress base_;
  int bits_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_CIDR_H_
