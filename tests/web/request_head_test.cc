// The request head's bound (agent/web/request_head.h), on a socket pair.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "agent/web/request_head.h"

namespace mailtrail::web {
namespace {

struct Pair {
  Pair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0); }
  ~Pair() {
    close(fd[0]);
    close(fd[1]);
  }
  void Send(const std::string& s) {
    ASSERT_EQ(write(fd[1], s.data(), s.size()), ssize_t(s.size()));
  }
  int fd[2];
};

TEST(RequestHead, AWholeHeadHasArrivedAndIsNotConsumed) {
  Pair p;
  p.Send("GET /search HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000), HeadCheck::kArrived);
  char buf[4];
  EXPECT_EQ(read(p.fd[0], buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), "GET ");
}

TEST(RequestHead, EndlessHeaderLinesAreTooLarge) {
  Pair p;
  std::string head = "GET /search HTTP/1.1\r\n";
  while (head.size() < 70000) head += "X-aaaaaaaaaa: " + std::string(1000, 'b') + "\r\n";
  p.Send(head);
  EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000), HeadCheck::kTooLarge);
}

TEST(RequestHead, AHeadThatDoesNotComeIsTooSlow) {
  Pair p;
  p.Send("GET /search HTTP/1.1\r\nX-a: b\r\n");  // and never the blank line
  EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 200), HeadCheck::kTooSlow);
}

// A head that states a body it does not send held a worker for the whole
// read timeout, past the slow-head bounds (helper-129): with a body bound the
// body counts as part of what must arrive in time.
TEST(RequestHead, TheBodyAHeadStatesMustArriveToo) {
  const std::string head = "POST /x HTTP/1.1\r\nHost: h\r\ncontent-length:  10 \r\n\r\n";
  {
    Pair p;
    p.Send(head + "12345");
    EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 200, {}, nullptr, 65536), HeadCheck::kTooSlow);
    EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 200), HeadCheck::kArrived) << "without the bound";
  }
  {
    Pair p;
    p.Send(head + "1\n\n45\r\n\r\n0");  // a body may hold what ends a head
    std::string got;
    EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000, {}, &got, 65536), HeadCheck::kArrived);
    EXPECT_EQ(got, head);
  }
  {
    Pair p;
    p.Send("POST /x HTTP/1.1\r\nContent-Length: 70000\r\n\r\n");
    EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000, {}, nullptr, 65536),
              HeadCheck::kBodyTooLarge);
  }
  {
    Pair p;
    p.Send("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n");
    EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000, {}, nullptr, 65536),
              HeadCheck::kLengthRequired);
  }
  {  // cpp-httplib reads a POST's body to the end of the connection when
    // no length is stated: a worker held for the read timeout (helper-151).
    Pair p;
    p.Send("POST /search HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000, {}, nullptr, 65536),
              HeadCheck::kLengthRequired);
  }
  {  // A length after a line that a bare LF ends: unseen here, read there.
    Pair p;
    p.Send("POST /x HTTP/1.1\r\nX-a: b\nContent-Length: 1000\r\n\r\n");
    EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000, {}, nullptr, 65536), HeadCheck::kMalformed);
  }
  {
    Pair p;
    p.Send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");  // no body expected: no length needed
    EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000, {}, nullptr, 65536), HeadCheck::kArrived);
  }
  {
    Pair p;
    p.Send("POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n");
    EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000, {}, nullptr, 65536), HeadCheck::kMalformed);
  }
}

// cpp-httplib 0.11.4 skips a line ending in a bare LF and reads on: "\n\n"
// is no end of a head (helper-67 streamed header lines after one).
TEST(RequestHead, OnlyCrlfEndsAHead) {
  Pair p;
  p.Send("GET /search HTTP/1.1\r\nHost: x\n\nX-a: b\r\n");
  EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000), HeadCheck::kMalformed);
}

// A client that sent part of a head and closed costs no worker until the
// deadline (helper-68: eight of them held every worker for 10 s).
TEST(RequestHead, AHalfHeadFromAClientThatLeftIsClosed) {
  Pair p;
  p.Send("GET / HTTP/1.1\r\n");
  ASSERT_EQ(shutdown(p.fd[1], SHUT_WR), 0);
  EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 60000), HeadCheck::kClosed);
}

TEST(RequestHead, SeveralRangesAreSeen) {
  EXPECT_TRUE(AsksForSeveralRanges("GET /x HTTP/1.1\r\nrange: bytes=0-,0-\r\n\r\n"));
  EXPECT_TRUE(AsksForSeveralRanges("GET /x HTTP/1.1\r\nHost: a\r\nRANGE: bytes=0-1, 5-9\r\n\r\n"));
  EXPECT_FALSE(AsksForSeveralRanges("GET /x HTTP/1.1\r\nRange: bytes=0-99\r\n\r\n"));
  EXPECT_FALSE(AsksForSeveralRanges("GET /x,y HTTP/1.1\r\nX-Range: a,b\r\n\r\n"));
}

TEST(RequestHead, AServerStoppingDoesNotWaitForAHead) {
  Pair p;
  p.Send("GET /search HTTP/1.1\r\n");
  EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 60000, [] { return false; }), HeadCheck::kClosed);
}

TEST(RequestHead, AClosedConnectionIsClosed) {
  Pair p;
  close(p.fd[1]);
  p.fd[1] = socket(AF_UNIX, SOCK_STREAM, 0);  // for the destructor
  EXPECT_EQ(WaitForRequestHead(p.fd[0], 65536, 5000), HeadCheck::kClosed);
}

}  // namespace
}  // namespace mailtrail::web
