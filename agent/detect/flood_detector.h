// FloodDetector: watches the bounces among received messages and decides when a
// flood is on (STYLE: pure logic, time from the records, no I/O, no clock).
//
// Two rules, each over a sliding window (a ring of buckets):
// - subject: >= subject_bounces bounces with one normalized subject within
//   subject_window, from >= subject_min_ips distinct client IPs (one forging
//   source cannot get a common subject blocked). Decides a subject block, and an
//   IP block for every client that sent that subject in the window at least
//   subject_ip_bounces times, or sends it while the subject is blocked;
// - ip: >= ip_bounces bounces from one client IP within ip_window.
// Memory is bounded: at most max_subjects and max_ips keys (the idle ones are
// swept first; when all are busy a new key is not tracked, and counted).
// Decisions carry the log time of the record that tripped them.
#ifndef MAILTRAIL_AGENT_DETECT_FLOOD_DETECTOR_H_
#define MAILTRAIL_AGENT_DETECT_FLOOD_DETECTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/detect/content_rules.h"
#include "agent/track/record.h"
#include "base/civil_time.h"

namespace mailtrail {

struct DetectorOptions {
  TimeUs subject_window = 120 * kUsPerSecond;
  int subject_bounces = 50;
  int subject_min_ips = 2;
  // A client is blocked by the subject rule when it sent the subject at least
  // this often in the window (a legitimate server that sent one notice with a
  // common subject keeps its IP; the subject block still stops that subject).
  int subject_ip_bounces = 2;
  TimeUs ip_window = 60 * kUsPerSecond;
  int ip_bounces = 20;
  // How long a decided subject counts as blocked for "sends it during the block".
  TimeUs block_period = 3600 * kUsPerSecond;
  int buckets = 12;
  size_t max_subjects = 100000;
  size_t max_ips = 100000;
  // The admin's rules over logged headers (checked when the configuration is
  // read: they compile).
  std::vector<ContentRuleSpec> rules;
};

struct Decision {
  enum class Kind : uint8_t { kIp, kSubject };
  Kind kind = Kind::kIp;
  std::string key;                        // the IP, or the normalized subject
  std::vector<std::string> raw_subjects;  // subject: the forms seen (at most 8)
  std::string rule;                       // "backscatter-subject" | "backscatter-ip"
  std::string reason;                     // for people (untrusted text inside: escape it)
  TimeUs at = 0;                          // log time of the record that tripped it
  std::string host;                       // the MTA that logged it
  std::vector<std::string> evidence;      // a few queue ids
};

class FloodDetector {
 public:
  explicit FloodDetector(DetectorOptions options = {});

  // One closed record; appends what it decides.
  void OnRecord(const MessageRecord& r, std::vector<Decision>* out);

  size_t tracked_subjects() const { return subjects_.size(); }
  size_t tracked_ips() const { return ips_.size(); }
  int64_t untracked() const { return untracked_; }  // keys refused at the bound
  int64_t bounces() const { return bounces_; }
  // Rule matches abandoned at PCRE2's limits (counted as no match).
  int64_t rule_limit_hits() const { return rules_ ? rules_->limit_hits() : 0; }

  // A count of events over the last `window`, in `buckets` slots.
  class Ring {
   public:
    Ring() = default;
    Ring(TimeUs window, int buckets);
    void Add(TimeUs t);
    int Count(TimeUs now) const;

   private:
    TimeUs width_ = 1;
    std::vector<std::pair<int64_t, int>> slots_;  // (bucket index, count)
  };

 private:
  struct SubjectState {
    Ring ring;
    struct Client {
      std::string ip;
      TimeUs last = 0;
      int count = 0;  // bounces with this subject since it was first seen (in a window)
    };
    std::vector<Client> ips;  // at most 64
    std::vector<std::string> raw, evidence;
    TimeUs last = 0, blocked_until = 0;
  };
  struct IpState {
    Ring ring;
    std::vector<std::string> evidence;
    TimeUs last = 0, decided_until = 0;
  };
  template <typename Map>
  bool Admit(Map& map, TimeUs* next_sweep, const std::string& key, size_t max, TimeUs window,
             TimeUs now);
  void ApplyRules(const MessageRecord& r, const std::vector<size_t>& matched,
                  std::vector<Decision>* out);
  // An IP decision at the log time of `r`, unless one is in force already.
  void DecideIp(const std::string& ip, const MessageRecord& r, const std::string& rule,
                const std::string& reason, std::vector<std::string> evidence,
                std::vector<Decision>* out);

  DetectorOptions o_;
  std::unordered_map<std::string, SubjectState> subjects_;
  std::unordered_map<std::string, IpState> ips_;
  std::unique_ptr<ContentRules> rules_;
  std::unordered_map<std::string, IpState> rule_keys_;  // "rule\tkey": a rule's window
  int64_t untracked_ = 0, bounces_ = 0;
  TimeUs next_subject_sweep_ = 0, next_ip_sweep_ = 0, next_rule_sweep_ = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_FLOOD_DETECTOR_H_
