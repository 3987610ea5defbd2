#include "base/zstd_text.h"

#include <zstd.h>

namespace mailtrail {

std::string ZstdCompress(std::string_view plain, int level) {
  struct Context {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ~Context() { ZSTD_freeCCtx(cctx); }
  };
  thread_local Context c;
  if (c.cctx == nullptr) return {};
  // With a checksum of the plain bytes: a damaged frame is refused, not read
  // back as other plausible text.
  if (ZSTD_isError(ZSTD_CCtx_setParameter(c.cctx, ZSTD_c_compressionLevel, level)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(c.cctx, ZSTD_c_checksumFlag, 1)))
    return {};
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const size_t n = ZSTD_compress2(c.cctx, out.data(), out.size(), plain.data(), plain.size());
  if (ZSTD_isError(n)) return {};
  out.resize(n);
  return out;
}

bool IsZstdFrame(std::string_view s) {
  // The magic number 0xFD2FB528, little-endian.
  return s.size() >= 4 && static_cast<unsigned char>(s[0]) == 0x28 &&
         static_cast<unsigned char>(s[1]) == 0xB5 && static_cast<unsigned char>(s[2]) == 0x2F &&
         static_cast<unsigned char>(s[3]) == 0xFD;
}

bool ZstdDecompress(std::string_view frame, size_t size, size_t max_size, std::string* plain) {
  if (size > max_size || !IsZstdFrame(frame)) return false;
  // The frame says its plain size: a damaged one must not make us allocate
  // the size that was claimed beside it.
  if (ZSTD_getFrameContentSize(frame.data(), frame.size()) != size) return false;
  plain->assign(size, '\0');
  const size_t n = ZSTD_decompress(plain->data(), size, frame.data(), frame.size());
  if (ZSTD_isError(n) || n != size) {
    plain->clear();
    return false;
  }
  return true;
}

}  // namespace mailtrail
