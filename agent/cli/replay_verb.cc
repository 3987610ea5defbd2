// `mailtrail replay [--store URL] [--detail LEVEL] [--year Y] [--tz ZONE] FILE...`
// `mailtrail replay [...] --journal-file FILE|DIR... | --journal [--since T] [--until T]`
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "agent/cli/args.h"
#include "agent/cli/replay_resume.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/journal/journal_replay.h"
#include "agent/journal/journal_writers.h"
#include "agent/lines/gzip_file.h"
#include "agent/replay/replay.h"
#include "agent/store/async_writer.h"
#include "agent/store/store.h"
#include "base/file_system.h"
#include "base/text.h"

namespace mailtrail::cli {

const VerbSpec kReplayVerb = {
    "replay",
    "read Postfix logs (plain or .gz, oldest first) into the store",
    "[options] FILE... | [options] --journal-file FILE|DIR... | --journal",
    {
        kStoreFlag,
        kPasswordFileFlag,
        kAgentFlag,
        {"host", true, "the records' host, instead of the log lines' syslog host field", "NAME"},
        ChoiceFlag("detail", "how much of each message to keep (default standard)",
                   {"minimal", "standard", "full"}),
        IntFlag("year", "year of the first yearless timestamp (default: from each file's mtime)",
                1970, 9999, "YEAR"),
        kTzFlag,
        {"journal-file", true, "a journal file, or one directory of them, instead of logs; repeat",
         "FILE|DIR"},
        {"journal", false, "the system journal instead of logs"},
        {"journal-match", true, "journal: FIELD=VALUE or FIELD=PREFIX*; repeat (default: postfix*)",
         "RULE"},
        kJournalWriterFlag,
        {"since", true, "journal: entries from this time (2026-11-27T12:00:00Z, 2026-11-27)",
         "TIME"},
        {"until", true, "journal: entries up to this time", "TIME"},
        {"quiet", false, "no progress bar and no summary"},
        kHelpFlag,
    },
    0,  // FILE... unless the journal is read
    kAnyNumber,
    {},
    "Replaying lines the store already holds adds nothing. A damaged file, or one that is not "
    "a mail log, is named, the others are still read, and the exit status is 1. With "
    "--journal-file or "
    "--journal, Postfix's entries of the systemd journal are read instead (docs/install.md).",
};

bool ParseTz(const std::string& tz, const Clock& clock, int* offset) {
  if (tz == "UTC" || tz == "utc" || tz == "Z") {
    *offset = 0;
    return true;
  }
  if (tz == "local") {
    const time_t now = static_cast<time_t>(clock.WallNow() / kUsPerSecond);
    struct tm tm;
    localtime_r(&now, &tm);
    *offset = static_cast<int>(tm.tm_gmtoff);
    return true;
  }
  int h = 0, m = 0;
  char sign = 0;
  if (tz.size() == 6 && std::sscanf(tz.c_str(), "%c%2d:%2d", &sign, &h, &m) == 3 &&
      (sign == '+' || sign == '-') && h <= 14 && m < 60) {
    *offset = (sign == '+' ? 1 : -1) * (h * 3600 + m * 60);
    return true;
  }
  return false;
}

namespace {

// What --journal-file, --journal, --journal-match, --since and --until ask for.
Status JournalSourceOf(const Args& args, JournalSource* source, TimeUs* since, TimeUs* until) {
  const std::vector<std::string> paths = args.GetAll("journal-file");
  for (const auto& p : paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) return Status::NotFound("no journal file " + p);
    (S_ISDIR(st.st_mode) ? source->directories : source->files).push_back(p);
  }
  if (!source->directories.empty() && paths.size() > 1)
    return Status::InvalidArgument("--journal-file: one directory, or files, not both");
  source->matches = args.GetAll("journal-match");
  for (const auto& m : source->matches)
    if (!ValidJournalMatch(m))
      return Status::InvalidArgument("--journal-match must be FIELD=VALUE or FIELD=PREFIX*: " + m);
  const std::vector<std::string> writers = args.GetAll("journal-writer");
  for (const auto& w : writers)
    if (!ValidJournalWriter(w))
      return Status::InvalidArgument("--journal-writer must be a user name, a user id or *: " + w);
  source->writers = ResolveJournalWriters(writers).uids;
  if (auto v = args.Get("since"); v && !ParseRfc3339(*v, since))
    return Status::InvalidArgument("--since must be a time like 2026-11-27T12:00:00Z");
  if (auto v = args.Get("until"); v && !ParseRfc3339(*v, until))
    return Status::InvalidArgument("--until must be a time like 2026-11-27T12:00:00Z");
  return Status::Ok();
}

// Entries of Postfix's or amavis's programs written by other users: named
// after the replay, and the exit status stays 0 (they may be forged: nothing
// of the store is lost by leaving them out).
void RefusedEntriesNotice(const JournalCounters& read) {
  std::fprintf(stderr,
               "mailtrail replay: %lld journal entries tagged as Postfix's or amavis's were "
               "written by other users and not read; they may be forged, or come from "
               "sendmail -bs (last: %s; "
               "docs/security.md rule 9; --journal-writer names who may write them)\n",
               static_cast<long long>(read.refused), EscapeForLog(read.last_refused, 200).c_str());
}

std::string Human(double v) {
  char buf[32];
  if (v >= 1e9)
    std::snprintf(buf, sizeof buf, "%.1fG", v / 1e9);
  else if (v >= 1e6)
    std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
  else if (v >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

// How many bytes of log the files hold (a .gz file by what it holds
// unpacked: LogBytes), the store's hint of how large the load is. Anything
// but a regular file counts as nothing: the replay refuses it (and a pipe
// opened here would block). Store::kInputUnknown if a file cannot be read
// (Replay says why).
int64_t InputBytes(const std::vector<std::string>& files) {
  FileSystem* fs = RealFileSystem();
  int64_t total = 0;
  for (const auto& f : files) {
    auto info = fs->Stat(f);
    if (!info.ok()) return Store::kInputUnknown;
    if (!info->regular) continue;
    auto file = fs->Open(f);
    if (!file.ok()) return Store::kInputUnknown;
    total += LogBytes(file->get(), info->size);
  }
  return total;
}

}  // namespace

int ReplayMain(const std::vector<std::string>& argv, const Clock& clock) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kReplayVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  const bool journal = args->Has("journal") || args->Has("journal-file");
  if (journal && !args->positionals.empty())
    return UsageError(kReplayVerb, "log files or the journal, not both");
  if (!journal && (args->Has("since") || args->Has("until") || args->Has("journal-match") ||
                   args->Has("journal-writer")))
    return UsageError(kReplayVerb,
                      "--since, --until, --journal-match and --journal-writer are for the journal");
  if (!journal && args->positionals.empty())
    return UsageError(kReplayVerb, "no log file named (or --journal-file, --journal)");
  ReplayOptions options;
  const auto detail = DetailFromName(args->Get("detail").value_or("standard"));
  options.tracker.keep_events = *detail == Detail::kFull;
  options.tracker.host = args->Get("host").value_or("");
  // Absent: from each file's mtime.
  if (args->Has("year")) options.year = static_cast<int>(args->Number("year", 0));
  if (!ParseTz(args->Get("tz").value_or("UTC"), clock, &options.utc_offset_seconds))
    return UsageError(kReplayVerb, "--tz must be UTC, local, or +HH:MM / -HH:MM");
  StoreOptions so;
  so.detail = *detail;
  so.clock = &clock;
  auto store = OpenStoreFromArgs(*args, so);
  if (!store.ok()) return FailWith(store.status());

  const bool quiet = args->Has("quiet");
  const bool tty = !quiet && isatty(STDERR_FILENO);
  const TimeUs start = clock.MonotonicNow();
  TimeUs last_draw = 0;
  ProgressFn progress = [&](const ReplayProgress& p) {
    if (!tty) return;
    const TimeUs now = clock.MonotonicNow();
    if (now - last_draw < 200000 && p.bytes_done < p.bytes_total) return;
    last_draw = now;
    const double secs = static_cast<double>(now - start) / 1e6;
    const double frac = p.bytes_total ? static_cast<double>(p.bytes_done) / p.bytes_total : 1;
    const int width = 30, filled = static_cast<int>(frac * width);
    const double eta = frac > 0 ? secs / frac - secs : 0;
    std::fprintf(stderr, "\r[%.*s%*s] %3.0f%% %sB/%sB %s lines/s ETA %.0fs   ", filled,
                 "##############################", width - filled, "", frac * 100,
                 Human(static_cast<double>(p.bytes_done)).c_str(),
                 Human(static_cast<double>(p.bytes_total)).c_str(),
                 Human(secs > 0 ? p.lines / secs : 0).c_str(), eta);
  };

  options.notice = [](std::string_view what) {
    std::fprintf(stderr, "mailtrail replay: %s\n", EscapeForLog(what, 2000).c_str());
  };
  // Lines the store already holds (the same file again, overlapping rotated
  // files) add nothing: replays are idempotent.
  if (Status hs = (*store)->SkipHeldRecords(); !hs.ok()) return FailWith(hs);
  // A message an earlier replay's log ended inside goes on from its record:
  // looked up on a connection of its own (the writer's is its thread's).
  // A store that cannot be read so is said, and the replay goes on without.
  auto reader = OpenStoreFromArgs(*args, ReaderOptions());
  Status unread = reader.status();
  if (reader.ok()) {
    auto resume = ResumeFromStore(std::shared_ptr<Store>(std::move(*reader)),
                                  options.tracker.stale_after, &StderrLog());
    if (resume.ok()) options.tracker.resume = std::move(*resume);
    unread = resume.status();
  }
  if (!unread.ok()) WarnCannotResume(&StderrLog(), unread);
  if (Status bs =
          (*store)->BeginBulkLoad(journal ? Store::kInputUnknown : InputBytes(args->positionals));
      !bs.ok())
    return FailWith(bs);
  LineCounter counter;
  AsyncWriter writer(store->get());
  Status st = Status::Ok();
  size_t inputs = args->positionals.size();
  if (journal) {
    JournalSource source;
    TimeUs since = 0, until = 0;
    st = JournalSourceOf(*args, &source, &since, &until);
    JournalCounters read;
    if (st.ok()) st = ReplayJournal(source, since, until, options, &writer, &counter, &read);
    if (read.refused > 0) RefusedEntriesNotice(read);
    inputs = source.files.size() + source.directories.size();
  } else {
    st = Replay(args->positionals, options, &writer, &counter, progress);
  }
  Status wst = writer.Finish();
  if (tty) std::fputs("\n", stderr);
  if (wst.ok()) wst = (*store)->AddLineStats(counter.ToStats());
  if (Status es = (*store)->EndBulkLoad(); wst.ok()) wst = es;
  if (!wst.ok()) return Fail("writing records: " + wst.message());
  // A damaged file or one that is not a mail log: what was read is written and
  // summed up, then the error names the file(s).
  if (!quiet && (st.ok() || writer.stats().written > 0 || counter.lines() > 0)) {
    const double secs = static_cast<double>(clock.MonotonicNow() - start) / 1e6;
    const Store::HeldCounts held = (*store)->held_counts();
    const std::string from = !journal ? std::to_string(inputs) + " file(s)"
                             : inputs == 0
                                 ? std::string("the system journal")
                                 : std::to_string(inputs) + " journal file(s) or directory";
    std::printf("replayed %lld lines from %s in %.2fs (%s lines/s): %lld records written",
                static_cast<long long>(counter.lines()), from.c_str(), secs,
                Human(secs > 0 ? counter.lines() / secs : 0).c_str(),
                static_cast<long long>(writer.stats().written - held.kept));
    if (held.kept + held.replaced > 0)
      std::printf(
          " (%lld already in the store, not written again; %lld replaced a record"
          " its log had left open, or a live agent's piece of the message)",
          static_cast<long long>(held.kept), static_cast<long long>(held.replaced));
    std::printf("; %lld unknown, %lld unparsable, %lld overlong, %lld foreign lines\n",
                static_cast<long long>(counter.count(EventKind::kUnknown)),
                static_cast<long long>(counter.count(EventKind::kUnparsable)),
                static_cast<long long>(counter.overlong()),
                static_cast<long long>(counter.count(EventKind::kForeign)));
  }
  if (!st.ok()) return FailWith(st);
  return kExitOk;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "mailtrail: %s\n", EscapeForLog(what, 500).c_str());
  return kExitFailure;
}

int FailWith(const Status& st) {
  Fail(st.message());
  return st.code() == Status::Code::kCorruption ? kExitDataErr : kExitFailure;
}

}  // namespace mailtrail::cli
