#include "base/run_program.h"

#include <fcntl.h>
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

enum class Drained { kEnded, kTimedOut, kCancelled };

// Reads both pipes until both end (poll: a child filling one pipe while we
// wait on the other would block forever), the time limit passes, or the
// cancel descriptor becomes readable.
Drained Drain(int out_fd, int err_fd, std::string* out, std::string* err, const RunOptions& o,
              int64_t deadline) {
  pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {o.cancel_fd, POLLIN, 0}};
  std::string* into[2] = {out, err};
  int open = 2;
  char buf[65536];
  while (open > 0) {
    const int64_t left = o.timeout_ms > 0 ? deadline - NowMs() : -1;
    if (o.timeout_ms > 0 && left <= 0) return Drained::kTimedOut;
    if (poll(fds, 3, static_cast<int>(left)) < 0) {
      if (errno == EINTR) continue;
      return Drained::kEnded;
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) return Drained::kCancelled;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        if (i == 0 && o.on_stdout)
          o.on_stdout(std::string_view(buf, static_cast<size_t>(n)));
        else if (into[i]->size() < kCap)
          into[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open;
      }
    }
  }
  return Drained::kEnded;
}

bool Cancelled(int cancel_fd) {
  if (cancel_fd < 0) return false;
  pollfd p = {cancel_fd, POLLIN, 0};
  return poll(&p, 1, 0) > 0 && p.revents != 0;
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

StatusOr<std::string> RunProgram(const std::vector<std::string>& argv, const RunOptions& o) {
  if (argv.empty()) return Status::InvalidArgument("no program");
  // Close-on-exec: the child gets them only as its stdout and stderr (dup2
  // clears the flag), neither a second copy of their write ends nor the
  // pipes of another thread's program (helper-148: a grandchild holding
  // those kept the read open until the time limit).
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return Status::IoError(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
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
  // One that may be stopped gets a process group of its own: what it
  // started is stopped with it.
  const bool stoppable = o.timeout_ms > 0 || o.cancel_fd >= 0;
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (stoppable) {
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
  const int64_t deadline = NowMs() + o.timeout_ms;
  Drained how = Drain(out[0], err[0], &stdout_text, &stderr_text, o, deadline);
  close(out[0]);
  close(err[0]);
  int status = 0;
  if (stoppable) {
    // Its pipes closed, it may still run (helper-147): waited for until the
    // same deadline (or the caller's stop), then stopped.
    pid_t done = 0;
    while (how == Drained::kEnded && (done = waitpid(pid, &status, WNOHANG)) == 0) {
      if (o.timeout_ms > 0 && NowMs() >= deadline) {
        how = Drained::kTimedOut;
      } else if (Cancelled(o.cancel_fd)) {
        how = Drained::kCancelled;
      } else {
        usleep(10000);
      }
    }
    if (done == pid) return Finished(argv, status, stdout_text, stderr_text);
    kill(-pid, SIGKILL);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (how == Drained::kTimedOut)
    return Status::IoError(argv[0] + " did not finish within " + std::to_string(o.timeout_ms) +
                           " ms: stopped");
  if (how == Drained::kCancelled) return Status::IoError(argv[0] + " stopped: we are stopping");
  return Finished(argv, status, stdout_text, stderr_text);
}

}  // namespace mailtrail
