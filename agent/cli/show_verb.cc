// `mailtrail show QID|MESSAGE-ID`: the life of a message as a timeline, following
// its linked legs (content filter, .forward) and its notifications (NDR, delay).
#include <algorithm>
#include <cstdio>
#include <deque>
#include <set>

#include "agent/cli/args.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/store/store.h"
#include "base/queue_id.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {

constexpr size_t kMaxLegs = 50;

std::string Role(const MessageRecord& r) {
  if (!r.ndr_of.empty()) return "notification about " + r.ndr_of;
  if (!r.parent_qid.empty()) return "next leg of " + r.parent_qid;
  if (r.qid.empty()) return "rejected before queueing";
  return "message";
}

void PrintLeg(const MessageRecord& r) {
  std::printf("\n== %s (%s) outcome=%s\n", r.qid.empty() ? "NOQUEUE" : r.qid.c_str(),
              Role(r).c_str(), OutcomeName(r.outcome));
  const std::string client = r.has_client ? EscapeForLog(r.client_host) + "[" + r.client_ip + "]"
                                          : "local (pickup or Postfix itself)";
  std::printf("   from=<%s> client=%s helo=%s size=%s\n",
              EscapeForLog(r.sender.value_or("?")).c_str(), client.c_str(),
              EscapeForLog(r.helo).c_str(), r.size >= 0 ? std::to_string(r.size).c_str() : "?");
  if (r.message_id) std::printf("   message-id=<%s>\n", EscapeForLog(*r.message_id).c_str());
  if (r.subject) std::printf("   subject: %s\n", EscapeForLog(*r.subject).c_str());
  for (const auto& s : r.scans)
    std::printf("   scan: %s %s %s\n", s.scanner.c_str(), EscapeForLog(s.action).c_str(),
                EscapeForLog(s.verdict).c_str());
  if (!r.events.empty()) {
    for (const auto& e : r.events)
      std::printf("   %s %-16s %s\n", FormatRfc3339(e.time).c_str(),
                  EscapeForLog(e.program, 30).c_str(), EscapeForLog(e.text, 400).c_str());
    return;
  }
  // Without "full" detail, the timeline is rebuilt from the record's fields.
  std::printf("   %s first seen\n", FormatRfc3339(r.first_seen).c_str());
  if (r.reject)
    std::printf("   %s %s at %s: %d %s %s\n", FormatRfc3339(r.first_seen).c_str(),
                r.reject->action.c_str(), r.reject->stage.c_str(), r.reject->code,
                r.reject->dsn.c_str(), EscapeForLog(r.reject->text).c_str());
  std::vector<const RecipientRecord*> rcpts;
  for (const auto& rc : r.recipients) rcpts.push_back(&rc);
  std::stable_sort(rcpts.begin(), rcpts.end(), [](auto* a, auto* b) { return a->time < b->time; });
  for (const auto* rc : rcpts)
    std::printf("   %s to=<%s>%s %s relay=%s dsn=%s attempts=%d %s\n",
                rc->time ? FormatRfc3339(rc->time).c_str() : "?", EscapeForLog(rc->address).c_str(),
                rc->orig_address.empty()
                    ? ""
                    : (" orig_to=<" + EscapeForLog(rc->orig_address) + ">").c_str(),
                OutcomeName(rc->outcome), EscapeForLog(rc->relay).c_str(), rc->dsn.c_str(),
                rc->attempts, EscapeForLog(rc->status_text).c_str());
  std::printf("   %s last seen (%s)\n", FormatRfc3339(r.last_seen).c_str(), RecordEndName(r.end));
}

}  // namespace

const VerbSpec kShowVerb = {
    "show",
    "the life of one message, with its linked legs (content filter, .forward) and NDRs",
    "[options] QID|MESSAGE-ID",
    {kStoreFlag, kPasswordFileFlag, kHelpFlag},
    1,
    1,
};

int ShowMain(const std::vector<std::string>& argv, const Clock&) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kShowVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  auto store = OpenStoreFromArgs(*args, ReaderOptions());
  if (!store.ok()) return FailWith(store.status());
  std::string key = args->positionals[0];
  if (key.size() > 2 && key.front() == '<' && key.back() == '>')
    key = key.substr(1, key.size() - 2);

  std::vector<MessageRecord> legs;
  std::deque<std::pair<std::string, std::string>> todo;  // (host, qid)
  std::set<std::pair<std::string, std::string>> seen;
  SearchQuery q;
  q.limit = 20;
  if (IsQueueId(key))
    q.qid = key;
  else
    q.message_id = key;
  auto add = [&](MessageRecord&& r) {
    if (!seen.insert({r.host, r.qid + "@" + std::to_string(r.first_seen)}).second) return;
    for (const auto* link : {&r.parent_qid, &r.ndr_qid, &r.ndr_of})
      if (!link->empty()) todo.emplace_back(r.host, *link);
    for (const auto& c : r.child_qids) todo.emplace_back(r.host, c);
    for (const auto& c : r.notice_qids) todo.emplace_back(r.host, c);
    legs.push_back(std::move(r));
  };
  if (Status st = (*store)->Search(q, add); !st.ok()) return FailWith(st);
  if (legs.empty()) return Fail("no message " + key);
  std::set<std::pair<std::string, std::string>> asked;
  while (!todo.empty() && legs.size() < kMaxLegs) {
    auto [host, qid] = todo.front();
    todo.pop_front();
    if (!asked.insert({host, qid}).second) continue;
    SearchQuery lq;
    lq.qid = qid;
    lq.host = host;
    lq.limit = 5;
    if (Status st = (*store)->Search(lq, add); !st.ok()) return FailWith(st);
  }
  std::stable_sort(legs.begin(), legs.end(),
                   [](const auto& a, const auto& b) { return a.first_seen < b.first_seen; });
  std::printf("%zu record(s) for %s", legs.size(), EscapeForLog(key).c_str());
  for (const auto& r : legs) PrintLeg(r);
  return kExitOk;
}

}  // namespace mailtrail::cli
