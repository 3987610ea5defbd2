#include "agent/track/block.h"

#include "base/enum_names.h"
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

namespace {
constexpr EnumNames<BlockKind, 3> kBlockKinds{
    "block kind",
    {{{BlockKind::kIp, "ip"}, {BlockKind::kCidr, "cidr"}, {BlockKind::kSubject, "subject"}}}};
}  // namespace

const char* BlockKindName(BlockKind k) { return kBlockKinds.Name(k); }
StatusOr<BlockKind> ParseBlockKind(std::string_view name) { return kBlockKinds.Parse(name); }

void AppendBlockJson(const Block& b, std::string* out) {
  *out += "{\"kind\":";
  AppendJsonString(out, BlockKindName(b.kind));
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

std::string OneLine(std::string_view subject) {
  std::string out;
  for (size_t i = 0; i < subject.size();) {
    if (subject[i] != '\r' && subject[i] != '\n') {
      out.push_back(subject[i++]);
      continue;
    }
    while (i < subject.size() && (subject[i] == '\r' || subject[i] == '\n')) ++i;
    const bool space_before = !out.empty() && (out.back() == ' ' || out.back() == '\t');
    const bool space_after = i < subject.size() && (subject[i] == ' ' || subject[i] == '\t');
    if (!space_before && !space_after && !out.empty() && i < subject.size()) out.push_back(' ');
  }
  return out;
}

size_t SubjectChars(std::string_view normalized) {
  size_t n = 0;
  for (unsigned char c : normalized) n += (c & 0xC0) != 0x80;  // not a continuation byte
  return n;
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
