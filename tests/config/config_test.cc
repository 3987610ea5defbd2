#include "agent/config/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "actions/policy/policy_server.h"
#include "agent/journal/journal_writers.h"

namespace mailtrail {
namespace {

TEST(Config, TheExampleFileHoldsExactlyTheDefaults) {
  auto c = LoadConfig(std::string(MT_SOURCE_DIR) + "/examples/mailtrail.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const Config d;
  EXPECT_EQ(c->store.url, d.store.url);
  EXPECT_EQ(c->store.detail, d.store.detail);
  EXPECT_EQ(c->logs.paths, d.logs.paths);
  EXPECT_EQ(c->logs.from_start, d.logs.from_start);
  EXPECT_EQ(c->logs.timezone, d.logs.timezone);
  EXPECT_EQ(c->logs.poll_interval, d.logs.poll_interval);
  EXPECT_EQ(c->writer.flush_interval, d.writer.flush_interval);
  EXPECT_EQ(c->writer.batch_records, d.writer.batch_records);
  EXPECT_EQ(c->writer.queue_batches, d.writer.queue_batches);
  EXPECT_EQ(c->writer.checkpoint_kib_per_s, d.writer.checkpoint_kib_per_s);
  EXPECT_EQ(c->tracker.grace, d.tracker.grace);
  EXPECT_EQ(c->tracker.stale_after, d.tracker.stale_after);
  EXPECT_EQ(c->tracker.max_open, d.tracker.max_open);
  EXPECT_EQ(c->metrics.listen, d.metrics.listen);
  EXPECT_EQ(c->store.password_file, d.store.password_file);
  EXPECT_EQ(c->store.spool, d.store.spool);
  EXPECT_EQ(c->store.spool_max_mb, d.store.spool_max_mb);
  EXPECT_EQ(c->store.cache_mb, d.store.cache_mb);
  EXPECT_EQ(c->store.dictionary_cache, d.store.dictionary_cache);
  EXPECT_EQ(c->agent.name, d.agent.name);
  EXPECT_EQ(c->agent.host, d.agent.host);
  EXPECT_EQ(c->detect.enabled, d.detect.enabled);
  EXPECT_EQ(c->detect.subject_bounces, d.detect.subject_bounces);
  EXPECT_EQ(c->detect.subject_ips, d.detect.subject_ips);
  EXPECT_EQ(c->detect.subject_source_bounces, d.detect.subject_source_bounces);
  EXPECT_EQ(c->detect.answers, d.detect.answers);
  EXPECT_EQ(c->detect.answer_window, d.detect.answer_window);
  EXPECT_EQ(c->detect.fleet, d.detect.fleet);
  EXPECT_EQ(c->detect.fleet_interval, d.detect.fleet_interval);
  EXPECT_EQ(c->detect.subject_window, d.detect.subject_window);
  EXPECT_EQ(c->detect.ip_bounces, d.detect.ip_bounces);
  EXPECT_EQ(c->detect.ip_window, d.detect.ip_window);
  EXPECT_EQ(c->blocks.period, d.blocks.period);
  EXPECT_EQ(c->blocks.max_period, d.blocks.max_period);
  EXPECT_EQ(c->blocks.max_active, d.blocks.max_active);
  EXPECT_EQ(c->blocks.max_new_per_minute, d.blocks.max_new_per_minute);
  EXPECT_EQ(c->blocks.allow, d.blocks.allow);
  EXPECT_EQ(c->blocks.allow_subjects, d.blocks.allow_subjects);
  EXPECT_EQ(c->blocks.min_subject_chars, d.blocks.min_subject_chars);
  EXPECT_TRUE(c->detect.rules.empty());
  EXPECT_EQ(c->blocks.allow_mynetworks, d.blocks.allow_mynetworks);
  EXPECT_EQ(c->blocks.postfix_config_dir, d.blocks.postfix_config_dir);
  EXPECT_EQ(c->blocks.allow_own_addresses, d.blocks.allow_own_addresses);
  EXPECT_EQ(c->blocks.dry_run, d.blocks.dry_run);
  EXPECT_EQ(c->policy.socket, d.policy.socket);
  EXPECT_EQ(c->policy.reply, d.policy.reply);
  EXPECT_EQ(c->policy.bounce_action, d.policy.bounce_action);
  EXPECT_EQ(c->enforce.access_map, d.enforce.access_map);
  EXPECT_EQ(c->enforce.access_map_type, d.enforce.access_map_type);
  EXPECT_EQ(c->enforce.header_checks, d.enforce.header_checks);
  EXPECT_EQ(c->enforce.reload_interval, d.enforce.reload_interval);
  EXPECT_EQ(c->enforce.recheck_interval, d.enforce.recheck_interval);
  EXPECT_EQ(c->enforce.dry_run, d.enforce.dry_run);
  EXPECT_EQ(c->enforce.nftables, d.enforce.nftables);
  EXPECT_EQ(c->enforce.nftables_remove_on_stop, d.enforce.nftables_remove_on_stop);
  EXPECT_EQ(c->enforce.iptables, d.enforce.iptables);
  EXPECT_EQ(c->enforce.iptables_remove_on_stop, d.enforce.iptables_remove_on_stop);
  EXPECT_EQ(c->enforce.firewall_ports, d.enforce.firewall_ports);
  EXPECT_EQ(c->enforce.postfix_reload, d.enforce.postfix_reload);
  EXPECT_EQ(c->queue.read, d.queue.read);
  EXPECT_EQ(c->policy.listen, d.policy.listen);
  EXPECT_EQ(c->policy.socket_mode, d.policy.socket_mode);
  EXPECT_EQ(c->policy.socket_group, d.policy.socket_group);
  EXPECT_EQ(c->policy.idle_timeout, d.policy.idle_timeout);
  EXPECT_EQ(c->policy.max_connections, d.policy.max_connections);
  EXPECT_EQ(c->policy.max_connections_per_peer, d.policy.max_connections_per_peer);
  EXPECT_EQ(c->queue.directory, d.queue.directory);
  EXPECT_EQ(c->queue.scan_interval, d.queue.scan_interval);
  EXPECT_EQ(c->queue.bounce_alert, d.queue.bounce_alert);
  EXPECT_EQ(c->input.journal, d.input.journal);
  EXPECT_EQ(c->input.journal_matches, d.input.journal_matches);
  EXPECT_EQ(c->input.journal_directory, d.input.journal_directory);
  EXPECT_EQ(c->input.journal_writers, d.input.journal_writers);
}

// Debian 12 without rsyslog has no /var/log/mail.log: the admin of the
// installed configuration turns the journal on, one line, and it is the only
// input (docs/install.md "The journal only").
TEST(Config, TheExampleWithTheJournalOnReadsTheJournalAlone) {
  std::ifstream in(std::string(MT_SOURCE_DIR) + "/examples/mailtrail.toml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string off = "\njournal = false\n";
  const size_t at = text.find(off);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, off.size(), "\njournal = true\n");
  auto c = ParseConfig(text, "mailtrail.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->input.journal);
  EXPECT_TRUE(c->logs.paths.empty());
}

TEST(Config, TheJournalAloneOrBesideLogs) {
  auto only = ParseConfig(
      "[input]\njournal = true\njournal_match = [\"SYSLOG_IDENTIFIER=postfix*\"]\n", "t.toml");
  ASSERT_TRUE(only.ok()) << only.status().message();
  EXPECT_TRUE(only->input.journal);
  EXPECT_TRUE(only->logs.paths.empty());  // no /var/log/mail.log default beside it
  EXPECT_EQ(only->input.journal_matches, std::vector<std::string>{"SYSLOG_IDENTIFIER=postfix*"});
  auto both =
      ParseConfig("[logs]\npaths = [\"/var/log/other.log\"]\n[input]\njournal = true\n", "t.toml");
  ASSERT_TRUE(both.ok()) << both.status().message();
  EXPECT_EQ(both->logs.paths, std::vector<std::string>{"/var/log/other.log"});
  auto bad =
      ParseConfig("[input]\njournal = true\njournal_match = [\"identifier=postfix\"]\n", "t.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t.toml:3"), std::string::npos) << bad.status().message();
}

// Who may write Postfix's lines to the journal (docs/security.md rule 9):
// names, ids or "*"; none is root, postfix and amavis, each looked up here.
TEST(Config, JournalWritersAreUsersIdsOrAnyone) {
  auto c = ParseConfig("[input]\njournal_writers = [\"root\", \"4242\", \"no-such-user-x\"]\n",
                       "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const ResolvedWriters r = ResolveJournalWriters(c->input.journal_writers);
  ASSERT_TRUE(r.uids.has_value());
  EXPECT_EQ(*r.uids, (std::vector<uint32_t>{0, 4242}));
  EXPECT_EQ(r.description, "root (0), 4242 (4242); no user here: no-such-user-x");
  EXPECT_TRUE(r.doubtful);  // a name given that is no user: said as a warning
  EXPECT_TRUE(ResolveJournalWriters({"no-such-user-x"}).doubtful);
  EXPECT_FALSE(ResolveJournalWriters({"root", "4242"}).doubtful);
  const ResolvedWriters d = ResolveJournalWriters({});  // the default
  ASSERT_TRUE(d.uids.has_value());
  EXPECT_EQ(d.uids->front(), 0u);
  EXPECT_NE(d.description.find("root (0)"), std::string::npos) << d.description;
  EXPECT_FALSE(ResolveJournalWriters({"postfix", "*"}).uids.has_value());
  for (const char* bad : {"", "-rf", "a b", "x;y", "root\n", "abcdefghijabcdefghijabcdefghijabc"}) {
    auto b = ParseConfig(std::string("[input]\njournal_writers = [\"") + bad + "\"]\n", "t.toml");
    EXPECT_FALSE(b.ok()) << bad;
  }
}

TEST(Config, AgentHostNamesTheRecordsApartFromTheWriter) {
  auto c = ParseConfig("[agent]\nname = \"writer-1\"\nhost = \"mx1\"\n", "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->agent.name, "writer-1");
  EXPECT_EQ(c->agent.host, "mx1");
}

TEST(Config, DetectionAndBlockKeysAreChecked) {
  auto c = ParseConfig(
      "[blocks]\nallow = [\"10.0.0.0/8\", \"2001:db8::/32\"]\nperiod_s = 60\n"
      "[detect]\nenabled = false\nip_bounces = 5\nsubject_source_bounces = 3\n"
      "answers = false\nanswer_window_s = 3600\n",
      "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->detect.subject_source_bounces, 3);
  EXPECT_FALSE(c->detect.answers);
  EXPECT_EQ(c->detect.answer_window, 3600 * kUsPerSecond);
  EXPECT_FALSE(ParseConfig("[detect]\nsubject_source_bounces = 0\n", "t.toml").ok());
  EXPECT_EQ(c->blocks.allow, (std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32"}));
  EXPECT_FALSE(c->detect.enabled);
  EXPECT_EQ(c->detect.ip_bounces, 5);
  auto rules = ParseConfig(
      "[[detect.rule]]\nname = \"m\"\nheader = \"From\"\npattern = \"^From:.*Mailer\"\n"
      "action = \"block-ip\"\nthreshold = 3\n",
      "t.toml");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  ASSERT_EQ(rules->detect.rules.size(), 1u);
  EXPECT_EQ(rules->detect.rules[0].threshold, 3);
  auto broken = ParseConfig(
      "[detect]\n[[detect.rule]]\nname = \"x\"\nheader = \"From\"\npattern = \"(a\"\n"
      "action = \"count\"\n",
      "t.toml");
  ASSERT_FALSE(broken.ok());
  // The pattern's own line (5), not the [[detect.rule]] header's (2).
  EXPECT_EQ(broken.status().message().rfind("t.toml:5: ", 0), 0u) << broken.status().message();
  EXPECT_NE(broken.status().message().find("rule 'x': pattern error"), std::string::npos);
  auto twice = ParseConfig(
      "[detect]\n[[detect.rule]]\nname = \"x\"\nheader = \"From\"\npattern = \"a\"\n"
      "action = \"count\"\n[[detect.rule]]\nname = \"x\"\nheader = \"Subject\"\n"
      "pattern = \"b\"\naction = \"block-ip\"\n",
      "t.toml");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "t.toml:7: rule 'x': another rule has this name");
  auto bad = ParseConfig("[blocks]\nallow = [\"10.0.0.0/8\", \"mx.example\"]\n", "t.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "t.toml:2: not an IP address or CIDR: mx.example");
  auto ports = ParseConfig("[enforce]\nfirewall_ports = [25, 2525]\n", "t.toml");
  ASSERT_TRUE(ports.ok()) << ports.status().message();
  EXPECT_EQ(ports->enforce.firewall_ports, (std::vector<int>{25, 2525}));
  auto bad_port = ParseConfig("[enforce]\nfirewall_ports = [25,\n 70000]\n", "t.toml");
  ASSERT_FALSE(bad_port.ok());
  EXPECT_EQ(bad_port.status().message(),
            "t.toml:3: firewall_ports must hold ports from 1 to 65535");
  EXPECT_FALSE(ParseConfig("[enforce]\nfirewall_ports = []\n", "t.toml").ok());
  auto recheck = ParseConfig("[enforce]\nrecheck_interval_s = 2\n", "t.toml");
  ASSERT_TRUE(recheck.ok()) << recheck.status().message();
  EXPECT_EQ(recheck->enforce.recheck_interval, 2 * kUsPerSecond);
  EXPECT_FALSE(ParseConfig("[enforce]\nrecheck_interval_s = 0\n", "t.toml").ok());
  auto listen = ParseConfig("[policy]\nlisten = \"0.0.0.0:10031\"\n", "t.toml");
  ASSERT_FALSE(listen.ok());
  EXPECT_EQ(listen.status().message(),
            "t.toml:2: listen must be a loopback HOST:PORT, e.g. 127.0.0.1:10031");
  EXPECT_TRUE(ParseConfig("[policy]\nlisten = \"[::1]:10031\"\n", "t.toml").ok());
  // The socket is never world-writable: anyone could hold its connections.
  auto mode = ParseConfig("[policy]\nsocket_mode = \"0666\"\n", "t.toml");
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.status().message().rfind("t.toml:2: socket_mode", 0), 0u)
      << mode.status().message();
  EXPECT_FALSE(ParseConfig("[policy]\nsocket_mode = \"rw\"\n", "t.toml").ok());
  auto policy = ParseConfig(
      "[policy]\nsocket_mode = \"0600\"\nsocket_group = \"mailtrail\"\nidle_timeout_s = 30\n"
      "max_connections = 100\nmax_connections_per_peer = 50\n",
      "t.toml");
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  EXPECT_EQ(policy->policy.socket_mode, 0600);
  EXPECT_EQ(policy->policy.socket_group, "mailtrail");
  EXPECT_TRUE(policy->policy.socket_group_required) << "a group asked for must be set";
  EXPECT_EQ(policy->policy.idle_timeout, 30 * kUsPerSecond);
  EXPECT_EQ(policy->policy.max_connections, 100);
  EXPECT_EQ(policy->policy.max_connections_per_peer, 50);
  // smtpd keeps a policy connection idle up to smtpd_policy_service_max_idle,
  // 300 s by default: closed before that, smtpd's next request found it
  // gone and retried after a second's sleep (helper-136 F8). Postfix closes
  // first.
  EXPECT_GT(Config{}.policy.idle_timeout, 300 * kUsPerSecond);
  EXPECT_EQ(PolicyServer::Options{}.idle_timeout_ms,
            static_cast<int>(Config{}.policy.idle_timeout / 1000));
  // A blocked client's bounces get its reply unless the admin chooses
  // otherwise (HOLD has a price: docs/postfix.md).
  EXPECT_EQ(Config{}.policy.bounce_action, "");
  EXPECT_EQ(Config{}.policy.reply.rfind("450 ", 0), 0u);
  EXPECT_EQ(PolicyServer::Options{}.bounce_action, Config{}.policy.bounce_action);
  auto bounce = ParseConfig("[policy]\nbounce_action = \"250 ok\"\n", "t.toml");
  ASSERT_FALSE(bounce.ok());
  EXPECT_NE(bounce.status().message().find("bounce_action must be"), std::string::npos)
      << bounce.status().message();
  // [metrics] listen: refused by check-config as `run` refuses it.
  for (const char* bad : {"0.0.0.0:9432", "192.0.2.1:9432", "127.0.0.1:0", "localhost:9432"}) {
    auto m = ParseConfig(std::string("\n[metrics]\nlisten = \"") + bad + "\"\n", "t.toml");
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().message().rfind("t.toml:3: listen", 0), 0u) << m.status().message();
  }
  EXPECT_TRUE(ParseConfig("[metrics]\nlisten = \"127.0.0.1:9432\"\n", "t.toml").ok());
}

TEST(Config, ValuesAreRead) {
  auto c = ParseConfig(
      "[store]\nurl = \"sqlite:/tmp/m.db\"\ndetail = \"full\"\ncache_mb = 200\n"
      "dictionary_cache = 5000\n"
      "[logs]\npaths = [\"/a.log\", \"/b.log\"]\nfrom_start = true\n"
      "[writer]\nflush_interval_ms = 250\ncheckpoint_kib_per_s = 64\n[tracker]\ngrace_s = 2\n",
      "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->store.url, "sqlite:/tmp/m.db");
  EXPECT_EQ(c->store.detail, Detail::kFull);
  EXPECT_EQ(c->logs.paths, (std::vector<std::string>{"/a.log", "/b.log"}));
  EXPECT_TRUE(c->logs.from_start);
  EXPECT_EQ(c->writer.flush_interval, 250 * 1000);
  EXPECT_EQ(c->writer.checkpoint_kib_per_s, 64);
  EXPECT_EQ(c->tracker.grace, 2 * kUsPerSecond);
  const StoreOptions o = ToStoreOptions(*c);
  EXPECT_EQ(o.sqlite_cache_mb, 200);
  EXPECT_EQ(o.dictionary_cache, 5000u);
}

TEST(Config, MistakesAreReportedWithFileAndLine) {
  const struct {
    const char* text;
    const char* want;
  } kCases[] = {
      {"[writer]\nflush_interval = 5\n", "t.toml:2: unknown key 'flush_interval' in [writer]"},
      {"[logs]\npaths = [\"relative.log\"]\n", "t.toml:2: each path must be an absolute"},
      {"[logs]\npaths = []\n", "t.toml:2: paths must be a list"},
      {"[store]\ndetail = \"huge\"\n", "t.toml:2: detail must be minimal, standard or full"},
      {"\n\n[tracker]\ngrace_s = -1\n", "t.toml:4: grace_s must be an integer from 0"},
      {"[writer]\nbatch_records = \"many\"\n", "t.toml:2: batch_records must be an integer"},
      {"[logs]\nfrom_start = 1\n", "t.toml:2: from_start must be true or false"},
      {"[stores]\n", "t.toml:1: unknown key 'stores' in [top level]"},
      {"[store]\ncache_mb = 0\n", "t.toml:2: cache_mb must be an integer from 1"},
      {"[writer]\ncheckpoint_kib_per_s = -1\n",
       "t.toml:2: checkpoint_kib_per_s must be an integer from 0"},
      {"[store]\ndictionary_cache = 10\n",
       "t.toml:2: dictionary_cache must be an integer from 1024"},
      {"store = 3\n", "t.toml:1: store must be a table"},
      {"[blocks]\nperiod_s = 604801\nmax_period_s = 3600\n",
       "t.toml:1: [blocks] period_s (604801) is longer than max_period_s (3600)"},
      {"[store\n", "t.toml:1: "},
  };
  for (const auto& k : kCases) {
    auto c = ParseConfig(k.text, "t.toml");
    ASSERT_FALSE(c.ok()) << k.text;
    EXPECT_EQ(c.status().message().rfind(k.want, 0), 0u)
        << "got " << c.status().message() << ", want " << k.want;
  }
}

}  // namespace
}  // namespace mailtrail
