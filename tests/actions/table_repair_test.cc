// Postfix tables changed behind the agent's back (issue 19 item 5): a
// Reconciler::Recheck makes every action apply again, and each action compares
// what is on disk, so an edited or removed table is written again and one that
// matches is left alone. Checked with the real `postmap -q`.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "actions/postfix/postfix_tables.h"
#include "actions/reconciler.h"
#include "base/run_program.h"
#include "tests/support/capture_logger.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class TableRepair : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.File("main.cf")) << "compatibility_level = 3.7\n";
    o_.config_dir = dir_.path().string();
    o_.reply = "450 4.7.1 Service temporarily unavailable";
    o_.reload = false;
    r_.log = &quiet_;
  }
  std::string Query(const std::string& key, const std::string& table) {
    auto r = RunProgram({"/usr/sbin/postmap", "-c", o_.config_dir, "-q", key, table});
    if (!r.ok()) return "";
    std::string v = *r;
    while (!v.empty() && v.back() == '\n') v.pop_back();
    return v;
  }
  static ino_t Inode(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  }
  TempDir dir_{"mt_repair"};
  PostfixTableOptions o_;
  CaptureLogger quiet_;
  Reconciler r_;
};

TEST_F(TableRepair, ARemovedAccessMapDatabaseIsRebuiltOnRecheck) {
  o_.path = dir_.File("access");
  r_.Add(std::make_unique<AccessMapAction>(o_));
  DesiredBlocks d;
  d.ips = {"198.51.100.7"};
  r_.Sync(d, 0);
  ASSERT_EQ(Query("198.51.100.7", "lmdb:" + o_.path), o_.reply);
  const ino_t built = Inode(o_.path + ".lmdb");
  r_.Recheck();
  r_.Sync(d, 5 * kUsPerSecond);
  EXPECT_EQ(Inode(o_.path + ".lmdb"), built) << "a matching table is not rebuilt";
  std::filesystem::remove(o_.path + ".lmdb");
  r_.Sync(d, 10 * kUsPerSecond);
  EXPECT_EQ(Query("198.51.100.7", "lmdb:" + o_.path), "") << "no recheck: nothing looked";
  r_.Recheck();
  r_.Sync(d, 15 * kUsPerSecond);
  EXPECT_EQ(Query("198.51.100.7", "lmdb:" + o_.path), o_.reply) << "got nothing, want rebuilt";
}

TEST_F(TableRepair, AnEditedHeaderChecksTableIsWrittenAgainOnRecheck) {
  o_.path = dir_.File("header_checks");
  r_.Add(std::make_unique<HeaderChecksAction>(o_));
  DesiredBlocks d;
  d.subjects = {"Quarterly invoice reminder"};
  r_.Sync(d, 0);
  const std::string subject = "Subject: Quarterly invoice reminder";
  ASSERT_NE(Query(subject, "pcre:" + o_.path), "");
  const ino_t written = Inode(o_.path);
  r_.Recheck();
  r_.Sync(d, 5 * kUsPerSecond);
  EXPECT_EQ(Inode(o_.path), written) << "a matching table is not rewritten";
  std::ofstream(o_.path) << "# emptied by someone\n";
  r_.Recheck();
  r_.Sync(d, 10 * kUsPerSecond);
  EXPECT_NE(Query(subject, "pcre:" + o_.path), "") << "the edited table was not repaired";
  std::filesystem::remove(o_.path);
  r_.Recheck();
  r_.Sync(d, 15 * kUsPerSecond);
  EXPECT_NE(Query(subject, "pcre:" + o_.path), "") << "the removed table was not repaired";
}

}  // namespace
}  // namespace mailtrail
