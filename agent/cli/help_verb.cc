// `mailtrail help [VERB]`: the same text as --help. Hidden: `mailtrail help
// --man 8` and `--man 5` print the man pages mailtrail(8) and mailtrail.toml(5)
// in roff, made from the verb specs and the configuration's key table, so
// that the pages cannot drift from --help and the parser (the build writes
// them into build/man/, tests/cli/man_pages.sh checks them).
#include <cstdio>
#include <string>

#include "agent/cli/verb_spec.h"
#include "agent/cli/verbs.h"
#include "agent/config/config.h"
#include "agent/config/config_keys.h"

namespace mailtrail::cli {

namespace {

// Text for roff: backslashes and hyphens escaped, no line starting with a
// control character, and a break allowed after '|' and '/' (a list of values
// or a URL may be wider than the page).
std::string Roff(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    if (ch == '\\')
      out += "\\e";
    else if (ch == '-')
      out += "\\-";
    else if (ch == '|' || ch == '/')
      out += std::string(1, ch) + "\\:";
    else
      out += ch;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

void FlagItems(const std::vector<FlagSpec>& flags, std::string* out) {
  for (const FlagSpec& f : flags) {
    *out += ".TP\n.B \\-\\-" + Roff(f.name);
    if (f.takes_value) *out += " \\fI" + Roff(ValueName(f)) + "\\fR";
    *out += "\n" + Roff(f.help) + "\n";
  }
}

std::string ManPage8() {
  std::string out =
      ".TH MAILTRAIL 8 \"\" \"mailtrail\" \"System Administration\"\n.nh\n"
      ".SH NAME\nmailtrail \\- track every message Postfix handles, and block backscatter "
      "floods\n"
      ".SH SYNOPSIS\n.B mailtrail\n.I VERB\n[\\fIoptions\\fR] [\\fIarguments\\fR]\n"
      ".SH DESCRIPTION\n"
      "mailtrail rebuilds one compact tracking record per message from what Postfix writes to "
      "its log, after the fact (\\fBreplay\\fR) or live (\\fBrun\\fR, a systemd service), and "
      "stores it in SQLite or in a MySQL/MariaDB database shared by a fleet of MTAs. It detects "
      "floods of backscatter (bounces of mail this server never sent) and blocks their sources "
      "through a policy service, Postfix tables or the firewall. It never sits in the mail "
      "path.\n.PP\nEvery verb takes \\fB\\-\\-help\\fR. Options take their value as "
      "\\fB\\-\\-name value\\fR or \\fB\\-\\-name=value\\fR. Durations are written 250ms, 90s, "
      "30m, 1h or 2d.\n"
      ".SH VERBS\n";
  for (const VerbSpec* v : AllVerbSpecs()) {
    if (v->subverbs.empty()) {
      out += ".SS \"mailtrail " + Roff(v->name) + " " + Roff(v->usage) + "\"\n";
      out += Roff(v->summary) + ".\n";
      if (*v->description) out += Roff(v->description) + "\n";
      FlagItems(v->flags, &out);
      continue;
    }
    out += ".SS \"mailtrail " + Roff(v->name) + " " + Roff(v->usage) + "\"\n";
    out += Roff(v->summary) + ".\n";
    if (*v->description) out += Roff(v->description) + "\n";
    out += "Options of every " + Roff(v->name) + " command:\n";
    FlagItems(v->flags, &out);
    for (const VerbSpec& sub : v->subverbs) {
      out += ".TP\n.B mailtrail " + Roff(v->name) + " " + Roff(sub.name) + " " + Roff(sub.usage) +
             "\n" + Roff(sub.summary) + ".\n";
      if (*sub.description) out += Roff(sub.description) + "\n";
      if (sub.flags.empty()) continue;
      out += ".RS\n";
      FlagItems(sub.flags, &out);
      out += ".RE\n";
    }
  }
  out +=
      ".SH EXIT STATUS\n"
      ".TP\n.B 0\nsuccess\n"
      ".TP\n.B 1\na failure at run time: a file, the store, the network\n"
      ".TP\n.B 2\na bad option, argument or value on the command line\n"
      ".TP\n.B 65\ndata that restarting will not mend: a damaged database or checkpoint (the "
      "systemd unit does not restart on it)\n"
      ".TP\n.B 78\na bad configuration file\n"
      ".SH FILES\n.TP\n.I /etc/mailtrail/mailtrail.toml\nthe configuration of \\fBmailtrail "
      "run\\fR, see \\fBmailtrail.toml\\fR(5)\n"
      ".TP\n.I /var/lib/mailtrail/mailtrail.db\nthe default SQLite store of the service\n"
      ".SH SEE ALSO\n\\fBmailtrail.toml\\fR(5), \\fBpostconf\\fR(5), \\fBpostqueue\\fR(1), "
      "\\fBsystemctl\\fR(1)\n";
  return out;
}

std::string ManPage5() {
  std::string out =
      ".TH MAILTRAIL.TOML 5 \"\" \"mailtrail\" \"File Formats\"\n.nh\n"
      ".SH NAME\nmailtrail.toml \\- the configuration file of mailtrail(8)\n"
      ".SH DESCRIPTION\n"
      "\\fBmailtrail run \\-\\-config\\fR reads this TOML file (by default "
      "\\fI/etc/mailtrail/mailtrail.toml\\fR); \\fBmailtrail check\\-config\\fR checks it (exit "
      "78 when it is wrong) and \\fBmailtrail check\\-config \\-\\-print\\fR prints every key in "
      "force. Every key is optional and has the default shown; unknown keys are errors, reported "
      "as FILE:LINE. SIGHUP makes the agent read the file again: a bad file keeps the running "
      "configuration, and the keys marked \\(lqat restart\\(rq wait for the next restart.\n"
      ".SH KEYS\n";
  std::string section;
  for (const ConfigKeyDoc& k : ConfigKeyDocs()) {
    if (k.section != section) {
      section = k.section;
      out += section == "detect.rule" ? ".SS \"[[detect.rule]]\"\n" : ".SS \"[" + section + "]\"\n";
      if (section == "detect.rule")
        out +=
            "A content rule, repeated for each rule; name, header, pattern and action are "
            "needed.\n";
    }
    out += ".TP\n.B " + Roff(k.key) + "\n" + Roff(k.help) + ".\n.br\nType: " + Roff(k.type) +
           "; default: \\fB" + Roff(k.default_toml) + "\\fR" +
           (k.reloadable ? "" : "; applied at restart") + ".\n";
  }
  out += ".SH EXAMPLE\nThe defaults, with a content rule added:\n.PP\n.nf\n.RS\n";
  Config example;
  ContentRuleSpec rule;
  rule.name = "mailer-daemon-lookalike";
  rule.header = "From";
  rule.pattern = "^From:.*MAILER-DAEM0N";
  rule.action = RuleAction::kBlockIp;
  rule.threshold = 3;
  example.detect.rules.push_back(rule);
  const std::string toml = ConfigToml(example);
  size_t start = 0;
  while (start < toml.size()) {
    const size_t end = toml.find('\n', start);
    const std::string line = toml.substr(start, end - start);
    out += line.empty() ? "\n" : Roff(line) + "\n";
    start = end == std::string::npos ? toml.size() : end + 1;
  }
  out += ".RE\n.fi\n.SH SEE ALSO\n\\fBmailtrail\\fR(8)\n";
  return out;
}

}  // namespace

int HelpMain(const std::vector<std::string>& argv, const Clock&) {
  if (argv.size() == 2 && argv[0] == "--man") {
    if (argv[1] == "8") {
      std::fputs(ManPage8().c_str(), stdout);
      return kExitOk;
    }
    if (argv[1] == "5") {
      std::fputs(ManPage5().c_str(), stdout);
      return kExitOk;
    }
  }
  if (argv.empty()) {
    std::fputs(TopHelp().c_str(), stdout);
    return kExitOk;
  }
  if (argv.size() == 1)
    for (const VerbSpec* v : AllVerbSpecs())
      if (argv[0] == v->name) {
        std::fputs(VerbHelp(*v).c_str(), stdout);
        return kExitOk;
      }
  std::fprintf(stderr, "usage: mailtrail help [VERB]\n");
  return kExitUsage;
}

}  // namespace mailtrail::cli
