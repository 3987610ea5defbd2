// The kinds of keys of the key table (internal to agent/config): a string, a
// boolean, an integer in a range (scaled into its field: "_ms" and "_s" keys
// are held in microseconds), a list of strings, one of a few words, and a
// section's key lifted into the whole Config. Each gives the key's reader,
// its printer and its type as the man page says it.
#ifndef MAILTRAIL_AGENT_CONFIG_KEY_KINDS_H_
#define MAILTRAIL_AGENT_CONFIG_KEY_KINDS_H_

#include <functional>
#include <string>
#include <vector>

#include "agent/config/config_table.h"

namespace mailtrail::key_kinds {

using Check = std::function<std::string(const std::string&)>;  // what is wrong, or ""

template <typename T>
KeyDef<T> Text(const char* section, const char* key, const char* help, bool reloadable,
               std::string T::*field, Check check = nullptr) {
  return {section,
          key,
          "string",
          help,
          reloadable,
          [=](const toml::node& n, T* t) -> KeyError {
            if (!n.is_string()) return {std::string(key) + " must be a string"};
            const std::string v = **n.as_string();
            if (check)
              if (std::string why = check(v); !why.empty()) return {why};
            t->*field = v;
            return {};
          },
          [=](const T& t) { return TomlString(t.*field); }};
}

template <typename T>
KeyDef<T> Boolean(const char* section, const char* key, const char* help, bool reloadable,
                  bool T::*field) {
  return {section,
          key,
          "boolean",
          help,
          reloadable,
          [=](const toml::node& n, T* t) -> KeyError {
            if (!n.is_boolean()) return {std::string(key) + " must be true or false"};
            t->*field = **n.as_boolean();
            return {};
          },
          [=](const T& t) { return std::string(t.*field ? "true" : "false"); }};
}

// An integer key; `unit` scales it into the field (1000 for "_ms" keys held
// in microseconds, kUsPerSecond for "_s").
template <typename T, typename F>
KeyDef<T> Integer(const char* section, const char* key, const char* help, bool reloadable,
                  F T::*field, int64_t lo, int64_t hi, int64_t unit = 1) {
  const std::string range = "from " + std::to_string(lo) + " to " + std::to_string(hi);
  return {section,
          key,
          "integer (" + range + ")",
          help,
          reloadable,
          [=](const toml::node& n, T* t) -> KeyError {
            if (!n.is_integer() || **n.as_integer() < lo || **n.as_integer() > hi)
              return {std::string(key) + " must be an integer " + range};
            t->*field = static_cast<F>(**n.as_integer() * unit);
            return {};
          },
          [=](const T& t) { return std::to_string(static_cast<int64_t>(t.*field) / unit); }};
}

template <typename T>
KeyDef<T> Texts(const char* section, const char* key, const char* help, bool reloadable,
                std::vector<std::string> T::*field, Check check) {
  return {section,
          key,
          "list of strings",
          help,
          reloadable,
          [=](const toml::node& n, T* t) -> KeyError {
            const toml::array* a = n.as_array();
            if (a == nullptr) return {std::string(key) + " must be a list of strings"};
            std::vector<std::string> out;
            for (const auto& v : *a) {
              if (!v.is_string()) return {std::string(key) + " must be a list of strings", &v};
              const std::string value = **v.as_string();
              if (std::string why = check(value); !why.empty()) return {why, &v};
              out.push_back(value);
            }
            t->*field = std::move(out);
            return {};
          },
          [=](const T& t) {
            std::string out = "[";
            for (const auto& v : t.*field) out += (out.size() > 1 ? ", " : "") + TomlString(v);
            return out + "]";
          }};
}

// A string key whose value is one of `allowed`.
template <typename T>
KeyDef<T> Choice(const char* section, const char* key, const char* help, bool reloadable,
                 std::string T::*field, std::vector<std::string> allowed) {
  std::string list;
  for (size_t i = 0; i < allowed.size(); ++i)
    list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
  KeyDef<T> def = Text<T>(section, key, help, reloadable, field, [=](const std::string& v) {
    for (const auto& a : allowed)
      if (v == a) return std::string();
    return std::string(key) + " must be " + list;
  });
  def.type = "string: " + list;
  return def;
}

// A string key naming one value of the enum E: `parse` is the one check (its
// message is the key's error), `name` prints the value back. `list` is the
// names for the man page ("off, files or postqueue").
template <typename T, typename E>
KeyDef<T> Enum(const char* section, const char* key, const char* help, bool reloadable, E T::*field,
               StatusOr<E> (*parse)(std::string_view), const char* (*name)(E), const char* list) {
  return {section,
          key,
          std::string("string: ") + list,
          help,
          reloadable,
          [=](const toml::node& n, T* t) -> KeyError {
            if (!n.is_string()) return {std::string(key) + " must be a string"};
            auto v = parse(**n.as_string());
            if (!v.ok()) return {v.status().message()};
            t->*field = *v;
            return {};
          },
          [=](const T& t) { return TomlString(name(t.*field)); }};
}

// A section's key as a key of the whole Config.
template <typename S>
KeyDef<Config> Lift(S Config::*part, KeyDef<S> k) {
  return {k.section,
          k.key,
          k.type,
          k.help,
          k.reloadable,
          [part, read = k.read](const toml::node& n, Config* c) { return read(n, &(c->*part)); },
          [part, show = k.show](const Config& c) { return show(c.*part); }};
}

}  // namespace mailtrail::key_kinds

#endif  // MAILTRAIL_AGENT_CONFIG_KEY_KINDS_H_
