#include "agent/store/store.h"

#include "agent/store/sqlite_store.h"

namespace mailtrail {

std::optional<Detail> DetailFromName(std::string_view name) {
  if (name == "minimal") return Detail::kMinimal;
  if (name == "standard") return Detail::kStandard;
  if (name == "full") return Detail::kFull;
  return std::nullopt;
}

const char* DetailName(Detail d) {
  switch (d) {
    case Detail::kMinimal:
      return "minimal";
    case Detail::kStandard:
      return "standard";
    case Detail::kFull:
      return "full";
  }
  return "standard";
}

namespace {
using Opener = StatusOr<std::unique_ptr<Store>> (*)(std::string_view rest, Detail, bool create);

StatusOr<std::unique_ptr<Store>> OpenSqlite(std::string_view path, Detail d, bool create) {
  return SqliteStore::Open(std::string(path), d, create);
}

// The explicit table of backends (STYLE.md rule 7).
constexpr struct {
  std::string_view scheme;
  Opener open;
} kBackends[] = {
    {"sqlite:", OpenSqlite},
};
}  // namespace

StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view url, Detail detail, bool create) {
  for (const auto& b : kBackends) {
    if (url.substr(0, b.scheme.size()) == b.scheme)
      return b.open(url.substr(b.scheme.size()), detail, create);
  }
  if (url.find("://") != std::string_view::npos)
    return Status::InvalidArgument("unsupported store URL (this build knows sqlite:PATH)");
  return OpenSqlite(url, detail, create);
}

}  // namespace mailtrail
