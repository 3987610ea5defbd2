// `mailtrail queue show FILE|QID` prints the envelope and headers of one Postfix
// queue file; `mailtrail queue scan` counts what waits in each queue and the
// bounces piling up in deferred (outgoing backscatter). Both only read; both
// need the postfix user or CAP_DAC_READ_SEARCH on a live queue (docs/postfix.md).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "agent/cli/args.h"
#include "agent/cli/verbs.h"
#include "agent/queue/postqueue.h"
#include "agent/queue/queue_dir.h"
#include "base/civil_time.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {

constexpr const char* kDefaultQueueDir = "/var/spool/postfix";

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

std::string Time(int64_t sec) { return sec > 0 ? FormatRfc3339(sec * kUsPerSecond) : "-"; }

void PrintJson(const QueueFile& q, const std::string& path) {
  std::string o = "{\"path\":" + Json(path) + ",\"complete\":" + (q.complete ? "true" : "false");
  o += ",\"arrival\":" + Json(Time(q.arrival_sec)) + ",\"size\":" + std::to_string(q.message_size);
  o += ",\"sender\":" + Json(q.sender) + ",\"bounce\":" + (q.LooksLikeBounce() ? "true" : "false");
  o += ",\"client_address\":" + Json(q.Attribute("client_address"));
  o += ",\"client_name\":" + Json(q.Attribute("client_name"));
  o += ",\"helo\":" + Json(q.Attribute("helo_name"));
  o += ",\"content_filter\":" + Json(q.content_filter);
  o += ",\"recipients\":[";
  for (size_t i = 0; i < q.recipients.size(); ++i) {
    const auto& r = q.recipients[i];
    o += std::string(i ? "," : "") + "{\"address\":" + Json(r.address) +
         ",\"original\":" + Json(r.original) + ",\"done\":" + (r.done ? "true" : "false") + "}";
  }
  o += "],\"subject\":" + Json(q.subject) + ",\"from\":" + Json(q.from);
  o += ",\"message_id\":" + Json(q.message_id) + ",\"content_type\":" + Json(q.content_type);
  o += ",\"headers\":[";
  for (size_t i = 0; i < q.headers.size(); ++i)
    o += std::string(i ? "," : "") + "[" + Json(q.headers[i].first) + "," +
         Json(q.headers[i].second) + "]";
  o += "]}";
  std::printf("%s\n", o.c_str());
}

void PrintText(const QueueFile& q, const std::string& path) {
  std::printf("%s  (%s, %lld bytes of content)\n", EscapeForLog(path).c_str(),
              q.complete ? "complete" : "INCOMPLETE", static_cast<long long>(q.message_size));
  std::printf("arrival:   %s\n", Time(q.arrival_sec).c_str());
  std::printf("sender:    %s%s\n", q.sender.empty() ? "<>" : EscapeForLog(q.sender).c_str(),
              q.LooksLikeBounce() ? "   (a bounce)" : "");
  if (!q.Attribute("client_address").empty())
    std::printf("client:    %s[%s] helo=%s\n", EscapeForLog(q.Attribute("client_name")).c_str(),
                EscapeForLog(q.Attribute("client_address")).c_str(),
                EscapeForLog(q.Attribute("helo_name")).c_str());
  if (!q.content_filter.empty())
    std::printf("filter:    %s\n", EscapeForLog(q.content_filter).c_str());
  for (const auto& r : q.recipients)
    std::printf("recipient: %s%s%s\n", EscapeForLog(r.address).c_str(),
                r.original.empty() || r.original == r.address
                    ? ""
                    : (" (originally " + EscapeForLog(r.original) + ")").c_str(),
                r.done ? "  [done]" : "");
  if (q.recipients_dropped > 0) std::printf("recipient: ... %zu more\n", q.recipients_dropped);
  std::printf("headers:\n");
  for (const auto& [name, value] : q.headers)
    std::printf("  %s: %s\n", EscapeForLog(name, 80).c_str(), EscapeForLog(value, 400).c_str());
}

int Show(const Args& args) {
  const std::string what = args.positionals[1];
  const std::string format = args.Get("format").value_or("text");
  std::string path = what;
  struct stat st;
  if (::stat(what.c_str(), &st) != 0) {  // not a file: a queue id
    auto found = FindQueueFile(args.Get("queue-dir").value_or(kDefaultQueueDir), what);
    if (!found.ok()) return FailWith(found.status());
    path = found->path;
  }
  auto bytes = ReadQueueFile(path);
  if (!bytes.ok()) return FailWith(bytes.status());
  auto q = ParseQueueFile(*bytes);
  if (!q.ok()) return Fail(EscapeForLog(path) + ": " + q.status().message());
  if (format == "json") {
    PrintJson(*q, path);
  } else {
    PrintText(*q, path);
  }
  return kExitOk;
}

int Scan(const Args& args) {
  const std::string dir = args.Get("queue-dir").value_or(kDefaultQueueDir);
  const std::string format = args.Get("format").value_or("text");
  const int64_t alert = args.Number("bounce-alert", 50);
  QueueScan s;
  std::string source = "queue " + dir;  // what the text says it counted
  if (args.Has("postqueue")) {
    source = "postqueue -j";
    s = ScanWithPostqueue("/usr/sbin/postqueue",
                          args.Get("postfix-config-dir").value_or("/etc/postfix"));
  } else if (auto saved = args.Get("postqueue-output")) {
    source = "postqueue -j output " + *saved;
    auto text = ReadQueueFile(*saved, 1u << 30);
    if (!text.ok()) return FailWith(text.status());
    s = ScanPostqueueJson(*text);
  } else {
    s = ScanQueue(dir);
  }
  if (!s.walk.ok() && s.files == 0) return Fail(s.walk.message());
  std::vector<std::pair<int64_t, std::string>> domains;
  for (const auto& [d, n] : s.bounce_domains) domains.emplace_back(-n, d);
  std::sort(domains.begin(), domains.end());
  if (domains.size() > 10) domains.resize(10);
  const bool backscatter = s.deferred_bounces >= alert;
  if (format == "json") {
    std::string o = "{\"queue_dir\":" + Json(dir) + ",\"files\":" + std::to_string(s.files);
    o += ",\"queues\":{";
    for (const char* q : kQueueNames) {
      auto it = s.per_queue.find(q);
      o += std::string(q == kQueueNames[0] ? "" : ",") + "\"" + q +
           "\":" + std::to_string(it == s.per_queue.end() ? 0 : it->second);
    }
    o += "},\"unreadable\":" + std::to_string(s.unreadable) +
         ",\"corrupt\":" + std::to_string(s.corrupt) +
         ",\"incomplete\":" + std::to_string(s.incomplete);
    o += ",\"deferred_bounces\":" + std::to_string(s.deferred_bounces) +
         ",\"oldest_deferred_bounce\":" + Json(Time(s.oldest_bounce)) +
         ",\"outgoing_backscatter\":" + (backscatter ? "true" : "false") + ",\"bounce_domains\":{";
    for (size_t i = 0; i < domains.size(); ++i)
      o += std::string(i ? "," : "") + Json(domains[i].second) + ":" +
           std::to_string(-domains[i].first);
    o += "},\"errors\":[";
    for (size_t i = 0; i < s.errors.size(); ++i) o += std::string(i ? "," : "") + Json(s.errors[i]);
    o += "]}";
    std::printf("%s\n", o.c_str());
  } else {
    std::printf("%s: %lld files", EscapeForLog(source).c_str(), static_cast<long long>(s.files));
    for (const char* q : kQueueNames) {
      auto it = s.per_queue.find(q);
      std::printf(", %s %lld", q, static_cast<long long>(it == s.per_queue.end() ? 0 : it->second));
    }
    std::printf("\nunreadable %lld, corrupt %lld, incomplete %lld\n",
                static_cast<long long>(s.unreadable), static_cast<long long>(s.corrupt),
                static_cast<long long>(s.incomplete));
    std::printf("bounces waiting in deferred: %lld (oldest %s)%s\n",
                static_cast<long long>(s.deferred_bounces), Time(s.oldest_bounce).c_str(),
                backscatter ? "  -- OUTGOING BACKSCATTER: this server is bouncing mail to "
                              "senders that do not take it (forged?)"
                            : "");
    for (const auto& [n, d] : domains)
      std::printf("  %6lld  %s\n", static_cast<long long>(-n), EscapeForLog(d, 100).c_str());
    for (const auto& e : s.errors) std::printf("error: %s\n", EscapeForLog(e, 300).c_str());
  }
  if (!s.walk.ok()) std::fprintf(stderr, "mailtrail: %s\n", EscapeForLog(s.walk.message()).c_str());
  return s.walk.ok() ? kExitOk : kExitFailure;
}

const FlagSpec kQueueDirFlag = {"queue-dir", true,
                                "Postfix's queue_directory (default /var/spool/postfix)", "DIR"};
const FlagSpec kQueueFormatFlag = ChoiceFlag("format", "text (default) or json", {"text", "json"});

}  // namespace

const VerbSpec kQueueVerb = {
    "queue",
    "one Postfix queue file; what waits in the queue (bounces piling up in deferred)",
    "show|scan ...",
    {kHelpFlag},
    0,
    0,
    {
        {"show",
         "the envelope and headers of one queue file, by path or queue id",
         "FILE|QID [--queue-dir DIR] [--format text|json]",
         {kQueueDirFlag, kQueueFormatFlag},
         1,
         1},
        {"scan",
         "count what waits in each queue, and the bounces in deferred (outgoing backscatter)",
         "[--queue-dir DIR | --postqueue | --postqueue-output FILE] [options]",
         {
             kQueueDirFlag,
             {"postqueue", false,
              "count from `postqueue -j` instead of the queue files (any user may; no "
              "subjects)"},
             {"postqueue-output", true, "count from this saved `postqueue -j` output", "FILE"},
             {"postfix-config-dir", true,
              "for --postqueue: Postfix's config directory (/etc/postfix)", "DIR"},
             IntFlag("bounce-alert", "deferred bounces that mean outgoing backscatter (default 50)",
                     1, INT64_MAX),
             kQueueFormatFlag,
         }},
    },
};

int QueueMain(const std::vector<std::string>& argv, const Clock&) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kQueueVerb, argv, &parsed)) return *exit;
  return std::string(parsed.sub->name) == "scan" ? Scan(parsed.args) : Show(parsed.args);
}

}  // namespace mailtrail::cli
