// The compressor registry (kopia's names and header IDs, repo/compression/compression_ids.go)
// and the header framing: a compressed payload is the 4-byte big-endian header ID followed by
// the compressor's stream.
#include "compression/compression.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "compression/codecs.h"

namespace ferry::compression {
namespace {

using internal::ZstdProfile;

enum class Family { kGzip, kZstd, kS2, kLz4, kDeflate };

struct Entry {
  CompressorInfo info;
  Family family;
  int level;  // zlib level for gzip/pgzip/deflate, ZstdProfile for zstd
};

// In kopia's header-ID order. pgzip is gzip on the wire: same codec, kopia's levels.
const std::vector<Entry>& Entries() {
  static const std::vector<Entry> kEntries = {
      {{"gzip", 0x1000, false, true}, Family::kGzip, 6},
      {{"gzip-best-speed", 0x1001, false, true}, Family::kGzip, 1},
      {{"gzip-best-compression", 0x1002, false, true}, Family::kGzip, 9},
      {{"zstd", 0x1100, false, true}, Family::kZstd, static_cast<int>(ZstdProfile::kDefault)},
      {{"zstd-fastest", 0x1101, false, true},
       Family::kZstd,
       static_cast<int>(ZstdProfile::kFastest)},
      {{"zstd-better-compression", 0x1102, false, true},
       Family::kZstd,
       static_cast<int>(ZstdProfile::kBetter)},
      {{"zstd-best-compression", 0x1103, true, true},
       Family::kZstd,
       static_cast<int>(ZstdProfile::kBest)},
      {{"s2-default", 0x1200, false, true}, Family::kS2, 0},
      {{"s2-better", 0x1201, false, true}, Family::kS2, 0},
      {{"s2-parallel-4", 0x1202, false, true}, Family::kS2, 0},
      {{"s2-parallel-8", 0x1203, false, true}, Family::kS2, 0},
      {{"pgzip", 0x1300, false, true}, Family::kGzip, 6},
      {{"pgzip-best-speed", 0x1301, false, true}, Family::kGzip, 1},
      {{"pgzip-best-compression", 0x1302, false, true}, Family::kGzip, 9},
      {{"lz4", 0x1400, true, false}, Family::kLz4, 0},
      {{"deflate-default", 0x1500, false, true}, Family::kDeflate, 6},
      {{"deflate-best-speed", 0x1501, false, true}, Family::kDeflate, 1},
      {{"deflate-best-compression", 0x1502, false, true}, Family::kDeflate, 9},
  };
  return kEntries;
}

std::string HexId(HeaderId id) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%04x", id);
  return buf;
}

std::string KnownNames() {
  std::string names;
  for (const Entry& e : Entries()) {
    if (!names.empty()) names += ", ";
    names += e.info.name;
  }
  return names;
}

std::string KnownIds() {
  std::string ids;
  for (const Entry& e : Entries()) {
    if (!ids.empty()) ids += ", ";
    ids += HexId(e.info.header_id) + " " + e.info.name;
  }
  return ids;
}

const Entry* FindById(HeaderId id) {
  for (const Entry& e : Entries()) {
    if (e.info.header_id == id) return &e;
  }
  return nullptr;
}

const Entry* FindByName(std::string_view name) {
  for (const Entry& e : Entries()) {
    if (e.info.name == name) return &e;
  }
  return nullptr;
}

Status CompressEntry(const Entry& e, ByteView input, Bytes* out, Payload payload = Payload::kData) {
  out->clear();
  const HeaderId id = e.info.header_id;
  out->push_back(static_cast<uint8_t>(id >> 24));
  out->push_back(static_cast<uint8_t>(id >> 16));
  out->push_back(static_cast<uint8_t>(id >> 8));
  out->push_back(static_cast<uint8_t>(id));
  Status s;
  switch (e.family) {
    case Family::kGzip:
      s = internal::GzipCompress(e.level, input, out);
      break;
    case Family::kDeflate:
      s = internal::DeflateCompress(e.level, input, out);
      break;
    case Family::kZstd:
      s = internal::ZstdCompress(static_cast<ZstdProfile>(e.level), input, out, payload == Payload::kMetadata);
      break;
    case Family::kS2:
      s = internal::S2Compress(input, out);
      break;
    case Family::kLz4:
      s = Status::Unsupported(
          "lz4 compression is not supported: kopia newer than v0.22.3 can no longer read LZ4 "
          "contents; choose zstd, s2, gzip, pgzip or deflate");
      break;
  }
  if (!s.ok()) out->clear();
  return s;
}

}  // namespace

const std::vector<CompressorInfo>& Compressors() {
  static const std::vector<CompressorInfo> kInfos = [] {
    std::vector<CompressorInfo> infos;
    for (const Entry& e : Entries()) infos.push_back(e.info);
    return infos;
  }();
  return kInfos;
}

Result<CompressorInfo> CompressorByName(std::string_view name) {
  const Entry* e = FindByName(name);
  if (e == nullptr) {
    return Status::InvalidArgument("unknown compression \"" + std::string(name) +
                                   "\"; valid names: " + KnownNames());
  }
  return e->info;
}

Result<CompressorInfo> CompressorByHeaderId(HeaderId id) {
  const Entry* e = FindById(id);
  if (e == nullptr) {
    return Status::InvalidArgument("unknown compression header ID " + HexId(id) +
                                   "; known: " + KnownIds());
  }
  return e->info;
}

Status Compress(std::string_view name, ByteView input, Bytes* out) {
  const Entry* e = FindByName(name);
  if (e == nullptr) {
    out->clear();
    return Status::InvalidArgument("unknown compression \"" + std::string(name) +
                                   "\"; valid names: " + KnownNames());
  }
  return CompressEntry(*e, input, out);
}

Status Compress(HeaderId id, ByteView input, Bytes* out, Payload payload) {
  const Entry* e = FindById(id);
  if (e == nullptr) {
    out->clear();
    return Status::InvalidArgument("unknown compression header ID " + HexId(id) +
                                   "; known: " + KnownIds());
  }
  return CompressEntry(*e, input, out, payload);
}

void ReleaseIdleContexts() { internal::ZstdReleaseIdleContexts(); }

Result<HeaderId> PeekHeaderId(ByteView input) {
  if (input.size() < kHeaderSize) {
    return Status::Corruption("compressed data shorter than its " + std::to_string(kHeaderSize) +
                              "-byte header");
  }
  return static_cast<HeaderId>(input[0]) << 24 | static_cast<HeaderId>(input[1]) << 16 |
         static_cast<HeaderId>(input[2]) << 8 | static_cast<HeaderId>(input[3]);
}

Status Decompress(ByteView input, Bytes* out, size_t max_output) {
  out->clear();
  auto id = PeekHeaderId(input);
  if (!id.ok()) return id.status();
  const Entry* e = FindById(*id);
  if (e == nullptr) {
    // Possibly a compressor newer than ferry, possibly damage; either way ferry cannot read it.
    return Status::Unsupported("unsupported compression header ID " + HexId(*id) +
                               "; known: " + KnownIds());
  }
  const ByteView stream = input.subspan(kHeaderSize);
  Status s;
  switch (e->family) {
    case Family::kGzip:
      s = internal::GzipDecompress(stream, out, max_output);
      break;
    case Family::kDeflate:
      s = internal::DeflateDecompress(stream, out, max_output);
      break;
    case Family::kZstd:
      s = internal::ZstdDecompress(stream, out, max_output);
      break;
    case Family::kS2:
      s = internal::S2Decompress(stream, out, max_output);
      break;
    case Family::kLz4:
      s = internal::Lz4Decompress(stream, out, max_output);
      break;
  }
  if (!s.ok()) {
    out->clear();
    return s.WithContext("decompressing " + e->info.name);
  }
  return Status::OK();
}

namespace internal {
Status OutputTooLarge(size_t max_output) {
  return Status::Corruption("decompressed data exceeds the limit of " + std::to_string(max_output) +
                            " bytes");
}

size_t InitialCapacity(size_t hint, size_t input_size, size_t limit) {
  const size_t expansion_cap =
      input_size > (SIZE_MAX >> 6) ? SIZE_MAX : std::max<size_t>(input_size * 32, size_t{64} << 10);
  return std::max<size_t>(1, std::min({hint, limit, expansion_cap}));
}
}  // namespace internal

}  // namespace ferry::compression
