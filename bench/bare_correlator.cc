// The yardstick of issue 23: the least a log correlator must do, and nothing
// more. It reads a Postfix log, splits each line on spaces, takes the queue id
// after "program[pid]:", and keeps a hash map by queue id updated on from=,
// status= and removed (the entry is dropped). Nothing is parsed further,
// nothing stored. mailtrail's replay is measured against it (bench/run.sh):
// what a real tracker costs above this is what its records are worth.
//   bare_correlator LOG   -> "N lines in S s = R lines/s (M open at the end)"
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

struct Message {
  std::string sender;
  int recipients = 0;
  int delivered = 0;
};

bool IsQueueIdChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// The line's 6th space-separated field ("Nov 27 12:00:01 host postfix/smtpd[1]: QID: ...").
void Correlate(std::string_view line, std::unordered_map<std::string, Message>* open) {
  size_t pos = 0;
  for (int field = 0; field < 5; ++field) {
    pos = line.find(' ', pos);
    if (pos == std::string_view::npos) return;
    while (pos < line.size() && line[pos] == ' ') ++pos;
  }
  size_t end = pos;
  while (end < line.size() && IsQueueIdChar(line[end])) ++end;
  if (end == pos || end + 1 >= line.size() || line[end] != ':') return;
  const std::string_view qid = line.substr(pos, end - pos);
  const std::string_view rest = line.substr(end + 2);
  if (rest.rfind("from=<", 0) == 0) {
    const size_t close = rest.find('>', 6);
    (*open)[std::string(qid)].sender = std::string(rest.substr(6, close - 6));
  } else if (rest.rfind("to=<", 0) == 0) {
    Message& m = (*open)[std::string(qid)];
    ++m.recipients;
    if (rest.find("status=sent") != std::string_view::npos) ++m.delivered;
  } else if (rest == "removed") {
    open->erase(std::string(qid));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bare_correlator LOG\n");
    return 2;
  }
  FILE* f = std::fopen(argv[1], "rb");
  if (!f) {
    std::perror(argv[1]);
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::unordered_map<std::string, Message> open;
  std::vector<char> buf(1 << 20);
  std::string carry;
  long long lines = 0;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    size_t start = 0;
    while (true) {
      const char* nl = static_cast<const char*>(std::memchr(buf.data() + start, '\n', n - start));
      if (!nl) break;
      const size_t stop = static_cast<size_t>(nl - buf.data());
      std::string_view line(buf.data() + start, stop - start);
      if (!carry.empty()) {
        carry.append(line);
        line = carry;
      }
      Correlate(line, &open);
      ++lines;
      carry.clear();
      start = stop + 1;
    }
    carry.append(buf.data() + start, n - start);
  }
  std::fclose(f);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%lld lines in %.3f s = %.0f lines/s (%zu open at the end)\n", lines, s,
              static_cast<double>(lines) / s, open.size());
  return 0;
}
