#include "actions/firewall/iptc_firewall.h"

#include <arpa/inet.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <netinet/in.h>
extern "C" {  // libip6tc.h lacks it (docs/dependencies.md)
#include <libiptc/libip6tc.h>
}

#include <cerrno>
#include <cstring>

#include "base/cidr.h"

namespace mailtrail {

namespace {

// What differs between IPv4 (libiptc) and IPv6 (libip6tc).
struct V4 {
  using Entry = ipt_entry;
  using Handle = xtc_handle;
  static constexpr bool kV6 = false;
  static Handle* Init() { return iptc_init("filter"); }
  static void Free(Handle* h) { iptc_free(h); }
  static bool IsChain(const char* c, Handle* h) { return iptc_is_chain(c, h); }
  static bool CreateChain(const char* c, Handle* h) { return iptc_create_chain(c, h); }
  static bool Flush(const char* c, Handle* h) { return iptc_flush_entries(c, h); }
  static bool DeleteChain(const char* c, Handle* h) { return iptc_delete_chain(c, h); }
  static bool Append(const char* c, const Entry* e, Handle* h) {
    return iptc_append_entry(c, e, h);
  }
  static bool Insert(const char* c, const Entry* e, Handle* h) {
    return iptc_insert_entry(c, e, 0, h);
  }
  static bool Check(const char* c, const Entry* e, unsigned char* m, Handle* h) {
    return iptc_check_entry(c, e, m, h);
  }
  static bool Commit(Handle* h) { return iptc_commit(h); }
  static const Entry* FirstRule(const char* c, Handle* h) { return iptc_first_rule(c, h); }
  static const Entry* NextRule(const Entry* e, Handle* h) { return iptc_next_rule(e, h); }
  static const char* Target(const Entry* e, Handle* h) { return iptc_get_target(e, h); }
  static bool DeleteNum(const char* c, unsigned n, Handle* h) {
    return iptc_delete_num_entry(c, n, h);
  }
  static const char* Error() { return iptc_strerror(errno); }
  static void SetSource(Entry* e, const std::string& bytes, int bits) {
    std::memcpy(&e->ip.src, bytes.data(), 4);
    const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    e->ip.smsk.s_addr = htonl(mask);
  }
  static void SetTcp(Entry* e) { e->ip.proto = IPPROTO_TCP; }
};

struct V6 {
  using Entry = ip6t_entry;
  using Handle = xtc_handle;
  static constexpr bool kV6 = true;
  static Handle* Init() { return ip6tc_init("filter"); }
  static void Free(Handle* h) { ip6tc_free(h); }
  static bool IsChain(const char* c, Handle* h) { return ip6tc_is_chain(c, h); }
  static bool CreateChain(const char* c, Handle* h) { return ip6tc_create_chain(c, h); }
  static bool Flush(const char* c, Handle* h) { return ip6tc_flush_entries(c, h); }
  static bool DeleteChain(const char* c, Handle* h) { return ip6tc_delete_chain(c, h); }
  static bool Append(const char* c, const Entry* e, Handle* h) {
    return ip6tc_append_entry(c, e, h);
  }
  static bool Insert(const char* c, const Entry* e, Handle* h) {
    return ip6tc_insert_entry(c, e, 0, h);
  }
  static bool Check(const char* c, const Entry* e, unsigned char* m, Handle* h) {
    return ip6tc_check_entry(c, e, m, h);
  }
  static bool Commit(Handle* h) { return ip6tc_commit(h); }
  static const Entry* FirstRule(const char* c, Handle* h) { return ip6tc_first_rule(c, h); }
  static const Entry* NextRule(const Entry* e, Handle* h) { return ip6tc_next_rule(e, h); }
  static const char* Target(const Entry* e, Handle* h) { return ip6tc_get_target(e, h); }
  static bool DeleteNum(const char* c, unsigned n, Handle* h) {
    return ip6tc_delete_num_entry(c, n, h);
  }
  static const char* Error() { return ip6tc_strerror(errno); }
  static void SetSource(Entry* e, const std::string& bytes, int bits) {
    std::memcpy(&e->ipv6.src, bytes.data(), 16);
    for (int i = 0; i < 16; ++i) {
      const int keep = std::max(0, std::min(8, bits - 8 * i));
      e->ipv6.smsk.s6_addr[i] = static_cast<uint8_t>(0xff00 >> keep);
    }
  }
  static void SetTcp(Entry* e) {
    e->ipv6.proto = IPPROTO_TCP;
    e->ipv6.flags |= IP6T_F_PROTO;  // ip6tables only looks at proto with this flag
  }
};

// One rule as libiptc wants it: the entry, an optional tcp match on a
// destination port, and a target ("DROP" or a chain to jump to).
template <typename F>
std::vector<unsigned char> Rule(const std::string* src_bytes, int bits, int dport,
                                const std::string& target) {
  const size_t entry = XT_ALIGN(sizeof(typename F::Entry));
  const size_t match = dport ? XT_ALIGN(sizeof(xt_entry_match)) + XT_ALIGN(sizeof(xt_tcp)) : 0;
  const size_t tgt = XT_ALIGN(sizeof(xt_standard_target));
  std::vector<unsigned char> buf(entry + match + tgt, 0);
  auto* e = reinterpret_cast<typename F::Entry*>(buf.data());
  e->target_offset = static_cast<uint16_t>(entry + match);
  e->next_offset = static_cast<uint16_t>(buf.size());
  if (src_bytes) F::SetSource(e, *src_bytes, bits);
  if (dport) {
    F::SetTcp(e);
    auto* m = reinterpret_cast<xt_entry_match*>(buf.data() + entry);
    m->u.match_size = static_cast<uint16_t>(match);
    std::strcpy(m->u.user.name, "tcp");
    auto* tcp = reinterpret_cast<xt_tcp*>(m->data);
    tcp->spts[0] = 0;
    tcp->spts[1] = 0xffff;
    tcp->dpts[0] = tcp->dpts[1] = static_cast<uint16_t>(dport);
  }
  auto* t = reinterpret_cast<xt_standard_target*>(buf.data() + entry + match);
  t->target.u.target_size = static_cast<uint16_t>(tgt);
  std::strncpy(t->target.u.user.name, target.c_str(), sizeof t->target.u.user.name - 1);
  return buf;
}

// The DROP rules of `d` in this family, in order.
template <typename F>
std::vector<std::vector<unsigned char>> DropRules(const DesiredBlocks& d) {
  std::vector<std::vector<unsigned char>> out;
  auto add = [&](const std::string& text) {
    auto n = Cidr::Parse(text);
    if (!n) return;
    const std::string s = n->ToString();
    const size_t slash = s.find('/');
    auto ip = IpAddress::Parse(s.substr(0, slash));
    if (!ip || ip->is_v4() == F::kV6) return;  // the other family's
    const std::string bytes = ip->Bytes();
    out.push_back(Rule<F>(&bytes, std::atoi(s.c_str() + slash + 1), 0, "DROP"));
  };
  for (const auto& ip : d.ips) add(ip);
  for (const auto& c : d.cidrs) add(c);
  return out;
}

// The INPUT rules that jump to our chain, by number: also jumps for ports
// no longer configured ([enforce] firewall_ports changed), which made the
// chain impossible to delete ("Too many links", helper-149 F4).
template <typename F>
std::vector<unsigned> Jumps(const IptcOptions& o, typename F::Handle* h) {
  std::vector<unsigned> out;
  unsigned n = 0;
  for (auto* e = F::FirstRule("INPUT", h); e != nullptr; e = F::NextRule(e, h), ++n) {
    const char* t = F::Target(e, h);
    if (t != nullptr && o.chain == t) out.push_back(n);
  }
  return out;
}

// Removes them all, the last first (the numbers of those before stay).
template <typename F>
bool DeleteJumps(const IptcOptions& o, typename F::Handle* h) {
  const std::vector<unsigned> jumps = Jumps<F>(o, h);
  for (auto it = jumps.rbegin(); it != jumps.rend(); ++it)
    if (!F::DeleteNum("INPUT", *it, h)) return false;
  return true;
}

// Whether the kernel already holds exactly `rules` in the chain and every
// INPUT jump. The recheck ([enforce] recheck_interval_s) then commits nothing:
// libiptc replaces the whole filter table on a commit, and a needless one could lose a rule someone
// else adds at that instant.
template <typename F>
bool Holds(const IptcOptions& o, std::vector<std::vector<unsigned char>> rules,
           typename F::Handle* h) {
  const char* chain = o.chain.c_str();
  size_t n = 0;
  for (auto* e = F::FirstRule(chain, h); e != nullptr; e = F::NextRule(e, h)) ++n;
  if (n != rules.size()) return false;
  for (int port : o.ports) rules.push_back(Rule<F>(nullptr, 0, port, o.chain));
  for (size_t i = 0; i < rules.size(); ++i) {
    std::vector<unsigned char> mask(rules[i].size(), 0xff);
    auto* e = reinterpret_cast<typename F::Entry*>(rules[i].data());
    if (!F::Check(i + o.ports.size() < rules.size() ? chain : "INPUT", e, mask.data(), h))
      return false;
  }
  return true;
}

template <typename F>
Status Sync(const IptcOptions& o, const DesiredBlocks* desired, bool* removed = nullptr) {
  typename F::Handle* h = F::Init();
  if (h == nullptr)
    return Status::IoError(std::string(F::kV6 ? "ip6tc" : "iptc") + ": " + F::Error());
  const char* chain = o.chain.c_str();
  auto fail = [&](const char* what) {
    Status st =
        Status::IoError(std::string(F::kV6 ? "ip6tc " : "iptc ") + what + ": " + F::Error());
    F::Free(h);
    return st;
  };
  const bool exists = F::IsChain(chain, h);
  if (desired == nullptr) {  // remove
    if (!exists) {
      F::Free(h);
      return Status::Ok();
    }
    if (removed != nullptr) *removed = true;
    if (!DeleteJumps<F>(o, h)) return fail("remove INPUT jump");
    if (!F::Flush(chain, h) || !F::DeleteChain(chain, h)) return fail("remove chain");
  } else {
    auto rules = DropRules<F>(*desired);
    if (exists && Holds<F>(o, rules, h)) {
      F::Free(h);
      return Status::Ok();
    }
    if (!exists && !F::CreateChain(chain, h)) return fail("create chain");
    if (!F::Flush(chain, h)) return fail("flush chain");
    for (auto& r : rules)
      if (!F::Append(chain, reinterpret_cast<typename F::Entry*>(r.data()), h))
        return fail("add rule");
    // The jumps from INPUT, once each, where they are: moving them above a
    // rule the admin put first (an ACCEPT of trusted networks) would change
    // the admin's firewall (helper-150 #3). A jump of a port no longer
    // configured stays until the chain is removed.
    for (int port : o.ports) {
      auto jump = Rule<F>(nullptr, 0, port, o.chain);
      std::vector<unsigned char> mask(jump.size(), 0xff);
      auto* e = reinterpret_cast<typename F::Entry*>(jump.data());
      if (!F::Check("INPUT", e, mask.data(), h) && !F::Insert("INPUT", e, h))
        return fail("add INPUT jump");
    }
  }
  if (!F::Commit(h)) return fail("commit");
  F::Free(h);
  return Status::Ok();
}

}  // namespace

Status IptcFirewallAction::Apply(const DesiredBlocks& desired, TimeUs) {
  if (Status st = Sync<V4>(o_, &desired); !st.ok()) return st;
  return Sync<V6>(o_, &desired);
}

Status IptcFirewallAction::Remove(bool* removed) {
  if (removed != nullptr) *removed = false;
  Status a = Sync<V4>(o_, nullptr, removed);
  Status b = Sync<V6>(o_, nullptr, removed);
  return a.ok() ? b : a;
}

}  // namespace mailtrail
