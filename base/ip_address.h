// IpAddress: an IPv4 or IPv6 address, only ever built through Parse() (docs/style.md rule 5).
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
  // may log). Returns nullopt for anything else, including host names. An
  // IPv4-mapped address (::ffff:a.b.c.d) is returned as the IPv4 address: one
  // host has one spelling (block keys, allowlists), as in Postfix's logs.
  static std::optional<IpAddress> Parse(std::string_view text);
  // From the 4 or 16 network-order bytes that Bytes() returns.
  static std::optional<IpAddress> FromBytes(std::string_view bytes);

  bool is_v4() const { return v4_; }
  // 127.0.0.0/8 or ::1.
  bool IsLoopback() const;
  // 4 or 16 bytes, network order: the compact form stored in databases.
  std::string Bytes() const;
  std::string ToString() const;
  bool operator==(const IpAddress& o) const { return v4_ == o.v4_ && bytes_ == o.bytes_; }

 private:
  IpAddress() = default;
  bool v4_ = true;
  std::array<uint8_t, 16> bytes_{};
};

// "127.0.0.1:10031" or "[::1]:10031" with a loopback address and a port
// 0..65535: the host and port, or nullopt (names are refused: no DNS).
struct HostPort {
  IpAddress ip;
  int port;
};
std::optional<HostPort> ParseLoopbackHostPort(std::string_view text);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_IP_ADDRESS_H_
