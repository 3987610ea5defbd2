// `mailtrail search [filters] [--format table|jsonl]` and `mailtrail stats`.
#include <cstdint>
#include <cstdio>
#include <map>

#include "agent/cli/agent_status_text.h"
#include "agent/cli/args.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/queue/queue_dir.h"
#include "agent/store/store.h"
#include "agent/track/record_json.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {

// A fixed-width cell of untrusted text, escaped for the terminal.
std::string Cell(std::string_view s, size_t width) {
  std::string e = EscapeForLog(s, width);
  if (e.size() > width) e = e.substr(0, width - 1) + "~";
  e.resize(width, ' ');
  return e;
}

void PrintTableHeader() {
  std::printf("%-20s %-15s %-15s %-15s %-28s %-28s %-13s %s\n", "first_seen", "host", "qid",
              "client_ip", "sender", "recipient", "outcome", "subject");
}

void PrintTableRow(const MessageRecord& r) {
  std::string rcpt = r.recipients.empty() ? "-" : r.recipients.front().address;
  if (r.recipients.size() > 1) rcpt += " +" + std::to_string(r.recipients.size() - 1);
  std::printf("%s %s %s %s %s %s %s %s\n", FormatRfc3339(r.first_seen).c_str(),
              Cell(r.host.empty() ? "-" : r.host, 15).c_str(),
              Cell(r.qid.empty() ? "NOQUEUE" : r.qid, 15).c_str(),
              Cell(r.client_ip.empty() ? "-" : r.client_ip, 15).c_str(),
              Cell(r.sender ? (r.sender->empty() ? "<>" : *r.sender) : "-", 28).c_str(),
              Cell(rcpt, 28).c_str(), Cell(OutcomeName(r.outcome), 13).c_str(),
              EscapeForLog(r.subject.value_or(""), 60).c_str());
}

}  // namespace

const VerbSpec kSearchVerb = {
    "search",
    "find message records by sender, recipient, client, ids, subject, outcome, time",
    "[options]",
    {
        kStoreFlag,
        kPasswordFileFlag,
        {"sender", true, "envelope sender (exact; \"\" is the null sender)", "ADDRESS"},
        {"recipient", true, "recipient or original recipient (exact)", "ADDRESS"},
        {"client-ip", true, "client IP address", "IP"},
        {"qid", true, "queue id", "QID"},
        {"message-id", true, "Message-ID (with or without < >)", "ID"},
        {"subject", true, "substring of the logged Subject, in any case", "TEXT"},
        {"host", true, "syslog host of the MTA", "NAME"},
        ChoiceFlag("outcome",
                   "the record's final outcome, or a recipient's in a mixed record (as the "
                   "web console's filter)",
                   OutcomeNamesShown()),
        kSinceFlag,
        kUntilFlag,
        IntFlag("limit", "at most this many records (default 100; stderr says how many more match)",
                1, INT64_MAX),
        ChoiceFlag("format", "table (default) or jsonl (docs/record.md)", {"table", "jsonl"}),
        kHelpFlag,
    },
};

int SearchMain(const std::vector<std::string>& argv, const Clock&) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kSearchVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  SearchQuery q;
  q.sender = args->Get("sender");
  if (q.sender) *q.sender = AsciiLower(*q.sender);
  q.recipient = args->Get("recipient");
  if (q.recipient) *q.recipient = AsciiLower(*q.recipient);
  q.client_ip = args->Get("client-ip");
  q.qid = args->Get("qid");
  q.message_id = args->Get("message-id");
  // As the header has it, <id@host>; stored without the brackets (docs/record.md).
  if (q.message_id && q.message_id->size() >= 2 && q.message_id->front() == '<' &&
      q.message_id->back() == '>')
    *q.message_id = q.message_id->substr(1, q.message_id->size() - 2);
  q.subject = args->Get("subject");
  q.host = args->Get("host");
  if (auto o = args->Get("outcome")) {
    // A message bounced for one recipient and delivered to another is mixed:
    // `--outcome bounced` must find it too, as the console does.
    const Outcome wanted = *OutcomeFromName(*o);  // checked by the spec
    if (wanted == Outcome::kMixed)
      q.outcome = wanted;
    else
      q.outcomes = {wanted};
  }
  if (!TimeRangeFromArgs(*args, "search", &q)) return kExitUsage;
  q.limit = args->Number("limit", q.limit);
  const std::string format = args->Get("format").value_or("table");
  auto store = OpenStoreFromArgs(*args, ReaderOptions());
  if (!store.ok()) return FailWith(store.status());
  // One more than asked: whether there are more is then known without a count.
  const int64_t limit = q.limit;
  if (q.limit < INT64_MAX) ++q.limit;
  int64_t shown = 0;
  bool more = false;
  std::string line;
  Status st = (*store)->Search(q, [&](MessageRecord&& r) {
    if (shown == limit) {
      more = true;
      return;
    }
    if (shown++ == 0 && format == "table") PrintTableHeader();
    if (format == "jsonl") {
      line.clear();
      AppendRecordJson(r, &line);
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    } else {
      PrintTableRow(r);
    }
  });
  if (!st.ok()) return FailWith(st);
  std::fflush(stdout);
  if (more) {
    auto total = (*store)->CountMatches(q);
    if (total.ok()) {
      std::fprintf(stderr, "mailtrail search: %lld more records match (--limit %lld)\n",
                   static_cast<long long>(*total - shown), static_cast<long long>(limit));
    } else {
      std::fprintf(stderr, "mailtrail search: more records match (--limit %lld)\n",
                   static_cast<long long>(limit));
    }
  }
  return kExitOk;
}

const VerbSpec kStatsVerb = {
    "stats",
    "line kinds seen, unknown lines, records by outcome, the NDRs this server made",
    "[options]",
    {
        kStoreFlag,
        kPasswordFileFlag,
        {"queue-dir", true, "also count what waits in this Postfix queue (deferred bounces)",
         "DIR"},
        kHelpFlag,
    },
};

int StatsMain(const std::vector<std::string>& argv, const Clock& clock) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kStatsVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  auto store = OpenStoreFromArgs(*args, ReaderOptions());
  if (!store.ok()) return FailWith(store.status());
  auto lines = (*store)->GetLineStats();
  if (!lines.ok()) return FailWith(lines.status());
  auto outcomes = (*store)->CountByOutcome();
  if (!outcomes.ok()) return FailWith(outcomes.status());
  std::printf("Line kinds seen:\n");
  for (const auto& [kind, n] : lines->kinds)
    std::printf("  %-28s %12lld\n", kind.c_str(), static_cast<long long>(n));
  std::printf("Records by outcome:\n");
  int64_t total = 0;
  for (const auto& [o, n] : *outcomes) {
    std::printf("  %-28s %12lld\n", o.c_str(), static_cast<long long>(n));
    total += n;
  }
  std::printf("  %-28s %12lld\n", "total", static_cast<long long>(total));
  // Outgoing backscatter: the notifications this server made (NDRs and delay
  // notices), and what became of them (many not delivered: to forged senders).
  std::map<std::string, int64_t> ndrs;
  SearchQuery bounces;
  bounces.sender = "";
  bounces.limit = INT64_MAX;
  Status st = (*store)->Search(bounces, [&](MessageRecord&& r) {
    if (!r.ndr_of.empty()) ++ndrs[OutcomeName(r.outcome)];
  });
  if (!st.ok()) return FailWith(st);
  int64_t made = 0, undelivered = 0;
  for (const auto& [o, n] : ndrs) {
    made += n;
    if (o != "delivered") undelivered += n;
  }
  std::printf("Notifications this server made (NDRs, delay notices):\n");
  for (const auto& [o, n] : ndrs)
    std::printf("  %-28s %12lld\n", o.c_str(), static_cast<long long>(n));
  std::printf("  %-28s %12lld%s\n", "total", static_cast<long long>(made),
              made >= 20 && undelivered * 2 > made
                  ? "   (most not delivered: outgoing backscatter? see `mailtrail queue scan`)"
                  : "");
  if (auto dir = args->Get("queue-dir")) {
    const QueueScan q = ScanQueue(*dir);
    if (!q.walk.ok()) return Fail(q.walk.message());
    std::printf("Queue %s: %lld files, %lld bounces waiting in deferred\n",
                EscapeForLog(*dir).c_str(), static_cast<long long>(q.files),
                static_cast<long long>(q.deferred_bounces));
  }
  auto agents = (*store)->ListAgentStatus();
  if (!agents.ok()) return Fail(agents.status().message());
  std::fputs(AgentStatusText(*agents, clock.WallNow()).c_str(), stdout);
  if (!lines->unknown_samples.empty()) {
    std::printf("Unknown lines (sample, escaped):\n");
    for (const auto& [program, line] : lines->unknown_samples)
      std::printf("  [%s] %s\n", program.c_str(), line.c_str());
  }
  return kExitOk;
}

}  // namespace mailtrail::cli
