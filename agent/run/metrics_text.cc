// Agent::RenderMetrics: the Prometheus text exposition of the agent's counters.
#include <cstdio>

#include "agent/run/agent.h"

namespace mailtrail {

namespace {

// A label value: backslash, double quote and newline escaped (the format's rule).
std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void Metric(std::string* out, const char* name, const char* type, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void Sample(std::string* out, const std::string& name_and_labels, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, " %.17g\n", value);
  *out += name_and_labels + buf;
}

// Outcomes that no record has yet are shown as 0 all the same: a series that
// appears late breaks rate() over the time before it.
void RenderMailFlow(const MailFlow& f, std::string* out) {
  auto by_outcome = [&](const char* name, const char* help,
                        int64_t (MailFlow::*count)(Outcome) const) {
    Metric(out, name, "counter", help);
    for (int i = 0; i < kOutcomeCount; ++i) {
      const auto o = static_cast<Outcome>(i);
      Sample(out, std::string(name) + "{outcome=\"" + OutcomeName(o) + "\"}",
             static_cast<double>((f.*count)(o)));
    }
  };
  by_outcome("mailtrail_messages_total",
             "Messages recorded, by outcome (counted when first written).", &MailFlow::messages);
  by_outcome("mailtrail_recipients_total",
             "Recipients recorded, by outcome (counted when their message is first written).",
             &MailFlow::recipients);
  Metric(out, "mailtrail_delivery_delay_seconds", "histogram",
         "Delivered recipients: Postfix's delay= (arrival to delivery).");
  int64_t cumulative = 0;
  const auto& buckets = f.delay_buckets();
  for (size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    char le[32];
    if (i < MailFlow::kDelayBuckets.size())
      std::snprintf(le, sizeof le, "%g", MailFlow::kDelayBuckets[i]);
    else
      std::snprintf(le, sizeof le, "+Inf");
    Sample(out, std::string("mailtrail_delivery_delay_seconds_bucket{le=\"") + le + "\"}",
           static_cast<double>(cumulative));
  }
  Sample(out, "mailtrail_delivery_delay_seconds_sum", f.delay_sum());
  Sample(out, "mailtrail_delivery_delay_seconds_count", static_cast<double>(cumulative));
  Metric(out, "mailtrail_rejects_total", "counter",
         "Messages rejected before queueing or by cleanup, by SMTP stage and reply code.");
  for (const auto& [key, n] : f.rejects())
    Sample(out, "mailtrail_rejects_total{stage=\"" + key.first + "\",code=\"" + key.second + "\"}",
           static_cast<double>(n));
}

}  // namespace

std::string Agent::RenderMetrics() const {
  std::string out;
  // One sample per followed log.
  auto per_log = [&](const char* name, const char* type, const char* help, auto value) {
    Metric(&out, name, type, help);
    for (const auto& s : streams_)
      Sample(&out, std::string(name) + "{log=\"" + Label(s->path()) + "\"}",
             static_cast<double>(value(*s)));
  };
  per_log("mailtrail_log_lines_total", "counter", "Lines read from each log.",
          [](const FileStream& s) { return s.counters().lines; });
  if (journal_)  // the journal as one more log, named "journal"
    Sample(&out, "mailtrail_log_lines_total{log=\"journal\"}",
           static_cast<double>(journal_->counters().lines));
  if (journal_) {  // entries read while their writer was still linking their fields
    const JournalCounters& jc = journal_->counters();
    Metric(&out, "mailtrail_journal_waits_total", "counter",
           "Polls that waited for the newest journal entry to be written whole.");
    Sample(&out, "mailtrail_journal_waits_total", static_cast<double>(jc.waits));
    Metric(&out, "mailtrail_journal_entries_read_again_total", "counter",
           "Journal entries that lacked a field and had it when read again.");
    Sample(&out, "mailtrail_journal_entries_read_again_total", static_cast<double>(jc.completed));
    Metric(&out, "mailtrail_journal_incomplete_entries_total", "counter",
           "Journal entries taken without a MESSAGE, identifier or Postfix PID.");
    Sample(&out, "mailtrail_journal_incomplete_entries_total", static_cast<double>(jc.incomplete));
    Metric(&out, "mailtrail_journal_refused_entries_total", "counter",
           "Journal entries of Postfix's or amavis's programs from users not allowed to write "
           "them ([input] journal_writers).");
    Sample(&out, "mailtrail_journal_refused_entries_total", static_cast<double>(jc.refused));
  }
  per_log("mailtrail_log_bytes_total", "counter", "Bytes read from each log.",
          [](const FileStream& s) { return s.counters().bytes; });
  per_log("mailtrail_log_rotations_total", "counter", "Rotations followed per log.",
          [](const FileStream& s) { return s.counters().rotations; });
  per_log("mailtrail_log_truncations_total", "counter", "copytruncate seen per log.",
          [](const FileStream& s) { return s.counters().truncations; });
  per_log("mailtrail_log_lag_bytes", "gauge", "Bytes written to each log, not read yet.",
          [](const FileStream& s) { return s.backlog_bytes(); });
  // One family after the other (the format wants each family's samples together).
  std::vector<LineStats> per_log_stats;
  std::vector<std::string> log_labels;
  for (const auto& st : states_) per_log_stats.push_back(st.counter.ToStats());
  for (const auto& s : streams_) log_labels.push_back(Label(s->path()));
  if (journal_state_) {
    per_log_stats.push_back(journal_state_->counter.ToStats());
    log_labels.push_back("journal");
  }
  for (const bool unknown : {false, true}) {
    if (unknown) {
      Metric(&out, "mailtrail_unknown_lines_total", "counter", "Unknown lines by log and program.");
    } else {
      Metric(&out, "mailtrail_lines_total", "counter",
             "Lines by log and by what the parsers made of them.");
    }
    for (size_t i = 0; i < per_log_stats.size(); ++i) {
      const std::string& log = log_labels[i];
      for (const auto& [kind, n] : per_log_stats[i].kinds) {
        const bool is_unknown = kind.rfind("unknown:", 0) == 0;
        if (is_unknown != unknown) continue;
        Sample(&out,
               unknown ? "mailtrail_unknown_lines_total{log=\"" + log + "\",program=\"" +
                             Label(kind.substr(8)) + "\"}"
                       : "mailtrail_lines_total{log=\"" + log + "\",kind=\"" + Label(kind) + "\"}",
               static_cast<double>(n));
      }
    }
  }
  const AsyncWriter::Stats w = writer_->stats();
  Metric(&out, "mailtrail_records_written_total", "counter", "Records committed to the store.");
  Sample(&out, "mailtrail_records_written_total", static_cast<double>(w.written));
  Metric(&out, "mailtrail_store_commits_total", "counter", "Store transactions committed.");
  Sample(&out, "mailtrail_store_commits_total", static_cast<double>(w.commits));
  Metric(&out, "mailtrail_store_batches_joined_total", "counter",
         "Batches written together with an earlier one because the store was behind.");
  Sample(&out, "mailtrail_store_batches_joined_total", static_cast<double>(w.joined));
  Metric(&out, "mailtrail_checkpoint_bytes_total", "counter",
         "Checkpoint bytes queued for the store: whole states, and the changes appended"
         " between them.");
  Sample(&out, "mailtrail_checkpoint_bytes_total{part=\"whole\"}",
         static_cast<double>(checkpoint_bytes_whole_total_));
  Sample(&out, "mailtrail_checkpoint_bytes_total{part=\"changes\"}",
         static_cast<double>(checkpoint_bytes_changes_total_));
  // What became of amavis's records (AmavisParts, AmavisTasks).
  const struct {
    const char* name;
    const char* help;
    int64_t value;
  } amavis[] = {
      {"mailtrail_amavis_split_lines_joined_total",
       "amavis lines that amavis split, joined again and read whole.",
       tracker_.amavis_lines_joined()},
      {"mailtrail_amavis_split_lines_unknown_total",
       "amavis lines joined again that the parser could not read.",
       tracker_.amavis_joined_unknown()},
      {"mailtrail_amavis_split_parts_lost_total",
       "Parts of split amavis lines not read: their line lost a part or went over the bounds.",
       tracker_.amavis_parts_lost()},
      {"mailtrail_amavis_scans_refused_total",
       "amavis records shaped as a main line after their task's main line: not scans.",
       tracker_.amavis_scans_refused()},
  };
  for (const auto& m : amavis) {
    Metric(&out, m.name, "counter", m.help);
    Sample(&out, m.name, static_cast<double>(m.value));
  }
  Metric(&out, "mailtrail_open_messages", "gauge", "Messages being tracked, not closed yet.");
  Sample(&out, "mailtrail_open_messages", static_cast<double>(tracker_.open_records()));
  Metric(&out, "mailtrail_store_write_seconds", "gauge", "Duration of the last store commit.");
  Sample(&out, "mailtrail_store_write_seconds", w.last_write_us / 1e6);
  Metric(&out, "mailtrail_store_write_seconds_total", "counter", "Time spent in store commits.");
  Sample(&out, "mailtrail_store_write_seconds_total", w.total_write_us / 1e6);
  Metric(&out, "mailtrail_lag_seconds", "gauge",
         "Wall clock minus the log time of the newest line read.");
  Sample(&out, "mailtrail_lag_seconds", lag_seconds());
  RenderMailFlow(flow_, &out);
  if (const QueueWatcher* q = options_.queue_watcher) {
    const struct {
      const char* name;
      const char* type;
      const char* help;
      double value;
    } kQueue[] = {
        {"mailtrail_queue_files_read_total", "counter", "Postfix queue files read.",
         static_cast<double>(q->files_read())},
        {"mailtrail_queue_read_errors_total", "counter",
         "Queue files that could not be read or parsed.", static_cast<double>(q->read_errors())},
        {"mailtrail_queue_files_vanished_total", "counter",
         "Queue files in active/ removed before they could be read.",
         static_cast<double>(q->vanished())},
        {"mailtrail_queue_scans_failed_total", "counter",
         "Queue scans that counted nothing (postqueue failed or timed out, the queue unreadable): "
         "the gauges keep the last counts.",
         static_cast<double>(q->scans_failed())},
        {"mailtrail_queue_files", "gauge", "Files in Postfix's queues at the last scan.",
         static_cast<double>(q->queued_files())},
        {"mailtrail_queue_corrupt_files", "gauge", "Damaged queue files at the last scan.",
         static_cast<double>(q->corrupt_files())},
        {"mailtrail_queue_deferred_bounces", "gauge",
         "Bounces waiting in the deferred queue at the last scan (outgoing backscatter).",
         static_cast<double>(q->deferred_bounces())},
        {"mailtrail_records_enriched_total", "counter",
         "Records given a Subject, From: or Message-ID from their queue file.",
         static_cast<double>(enriched_)},
        {"mailtrail_queue_hints_kept_total", "counter",
         "Open records given a field from their queue file, kept by the checkpoint.",
         static_cast<double>(hints_kept_)},
    };
    for (const auto& m : kQueue) {
      Metric(&out, m.name, m.type, m.help);
      Sample(&out, m.name, m.value);
    }
  }
  if (blocks_) {
    const struct {
      const char* name;
      const char* type;
      const char* help;
      double value;
    } kDetect[] = {
        {"mailtrail_bounces_total", "counter",
         "Bounces counted by the backscatter detector (answers to our own mail excluded).",
         static_cast<double>(detector_->bounces())},
        {"mailtrail_blocks_active", "gauge", "Blocks active now (live or not).",
         static_cast<double>(blocks_->Active().size())},
        {"mailtrail_block_decisions_capped_total", "counter",
         "Block decisions refused by a cap (active blocks, new blocks per minute).",
         static_cast<double>(blocks_->capped())},
        {"mailtrail_block_decisions_allowlisted_total", "counter",
         "Block decisions refused by the allowlist.", static_cast<double>(blocks_->allowlisted())},
        {"mailtrail_block_decisions_short_subject_total", "counter",
         "Subject block decisions refused: shorter than [blocks] min_subject_chars.",
         static_cast<double>(blocks_->short_subjects())},
        {"mailtrail_blocks_not_enforced_total", "counter",
         "Blocks from the store (another agent's, or by hand) this agent's allowlist refuses to "
         "enforce, each counted once.",
         static_cast<double>(blocks_->not_enforced())},
        {"mailtrail_detector_keys_untracked_total", "counter",
         "New subjects or IPs not tracked: the detector's bound was reached.",
         static_cast<double>(detector_->untracked())},
        {"mailtrail_fleet_answers_read_total", "counter",
         "Keys of mail other agents relayed, taken from the store to recognise its bounces here "
         "(fleet-wide answers).",
         static_cast<double>(detector_->fleet_answers())},
        {"mailtrail_fleet_answers_unshared_total", "counter",
         "Keys of mail relayed here never shared with the fleet: more waited than the bound while "
         "the store did not answer.",
         static_cast<double>(detector_->answers_not_shared())},
        {"mailtrail_rule_limit_hits_total", "counter",
         "Admin rule matches abandoned at PCRE2's limits (counted as no match).",
         static_cast<double>(detector_->rule_limit_hits())},
    };
    for (const auto& m : kDetect) {
      Metric(&out, m.name, m.type, m.help);
      Sample(&out, m.name, m.value);
    }
    // Not in mailtrail_bounces_total: they count towards no rule.
    Metric(&out, "mailtrail_bounce_answers_total", "counter",
           "Bounces recognised as answers to mail this server relayed, by how.");
    for (AnswerKind k : {AnswerKind::kMessageId, AnswerKind::kDomain, AnswerKind::kSubject})
      Sample(&out, std::string("mailtrail_bounce_answers_total{how=\"") + AnswerKindName(k) + "\"}",
             static_cast<double>(detector_->answers(k)));
    Metric(&out, "mailtrail_outbound_keys", "gauge",
           "Keys remembered of relayed mail, to recognise its bounces.");
    Sample(&out, "mailtrail_outbound_keys", static_cast<double>(detector_->outbound_keys()));
  }
  return out;
}

int64_t Agent::backlog_bytes() const {
  int64_t n = 0;
  for (const auto& s : streams_) n += s->backlog_bytes();
  return n;
}

}  // namespace mailtrail
