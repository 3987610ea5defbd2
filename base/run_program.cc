#include "base/run_program.h"

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <string>

extern char** environ;

namespace mailtrail {

namespace {
constexpr size_t kCap = 1 << 20;

int64_t NowMs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t{t.tv_sec} * 1000 + t.tv_nsec / 1000000;
}

// Reads both pipes until both end (poll: a child filling one pipe while we
// wait on the other would block forever); false when `timeout_ms` (> 0)
// passed first.
bool Drain(int out_fd, int err_fd, std::string* out, std::string* err, int timeout_ms) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* into[2] = {out, err};
  int open = 2;
  char buf[4096];
  const int64_t deadline = NowMs() + timeout_ms;
  while (open > 0) {
    const int64_t left = timeout_ms > 0 ? deadline - NowMs() : -1;
    if (timeout_ms > 0 && left <= 0) return false;
    if (poll(fds, 2, static_cast<int>(left)) < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        if (into[i]->size() < kCap) into[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open;
      }
    }
  }
  return true;
}
// Its output, or its failure with stderr's first line (stdout's when
// stderr is empty).
StatusOr<std::string> Finished(const std::vector<std::string>& argv, int status,
                               const std::string& out, const std::string& err) {
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string& said = err.empty() ? out : err;
    return Status::IoError(argv[0] + " failed: " + said.substr(0, said.find('\n')));
  }
  return out;
}
}  // namespace

StatusOr<std::string> RunProgram(const std::vector<std::string>& argv, int timeout_ms) {
  if (argv.empty()) return Status::InvalidArgument("no program");
  int out[2], err[2];
  if (pipe(out) != 0) return Status::IoError(std::string("pipe: ") + std::strerror(errno));
  if (pipe(err) != 0) {
    close(out[0]);
    close(out[1]);
    return Status::IoError(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, err[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // With a time limit, a process group of its own: what it started is
  // stopped with it.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (timeout_ms > 0) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  pid_t pid;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    return Status::NotFound(argv[0] + ": " + std::strerror(rc));
  }
  std::string stdout_text, stderr_text;
  const int64_t deadline = NowMs() + timeout_ms;
  bool ended = Drain(out[0], err[0], &stdout_text, &stderr_text, timeout_ms);
  close(out[0]);
  close(err[0]);
  int status = 0;
  if (timeout_ms > 0) {
    // Its pipes closed, it may still run (helper-147): waited for until the
    // same deadline, then stopped.
    pid_t done = 0;
    while (ended && (done = waitpid(pid, &status, WNOHANG)) == 0 && NowMs() < deadline)
      usleep(10000);
    if (done == pid) return Finished(argv, status, stdout_text, stderr_text);
    ended = false;
    kill(-pid, SIGKILL);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ended)
    return Status::IoError(argv[0] + " did not finish within " + std::to_string(timeout_ms) +
                           " ms: stopped");
  return Finished(argv, status, stdout_text, stderr_text);
}

}  // namespace mailtrail
