// Log lines of Postfix's queue operations that tests share: `postsuper -d` of
// a message while a delivery of it runs, and `postsuper -r` of a message whose
// filter leg was deferred (helper-92, written by a real Postfix 3.7).
#ifndef MAILTRAIL_TESTS_SUPPORT_QUEUE_OPERATION_LINES_H_
#define MAILTRAIL_TESTS_SUPPORT_QUEUE_OPERATION_LINES_H_

#include <string>
#include <vector>

namespace mailtrail::queue_ops {

// C617EA72266 deleted at 15:00:08 while a 25 s filter delivery runs; it ends
// at 15:00:28. Other mail goes on meanwhile (1B2C3D4E5F).
inline std::vector<std::string> DeleteDuringADelivery() {
  return {
      "Dec 06 15:00:03 mx postfix/smtpd[23819]: C617EA72266: client=unknown[192.0.2.20]",
      "Dec 06 15:00:03 mx postfix/qmgr[23697]: C617EA72266: from=<alice@hosted.test>, "
      "size=402, nrcpt=2 (queue active)",
      "Dec 06 15:00:08 mx postfix/postsuper[23997]: C617EA72266: removed",
      "Dec 06 15:00:20 mx postfix/smtpd[23830]: connect from unknown[192.0.2.99]",
      "Dec 06 15:00:28 mx postfix/smtp[23823]: C617EA72266: to=<xena@hosted.test>, "
      "relay=127.0.0.11[127.0.0.11]:10024, delay=25, delays=0/0/0/25, dsn=2.0.0, status=sent "
      "(250 2.0.0 from MTA(smtp:[127.0.0.10]:10025): 250 2.0.0 Ok: queued as D0C93A7205E)",
      "Dec 06 15:00:28 mx postfix/smtp[23823]: C617EA72266: to=<pe7@partner.test>, "
      "relay=127.0.0.11[127.0.0.11]:10024, delay=25, delays=0/0/0/25, dsn=2.0.0, status=sent "
      "(250 2.0.0 from MTA(smtp:[127.0.0.10]:10025): 250 2.0.0 Ok: queued as D0C93A7205E)",
      "Dec 06 15:00:28 mx postfix/qmgr[23697]: warning: qmgr_active_done_3_generic: remove "
      "C617EA72266 from active: No such file or directory",
      // Other mail goes on: records removed meanwhile end after the usual 10 s.
      "Dec 06 15:00:30 mx postfix/smtpd[24001]: 1B2C3D4E5F: client=unknown[192.0.2.21]",
      "Dec 06 15:00:30 mx postfix/qmgr[23697]: 1B2C3D4E5F: from=<bob@hosted.test>, size=300, "
      "nrcpt=1 (queue active)",
      "Dec 06 15:00:30 mx postfix/local[24002]: 1B2C3D4E5F: to=<vera@hosted.test>, "
      "relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Dec 06 15:00:30 mx postfix/qmgr[23697]: 1B2C3D4E5F: removed",
      "Dec 06 15:00:45 mx postfix/smtpd[23830]: disconnect from unknown[192.0.2.99]",
  };
}

// F2273A720E2 passes amavis as leg 0DF39A7216F, which is deferred, requeued
// (postsuper -r) as 09D4BA72067, whose second pass makes leg 1719CA720E2;
// amavis names the first id (XFORWARD IDENT) both times.
inline std::vector<std::string> RequeuedWithItsLeg() {
  const std::string mid = "Message-ID: <179656932796.26421@client.test>";
  return {
      "Dec 06 15:02:07 mx postfix/smtpd[26462]: F2273A720E2: client=unknown[192.0.2.20]",
      "Dec 06 15:02:07 mx postfix/qmgr[26392]: F2273A720E2: from=<alice@hosted.test>, "
      "size=405, nrcpt=1 (queue active)",
      "Dec 06 15:02:08 mx postfix/smtpd[26493]: 0DF39A7216F: client=unknown[127.0.0.11], "
      "orig_queue_id=F2273A720E2, orig_client=unknown[192.0.2.20]",
      "Dec 06 15:02:08 mx postfix/qmgr[26392]: 0DF39A7216F: from=<alice@hosted.test>, "
      "size=589, nrcpt=1 (queue active)",
      "Dec 06 15:02:08 mx amavis[26504]: (26365-01) Passed CLEAN {RelayedInbound}, "
      "[127.0.0.9]:4242 <alice@hosted.test> -> <rdefer21@remote.test>, Queue-ID: F2273A720E2, " +
          mid + ", mail_id: M26365x01, Hits: -1, size: 405, queued_as: 0DF39A7216F, 40 ms",
      "Dec 06 15:02:08 mx postfix/smtp[26467]: F2273A720E2: to=<rdefer21@remote.test>, "
      "relay=127.0.0.11[127.0.0.11]:10024, delay=0.08, delays=0.01/0.01/0/0.06, dsn=2.0.0, "
      "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.10]:10025): 250 2.0.0 Ok: queued as "
      "0DF39A7216F)",
      "Dec 06 15:02:08 mx postfix/qmgr[26392]: F2273A720E2: removed",
      "Dec 06 15:02:08 mx postfix/smtp[26500]: 0DF39A7216F: to=<rdefer21@remote.test>, "
      "relay=127.0.0.13[127.0.0.13]:25, delay=0.06, delays=0/0.01/0/0.05, dsn=4.3.0, "
      "status=deferred (host 127.0.0.13[127.0.0.13] said: 451 4.3.0 try later)",
      "Dec 06 15:02:17 mx postfix/postsuper[26709]: 0DF39A7216F: requeued",
      "Dec 06 15:02:18 mx postfix/pickup[26391]: 09D4BA72067: uid=103 from=<alice@hosted.test> "
      "orig_id=0DF39A7216F",
      "Dec 06 15:02:18 mx postfix/qmgr[26392]: 09D4BA72067: from=<alice@hosted.test>, "
      "size=702, nrcpt=1 (queue active)",
      "Dec 06 15:02:18 mx postfix/smtpd[26493]: 1719CA720E2: client=unknown[127.0.0.11], "
      "orig_queue_id=F2273A720E2, orig_client=unknown[192.0.2.20]",
      "Dec 06 15:02:18 mx postfix/qmgr[26392]: 1719CA720E2: from=<alice@hosted.test>, "
      "size=886, nrcpt=1 (queue active)",
      "Dec 06 15:02:18 mx amavis[26738]: (26365-02) Passed CLEAN {RelayedInbound}, "
      "[127.0.0.9]:4242 <alice@hosted.test> -> <rdefer21@remote.test>, Queue-ID: F2273A720E2, " +
          mid + ", mail_id: M26365x02, Hits: -1, size: 702, queued_as: 1719CA720E2, 40 ms",
      "Dec 06 15:02:18 mx postfix/smtp[26734]: 09D4BA72067: to=<rdefer21@remote.test>, "
      "relay=127.0.0.11[127.0.0.11]:10024, delay=10, delays=10/0.01/0/0.05, dsn=2.0.0, "
      "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.10]:10025): 250 2.0.0 Ok: queued as "
      "1719CA720E2)",
      "Dec 06 15:02:18 mx postfix/qmgr[26392]: 09D4BA72067: removed",
  };
}

}  // namespace mailtrail::queue_ops

#endif  // MAILTRAIL_TESTS_SUPPORT_QUEUE_OPERATION_LINES_H_
