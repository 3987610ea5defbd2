#include "agent/config/config.h"

#include "agent/config/config_table.h"
#include "base/enum_names.h"
#include "base/regular_file.h"
#include "base/text.h"

namespace mailtrail {

namespace {

// Where a problem is: "NAME:LINE: what".
Status At(const std::string& name, const toml::node& n, const std::string& what) {
  return Status::InvalidArgument(name + ":" + std::to_string(n.source().begin.line) + ": " + what);
}

// Reads the keys of `table` (a [section], or one [[detect.rule]]) into `target`
// by `defs`; any other key is an error (a typo must not silently mean
// "default"), except `also`, which the caller reads.
template <typename T>
Status ReadSection(const std::string& name, const toml::table& table, const std::string& section,
                   const std::vector<KeyDef<T>>& defs, T* target, const char* also = nullptr) {
  for (const auto& [k, v] : table) {
    const KeyDef<T>* def = nullptr;
    for (const auto& d : defs)
      if (section == d.section && k.str() == d.key) def = &d;
    if (def == nullptr) {
      if (also != nullptr && k.str() == also) continue;
      return At(name, v, "unknown key '" + std::string(k.str()) + "' in [" + section + "]");
    }
  }
  // In table order, so that of two mistakes the same one is always named.
  for (const auto& d : defs) {
    if (section != d.section) continue;
    const toml::node* n = table.get(d.key);
    if (n == nullptr) continue;
    const KeyError e = d.read(*n, target);
    if (!e.what.empty()) return At(name, e.where ? *e.where : *n, e.what);
  }
  return Status::Ok();
}

// [[detect.rule]]: each compiled now, so that a bad pattern stops
// check-config, not the agent.
Status ReadRules(const std::string& name, const toml::node& n, std::vector<ContentRuleSpec>* out) {
  const toml::array* a = n.as_array();
  if (a == nullptr) return At(name, n, "rule must be [[detect.rule]] tables");
  for (const auto& item : *a) {
    const toml::table* rt = item.as_table();
    if (rt == nullptr) return At(name, item, "rule must be [[detect.rule]] tables");
    ContentRuleSpec spec;
    if (Status st = ReadSection(name, *rt, "detect.rule", RuleTable(), &spec); !st.ok()) return st;
    if (spec.name.empty()) return At(name, item, "a rule needs a name");
    // A block names the rule that made it (`content:NAME`): two of one name
    // could not be told apart, nor a refused decision given back to its own.
    for (const ContentRuleSpec& other : *out)
      if (other.name == spec.name)
        return At(name, item, "rule '" + spec.name + "': another rule has this name");
    if (!rt->contains("action"))
      return At(name, item,
                "rule '" + spec.name + "': action must be count, block-ip or block-subject");
    // The error points at the pattern's own line, where the mistake is.
    if (auto compiled = ContentRules::Compile({spec}); !compiled.ok()) {
      const toml::node* where = rt->get("pattern");
      return At(name, where ? *where : item, compiled.status().message());
    }
    out->push_back(std::move(spec));
  }
  return Status::Ok();
}

}  // namespace

namespace {
constexpr EnumNames<QueueRead, 3> kQueueReads{"read",
                                              {{{QueueRead::kOff, "off"},
                                                {QueueRead::kFiles, "files"},
                                                {QueueRead::kPostqueue, "postqueue"}}}};
}  // namespace

const char* QueueReadName(QueueRead r) { return kQueueReads.Name(r); }
StatusOr<QueueRead> ParseQueueRead(std::string_view name) { return kQueueReads.Parse(name); }

StatusOr<Config> ParseConfig(const std::string& text, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(name + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  std::vector<std::string> sections;
  for (const auto& d : ConfigTable())
    if (sections.empty() || sections.back() != d.section) sections.push_back(d.section);
  for (const auto& [k, v] : root) {
    bool known = false;
    for (const auto& s : sections) known |= k.str() == s;
    if (!known) return At(name, v, "unknown key '" + std::string(k.str()) + "' in [top level]");
  }
  Config c;
  for (const std::string& section : sections) {
    const toml::node* n = root.get(section);
    if (n == nullptr) continue;
    if (!n->is_table()) return At(name, *n, section + " must be a table");
    const toml::table& t = *n->as_table();
    const bool detect = section == "detect";
    if (Status st = ReadSection(name, t, section, ConfigTable(), &c, detect ? "rule" : nullptr);
        !st.ok())
      return st;
    if (const toml::node* rules = detect ? t.get("rule") : nullptr)
      if (Status st = ReadRules(name, *rules, &c.detect.rules); !st.ok()) return st;
  }
  // The rules between [web]'s keys, the ones `mailtrail web`'s flags obey.
  if (const toml::node* web = root.get("web"))
    if (Status st = web::CheckWebSettings(c.web); !st.ok()) return At(name, *web, st.message());
  // A first block longer than the longest is no period an admin meant
  // (helper-94: period_s = 604801 with max_period_s = 1 passed check-config).
  if (const toml::node* blocks = root.get("blocks");
      blocks && c.blocks.period > c.blocks.max_period)
    return At(name, *blocks,
              "[blocks] period_s (" + std::to_string(c.blocks.period / kUsPerSecond) +
                  ") is longer than max_period_s (" +
                  std::to_string(c.blocks.max_period / kUsPerSecond) + ")");
  // The journal alone unless [logs] paths names files beside it: no default
  // /var/log/mail.log, which a journal-only Debian 12 does not have.
  if (c.input.journal && !c.logs.paths_given) c.logs.paths.clear();
  return c;
}

StatusOr<Config> LoadConfig(const std::string& path) {
  // A regular file only (a FIFO would block check-config and every reload).
  auto text = ReadRegularFile(path, ReadFileOptions{});
  if (!text.ok())
    return Status::IoError(text.status().message() + ": cannot read the configuration file");
  return ParseConfig(*text, path);
}

StoreOptions ToStoreOptions(const Config& c) {
  StoreOptions o;
  o.detail = c.store.detail;
  o.create_missing = true;
  o.as_writer = true;
  o.password_file = c.store.password_file;
  o.agent_name = c.agent.name;
  o.sqlite_cache_mb = c.store.cache_mb;
  o.dictionary_cache = static_cast<size_t>(c.store.dictionary_cache);
  if (c.store.url.rfind("mysql://", 0) == 0) {
    o.spool_path = c.store.spool;
    o.spool_max_bytes = c.store.spool_max_mb << 20;
  }
  return o;
}

}  // namespace mailtrail
