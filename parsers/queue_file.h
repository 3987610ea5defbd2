// ParseQueueFile: one Postfix queue file (the record stream of Postfix's
// src/global/rec_type.h and record.c) as data — a pure function over bytes
// that trusts nothing it reads. Every record is a type byte, a length (7 bits
// per byte, low bits first, the high bit meaning "more") and that many bytes;
// a length past the end, an unknown type, a pointer outside the file or a
// pointer loop is an error naming the offset, never a read out of bounds.
//
// Kept: the size record, arrival and create times, the sender (empty for the
// null sender), recipients with their original address and whether they were
// done, the named attributes (client address, helo...), the content filter,
// and the message headers (unfolded, capped), from which Subject, From,
// Message-ID and Content-Type are picked. The body is skipped.
#ifndef MAILTRAIL_PARSERS_QUEUE_FILE_H_
#define MAILTRAIL_PARSERS_QUEUE_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace mailtrail {

struct QueueFileLimits {
  size_t max_records = 1'000'000;   // records visited, pointers included
  size_t max_headers = 200;         // headers kept
  size_t max_header_bytes = 16384;  // one unfolded header, cut beyond
  size_t max_recipients = 100'000;  // recipients kept (the rest counted)
  size_t max_attributes = 200;      // named attributes kept
};

struct QueueRecipient {
  std::string address;
  std::string original;  // the O record before it ("" if none)
  std::string dsn_orig_rcpt;
  bool done = false;  // a D record (delivered or bounced), or cancelled
};

struct QueueFile {
  // The size record: content bytes, data offset, recipient count, qmgr flags,
  // content length (Postfix 2.4+).
  int64_t message_size = 0, data_offset = 0, recipient_count = 0, qmgr_flags = 0;
  int64_t arrival_sec = 0, arrival_usec = 0;  // T
  int64_t create_time = 0;                    // the create_time attribute (or c)
  int64_t warn_time = 0;                      // W: next delay warning (0: none)
  bool has_sender = false;
  std::string sender;          // "" = the null sender
  std::string full_name;       // F
  std::string content_filter;  // L in the envelope
  std::vector<QueueRecipient> recipients;
  size_t recipients_dropped = 0;  // over the limit
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<std::pair<std::string, std::string>> headers;  // name, value
  std::string subject, from, message_id, content_type;       // first of each
  bool complete = false;                                     // the E record was reached
  size_t records = 0;

  // The value of attribute `name` ("" if absent).
  std::string Attribute(std::string_view name) const;
  // A bounce made by an MTA: the null sender, or a DSN/report Content-Type.
  bool LooksLikeBounce() const;
};

// Parses `bytes`, the whole file. An empty file is an error ("still being
// written" in incoming/); a file without its E record parses but is marked
// incomplete.
StatusOr<QueueFile> ParseQueueFile(std::string_view bytes, const QueueFileLimits& limits = {});

}  // namespace mailtrail

#endif  // MAILTRAIL_PARSERS_QUEUE_FILE_H_
