// IpAddress: an IPv4 or IPv6 address, only ever built through Parse() (STYLE.md rule 5).
#ifndef MAILTRAIL_BASE_IP_ADDRESS_H_
#define MAILTRAIL_BASE_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailtrail {

class IpAddress {
 public:
  // Accepts dotted IPv4 and RFC 4291 IPv6 text (also "ipv6:" prefixed, as Postfix
  // may log). Returns nullopt for anything else, including host names.
  static std::optional<IpAddress> Parse(std::string_view text);
  // From the 4 or 16 network-order bytes that Bytes() returns.
  static std::optional<IpAddress> FromBytes(std::string_view bytes);

  bool is_v4() const { return v4_; }
  // 4 or 16 bytes, network order: the compact form stored in databases.
  std::string Bytes() const;
  std::string ToString() const;
  bool operator==(const IpAddress& o) const { return v4_ == o.v4_ && bytes_ == o.bytes_; }

 private:
  IpAddress() = default;
  bool v4_ = true;
  std::array<uint8_t, 16> bytes_{};
};

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_IP_ADDRESS_H_
