#include "agent/store/record_columns.h"

namespace mailtrail {

namespace {

// Collects the column of each stored field; an optional part's as PART_FIELD.
struct Lister {
  std::vector<RecordColumn>* out;
  std::string prefix;

  void Add(const Field& f) {
    if (record_columns::IsColumn(f)) out->push_back({prefix + (f.column ? f.column : f.name), f});
  }

  template <typename T>
  void operator()(Field f, const T&) {
    Add(f);
  }
  void operator()(Field f, const std::optional<std::string>&) { Add(f); }
  // An optional part (Stored::kColumns): a column for each of its fields.
  template <typename T>
  void operator()(Field f, const std::optional<T>&) {
    if (!record_columns::IsColumn(f)) return;
    Lister part{out, prefix + (f.column ? f.column : f.name) + "_"};
    const T none{};
    ForEachField(none, part);
  }
};

template <typename R>
std::vector<RecordColumn> ListColumns() {
  std::vector<RecordColumn> out;
  Lister lister{&out, ""};
  const R none{};
  ForEachField(none, lister);
  return out;
}

}  // namespace

const std::vector<RecordColumn>& MessageColumns() {
  static const std::vector<RecordColumn> kColumns = ListColumns<MessageRecord>();
  return kColumns;
}

const std::vector<RecordColumn>& RecipientColumns() {
  static const std::vector<RecordColumn> kColumns = ListColumns<RecipientRecord>();
  return kColumns;
}

std::string ColumnNames(const std::vector<RecordColumn>& columns) {
  std::string out;
  for (const auto& c : columns) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

SelectSql SelectColumns(const std::vector<RecordColumn>& columns, const char* table,
                        DictTable dict_table) {
  return SelectColumnsIf(columns, table, dict_table, nullptr, false);
}

SelectSql SelectColumnsIf(const std::vector<RecordColumn>& columns, const char* table,
                          DictTable dict_table, bool (*wanted)(const RecordColumn&), bool outer) {
  SelectSql out;
  int joined = 0;
  for (const auto& c : columns) {
    if (!out.columns.empty()) out.columns += ", ";
    if (wanted && !wanted(c)) {
      out.columns += "NULL";
      continue;
    }
    const std::string column = std::string(table) + "." + c.name;
    const char* dict =
        record_columns::IsDictionary(c.field.stored) ? dict_table(c.field.stored) : nullptr;
    if (!dict) {
      out.columns += column;
      continue;
    }
    const std::string alias = std::string(table) + "d" + std::to_string(joined++);
    const bool always = c.field.unknown == Unknown::kNever;
    out.joins += std::string(always && !outer ? " JOIN " : " LEFT JOIN ") + dict + " " + alias +
                 " ON " + alias + ".id = " + column;
    // NULL only when the column is: an optional text (the sender) may be "".
    if (always)
      out.columns += alias + ".text";
    else
      out.columns +=
          "CASE WHEN " + column + " IS NULL THEN NULL ELSE COALESCE(" + alias + ".text, '') END";
  }
  return out;
}

bool SummaryReads(const RecordColumn& column) {
  // Message: times, outcome, queue id, size, sender, client, the reject's
  // parts, the subject, the next legs (HandedToNextLeg). Recipient (same names
  // where they meet): address, outcome, relay, DSN, status text (the deferral
  // reasons; kept at standard detail when undelivered).
  static const char* const kRead[] = {
      "first_seen", "last_seen",   "outcome",       "qid",          "size",        "sender",
      "client_ip",  "client_host", "reject_action", "reject_stage", "reject_code", "reject_dsn",
      "child_qids", "addr",        "relay",         "dsn",          "subject",     "status_text"};
  for (const char* name : kRead)
    if (column.name == name) return true;
  return false;
}

}  // namespace mailtrail
