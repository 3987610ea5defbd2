// TestMariaDb: a real MariaDB server for the tests. Under ctest the fixture
// `mariadb` has started one (tests/mysql/server.sh) and names its socket in
// MAILTRAIL_TEST_MYSQL_SOCKET; a test binary run by hand starts its own, once
// per process, and stops it (by PID) at exit.
#ifndef MAILTRAIL_TESTS_SUPPORT_MARIADB_H_
#define MAILTRAIL_TESTS_SUPPORT_MARIADB_H_

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "agent/store/store.h"

namespace mailtrail {

class TestMariaDb {
 public:
  static TestMariaDb& Get() {
    static TestMariaDb db;
    return db;
  }

  const std::string& socket() const { return socket_; }

  // Runs SQL as root through the mariadb client; returns its exit status.
  int Sql(const std::string& sql) const {
    const std::string cmd = "mariadb --no-defaults -uroot -S '" + socket_ + "' -e \"" + sql + "\"";
    return std::system(cmd.c_str());
  }

  // A fresh, migrated database; its store URL.
  std::string NewDatabase() {
    static std::atomic<int> n{0};
    const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(n++);
    if (Sql("DROP DATABASE IF EXISTS " + name + "; CREATE DATABASE " + name) != 0)
      throw std::runtime_error("cannot create database " + name);
    const std::string url = Url(name);
    StoreOptions o;
    o.migrate = true;
    o.agent_name = "migrate";
    auto store = OpenStore(url, o);
    if (!store.ok())
      throw std::runtime_error("cannot migrate " + name + ": " + store.status().message());
    return url;
  }

  std::string Url(const std::string& database) const {
    return "mysql://root@localhost/" + database + "?socket=" + socket_;
  }

 private:
  TestMariaDb() {
    if (const char* s = std::getenv("MAILTRAIL_TEST_MYSQL_SOCKET"); s && *s) {
      socket_ = s;
      return;
    }
    dir_ = (std::filesystem::temp_directory_path() / ("mt_mariadb_" + std::to_string(::getpid())))
               .string();
    const std::string cmd =
        std::string(MT_SOURCE_DIR) + "/tests/mysql/server.sh start '" + dir_ + "'";
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[512] = {};
    if (p == nullptr || std::fgets(buf, sizeof buf, p) == nullptr || ::pclose(p) != 0)
      throw std::runtime_error("cannot start MariaDB: " + cmd);
    socket_ = buf;
    while (!socket_.empty() && socket_.back() == '\n') socket_.pop_back();
  }
  ~TestMariaDb() {
    if (dir_.empty()) return;
    const std::string cmd = std::string(MT_SOURCE_DIR) + "/tests/mysql/server.sh stop '" + dir_ +
                            "' && rm -rf '" + dir_ + "'";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not stop MariaDB\n");
  }

  std::string socket_, dir_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_MARIADB_H_
