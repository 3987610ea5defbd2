// A record's columns in the stores' `message` and `rcpt` tables, driven by the
// one description of its fields (agent/track/record_fields.h): the column
// lists, the write (one Sink call per column, in the list's order) and the read
// (one Source value per column). SqliteStore and MysqlStore name no record
// field in their column lists, binds or reads (only the keys they find a
// record's rows by: host, qid, first_seen); each says how it keeps a
// dictionary text (DictTable, Sink::Dict) and binds or reads one value.
// Header-only templates: the write path inlines them.
//
// The columns are the description's order, not the old hand-written one: the
// INSERTs name their columns, so rows are the same; a new store's dictionary
// ids come out in another order (texts are looked up as the columns are bound).
#ifndef MAILTRAIL_AGENT_STORE_RECORD_COLUMNS_H_
#define MAILTRAIL_AGENT_STORE_RECORD_COLUMNS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store/sqlite_codec.h"
#include "agent/store/store.h"
#include "agent/track/record_fields.h"
#include "base/ip_address.h"

namespace mailtrail {

struct RecordColumn {
  std::string name;  // the column's name (reject_action: a part's)
  Field field;
};

// The columns of `message` and of `rcpt` (without the stores' own key columns:
// message id, seq, ...), in the description's order. Computed once.
const std::vector<RecordColumn>& MessageColumns();
const std::vector<RecordColumn>& RecipientColumns();

// "a, b, c": the names of `columns`.
std::string ColumnNames(const std::vector<RecordColumn>& columns);

// How a store keeps a text of a dictionary kind: the table to join for it, or
// nullptr when the column holds the text itself.
using DictTable = const char* (*)(Stored kind);

// The SELECT expressions of `columns` of table alias `table` (one each, in
// order) and the JOINs they need: a dictionary text through its table (LEFT
// JOIN when the column may be NULL; NULL for an absent optional text).
struct SelectSql {
  std::string columns;
  std::string joins;
};
SelectSql SelectColumns(const std::vector<RecordColumn>& columns, const char* table,
                        DictTable dict_table);
// The same, but a column `wanted` says no to is "NULL" (no read, no join: the
// Reader then leaves its field empty), and with `outer` every dictionary join
// is a LEFT JOIN (for a table LEFT JOINed itself, whose row may be absent).
SelectSql SelectColumnsIf(const std::vector<RecordColumn>& columns, const char* table,
                          DictTable dict_table, bool (*wanted)(const RecordColumn&), bool outer);

// The columns Summary::Add (agent/report/summary.cc) reads, of `message` and of
// `rcpt`: what Store::SearchForSummary fills in. A test compares its summary
// with the full records' (tests/report/summary_scan_test.cc).
bool SummaryReads(const RecordColumn& column);

// A recipient's status text is kept at standard detail when it says why the
// recipient was not delivered ("User unknown", the remote's 4xx): the first
// thing an admin looks for. "delivered to mailbox" and "250 Ok" wait for full,
// as does a verification probe's "deliverable" answer.
// A delivery that may have handed the recipient to a next leg (MayHaveGoneOn:
// a content filter's "queued as", a requeue) keeps its text too: the report
// tells a hop by it (HandedToNextLeg).
inline bool KeepsStatusText(Detail d, const RecipientRecord& rc) {
  if (AtLeast(d, Detail::kFull)) return true;
  if (!AtLeast(d, Detail::kStandard)) return false;
  const Outcome o = rc.outcome;
  if (o == Outcome::kDelivered) return MayHaveGoneOn(rc);
  return o != Outcome::kInFlight && o != Outcome::kDeliverable;
}

namespace record_columns {

inline bool IsDictionary(Stored s) {
  return s == Stored::kAddress || s == Stored::kHostName || s == Stored::kSasl ||
         s == Stored::kSubject;
}

inline bool IsColumn(const Field& f) {
  return f.keep != Keep::kAgent && f.stored != Stored::kNot && f.stored != Stored::kRows;
}

// Sink: Null(), Int(int64_t), Double(double), Text(std::string_view) (bytes that
// live until the row is written), OwnedText(std::string), Blob(std::string),
// Dict(Stored kind, std::string_view text), Encoded(const std::vector<T>&)
// for ScanResult and RecordEvent lists (NULL when it encodes to nothing).
// A Sink with `static constexpr bool kDictionaryOnly = true` gets only Dict()
// and Null() calls worth nothing: its other columns are not computed.
template <typename Sink>
class Writer {
  static constexpr bool kDictionaryOnly = requires { Sink::kDictionaryOnly; };

 public:
  Writer(Detail detail, Sink& sink) : detail_(detail), sink_(sink) {}

  void operator()(Field f, const std::string& v) {
    if (!IsColumn(f)) return;
    if (!Kept(f) || (f.unknown == Unknown::kEmpty && v.empty())) return sink_.Null();
    Text(f, v);
  }
  void operator()(Field f, const std::optional<std::string>& v) {
    if (!IsColumn(f)) return;
    if (!Kept(f) || !v) return sink_.Null();
    Text(f, *v);
  }
  void operator()(Field f, int64_t v) {
    if constexpr (kDictionaryOnly) return;
    if (!IsColumn(f)) return;
    if (!Kept(f) || IsUnknown(f, v < 0, v == 0)) return sink_.Null();
    sink_.Int(f.stored == Stored::kSeconds ? v / kUsPerSecond : v);
  }
  void operator()(Field f, int v) { (*this)(f, static_cast<int64_t>(v)); }
  void operator()(Field f, double v) {
    if constexpr (kDictionaryOnly) return;
    if (!IsColumn(f)) return;
    if (!Kept(f) || IsUnknown(f, v < 0, v == 0)) return sink_.Null();
    sink_.Double(v);
  }
  void operator()(Field f, bool v) { (*this)(f, static_cast<int64_t>(v)); }
  void operator()(Field f, Outcome v) { (*this)(f, static_cast<int64_t>(v)); }
  void operator()(Field f, RecordEnd v) { (*this)(f, static_cast<int64_t>(v)); }
  void operator()(Field f, const std::vector<std::string>& v) {
    if constexpr (kDictionaryOnly) return;
    if (!IsColumn(f)) return;
    if (!Kept(f) || v.empty()) return sink_.Null();
    sink_.OwnedText(JoinList(v));
  }
  void operator()(Field f, const std::vector<ScanResult>& v) { Encoded(f, v); }
  void operator()(Field f, const std::vector<RecordEvent>& v) { Encoded(f, v); }
  // A table of their own: WriteRecipientColumns.
  void operator()(Field, const std::vector<RecipientRecord>&) {}
  // An optional part: its fields' columns, all NULL when it is absent.
  template <typename T>
  void operator()(Field f, const std::optional<T>& v) {
    if (!IsColumn(f)) return;
    const bool was_absent = absent_;
    absent_ = absent_ || !v || !Kept(f);
    static const T kNone{};
    ForEachField(v ? *v : kNone, *this);
    absent_ = was_absent;
  }

  // The recipient whose fields are visited: status_text's rule reads its outcome.
  void set_recipient(const RecipientRecord* rc) { recipient_ = rc; }

 private:
  bool Kept(const Field& f) const {
    if (absent_) return false;
    if (f.kept_when_undelivered && recipient_) return KeepsStatusText(detail_, *recipient_);
    switch (f.keep) {
      case Keep::kMinimal:
        return true;
      case Keep::kStandard:
        return AtLeast(detail_, Detail::kStandard);
      case Keep::kFull:
        return AtLeast(detail_, Detail::kFull);
      case Keep::kAgent:
        return false;
    }
    return false;
  }
  static bool IsUnknown(const Field& f, bool negative, bool zero) {
    return f.unknown == Unknown::kNegative ? negative : f.unknown == Unknown::kEmpty && zero;
  }
  template <typename T>
  void Encoded(const Field& f, const std::vector<T>& v) {
    if constexpr (kDictionaryOnly) return;
    if (!IsColumn(f)) return;
    if (!Kept(f)) return sink_.Null();
    sink_.Encoded(v);
  }
  void Text(const Field& f, const std::string& v) {
    if (f.stored == Stored::kIp) {
      if constexpr (kDictionaryOnly) return;
      if (auto ip = IpAddress::Parse(v)) return sink_.Blob(ip->Bytes());
      return sink_.Null();
    }
    if (IsDictionary(f.stored)) return sink_.Dict(f.stored, v);
    sink_.Text(v);
  }

  const Detail detail_;
  Sink& sink_;
  bool absent_ = false;
  const RecipientRecord* recipient_ = nullptr;
};

// Source: IsNull(i), Int(i), Double(i), Text(i) of the i-th column (from 0) of
// the row, in the order of SelectColumns.
template <typename Source>
class Reader {
 public:
  explicit Reader(const Source& src) : src_(src) {}

  void operator()(Field f, std::string& v) {
    if (!IsColumn(f)) return;
    const int i = col_++;
    if (src_.IsNull(i)) return;
    if (f.stored == Stored::kIp) {
      if (auto ip = IpAddress::FromBytes(src_.Text(i))) v = ip->ToString();
      return;
    }
    v = src_.Text(i);
  }
  void operator()(Field f, std::optional<std::string>& v) {
    if (!IsColumn(f)) return;
    const int i = col_++;
    if (!src_.IsNull(i)) v = src_.Text(i);
  }
  void operator()(Field f, int64_t& v) {
    if (!IsColumn(f)) return;
    const int i = col_++;
    if (src_.IsNull(i))
      v = f.unknown == Unknown::kNegative ? -1 : 0;
    else
      v = f.stored == Stored::kSeconds ? src_.Int(i) * kUsPerSecond : src_.Int(i);
  }
  void operator()(Field f, int& v) {
    int64_t wide = v;
    (*this)(f, wide);
    v = static_cast<int>(wide);
  }
  void operator()(Field f, double& v) {
    if (!IsColumn(f)) return;
    const int i = col_++;
    v = src_.IsNull(i) ? (f.unknown == Unknown::kNegative ? -1 : 0) : src_.Double(i);
  }
  void operator()(Field f, bool& v) {
    if (!IsColumn(f)) return;
    v = src_.Int(col_++) != 0;
  }
  void operator()(Field f, Outcome& v) {
    if (!IsColumn(f)) return;
    const int64_t n = src_.Int(col_++);
    v = n >= 0 && n < kOutcomeCount ? static_cast<Outcome>(n) : Outcome::kInFlight;
  }
  void operator()(Field f, RecordEnd& v) {
    if (!IsColumn(f)) return;
    v = static_cast<RecordEnd>(src_.Int(col_++) & 3);
  }
  void operator()(Field f, std::vector<std::string>& v) {
    if (!IsColumn(f)) return;
    const int i = col_++;
    if (!src_.IsNull(i)) v = SplitList(src_.Text(i));
  }
  void operator()(Field f, std::vector<ScanResult>& v) {
    if (!IsColumn(f)) return;
    const int i = col_++;
    if (!src_.IsNull(i)) v = DecodeScans(src_.Text(i));
  }
  void operator()(Field f, std::vector<RecordEvent>& v) {
    if (!IsColumn(f)) return;
    const int i = col_++;
    if (!src_.IsNull(i)) v = DecodeEvents(src_.Text(i));
  }
  // A table of their own: ReadRecipientColumns.
  void operator()(Field, std::vector<RecipientRecord>&) {}
  // An optional part: there when its first column is not NULL.
  template <typename T>
  void operator()(Field f, std::optional<T>& v) {
    if (!IsColumn(f)) return;
    const bool present = !src_.IsNull(col_);
    T part;
    ForEachField(part, *this);
    if (present) v = std::move(part);
  }

 private:
  const Source& src_;
  int col_ = 0;
};

}  // namespace record_columns

// Calls sink once per column of MessageColumns() (RecipientColumns()), with what
// a store at `detail` keeps of `r` (`rc`).
template <typename Sink>
void WriteMessageColumns(const MessageRecord& r, Detail detail, Sink& sink) {
  record_columns::Writer<Sink> w(detail, sink);
  ForEachField(r, w);
}
template <typename Sink>
void WriteRecipientColumns(const RecipientRecord& rc, Detail detail, Sink& sink) {
  record_columns::Writer<Sink> w(detail, sink);
  w.set_recipient(&rc);
  ForEachField(rc, w);
}

// Reads a row of SelectColumns(MessageColumns(), ...) into r (its recipients
// are read apart); of RecipientColumns() into rc.
template <typename Source>
void ReadMessageColumns(const Source& src, MessageRecord* r) {
  record_columns::Reader<Source> read(src);
  ForEachField(*r, read);
  // has_client has no column: a client is there when it has an address or name.
  r->has_client = !r->client_ip.empty() || !r->client_host.empty();
}
template <typename Source>
void ReadRecipientColumns(const Source& src, RecipientRecord* rc) {
  record_columns::Reader<Source> read(src);
  ForEachField(*rc, read);
}

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_RECORD_COLUMNS_H_
