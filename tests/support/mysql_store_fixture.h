// MysqlStoreFixture: a fresh, migrated database of the tests' MariaDB for each
// test, its stores (writers by agent name, readers) and SQL run as root in it.
#ifndef MAILTRAIL_TESTS_SUPPORT_MYSQL_STORE_FIXTURE_H_
#define MAILTRAIL_TESTS_SUPPORT_MYSQL_STORE_FIXTURE_H_

#include <cppconn/driver.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "agent/store/store.h"
#include "tests/support/mariadb.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {

class MysqlStoreFixture : public ::testing::Test, public StoreFixture {
 protected:
  void SetUp() override { url_ = db_.NewDatabase(); }
  std::string Database() const { return DatabaseOf(url_); }
  static std::string DatabaseOf(const std::string& url) {
    const size_t slash = url.find('/', std::string("mysql://").size());
    return url.substr(slash + 1, url.find('?') - slash - 1);
  }
  // One value (the first line) from SQL run as root in the test's database.
  std::string Value(const std::string& sql) {
    const std::string all = Output(sql);
    return all.substr(0, all.find('\n'));
  }
  // Every line of what SQL run as root in the test's database prints.
  std::string Output(const std::string& sql) {
    const std::string out = dir_.File("all.txt");
    const std::string cmd = "mariadb --no-defaults -N -B -uroot -S '" + db_.socket() + "' " +
                            Database() + " -e \"" + sql + "\" > " + out;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << sql;
    std::ifstream in(out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::unique_ptr<Store> Open(const std::string& agent, Detail d = Detail::kStandard) {
    StoreOptions o;
    o.detail = d;
    o.agent_name = agent;
    auto s = OpenStore(url_, o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::unique_ptr<Store> Reader() {
    StoreOptions o;
    o.as_writer = false;
    auto s = OpenStore(url_, o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // A session of the test's own, through the driver the store uses.
  std::unique_ptr<sql::Connection> Session() {
    sql::ConnectOptionsMap o;
    o["hostName"] = sql::SQLString("unix://" + db_.socket());
    o["userName"] = sql::SQLString("root");
    o["password"] = sql::SQLString("");
    std::unique_ptr<sql::Connection> c(get_driver_instance()->connect(o));
    c->setSchema(Database());
    return c;
  }
  // A report's (or a backup's) open transaction that has read message: it
  // holds the table's metadata lock until it ends (the session is closed).
  std::unique_ptr<sql::Connection> HoldTheTables() {
    auto c = Session();
    c->setAutoCommit(false);
    std::unique_ptr<sql::Statement> st(c->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT COUNT(*) FROM message"));
    EXPECT_TRUE(rs->next());
    return c;
  }
  static MessageRecord On(const std::string& qid, const std::string& host, int64_t day) {
    MessageRecord r = Sample(qid);
    r.host = host;
    r.first_seen = day * 86400 * kUsPerSecond + 3600 * kUsPerSecond;
    r.last_seen = r.first_seen + kUsPerSecond;
    return r;
  }

  TestMariaDb& db_ = TestMariaDb::Get();
  TempDir dir_{"mt_mysql"};
  std::string url_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_MYSQL_STORE_FIXTURE_H_
