#include "agent/store/spool_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "agent/store/record_codec.h"
#include "base/real_clock.h"
#include "base/text.h"

namespace mailtrail {

namespace {
// The store's messages carry the server's words and paths: escaped whole.
void Log(Logger* log, const std::string& m) { log->Warn(EscapeForLog(m, 400)); }

std::string Compress(const std::string& raw) {
  uLongf n = compressBound(raw.size());
  std::string out(n, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &n,
                reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 1) != Z_OK)
    return {};
  out.resize(n);
  return out;
}

bool Uncompress(const std::string& z, int64_t raw_size, std::string* out) {
  if (raw_size < 0 || raw_size > (int64_t{1} << 34)) return false;
  out->assign(static_cast<size_t>(raw_size), '\0');
  uLongf n = static_cast<uLongf>(raw_size);
  return uncompress(reinterpret_cast<Bytef*>(out->data()), &n,
                    reinterpret_cast<const Bytef*>(z.data()), z.size()) == Z_OK &&
         n == static_cast<uLongf>(raw_size);
}
}  // namespace

SpoolStore::SpoolStore(std::unique_ptr<Store> primary, const Options& options)
    : primary_(std::move(primary)), options_(options) {}

StatusOr<std::unique_ptr<SpoolStore>> SpoolStore::Open(std::unique_ptr<Store> primary,
                                                       const std::string& path,
                                                       const Options& options) {
  std::unique_ptr<SpoolStore> s(new SpoolStore(std::move(primary), options));
  if (Status st = s->OpenSpool(path); !st.ok()) return st;
  static const RealClock kSystemClock;
  auto wait = RetryWait::Open(options.clock ? options.clock : &kSystemClock);
  if (!wait.ok()) return wait.status();
  s->retry_wait_ = std::move(*wait);
  s->drainer_ = std::thread([p = s.get()] { p->DrainLoop(); });
  return s;
}

SpoolStore::~SpoolStore() {
  {
    std::lock_guard<std::mutex> l(spool_mu_);
    stopping_ = true;
  }
  spool_cv_.notify_all();
  if (retry_wait_) retry_wait_->Interrupt();
  if (drainer_.joinable()) drainer_.join();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // the lock goes with it
}

Status SpoolStore::LockSpool() {
  const std::string lock = path_ + ".lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return Status::IoError("spool lock " + lock + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {0};
    const ssize_t n = ::pread(lock_fd_, pid, sizeof pid - 1, 0);
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (err != EWOULDBLOCK)
      return Status::IoError("spool lock " + lock + ": " + std::strerror(err));
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "?";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return Status::InvalidArgument("spool " + path_ + " is in use by another process (PID " +
                                   EscapeForLog(holder, 20) +
                                   "): each agent needs a spool of its own ([store] spool)");
  }
  const std::string mine = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) != 0 ||
      ::pwrite(lock_fd_, mine.data(), mine.size(), 0) != static_cast<ssize_t>(mine.size()))
    return Status::IoError("spool lock " + lock + ": " + std::strerror(errno));
  return Status::Ok();
}

Status SpoolStore::CheckOwner() {
  if (options_.owner.empty()) return Status::Ok();
  bool has = false;
  std::string theirs;
  {
    auto read = spool_.Prepare("SELECT name FROM owner LIMIT 1");
    if (!read.ok()) return read.status();
    has = read->Step() == SQLITE_ROW;
    if (has) theirs = read->Text(0);
  }
  if (has && theirs == options_.owner) return Status::Ok();
  if (has && spooled_batches_ > 0)
    return Status::InvalidArgument(
        "spool " + path_ + " holds " + std::to_string(spooled_batches_) + " batches of " +
        EscapeForLog(theirs, 300) + ", not of " + EscapeForLog(options_.owner, 300) +
        ": start that agent with it to drain them, or give this one a spool of its own "
        "([store] spool)");
  if (Status st = spool_.Exec("DELETE FROM owner"); !st.ok()) return st;
  auto write = spool_.Prepare("INSERT INTO owner (name) VALUES (?)");
  if (!write.ok()) return write.status();
  write->BindText(1, options_.owner);
  return write->Step() == SQLITE_DONE ? Status::Ok() : spool_.Error("record the spool's owner");
}

Status SpoolStore::OpenSpool(const std::string& path) {
  path_ = path;
  if (Status st = LockSpool(); !st.ok()) return st;
  Status st = spool_.Open(path, /*create=*/true);
  // FULL: a spooled batch is on disk before its checkpoint counts as durable.
  if (st.ok())
    st = spool_.Exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS batch (seq INTEGER PRIMARY KEY, records BLOB NOT NULL,"
        " raw INTEGER NOT NULL, checkpoint BLOB);"
        "CREATE TABLE IF NOT EXISTS owner (name TEXT NOT NULL)");
  // Damage is found at the start, with what is at stake, not by the drain.
  if (st.ok()) st = QuickCheck();
  if (st.code() == Status::Code::kCorruption) return Damaged(st);
  if (!st.ok()) return st;
  auto count = spool_.Prepare(
      "SELECT COUNT(*), COALESCE(SUM(length(records) + COALESCE(length(checkpoint), 0)), 0), "
      "COALESCE(MAX(seq), 0) FROM batch");
  if (!count.ok()) return count.status();
  if (count->Step() != SQLITE_ROW) return spool_.Error("read the spool");
  spooled_batches_ = count->Int(0);
  spooled_bytes_ = count->Int(1);
  const int64_t max_seq = count->Int(2);
  if (FILE* f = std::fopen((path_ + ".mark").c_str(), "r")) {
    long long a = 0, d = 0;
    if (std::fscanf(f, "appended %lld drained %lld", &a, &d) == 2) {
      appended_seq_ = a;
      drained_seq_ = d;
    }
    std::fclose(f);
  }
  const int64_t kept = std::max(max_seq, drained_seq_);
  if (appended_seq_ > kept)
    Log(options_.log,
        "spool " + path + " lost its last " + std::to_string(appended_seq_ - kept) +
            " batches (its WAL was cut or damaged); their lines are read again from the log, "
            "from the checkpoint before them");
  appended_seq_ = std::max(appended_seq_, max_seq);
  if (Status owner = CheckOwner(); !owner.ok()) return owner;
  if (spooled_batches_ > 0)
    Log(options_.log, "spool " + path + " holds " + std::to_string(spooled_batches_) +
                          " batches from before; draining them first");
  return Status::Ok();
}

Status SpoolStore::WriteMark() {
  // Written whole to a new file and renamed over the old one, synced: a crash
  // leaves one mark or the other, never half of one.
  const std::string tmp = path_ + ".mark.new";
  const std::string text = "appended " + std::to_string(appended_seq_) + " drained " +
                           std::to_string(drained_seq_) + "\n";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("write " + tmp + ": " + std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), (path_ + ".mark").c_str()) != 0)
    return Status::IoError("write " + path_ + ".mark: " + std::strerror(errno));
  return Status::Ok();
}

Status SpoolStore::QuickCheck() {
  auto check = spool_.Prepare("PRAGMA quick_check(1)");
  if (!check.ok()) return check.status();
  const int rc = check->Step();
  if (rc != SQLITE_ROW) return spool_.Error("check the spool " + path_);
  if (check->Text(0) != "ok") return Status::Corruption(check->Text(0));
  return Status::Ok();
}

Status SpoolStore::Damaged(const Status& why) const {
  // What can still be read of it, to say what is at stake.
  int64_t batches = 0, records = 0;
  SqliteDb probe;
  if (probe.Open(path_, /*create=*/false, /*read_only=*/true).ok()) {
    if (auto rows = probe.Prepare("SELECT records, raw FROM batch ORDER BY seq"); rows.ok()) {
      while (rows->Step() == SQLITE_ROW) {
        std::string raw;
        std::vector<MessageRecord> batch;
        if (!Uncompress(rows->Text(0), rows->Int(1), &raw) || !DecodeRecords(raw, &batch)) break;
        ++batches;
        records += static_cast<int64_t>(batch.size());
      }
    }
  }
  std::string detail = why.message().substr(0, why.message().find('\n'));
  if (detail.empty()) detail = why.message();
  // The way out first: a log line may be cut at its end.
  return Status::Corruption(
      "the spool " + path_ +
      " is damaged; to lose nothing the logs still hold, move it aside (mv " + path_ + " " + path_ +
      ".damaged) and start again: the agent resumes from the store's own "
      "checkpoint and reads those lines again from the logs. At stake: " +
      (batches > 0 ? "at least " + std::to_string(batches) + " batches (" +
                         std::to_string(records) + " records) not yet in the store"
                   : "batches not yet in the store, none of which can be read") +
      " (" + detail.substr(0, 120) + ")");
}

Status SpoolStore::Append(const std::vector<MessageRecord>& records,
                          const CheckpointUpdate* checkpoint) {
  // A spool deleted while open would take the batches with it at the stop.
  if (Status st = spool_.StillAtItsPath(); !st.ok())
    return Status::IoError("spool " + st.message());
  const std::string raw = EncodeRecords(records);
  const std::string z = Compress(raw);
  if (z.empty() && !raw.empty()) return Status::IoError("spool: compression failed");
  // seq never goes back (not even when the spool empties): the mark counts on.
  auto ins =
      spool_.Prepare("INSERT INTO batch (seq, records, raw, checkpoint) VALUES (?, ?, ?, ?)");
  if (!ins.ok()) return ins.status();
  ins->BindInt(1, appended_seq_ + 1);
  ins->BindBlob(2, z);
  ins->BindInt(3, static_cast<int64_t>(raw.size()));
  std::string cp;
  if (checkpoint) {
    cp = EncodeCheckpointUpdate(*checkpoint);
    ins->BindBlob(4, cp);
  }
  if (ins->Step() != SQLITE_DONE) return spool_.Error("append to the spool " + path_);
  ++appended_seq_;
  if (Status st = WriteMark(); !st.ok()) return st;
  ++spooled_batches_;
  spooled_bytes_ += static_cast<int64_t>(z.size() + cp.size());  // what the bound counts
  return Status::Ok();
}

Status SpoolStore::WriteBatch(const std::vector<MessageRecord>& records,
                              const CheckpointUpdate* checkpoint) {
  std::unique_lock<std::mutex> l(spool_mu_);
  if (spooled_batches_ == 0) {
    // Everything before is in the primary (the drain deletes after commit).
    l.unlock();
    Status st;
    {
      std::lock_guard<std::mutex> p(primary_mu_);
      st = primary_->WriteBatch(records, checkpoint);
    }
    if (st.ok() || st.code() != Status::Code::kUnavailable) return st;
    Log(options_.log,
        "store unavailable (" + st.message() + "); spooling to " + path_ + " until it is back");
    l.lock();
    verified_ = false;  // that COMMIT may have landed without an answer
    primary_away_ = true;
  }
  auto room = [&] {
    return stopping_ || spooled_batches_ == 0 || spooled_bytes_ < options_.max_bytes;
  };
  if (!room()) {  // said once a minute while it fills (helper-95: the wait was silent)
    static const RealClock kSystemClock;
    const Clock* clock = options_.clock ? options_.clock : &kSystemClock;
    options_.log->Limited(
        LogLevel::kWarn, "spool.full",
        EscapeForLog("spool " + path_ + " is full (" + std::to_string(spooled_bytes_ >> 20) +
                         " MiB of " + std::to_string(options_.max_bytes >> 20) +
                         " MiB, spool_max_mb): reading waits until the store "
                         "takes batches; nothing is dropped",
                     400),
        clock->MonotonicNow());
    spool_cv_.wait(l, room);
  }
  Status st = Append(records, checkpoint);
  l.unlock();
  spool_cv_.notify_all();
  return st;
}

void SpoolStore::DrainLoop() {
  std::unique_lock<std::mutex> l(spool_mu_);
  int64_t wait_ms = options_.first_retry_ms;
  bool was_spooling = spooled_batches_ > 0;
  while (!stopping_) {
    if (spooled_batches_ == 0) {
      if (was_spooling) Log(options_.log, "store is back; the spool is drained");
      was_spooling = false;
      wait_ms = options_.first_retry_ms;
      spool_cv_.wait(l, [&] { return stopping_ || spooled_batches_ > 0; });
      continue;
    }
    was_spooling = true;
    if (wait_ms > 0) {
      // On the clock (a test moves it); the stop interrupts the wait.
      l.unlock();
      retry_wait_->WaitFor(wait_ms * kUsPerSecond / 1000);
      l.lock();
      if (stopping_) break;
    }
    l.unlock();
    const bool ok = DrainOnce();
    l.lock();
    wait_ms =
        ok ? 0 : std::min(std::max(wait_ms, options_.first_retry_ms) * 2, options_.max_retry_ms);
    spool_cv_.notify_all();
  }
}

bool SpoolStore::DrainOnce() {
  std::lock_guard<std::mutex> p(primary_mu_);
  bool verify;
  {
    std::lock_guard<std::mutex> l(spool_mu_);
    verify = !verified_;
  }
  if (verify) {
    // Batches up to the one whose checkpoint the primary holds are in it already.
    auto cp = primary_->LoadCheckpoint();
    std::lock_guard<std::mutex> l(spool_mu_);
    // An answer to a read is not yet a server back: only a write clears it.
    if (cp.status().code() == Status::Code::kUnavailable) primary_away_ = true;
    if (!cp.ok()) return false;
    if (!cp->empty() && !DropLanded(*cp)) return false;
    verified_ = true;
  }
  // The oldest batches, merged into one transaction of about drain_records.
  std::vector<MessageRecord> records;
  CheckpointUpdate checkpoint;
  bool has_checkpoint = false;
  int64_t last_seq = -1, bytes = 0, batches = 0;
  {
    std::lock_guard<std::mutex> l(spool_mu_);
    auto rows = spool_.Prepare("SELECT seq, records, raw, checkpoint FROM batch ORDER BY seq");
    if (!rows.ok()) return false;
    while (rows->Step() == SQLITE_ROW) {
      std::string raw;
      std::vector<MessageRecord> batch;
      if (!Uncompress(rows->Text(1), rows->Int(2), &raw) || !DecodeRecords(raw, &batch)) {
        Log(options_.log, "spool " + path_ + ": batch " + std::to_string(rows->Int(0)) +
                              " is corrupt; it stays in the spool, and the drain stops at it");
        return false;
      }
      for (auto& r : batch) records.push_back(std::move(r));
      if (!rows->IsNull(3)) {
        CheckpointUpdate u = DecodeCheckpointUpdate(rows->Text(3));
        if (has_checkpoint) {
          checkpoint.Then(std::move(u));
        } else {
          checkpoint = std::move(u);
        }
        has_checkpoint = true;
      }
      last_seq = rows->Int(0);
      // What Append counted: the records and the checkpoint (helper-108:
      // the checkpoints stayed counted, and the bound shrank every outage).
      bytes +=
          static_cast<int64_t>(rows->Text(1).size() + (rows->IsNull(3) ? 0 : rows->Text(3).size()));
      ++batches;
      if (records.size() >= options_.drain_records) break;
    }
  }
  if (batches == 0) return true;
  Status st = primary_->WriteBatch(records, has_checkpoint ? &checkpoint : nullptr);
  std::lock_guard<std::mutex> l(spool_mu_);
  primary_away_ = st.code() == Status::Code::kUnavailable;
  if (!st.ok()) {
    verified_ = false;
    return false;
  }
  // The mark first: a crash before the DELETE leaves the rows, never a false "lost".
  drained_seq_ = std::max(drained_seq_, last_seq);
  static_cast<void>(WriteMark());
  if (!spool_.Exec("DELETE FROM batch WHERE seq <= " + std::to_string(last_seq)).ok()) {
    verified_ = false;  // the next drain finds them in the primary by their checkpoint
    return false;
  }
  spooled_batches_ -= batches;
  spooled_bytes_ -= bytes;
  return true;
}

int64_t SpoolStore::spooled_batches() const {
  std::lock_guard<std::mutex> l(spool_mu_);
  return spooled_batches_;
}

bool SpoolStore::WaitDrained(int64_t timeout_ms) {
  std::unique_lock<std::mutex> l(spool_mu_);
  return spool_cv_.wait_for(l, std::chrono::milliseconds(timeout_ms),
                            [&] { return spooled_batches_ == 0; });
}

bool SpoolStore::DropLanded(const std::vector<std::string>& primary_checkpoint) {
  auto rows = spool_.Prepare("SELECT seq, checkpoint FROM batch WHERE checkpoint IS NOT NULL");
  if (!rows.ok()) return false;
  int64_t upto = -1;
  while (rows->Step() == SQLITE_ROW) {
    const CheckpointUpdate u = DecodeCheckpointUpdate(rows->Text(1));
    if (!u.parts.empty() && u.parts.back() == primary_checkpoint.back()) upto = rows->Int(0);
  }
  if (upto < 0) return true;
  drained_seq_ = std::max(drained_seq_, upto);
  static_cast<void>(WriteMark());
  if (!spool_.Exec("DELETE FROM batch WHERE seq <= " + std::to_string(upto)).ok()) return false;
  auto count = spool_.Prepare(
      "SELECT COUNT(*), COALESCE(SUM(length(records) + COALESCE(length(checkpoint), 0)), 0) FROM "
      "batch");
  if (!count.ok() || count->Step() != SQLITE_ROW) return false;
  spooled_batches_ = count->Int(0);
  spooled_bytes_ = count->Int(1);
  return true;
}

StatusOr<std::vector<std::string>> SpoolStore::LoadCheckpoint() {
  // The spooled updates, oldest first; from the last replacement on, the
  // primary's checkpoint no longer matters. Under primary_mu_ throughout (the
  // drain's order: primary_mu_, then spool_mu_): a drain that commits and
  // deletes between the two reads would have its updates counted twice.
  std::lock_guard<std::mutex> p(primary_mu_);
  std::vector<CheckpointUpdate> spooled;
  {
    std::lock_guard<std::mutex> l(spool_mu_);
    auto rows =
        spool_.Prepare("SELECT checkpoint FROM batch WHERE checkpoint IS NOT NULL ORDER BY seq");
    if (!rows.ok()) return rows.status();
    int rc;
    while ((rc = rows->Step()) == SQLITE_ROW) {
      spooled.push_back(DecodeCheckpointUpdate(rows->Text(0)));
      if (!spooled.back().append) spooled.erase(spooled.begin(), spooled.end() - 1);
    }
    if (rc != SQLITE_DONE) return spool_.Error("read the spool");
  }
  CheckpointUpdate out;
  if (spooled.empty() || spooled.front().append) {
    auto primary = primary_->LoadCheckpoint();
    if (!primary.ok()) return primary.status();
    out.parts = std::move(*primary);
  }
  for (auto& u : spooled) out.Then(std::move(u));
  return std::move(out.parts);
}

}  // namespace mailtrail
