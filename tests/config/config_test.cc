#include "agent/config/config.h"

#include <gtest/gtest.h>

namespace mailtrail {
namespace {

TEST(Config, TheExampleFileHoldsExactlyTheDefaults) {
  auto c = LoadConfig(std::string(MT_SOURCE_DIR) + "/examples/mailtrail.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const Config d;
  EXPECT_EQ(c->store_url, d.store_url);
  EXPECT_EQ(c->detail, d.detail);
  EXPECT_EQ(c->log_paths, d.log_paths);
  EXPECT_EQ(c->from_start, d.from_start);
  EXPECT_EQ(c->timezone, d.timezone);
  EXPECT_EQ(c->poll_interval, d.poll_interval);
  EXPECT_EQ(c->flush_interval, d.flush_interval);
  EXPECT_EQ(c->batch_records, d.batch_records);
  EXPECT_EQ(c->queue_batches, d.queue_batches);
  EXPECT_EQ(c->checkpoint_kib_per_s, d.checkpoint_kib_per_s);
  EXPECT_EQ(c->grace, d.grace);
  EXPECT_EQ(c->stale_after, d.stale_after);
  EXPECT_EQ(c->max_open, d.max_open);
  EXPECT_EQ(c->metrics_listen, d.metrics_listen);
  EXPECT_EQ(c->password_file, d.password_file);
  EXPECT_EQ(c->spool_path, d.spool_path);
  EXPECT_EQ(c->spool_max_mb, d.spool_max_mb);
  EXPECT_EQ(c->cache_mb, d.cache_mb);
  EXPECT_EQ(c->dictionary_cache, d.dictionary_cache);
  EXPECT_EQ(c->agent_name, d.agent_name);
  EXPECT_EQ(c->host, d.host);
  EXPECT_EQ(c->detect, d.detect);
  EXPECT_EQ(c->subject_bounces, d.subject_bounces);
  EXPECT_EQ(c->subject_min_ips, d.subject_min_ips);
  EXPECT_EQ(c->subject_source_bounces, d.subject_source_bounces);
  EXPECT_EQ(c->answers, d.answers);
  EXPECT_EQ(c->answer_window, d.answer_window);
  EXPECT_EQ(c->fleet, d.fleet);
  EXPECT_EQ(c->fleet_interval, d.fleet_interval);
  EXPECT_EQ(c->subject_window, d.subject_window);
  EXPECT_EQ(c->ip_bounces, d.ip_bounces);
  EXPECT_EQ(c->ip_window, d.ip_window);
  EXPECT_EQ(c->block_period, d.block_period);
  EXPECT_EQ(c->block_max_period, d.block_max_period);
  EXPECT_EQ(c->max_active_blocks, d.max_active_blocks);
  EXPECT_EQ(c->max_new_blocks_per_minute, d.max_new_blocks_per_minute);
  EXPECT_EQ(c->allow, d.allow);
  EXPECT_EQ(c->allow_subjects, d.allow_subjects);
  EXPECT_EQ(c->min_subject_chars, d.min_subject_chars);
  EXPECT_TRUE(c->rules.empty());
  EXPECT_EQ(c->allow_mynetworks, d.allow_mynetworks);
  EXPECT_EQ(c->postfix_config_dir, d.postfix_config_dir);
  EXPECT_EQ(c->allow_own_addresses, d.allow_own_addresses);
  EXPECT_EQ(c->dry_run, d.dry_run);
  EXPECT_EQ(c->policy_socket, d.policy_socket);
  EXPECT_EQ(c->policy_reply, d.policy_reply);
  EXPECT_EQ(c->access_map, d.access_map);
  EXPECT_EQ(c->access_map_type, d.access_map_type);
  EXPECT_EQ(c->header_checks, d.header_checks);
  EXPECT_EQ(c->reload_interval, d.reload_interval);
  EXPECT_EQ(c->enforce_dry_run, d.enforce_dry_run);
  EXPECT_EQ(c->nftables, d.nftables);
  EXPECT_EQ(c->nftables_remove_on_stop, d.nftables_remove_on_stop);
  EXPECT_EQ(c->iptables, d.iptables);
  EXPECT_EQ(c->iptables_remove_on_stop, d.iptables_remove_on_stop);
  EXPECT_EQ(c->firewall_ports, d.firewall_ports);
  EXPECT_EQ(c->postfix_reload, d.postfix_reload);
  EXPECT_EQ(c->queue_read, d.queue_read);
  EXPECT_EQ(c->policy_listen, d.policy_listen);
  EXPECT_EQ(c->policy_socket_mode, d.policy_socket_mode);
  EXPECT_EQ(c->policy_socket_group, d.policy_socket_group);
  EXPECT_EQ(c->policy_idle_timeout, d.policy_idle_timeout);
  EXPECT_EQ(c->policy_max_connections, d.policy_max_connections);
  EXPECT_EQ(c->policy_max_connections_per_peer, d.policy_max_connections_per_peer);
  EXPECT_EQ(c->queue_dir, d.queue_dir);
  EXPECT_EQ(c->queue_scan_interval, d.queue_scan_interval);
  EXPECT_EQ(c->queue_bounce_alert, d.queue_bounce_alert);
  EXPECT_EQ(c->journal, d.journal);
  EXPECT_EQ(c->journal_matches, d.journal_matches);
  EXPECT_EQ(c->journal_directory, d.journal_directory);
}

TEST(Config, TheJournalAloneOrBesideLogs) {
  auto only = ParseConfig(
      "[input]\njournal = true\njournal_match = [\"SYSLOG_IDENTIFIER=postfix*\"]\n", "t.toml");
  ASSERT_TRUE(only.ok()) << only.status().message();
  EXPECT_TRUE(only->journal);
  EXPECT_TRUE(only->log_paths.empty());  // no /var/log/mail.log default beside it
  EXPECT_EQ(only->journal_matches, std::vector<std::string>{"SYSLOG_IDENTIFIER=postfix*"});
  auto both =
      ParseConfig("[logs]\npaths = [\"/var/log/other.log\"]\n[input]\njournal = true\n", "t.toml");
  ASSERT_TRUE(both.ok()) << both.status().message();
  EXPECT_EQ(both->log_paths, std::vector<std::string>{"/var/log/other.log"});
  auto bad =
      ParseConfig("[input]\njournal = true\njournal_match = [\"identifier=postfix\"]\n", "t.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t.toml:3"), std::string::npos) << bad.status().message();
}

TEST(Config, AgentHostNamesTheRecordsApartFromTheWriter) {
  auto c = ParseConfig("[agent]\nname = \"writer-1\"\nhost = \"mx1\"\n", "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->agent_name, "writer-1");
  EXPECT_EQ(c->host, "mx1");
}

TEST(Config, DetectionAndBlockKeysAreChecked) {
  auto c = ParseConfig(
      "[blocks]\nallow = [\"10.0.0.0/8\", \"2001:db8::/32\"]\nperiod_s = 60\n"
      "[detect]\nenabled = false\nip_bounces = 5\nsubject_source_bounces = 3\n"
      "answers = false\nanswer_window_s = 3600\n",
      "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->subject_source_bounces, 3);
  EXPECT_FALSE(c->answers);
  EXPECT_EQ(c->answer_window, 3600 * kUsPerSecond);
  EXPECT_FALSE(ParseConfig("[detect]\nsubject_source_bounces = 0\n", "t.toml").ok());
  EXPECT_EQ(c->allow, (std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32"}));
  EXPECT_FALSE(c->detect);
  EXPECT_EQ(c->ip_bounces, 5);
  auto rules = ParseConfig(
      "[[detect.rule]]\nname = \"m\"\nheader = \"From\"\npattern = \"^From:.*Mailer\"\n"
      "action = \"block-ip\"\nthreshold = 3\n",
      "t.toml");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  ASSERT_EQ(rules->rules.size(), 1u);
  EXPECT_EQ(rules->rules[0].threshold, 3);
  auto broken = ParseConfig(
      "[detect]\n[[detect.rule]]\nname = \"x\"\nheader = \"From\"\npattern = \"(a\"\n"
      "action = \"count\"\n",
      "t.toml");
  ASSERT_FALSE(broken.ok());
  // The pattern's own line (5), not the [[detect.rule]] header's (2).
  EXPECT_EQ(broken.status().message().rfind("t.toml:5: ", 0), 0u) << broken.status().message();
  EXPECT_NE(broken.status().message().find("rule 'x': pattern error"), std::string::npos);
  auto bad = ParseConfig("[blocks]\nallow = [\"10.0.0.0/8\", \"mx.example\"]\n", "t.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "t.toml:2: not an IP address or CIDR: mx.example");
  auto ports = ParseConfig("[enforce]\nfirewall_ports = [25, 2525]\n", "t.toml");
  ASSERT_TRUE(ports.ok()) << ports.status().message();
  EXPECT_EQ(ports->firewall_ports, (std::vector<int>{25, 2525}));
  auto bad_port = ParseConfig("[enforce]\nfirewall_ports = [25,\n 70000]\n", "t.toml");
  ASSERT_FALSE(bad_port.ok());
  EXPECT_EQ(bad_port.status().message(),
            "t.toml:3: firewall_ports must hold ports from 1 to 65535");
  EXPECT_FALSE(ParseConfig("[enforce]\nfirewall_ports = []\n", "t.toml").ok());
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
  EXPECT_EQ(policy->policy_socket_mode, 0600);
  EXPECT_EQ(policy->policy_socket_group, "mailtrail");
  EXPECT_TRUE(policy->policy_socket_group_required) << "a group asked for must be set";
  EXPECT_EQ(policy->policy_idle_timeout, 30 * kUsPerSecond);
  EXPECT_EQ(policy->policy_max_connections, 100);
  EXPECT_EQ(policy->policy_max_connections_per_peer, 50);
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
  EXPECT_EQ(c->store_url, "sqlite:/tmp/m.db");
  EXPECT_EQ(c->detail, Detail::kFull);
  EXPECT_EQ(c->log_paths, (std::vector<std::string>{"/a.log", "/b.log"}));
  EXPECT_TRUE(c->from_start);
  EXPECT_EQ(c->flush_interval, 250 * 1000);
  EXPECT_EQ(c->checkpoint_kib_per_s, 64);
  EXPECT_EQ(c->grace, 2 * kUsPerSecond);
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
