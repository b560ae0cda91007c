#include "content/pack_format.h"

#include <zlib.h>

namespace ferry::content {

namespace {

void PutUvarint(uint64_t v, Bytes* out) {
  while (v >= 0x80) {
    out->push_back(uint8_t(v | 0x80));
    v >>= 7;
  }
  out->push_back(uint8_t(v));
}

bool GetUvarint(ByteView in, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= in.size()) return false;
    uint8_t b = in[(*pos)++];
    *v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

}  // namespace

Status AppendPostamble(const Postamble& p, Bytes* pack) {
  Bytes body;
  PutUvarint(1, &body);
  PutUvarint(p.local_index_iv.size(), &body);
  body.insert(body.end(), p.local_index_iv.begin(), p.local_index_iv.end());
  PutUvarint(p.local_index_offset, &body);
  PutUvarint(p.local_index_length, &body);
  uint32_t crc = uint32_t(crc32(0, body.data(), uInt(body.size())));
  for (int i = 3; i >= 0; --i) body.push_back(uint8_t(crc >> (8 * i)));
  if (body.size() > 255) return Status::InvalidArgument("postamble too long");
  pack->insert(pack->end(), body.begin(), body.end());
  pack->push_back(uint8_t(body.size()));
  return Status::OK();
}

Result<Postamble> ParsePostamble(ByteView tail) {
  if (tail.empty()) return Status::Corruption("pack too short for a postamble");
  size_t n = tail.back();
  if (n < 5 || n + 1 > tail.size()) return Status::Corruption("invalid pack postamble length");
  ByteView body = tail.subspan(tail.size() - 1 - n, n);
  ByteView payload = body.first(n - 4);
  uint32_t want = uint32_t(body[n - 4]) << 24 | uint32_t(body[n - 3]) << 16 |
                  uint32_t(body[n - 2]) << 8 | body[n - 1];
  if (uint32_t(crc32(0, payload.data(), uInt(payload.size()))) != want) {
    return Status::Corruption("pack postamble checksum mismatch");
  }
  size_t pos = 0;
  uint64_t version = 0, iv_len = 0;
  Postamble p;
  if (!GetUvarint(payload, &pos, &version) || version != 1) return Status::Corruption("unsupported pack postamble version");
  if (!GetUvarint(payload, &pos, &iv_len) || iv_len > payload.size() - pos) return Status::Corruption("invalid pack postamble IV");
  p.local_index_iv.assign(payload.begin() + long(pos), payload.begin() + long(pos + iv_len));
  pos += iv_len;
  if (!GetUvarint(payload, &pos, &p.local_index_offset) || !GetUvarint(payload, &pos, &p.local_index_length) ||
      pos != payload.size()) {
    return Status::Corruption("invalid pack postamble");
  }
  return p;
}

}  // namespace ferry::content
