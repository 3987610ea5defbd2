// What every Store must do, whatever its backend: the shared sample record and
// helpers of the store tests (the contract suite and the backend-specific ones).
#ifndef MAILTRAIL_TESTS_SUPPORT_STORE_FIXTURE_H_
#define MAILTRAIL_TESTS_SUPPORT_STORE_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/store/store.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {

// A fresh SQLite store at standard detail in `dir` (null, and a test failure,
// when it cannot be opened).
inline std::unique_ptr<Store> OpenTestStore(const TempDir& dir) {
  auto s = OpenStore("sqlite:" + dir.File("t.db"), Detail::kStandard, true);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(*s) : nullptr;
}

class StoreFixture {
 protected:
  static MessageRecord Sample(const std::string& qid) {
    MessageRecord r;
    r.host = "mx";
    r.qid = qid;
    r.message_id = "m-" + qid + "@example.test";
    r.first_seen = 1795780000LL * kUsPerSecond;
    r.last_seen = r.first_seen + 5 * kUsPerSecond;
    r.has_client = true;
    r.client_ip = "2001:db8::5";
    r.client_host = "mail.example.test";
    r.helo = "mail.example.test";
    r.sender = "";  // the null sender
    r.subject = "Undelivered Mail \xd0\x96 '; DROP TABLE message; --";
    r.size = 1234;
    r.outcome = Outcome::kMixed;
    r.end = RecordEnd::kRemoved;
    RecipientRecord a;
    a.address = "a@example.test";
    a.orig_address = "list@example.test";
    a.outcome = Outcome::kDelivered;
    a.dsn = "2.0.0";
    a.relay = "local";
    a.status_text = "delivered to mailbox";
    a.delay = 0.25;
    a.attempts = 1;
    a.time = r.last_seen;
    RecipientRecord b = a;
    b.address = "b@remote.test";
    b.orig_address.clear();
    b.outcome = Outcome::kBounced;
    b.status_text = "host said: 550\tno\nsuch user";
    r.recipients = {a, b};
    r.reject = RejectInfo{"reject", "RCPT", 550, "5.1.1", "User unknown"};
    r.scans = {ScanResult{"amavis", "CLEAN", "Passed", -1.5, true}};
    r.parent_qid = "AAAAAA10A300";
    r.child_qids = {"BBBBBB10A300", "CCCCCC10A300"};
    r.ndr_qid = "DDDDDD10A300";
    r.events = {{r.first_seen, "postfix/smtpd", "client=a[1.2.3.4]\twith\\tab"}};
    return r;
  }

  std::vector<MessageRecord> All(Store* s) {
    std::vector<MessageRecord> out;
    SearchQuery q;
    q.limit = 1000;
    EXPECT_TRUE(s->Search(q, [&](MessageRecord&& r) { out.push_back(std::move(r)); }).ok());
    return out;
  }
};

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_STORE_FIXTURE_H_
