#include "agent/blocks/block.h"

#include "base/text.h"

namespace mailtrail {

namespace {
void List(std::string* out, const std::vector<std::string>& v) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonString(out, v[i]);
  }
  out->push_back(']');
}
}  // namespace

void AppendBlockJson(const Block& b, std::string* out) {
  *out += "{\"kind\":";
  AppendJsonString(out, b.kind);
  *out += ",\"key\":";
  AppendJsonString(out, b.key);
  *out += ",\"reason\":";
  AppendJsonString(out, b.reason);
  *out += ",\"rule\":";
  AppendJsonString(out, b.rule);
  *out += ",\"created\":";
  AppendJsonString(out, FormatRfc3339(b.created));
  *out += ",\"expires\":";
  AppendJsonString(out, FormatRfc3339(b.expires));
  *out += ",\"origin_host\":";
  AppendJsonString(out, b.origin_host);
  *out += ",\"evidence\":";
  List(out, b.evidence);
  // Enforcement comes with the actions (not built yet): nothing is applied.
  *out += ",\"applied\":{\"policy\":false,\"access_map\":false,\"firewall\":false}";
  *out += ",\"raw_subjects\":";
  List(out, b.raw_subjects);
  *out += ",\"strikes\":" + std::to_string(b.strikes);
  *out += b.live ? ",\"live\":true}" : ",\"live\":false}";
}

std::string JoinItems(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(sep);
    out += items[i];
  }
  return out;
}

std::vector<std::string> SplitItems(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(sep, pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace mailtrail
