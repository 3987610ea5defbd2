// Which names beside a log are its rotated files (the scan reads them).
#include "agent/tail/rotated_name.h"

#include <gtest/gtest.h>

namespace mailtrail {
namespace {

TEST(RotatedName, TheFormsOfLogrotateSavelogAndNewsyslog) {
  const std::string log = "/var/log/mail.log";
  for (const char* ok :
       {".1", ".1.gz", ".0", ".12", "-20261208", "-20261208.gz", "-2026120814", ".2026-12-08",
        "-2026-12-08", "_202612", "-1733616000", "-20261208-1733616000", ".20261208T101500",
        ".20261208T101500.gz", ".20261208-101500"})
    EXPECT_TRUE(IsRotatedNameOf(log + ok, log)) << ok;
  for (const char* no :
       {"",      ".err", ".1.xz", ".1.zst", ".1.bz2",     ".1.gz.tmp",   ".1.bak",
        ".1~",   "-2",   "_10",   "-10025", "-587",       "-2-20261208", "-2.20261208T101500",
        "-2026", "-08",  ".T1",   ".1T",    "-2026T1208", ".gz"})
    EXPECT_FALSE(IsRotatedNameOf(log + no, log)) << no;
  EXPECT_FALSE(IsRotatedNameOf("/var/log/mail.lo.1", log));
}

TEST(RotatedName, NumbersAndTheirOrder) {
  const std::string log = "/var/log/mail.log";
  EXPECT_EQ(RotationNumber(log + ".3.gz", log), 3);
  EXPECT_EQ(RotationNumber(log + ".20261208", log), -1) << "a date, not a number";
  EXPECT_EQ(RotationNumber(log + "-1", log), -1);
  EXPECT_TRUE(NaturalLess(log + ".9", log + ".10"));
  EXPECT_TRUE(NaturalLess(log + "-20261127", log + "-20261208"));
  EXPECT_FALSE(NaturalLess(log + ".10", log + ".9"));
  EXPECT_TRUE(IsGzipName("x.gz"));
  EXPECT_FALSE(IsGzipName(".gz"));
}

}  // namespace
}  // namespace mailtrail
