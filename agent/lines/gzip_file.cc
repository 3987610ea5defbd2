#include "agent/lines/gzip_file.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace mailtrail {

struct GzipReader::ZState {
  z_stream z;
  bool started = false;
};

bool HasGzipMagic(ReadableFile* file) {
  unsigned char magic[2] = {0, 0};
  auto n = file->ReadAt(0, reinterpret_cast<char*>(magic), 2);
  return n.ok() && *n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

int64_t LogBytes(ReadableFile* file, int64_t size) {
  unsigned char isize[4];
  constexpr int64_t kSmallestGzip = 18;  // header 10, an empty deflate block, trailer 8
  if (size < kSmallestGzip || !HasGzipMagic(file)) return size;
  auto n = file->ReadAt(size - 4, reinterpret_cast<char*>(isize), 4);
  if (!n.ok() || *n != 4) return size;
  const int64_t plain =
      isize[0] | isize[1] << 8 | isize[2] << 16 | static_cast<int64_t>(isize[3]) << 24;
  return std::max(size, plain);
}

GzipReader::GzipReader(std::unique_ptr<ReadableFile> raw)
    : raw_(std::move(raw)), in_(64 * 1024), z_(std::make_unique<ZState>()) {
  Restart();
}

GzipReader::~GzipReader() {
  if (z_->started) inflateEnd(&z_->z);
}

StatusOr<size_t> GzipReader::ReadAt(int64_t offset, char* buf, size_t n) {
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

StatusOr<FileInfo> GzipReader::Stat() {
  auto info = raw_->Stat();
  if (!info.ok()) return info.status();
  FileInfo out = *info;
  out.size = pos_;
  return out;
}

void GzipReader::Restart() {
  if (z_->started) inflateEnd(&z_->z);
  std::memset(&z_->z, 0, sizeof z_->z);
  inflateInit2(&z_->z, 15 + 32);  // gzip or zlib header, detected
  z_->started = true;
  raw_offset_ = 0;
  pos_ = 0;
  end_ = false;
  truncated_ = false;
  in_member_ = false;
  pending_error_ = Status::Ok();
}

// Decompresses up to n bytes; 0 at the end of the stream.
StatusOr<size_t> GzipReader::Inflate(char* buf, size_t n) {
  if (!pending_error_.ok()) return pending_error_;
  z_stream& z = z_->z;
  size_t produced = 0;
  while (produced < n && !end_) {
    if (z.avail_in == 0) {
      auto got = raw_->ReadAt(raw_offset_, in_.data(), in_.size());
      if (!got.ok()) return got.status();
      if (*got == 0) {
        end_ = true;  // what was inflated is all there is
        truncated_ = in_member_;
        break;
      }
      raw_offset_ += static_cast<int64_t>(*got);
      z.next_in = reinterpret_cast<Bytef*>(in_.data());
      z.avail_in = static_cast<uInt>(*got);
    }
    in_member_ = true;
    z.next_out = reinterpret_cast<Bytef*>(buf + produced);
    z.avail_out = static_cast<uInt>(n - produced);
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced = n - z.avail_out;
    if (rc == Z_STREAM_END) {
      in_member_ = false;
      if (z.avail_in == 0) {
        auto more = raw_->ReadAt(raw_offset_, in_.data(), 1);
        if (!more.ok() || *more == 0) {
          end_ = true;
          break;
        }
      }
      inflateReset(&z);
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      pending_error_ = Status::Corruption("gzip: " + std::string(z.msg ? z.msg : "bad data"));
      break;
    } else if (rc == Z_BUF_ERROR && z.avail_in != 0) {
      pending_error_ = Status::Corruption("gzip: no progress");
      break;
    }
  }
  pos_ += static_cast<int64_t>(produced);
  // The bytes before the damage first; the error at the next read.
  if (produced == 0 && !pending_error_.ok()) return pending_error_;
  return produced;
}

}  // namespace mailtrail
