#include "agent/tail/gzip_file.h"

#include <zlib.h>

#include <cstring>
#include <vector>

namespace mailtrail {

namespace {

class Gzip : public ReadableFile {
 public:
  explicit Gzip(std::unique_ptr<ReadableFile> raw) : raw_(std::move(raw)), in_(64 * 1024) {
    Restart();
  }
  ~Gzip() override { inflateEnd(&z_); }

  StatusOr<size_t> ReadAt(int64_t offset, char* buf, size_t n) override {
    if (offset < pos_) Restart();
    // Skip forward to `offset` by decompressing into a scratch buffer.
    char scratch[16 * 1024];
    while (pos_ < offset) {
      const size_t want = static_cast<size_t>(std::min<int64_t>(sizeof scratch, offset - pos_));
      auto got = Inflate(scratch, want);
      if (!got.ok()) return got.status();
      if (*got == 0) return size_t{0};
    }
    return Inflate(buf, n);
  }

  StatusOr<FileInfo> Stat() override {
    auto info = raw_->Stat();
    if (!info.ok()) return info.status();
    FileInfo out = *info;
    out.size = pos_;
    return out;
  }

 private:
  void Restart() {
    if (started_) inflateEnd(&z_);
    std::memset(&z_, 0, sizeof z_);
    inflateInit2(&z_, 15 + 32);  // gzip or zlib header, detected
    started_ = true;
    raw_offset_ = 0;
    pos_ = 0;
    end_ = false;
  }

  // Decompresses up to n bytes; 0 at the end of the stream (concatenated gzip
  // members are read on).
  StatusOr<size_t> Inflate(char* buf, size_t n) {
    size_t produced = 0;
    while (produced < n && !end_) {
      if (z_.avail_in == 0) {
        auto got = raw_->ReadAt(raw_offset_, in_.data(), in_.size());
        if (!got.ok()) return got.status();
        if (*got == 0) {
          end_ = true;  // truncated or complete: what was inflated is all there is
          break;
        }
        raw_offset_ += static_cast<int64_t>(*got);
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(*got);
      }
      z_.next_out = reinterpret_cast<Bytef*>(buf + produced);
      z_.avail_out = static_cast<uInt>(n - produced);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      produced = n - z_.avail_out;
      if (rc == Z_STREAM_END) {
        if (z_.avail_in == 0) {
          auto more = raw_->ReadAt(raw_offset_, in_.data(), 1);
          if (!more.ok() || *more == 0) {
            end_ = true;
            break;
          }
        }
        inflateReset(&z_);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Status::Corruption("gzip: " + std::string(z_.msg ? z_.msg : "bad data"));
      } else if (rc == Z_BUF_ERROR && z_.avail_in != 0) {
        return Status::Corruption("gzip: no progress");
      }
    }
    pos_ += static_cast<int64_t>(produced);
    return produced;
  }

  std::unique_ptr<ReadableFile> raw_;
  std::vector<char> in_;
  z_stream z_;
  bool started_ = false;
  int64_t raw_offset_ = 0;
  int64_t pos_ = 0;
  bool end_ = false;
};

}  // namespace

std::unique_ptr<ReadableFile> GzipFile(std::unique_ptr<ReadableFile> raw) {
  return std::make_unique<Gzip>(std::move(raw));
}

}  // namespace mailtrail
