#include "compression/compression.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "compression/codecs.h"
#include "compression/crc32c.h"
#include "compression/s2_block.h"
#include "compression/test_text.h"

namespace ferry::compression {
namespace {

using testing::ProseText;
using testing::RandomBytes;
using testing::SplitMix64;

Bytes Unhex(std::string_view hex) {
  auto r = HexDecode(hex);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Bytes{};
}

Bytes Concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Header(HeaderId id) {
  return {static_cast<uint8_t>(id >> 24), static_cast<uint8_t>(id >> 16),
          static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id)};
}

std::string KopiaX20() {
  std::string s;
  for (int i = 0; i < 20; ++i) s += "kopia ";
  return s;
}

bool IsPrefix(ByteView prefix, ByteView whole) {
  return prefix.size() <= whole.size() && std::equal(prefix.begin(), prefix.end(), whole.begin());
}

std::vector<CompressorInfo> Writable() {
  std::vector<CompressorInfo> out;
  for (const auto& c : Compressors()) {
    if (c.can_compress) out.push_back(c);
  }
  return out;
}

// An LZ4 frame the way kopia ≤ v0.22.3 wrote them (pierrec/lz4 v2: 4 MiB independent blocks,
// content checksum), made with liblz4 since ferry itself refuses to write LZ4.
Bytes Lz4Frame(ByteView data) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max4MB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  Bytes out(LZ4F_compressFrameBound(data.size(), &prefs));
  size_t n = LZ4F_compressFrame(out.data(), out.size(), data.data(), data.size(), &prefs);
  EXPECT_FALSE(LZ4F_isError(n));
  out.resize(LZ4F_isError(n) ? 0 : n);
  return out;
}

// Every decoder with one small valid payload (header included) and what it decodes to.
struct Sample {
  std::string name;
  Bytes payload;
  Bytes plain;
};
std::vector<Sample> SmallSamples(size_t size = 1500) {
  Bytes plain = ProseText(size, 7);
  std::vector<Sample> samples;
  for (const auto& c : Writable()) {
    Sample s{c.name, {}, plain};
    EXPECT_TRUE(Compress(c.header_id, plain, &s.payload).ok());
    samples.push_back(std::move(s));
  }
  samples.push_back({"lz4", Concat({Header(0x1400), Lz4Frame(plain)}), plain});
  return samples;
}

// ---------------------------------------------------------------------------------------------
// kopia-test-vectors.md §11

TEST(CompressionTest, DecodesKopiaVectors) {
  const char* vectors[] = {
      "0000110128b52ffd0400750000306b6f70696120015406032a2f0179e2eaf6",
      "00001200ff06000053327354774f001100006796071278146b6f706961201106150062",
      "000010001f8b08000000000000ffcace2fc84c54a03f09080000fffff783d3a378000000",
      "0000150004c0311500000001d12aaa193d83eb3ff91db13a6275c4ea88d511ab235647ac8e581db13a6275c4ea"
      "88d511ab235647ac8e581db13a6275c4ea88f50100",
  };
  for (const char* hex : vectors) {
    Bytes out;
    Status s = Decompress(Unhex(hex), &out);
    ASSERT_TRUE(s.ok()) << hex << ": " << s.ToString();
    EXPECT_EQ(AsString(out), KopiaX20()) << hex;
  }
}

// ---------------------------------------------------------------------------------------------
// Registry

TEST(CompressionTest, RegistryMatchesKopia) {
  const auto& all = Compressors();
  ASSERT_EQ(all.size(), 18u);
  const std::vector<std::pair<std::string, HeaderId>> expected = {
      {"gzip", 0x1000},
      {"gzip-best-speed", 0x1001},
      {"gzip-best-compression", 0x1002},
      {"zstd", 0x1100},
      {"zstd-fastest", 0x1101},
      {"zstd-better-compression", 0x1102},
      {"zstd-best-compression", 0x1103},
      {"s2-default", 0x1200},
      {"s2-better", 0x1201},
      {"s2-parallel-4", 0x1202},
      {"s2-parallel-8", 0x1203},
      {"pgzip", 0x1300},
      {"pgzip-best-speed", 0x1301},
      {"pgzip-best-compression", 0x1302},
      {"lz4", 0x1400},
      {"deflate-default", 0x1500},
      {"deflate-best-speed", 0x1501},
      {"deflate-best-compression", 0x1502}};
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].name, expected[i].first);
    EXPECT_EQ(all[i].header_id, expected[i].second);
    const bool deprecated = all[i].name == "lz4" || all[i].name == "zstd-best-compression";
    EXPECT_EQ(all[i].deprecated, deprecated) << all[i].name;
    EXPECT_EQ(all[i].can_compress, all[i].name != "lz4") << all[i].name;

    auto by_name = CompressorByName(all[i].name);
    ASSERT_TRUE(by_name.ok());
    EXPECT_EQ(by_name->header_id, all[i].header_id);
    auto by_id = CompressorByHeaderId(all[i].header_id);
    ASSERT_TRUE(by_id.ok());
    EXPECT_EQ(by_id->name, all[i].name);
  }
}

TEST(CompressionTest, UnknownNamesAndIdsFail) {
  auto r = CompressorByName("zstd-ultra");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("zstd-ultra"), std::string::npos);
  EXPECT_NE(r.status().message().find("zstd-fastest"), std::string::npos);
  EXPECT_NE(r.status().message().find("deflate-best-compression"), std::string::npos);

  EXPECT_FALSE(CompressorByName("").ok());
  EXPECT_FALSE(CompressorByName("ZSTD").ok());  // names are case-sensitive, as in kopia

  auto id = CompressorByHeaderId(0x1600);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find("0x1600"), std::string::npos);
  EXPECT_NE(id.status().message().find("s2-default"), std::string::npos);
  EXPECT_FALSE(CompressorByHeaderId(kNoCompression).ok());

  Bytes out = {1, 2, 3};
  Status s = Compress("brotli", AsBytes("x"), &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("pgzip-best-speed"), std::string::npos);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(Compress(HeaderId{0x1204}, AsBytes("x"), &out).code(), StatusCode::kInvalidArgument);

  for (HeaderId bad : {HeaderId{0}, HeaderId{0x1204}, HeaderId{0x1600}, HeaderId{0xffffffff}}) {
    Bytes payload = Concat({Header(bad), AsBytes("whatever")});
    Status d = Decompress(payload, &out);
    EXPECT_EQ(d.code(), StatusCode::kUnsupported) << bad;
    EXPECT_NE(d.message().find("zstd-better-compression"), std::string::npos);
    EXPECT_TRUE(out.empty());
  }
}

TEST(CompressionTest, Lz4IsReadOnly) {
  Bytes out;
  Status s = Compress("lz4", AsBytes("data"), &out);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("v0.22.3"), std::string::npos);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(Compress(HeaderId{0x1400}, AsBytes("data"), &out).code(), StatusCode::kUnsupported);
}

TEST(CompressionTest, PeekHeaderId) {
  EXPECT_EQ(*PeekHeaderId(Unhex("00001101ff")), 0x1101u);
  EXPECT_EQ(*PeekHeaderId(Unhex("12345678")), 0x12345678u);
  for (size_t n = 0; n < 4; ++n) {
    Bytes b(n, 0);
    EXPECT_EQ(PeekHeaderId(b).status().code(), StatusCode::kCorruption);
    Bytes out;
    EXPECT_EQ(Decompress(b, &out).code(), StatusCode::kCorruption);
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(CompressionTest, RoundTripsEveryCompressor) {
  // 5 MiB spanning many blocks of every format (S2 chunks, zstd blocks, more than one 4 MiB LZ4
  // block): 24 KiB of text repeated with a changing byte, and an incompressible middle.
  // Repeats keep the slow encoders (zlib level 9, zstd-best) quick enough for a unit test.
  Bytes mixed;
  const Bytes unit = ProseText(24 << 10, 3);
  for (uint8_t copy = 0; mixed.size() < (5u << 20); ++copy) {
    mixed.insert(mixed.end(), unit.begin(), unit.end());
    mixed[mixed.size() - 100] = copy;
  }
  mixed.resize(5 << 20);
  const Bytes noise = RandomBytes(1 << 20, 4);
  std::copy(noise.begin(), noise.end(), mixed.begin() + (2 << 20));
  const std::vector<std::pair<std::string, Bytes>> inputs = {
      {"empty", {}},
      {"one byte", {0x42}},
      {"random 1 MiB", RandomBytes(1 << 20, 1)},
      {"text 1 MiB", ProseText(1 << 20, 2)},
      {"mixed 5 MiB", mixed},
  };
  for (const auto& c : Writable()) {
    for (const auto& [label, input] : inputs) {
      Bytes compressed;
      ASSERT_TRUE(Compress(c.name, input, &compressed).ok()) << c.name << " " << label;
      ASSERT_GE(compressed.size(), kHeaderSize);
      EXPECT_EQ(*PeekHeaderId(compressed), c.header_id);
      Bytes restored;
      Status s = Decompress(compressed, &restored);
      ASSERT_TRUE(s.ok()) << c.name << " " << label << ": " << s.ToString();
      EXPECT_TRUE(restored == input) << c.name << " " << label;
      if (label == "text 1 MiB") {
        EXPECT_LT(compressed.size(), input.size() * 3 / 4) << c.name << " does not compress text";
      }
      if (label == "random 1 MiB") {
        EXPECT_LT(compressed.size(), input.size() + input.size() / 50) << c.name;
      }
    }
  }
}

TEST(CompressionTest, CompressByIdMatchesByName) {
  Bytes input = ProseText(10000, 9);
  for (const auto& c : Writable()) {
    Bytes a, b;
    ASSERT_TRUE(Compress(c.name, input, &a).ok());
    ASSERT_TRUE(Compress(c.header_id, input, &b).ok());
    EXPECT_EQ(a, b) << c.name;  // every ferry encoder is deterministic
  }
}

TEST(CompressionTest, ZstdFramesCarryChecksumAndSize) {
  Bytes input = ProseText(100000, 5);
  for (const char* name :
       {"zstd", "zstd-fastest", "zstd-better-compression", "zstd-best-compression"}) {
    Bytes c;
    ASSERT_TRUE(Compress(name, input, &c).ok());
    // Frame header descriptor (RFC 8878 §3.1.1.1.1): bit 2 = content checksum, bit 5 = single
    // segment (no window descriptor: the window is the content size).
    const uint8_t* frame = c.data() + 4;
    const uint8_t fhd = frame[4];
    EXPECT_EQ((fhd >> 2) & 1, 1) << name;
    EXPECT_EQ(ZSTD_getFrameContentSize(frame, c.size() - 4), input.size()) << name;
    uint64_t window = input.size();
    if (((fhd >> 5) & 1) == 0) {
      const uint8_t wd = frame[5];
      const uint64_t base = uint64_t{1} << (10 + (wd >> 3));
      window = base + base / 8 * (wd & 7);
    }
    EXPECT_LE(window, 8u << 20) << name;  // no more than kopia's own writer needs
  }
}

// Metadata is compressed with a 64 KiB window (a smaller context): the frame says so, every
// decoder reads it back, and directory-like JSON compresses as well as with the data window.
TEST(CompressionTest, MetadataUsesASmallWindow) {
  std::string json = "{\"stream\":\"kopia:directory\",\"entries\":[";
  for (int i = 0; i < 1000; ++i) {
    json += (i ? "," : "") + std::string("{\"name\":\"f") + std::to_string(1000000 + i * 7919) +
            "\",\"type\":\"f\",\"mode\":\"0644\",\"size\":1024,\"mtime\":\"2026-12-06T18:27:44." +
            std::to_string(100000000 + i * 104729) + "Z\",\"obj\":\"" + HexEncode(ProseText(16, uint32_t(i))) + "\"}";
  }
  json += "]}";
  const Bytes input(json.begin(), json.end());
  for (const char* name : {"zstd", "zstd-fastest", "zstd-better-compression", "zstd-best-compression"}) {
    auto info = CompressorByName(name);
    ASSERT_TRUE(info.ok());
    Bytes data, metadata, back;
    ASSERT_TRUE(Compress(info->header_id, input, &data, Payload::kData).ok()) << name;
    ASSERT_TRUE(Compress(info->header_id, input, &metadata, Payload::kMetadata).ok()) << name;
    EXPECT_EQ(PeekHeaderId(metadata).value(), info->header_id);
    ASSERT_TRUE(Decompress(metadata, &back).ok()) << name;
    EXPECT_TRUE(back == input) << name;
    EXPECT_LE(metadata.size(), data.size() * 105 / 100) << name;
    const uint8_t* frame = metadata.data() + 4;
    const uint8_t fhd = frame[4];
    ASSERT_EQ((fhd >> 5) & 1, 0) << name << ": a window descriptor, the window smaller than the input";
    const uint8_t wd = frame[5];
    const uint64_t base = uint64_t{1} << (10 + (wd >> 3));
    EXPECT_EQ(base + base / 8 * (wd & 7), 64u << 10) << name;
  }
}

TEST(CompressionTest, GzipOutputIsOneStandardMember) {
  Bytes input = ProseText(300000, 6);
  for (const char* name : {"gzip", "gzip-best-speed", "pgzip", "pgzip-best-compression"}) {
    Bytes c;
    ASSERT_TRUE(Compress(name, input, &c).ok());
    ASSERT_GT(c.size(), 14u);
    EXPECT_EQ(c[4], 0x1f);
    EXPECT_EQ(c[5], 0x8b);
    // zlib's one-shot gzip reader, which stops after one member, must consume everything.
    z_stream z{};
    ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    Bytes out(input.size() + 1);
    z.next_in = c.data() + 4;
    z.avail_in = static_cast<uInt>(c.size() - 4);
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END) << name;
    EXPECT_EQ(z.avail_in, 0u) << name;
    EXPECT_EQ(z.total_out, input.size()) << name;
    inflateEnd(&z);
  }
}

// ferry writes the Snappy-compatible form of S2: "sNaPpY" framing, ≤ 64 KiB blocks that
// libsnappy itself decodes.
TEST(CompressionTest, S2OutputIsSnappyFraming) {
  Bytes input = Concat({ProseText(200000, 8), RandomBytes(70000, 9)});
  Bytes c;
  ASSERT_TRUE(Compress("s2-default", input, &c).ok());
  ASSERT_GE(c.size(), 14u);
  EXPECT_EQ(AsString(ByteView(c).subspan(4, 10)), std::string("\xff\x06\x00\x00sNaPpY", 10));
  Bytes rebuilt;
  size_t pos = 14;
  int compressed_chunks = 0, raw_chunks = 0;
  while (pos < c.size()) {
    ASSERT_LE(pos + 4, c.size());
    const uint8_t type = c[pos];
    const size_t len = c[pos + 1] | c[pos + 2] << 8 | c[pos + 3] << 16;
    ASSERT_LE(pos + 4 + len, c.size());
    const uint8_t* body = c.data() + pos + 4;
    if (type == 0x00) {
      ++compressed_chunks;
      size_t n = 0;
      ASSERT_TRUE(
          snappy::GetUncompressedLength(reinterpret_cast<const char*>(body + 4), len - 4, &n));
      ASSERT_LE(n, 65536u);
      std::string block;
      ASSERT_TRUE(snappy::Uncompress(reinterpret_cast<const char*>(body + 4), len - 4, &block));
      rebuilt.insert(rebuilt.end(), block.begin(), block.end());
    } else {
      ASSERT_EQ(type, 0x01);
      ++raw_chunks;
      ASSERT_LE(len - 4, 65536u);
      rebuilt.insert(rebuilt.end(), body + 4, body + len);
    }
    pos += 4 + len;
  }
  EXPECT_EQ(rebuilt, input);
  EXPECT_GT(compressed_chunks, 0);
  EXPECT_GT(raw_chunks, 0);  // the random tail is stored, not "compressed" bigger
}

// ---------------------------------------------------------------------------------------------
// Damaged input: every decoder, never a crash (the ASan build checks memory safety).

TEST(CompressionTest, TruncatedInputFailsForEveryDecoder) {
  for (const Sample& s : SmallSamples()) {
    // Framings without an end marker (zstd frames, S2 chunks) may be cut exactly between two
    // units; that yields a proper prefix of the data and is all a decoder can know.
    const bool unit_boundaries_ok = s.name.rfind("zstd", 0) == 0 || s.name.rfind("s2", 0) == 0;
    int accepted = 0;
    for (size_t len = 0; len < s.payload.size(); ++len) {
      Bytes out = {9};
      Status st = Decompress(ByteView(s.payload).first(len), &out);
      if (st.ok()) {
        ++accepted;
        EXPECT_TRUE(unit_boundaries_ok) << s.name << " accepted a prefix of " << len << " bytes";
        EXPECT_TRUE(IsPrefix(out, s.plain) && out.size() < s.plain.size()) << s.name << " " << len;
      } else {
        EXPECT_TRUE(out.empty()) << s.name;
        if (len >= 4) {
          EXPECT_EQ(st.code(), StatusCode::kCorruption) << s.name << " " << st.ToString();
        }
      }
    }
    EXPECT_LE(accepted, 2) << s.name;  // empty stream, and for S2 the bare stream identifier
  }
}

TEST(CompressionTest, BitFlipsNeverCrash) {
  for (const Sample& s : SmallSamples(600)) {
    // zstd (XXH64), gzip (CRC-32), LZ4 (content checksum) and S2 (CRC-32C per chunk) detect
    // damaged data; only raw deflate has no checksum.
    const bool checksummed = s.name.rfind("deflate", 0) != 0;
    int failures = 0;
    for (size_t i = kHeaderSize; i < s.payload.size(); ++i) {
      for (int bit : {0, 3, 7}) {
        Bytes damaged = s.payload;
        damaged[i] ^= static_cast<uint8_t>(1u << bit);
        Bytes out;
        Status st = Decompress(damaged, &out);
        if (!st.ok()) {
          ++failures;
          continue;
        }
        if (checksummed) {
          // An S2 chunk turned "skippable" drops out silently; anything else must be intact.
          EXPECT_TRUE(out == s.plain || (s.name.rfind("s2", 0) == 0 && IsPrefix(out, s.plain)))
              << s.name << " byte " << i << " bit " << bit;
        }
      }
    }
    EXPECT_GT(failures, 0) << s.name;
  }
}

TEST(CompressionTest, GarbageFailsForEveryDecoder) {
  SplitMix64 rng(42);
  for (const auto& c : Compressors()) {
    int accepted = 0;
    for (int i = 0; i < 200; ++i) {
      Bytes garbage = RandomBytes(1 + rng.Below(400), rng.Next());
      Bytes out;
      if (Decompress(Concat({Header(c.header_id), garbage}), &out).ok()) ++accepted;
      EXPECT_LE(out.size(), kDefaultMaxDecompressedSize);
    }
    // Random bytes can, very rarely, form a valid raw deflate stream; nothing else has a chance.
    if (c.name.rfind("deflate", 0) == 0) {
      EXPECT_LE(accepted, 4) << c.name;
    } else {
      EXPECT_EQ(accepted, 0) << c.name;
    }
  }
}

TEST(CompressionTest, MaxOutputIsEnforced) {
  const Bytes plain = ProseText(100000, 7);  // what SmallSamples compresses
  std::vector<Sample> samples = SmallSamples(100000);
  for (const Sample& s : samples) {
    ASSERT_EQ(s.plain, plain);
    Bytes out;
    Status st = Decompress(s.payload, &out, plain.size() - 1);
    EXPECT_EQ(st.code(), StatusCode::kCorruption) << s.name;
    EXPECT_NE(st.message().find("limit"), std::string::npos) << s.name << ": " << st.ToString();
    EXPECT_TRUE(out.empty());
    ASSERT_TRUE(Decompress(s.payload, &out, plain.size()).ok()) << s.name;
    EXPECT_EQ(out, plain);
    EXPECT_EQ(Decompress(s.payload, &out, 0).code(), StatusCode::kCorruption) << s.name;
  }
}

// Outputs that end exactly where a decoder's buffer is full (initial guesses and doubling steps
// land on powers of two) must not be mistaken for truncated streams.
TEST(CompressionTest, OutputsAtBufferBoundaries) {
  for (size_t size : {size_t{4096}, size_t{65535}, size_t{65536}, size_t{65537}, size_t{131072},
                      size_t{262144}, size_t{1} << 20}) {
    for (bool zeros : {true, false}) {
      if (!zeros && size != 65536) continue;  // text expands little; one size is enough
      const Bytes plain = zeros ? Bytes(size, 0) : ProseText(size, size);
      std::vector<Sample> samples;
      for (const auto& c : Writable()) {
        Sample s{c.name, {}, plain};
        ASSERT_TRUE(Compress(c.header_id, plain, &s.payload).ok());
        samples.push_back(std::move(s));
      }
      samples.push_back({"lz4", Concat({Header(0x1400), Lz4Frame(plain)}), plain});
      for (const Sample& s : samples) {
        for (size_t max_output : {plain.size(), plain.size() + 1, kDefaultMaxDecompressedSize}) {
          Bytes out;
          Status st = Decompress(s.payload, &out, max_output);
          ASSERT_TRUE(st.ok()) << s.name << " " << size << " " << zeros << ": " << st.ToString();
          ASSERT_EQ(out, plain) << s.name << " " << size;
        }
      }
    }
  }
}

TEST(CompressionTest, DecompressionBombIsRefusedEarly) {
  const Bytes zeros(16 << 20, 0);
  for (const char* name : {"zstd", "gzip", "deflate-best-speed", "s2-default"}) {
    Bytes c;
    ASSERT_TRUE(Compress(name, zeros, &c).ok());
    Bytes out;
    EXPECT_EQ(Decompress(c, &out, 1 << 20).code(), StatusCode::kCorruption) << name;
  }
}

// ---------------------------------------------------------------------------------------------
// Multi-unit streams

TEST(CompressionTest, ConcatenatedZstdFrames) {
  Bytes a, b;
  ASSERT_TRUE(Compress("zstd", AsBytes("first frame, "), &a).ok());
  ASSERT_TRUE(Compress("zstd-fastest", AsBytes("second frame"), &b).ok());
  // A skippable frame (magic 0x184D2A50) between them is legal zstd too.
  const Bytes skippable = {0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'x', 'y', 'z'};
  Bytes payload = Concat({ByteView(a), skippable, ByteView(b).subspan(4)});
  Bytes out;
  ASSERT_TRUE(Decompress(payload, &out).ok());
  EXPECT_EQ(AsString(out), "first frame, second frame");

  payload.push_back(0x00);  // a trailing byte that is not a frame
  EXPECT_EQ(Decompress(payload, &out).code(), StatusCode::kCorruption);
}

TEST(CompressionTest, EmptyStreamsWhereKopiaWritesThem) {
  Bytes out = {1};
  // kopia's zstd and S2 writers emit no stream at all for empty input.
  EXPECT_TRUE(Decompress(Header(0x1100), &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(Decompress(Header(0x1200), &out).ok());
  EXPECT_TRUE(out.empty());
  // gzip, deflate and lz4 always write something.
  for (HeaderId id : {0x1000u, 0x1300u, 0x1400u, 0x1500u}) {
    EXPECT_EQ(Decompress(Header(id), &out).code(), StatusCode::kCorruption) << id;
  }
}

TEST(CompressionTest, MultiMemberGzip) {
  Bytes a, b;
  ASSERT_TRUE(Compress("gzip", AsBytes("member one, "), &a).ok());
  ASSERT_TRUE(Compress("pgzip-best-speed", AsBytes("member two"), &b).ok());
  Bytes payload = Concat({ByteView(a), ByteView(b).subspan(4)});
  Bytes out;
  ASSERT_TRUE(Decompress(payload, &out).ok());
  EXPECT_EQ(AsString(out), "member one, member two");

  Bytes trailing = Concat({ByteView(a), AsBytes("junk")});
  EXPECT_EQ(Decompress(trailing, &out).code(), StatusCode::kCorruption);
}

TEST(CompressionTest, DeflateRejectsTrailingData) {
  Bytes a;
  ASSERT_TRUE(Compress("deflate-default", AsBytes("raw deflate"), &a).ok());
  Bytes out;
  ASSERT_TRUE(Decompress(a, &out).ok());
  a.push_back(0);
  EXPECT_EQ(Decompress(a, &out).code(), StatusCode::kCorruption);
}

TEST(CompressionTest, Lz4Frames) {
  const Bytes plain = ProseText(3 << 20, 12);
  Bytes out;
  ASSERT_TRUE(Decompress(Concat({Header(0x1400), Lz4Frame(plain)}), &out).ok());
  EXPECT_EQ(out, plain);
  ASSERT_TRUE(
      Decompress(Concat({Header(0x1400), Lz4Frame(AsBytes("ab")), Lz4Frame(AsBytes("cd"))}), &out)
          .ok());
  EXPECT_EQ(AsString(out), "abcd");
  // Content checksum: damage one byte of the checksum at the end.
  Bytes frame = Concat({Header(0x1400), Lz4Frame(plain)});
  frame.back() ^= 1;
  EXPECT_EQ(Decompress(frame, &out).code(), StatusCode::kCorruption);
}

TEST(CompressionTest, ConcurrentUse) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ok] {
      const Bytes input = ProseText(200000, 100 + t);
      int good = 0;
      for (const char* name :
           {"zstd", "gzip", "s2-default", "deflate-best-speed", "zstd-fastest"}) {
        Bytes c, d;
        if (Compress(name, input, &c).ok() && Decompress(c, &d).ok() && d == input) ++good;
      }
      ok[t] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int good : ok) EXPECT_EQ(good, 5);
}

// ---------------------------------------------------------------------------------------------
// S2 framing and blocks, crafted by hand from the format description (s2_block.h, codec_s2.cc).

void PutLe(Bytes* b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

Bytes Varint(uint64_t v) {
  Bytes b;
  while (v >= 0x80) {
    b.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  b.push_back(static_cast<uint8_t>(v));
  return b;
}

Bytes Chunk(uint8_t type, ByteView body) {
  Bytes c(4 + body.size());
  c[0] = type;
  for (int i = 0; i < 3; ++i) c[1 + i] = static_cast<uint8_t>(body.size() >> (8 * i));
  std::copy(body.begin(), body.end(), c.begin() + 4);
  return c;
}

Bytes Identifier(const char* magic = "S2sTwO") { return Chunk(0xff, AsBytes(magic)); }

Bytes MaskedCrc(ByteView plain) {
  const uint32_t crc = crc32c::Mask(crc32c::Value(plain.data(), plain.size()));
  return {static_cast<uint8_t>(crc), static_cast<uint8_t>(crc >> 8),
          static_cast<uint8_t>(crc >> 16), static_cast<uint8_t>(crc >> 24)};
}

Bytes CompressedChunk(ByteView block, ByteView plain) {
  return Chunk(0x00, Concat({MaskedCrc(plain), block}));
}

Bytes UncompressedChunk(ByteView plain) { return Chunk(0x01, Concat({MaskedCrc(plain), plain})); }

// Builds an S2 block element by element and, independently, the bytes it must decode to
// (byte-at-a-time copies, the definition of an LZ77 copy).
class BlockBuilder {
 public:
  BlockBuilder& Literal(ByteView data) {
    const uint64_t n = data.size() - 1;
    if (n < 60) {
      elements_.push_back(static_cast<uint8_t>(n << 2));
    } else {
      const int bytes = n < (1u << 8) ? 1 : n < (1u << 16) ? 2 : n < (1u << 24) ? 3 : 4;
      elements_.push_back(static_cast<uint8_t>((59 + bytes) << 2));
      PutLe(&elements_, n, bytes);
    }
    elements_.insert(elements_.end(), data.begin(), data.end());
    plain_.insert(plain_.end(), data.begin(), data.end());
    return *this;
  }
  BlockBuilder& Copy1(uint32_t offset, uint32_t length) {  // length 4..11, offset 1..2047
    elements_.push_back(static_cast<uint8_t>(((offset >> 8) << 5) | ((length - 4) << 2) | 1));
    elements_.push_back(static_cast<uint8_t>(offset));
    return Expect(offset, length);
  }
  BlockBuilder& Copy2(uint32_t offset, uint32_t length) {  // length 1..64
    elements_.push_back(static_cast<uint8_t>(((length - 1) << 2) | 2));
    PutLe(&elements_, offset, 2);
    return Expect(offset, length);
  }
  BlockBuilder& Copy4(uint32_t offset, uint32_t length) {  // length 1..64
    elements_.push_back(static_cast<uint8_t>(((length - 1) << 2) | 3));
    PutLe(&elements_, offset, 4);
    return Expect(offset, length);
  }
  // S2 repeat: copy1 with offset 0 reuses the last offset; `length` picks the shortest code.
  BlockBuilder& Repeat(uint32_t length) {
    if (length <= 8) {
      elements_.push_back(static_cast<uint8_t>(((length - 4) << 2) | 1));
      elements_.push_back(0);
    } else if (length < 260) {
      elements_.push_back(static_cast<uint8_t>((5 << 2) | 1));
      elements_.push_back(0);
      PutLe(&elements_, length - 8, 1);
    } else if (length < 65540) {
      elements_.push_back(static_cast<uint8_t>((6 << 2) | 1));
      elements_.push_back(0);
      PutLe(&elements_, length - 260, 2);
    } else {
      elements_.push_back(static_cast<uint8_t>((7 << 2) | 1));
      elements_.push_back(0);
      PutLe(&elements_, length - 65540, 3);
    }
    return Expect(last_offset_, length);
  }
  BlockBuilder& Raw(ByteView bytes) {  // bytes appended as-is (for corrupt cases)
    elements_.insert(elements_.end(), bytes.begin(), bytes.end());
    return *this;
  }

  Bytes Block() const { return Concat({Varint(plain_.size()), elements_}); }
  Bytes BlockWithLength(uint64_t n) const { return Concat({Varint(n), elements_}); }
  const Bytes& Plain() const { return plain_; }
  Bytes Payload() const {
    return Concat({Header(0x1200), Identifier(), CompressedChunk(Block(), plain_)});
  }

 private:
  BlockBuilder& Expect(uint32_t offset, uint32_t length) {
    last_offset_ = offset;
    for (uint32_t i = 0; i < length; ++i) {
      plain_.push_back(offset <= plain_.size() ? plain_[plain_.size() - offset] : 0);
    }
    return *this;
  }

  Bytes elements_;
  Bytes plain_;
  uint32_t last_offset_ = 0;
};

void ExpectDecodes(const BlockBuilder& b) {
  Bytes out;
  Status s = Decompress(b.Payload(), &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, b.Plain());
}

void ExpectCorrupt(ByteView payload, const char* what) {
  Bytes out;
  Status s = Decompress(payload, &out);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << what << ": " << s.ToString();
  EXPECT_TRUE(out.empty()) << what;
}

TEST(S2Test, LiteralLengthEncodings) {
  for (size_t n : {1u, 59u, 60u, 61u, 256u, 257u, 65536u, 65537u, 70000u}) {
    BlockBuilder b;
    b.Literal(RandomBytes(n, n));
    ExpectDecodes(b);
  }
  // 3- and 4-byte literal lengths (tags 62 and 63), in a 4 MiB block.
  BlockBuilder big;
  big.Literal(RandomBytes((1 << 24) / 8, 1)).Literal(RandomBytes(100, 2));
  ExpectDecodes(big);
  Bytes b4 = {static_cast<uint8_t>(63 << 2)};
  PutLe(&b4, 299, 4);
  Bytes lit = RandomBytes(300, 3);
  Bytes block = Concat({Varint(300), b4, lit});
  Bytes out;
  ASSERT_TRUE(
      Decompress(Concat({Header(0x1200), Identifier(), CompressedChunk(block, lit)}), &out).ok());
  EXPECT_EQ(out, lit);
}

TEST(S2Test, CopyElements) {
  BlockBuilder small;
  small.Literal(AsBytes("abcdefghijklmnop"))
      .Copy1(16, 11)  // plain copy
      .Copy1(1, 8)    // overlapping run of one byte
      .Copy2(3, 64)   // overlapping period-3 pattern
      .Copy2(50, 1)   // shortest copy
      .Copy4(20, 33);
  ExpectDecodes(small);
  BlockBuilder large;
  large.Literal(RandomBytes(3000, 5))
      .Copy1(2047, 4)  // largest copy1 offset
      .Copy1(1, 11)
      .Copy2(3, 64)
      .Copy4(2999, 64)
      .Literal(RandomBytes(70000, 6))
      .Copy2(65535, 64);  // largest copy2 offset
  ExpectDecodes(large);
}

TEST(S2Test, Copy4BeyondSixtyFourKiB) {
  BlockBuilder b;
  b.Literal(RandomBytes(70000, 6)).Copy4(70000, 64).Copy4(65537, 40).Repeat(300);
  ExpectDecodes(b);
}

TEST(S2Test, RepeatOffsets) {
  // Every repeat length code: 0..4 (4..8), 5 (+1 byte), 6 (+2 bytes), 7 (+3 bytes).
  BlockBuilder b;
  b.Literal(AsBytes("0123456789abcdef"))
      .Copy1(10, 4)
      .Repeat(4)
      .Repeat(5)
      .Repeat(6)
      .Repeat(7)
      .Repeat(8)
      .Repeat(9)
      .Repeat(259)  // code 5: 8 + 1..251
      .Repeat(260)
      .Repeat(65539)  // code 6: 260 + 0..65279
      .Repeat(65540)
      .Repeat(70001)  // code 7: 65540 + 3 bytes
      .Copy2(7, 5)
      .Repeat(12)  // repeat takes the offset of the last copy2 ...
      .Copy4(13, 6)
      .Repeat(20)  // ... and of copy4
      .Literal(AsBytes("tail"))
      .Repeat(6);  // and survives literals
  ExpectDecodes(b);
}

TEST(S2Test, RepeatBeforeAnyCopyIsCorrupt) {
  BlockBuilder b;
  b.Literal(AsBytes("abcdefgh")).Raw(Bytes{0x01, 0x00});  // repeat code 0, no previous offset
  Bytes plain = Concat({AsBytes("abcdefgh"), AsBytes("abcd")});
  ExpectCorrupt(
      Concat({Header(0x1200), Identifier(), CompressedChunk(b.BlockWithLength(12), plain)}),
      "repeat first");
}

TEST(S2Test, CorruptBlocks) {
  auto payload = [](ByteView block, ByteView plain) {
    return Concat({Header(0x1200), Identifier(), CompressedChunk(block, plain)});
  };
  const Bytes abc = ToBytes("abcdefgh");
  struct Case {
    const char* what;
    Bytes block;
  };
  const std::vector<Case> cases = {
      {"empty block", {}},
      {"varint too long", {0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
      {"varint > 2^32", {0x80, 0x80, 0x80, 0x80, 0x10}},
      {"truncated varint", {0x80}},
      {"literal past input", Concat({Varint(8), Bytes{7 << 2}, AsBytes("abc")})},
      {"literal past output", Concat({Varint(4), Bytes{7 << 2}, abc})},
      {"truncated literal length", Concat({Varint(100), Bytes{61 << 2, 0x10}})},
      {"copy before start", Concat({Varint(12), Bytes{7 << 2}, abc, Bytes{0x01, 9}})},
      {"copy past output", Concat({Varint(10), Bytes{7 << 2}, abc, Bytes{0x01, 8}})},
      {"copy2 offset 0", Concat({Varint(12), Bytes{7 << 2}, abc, Bytes{(3 << 2) | 2, 0, 0}})},
      {"copy4 offset 0", Concat({Varint(12), Bytes{7 << 2}, abc, Bytes{(3 << 2) | 3, 0, 0, 0, 0}})},
      {"copy4 huge offset",
       Concat({Varint(12), Bytes{7 << 2}, abc, Bytes{(3 << 2) | 3, 0xff, 0xff, 0xff, 0xff}})},
      {"truncated copy1", Concat({Varint(12), Bytes{7 << 2}, abc, Bytes{0x01}})},
      {"truncated copy2", Concat({Varint(12), Bytes{7 << 2}, abc, Bytes{0x0e, 4}})},
      {"truncated copy4", Concat({Varint(12), Bytes{7 << 2}, abc, Bytes{0x0f, 4, 0, 0}})},
      {"truncated repeat ext",
       Concat({Varint(30), Bytes{7 << 2}, abc, Bytes{0x01, 8, (7 << 2) | 1, 0, 1}})},
      {"repeat past output",
       Concat({Varint(14), Bytes{7 << 2}, abc, Bytes{0x01, 8, (5 << 2) | 1, 0, 200}})},
      {"shorter than declared", Concat({Varint(9), Bytes{7 << 2}, abc})},
      {"block over 4 MiB", Concat({Varint((4 << 20) + 1), Bytes{7 << 2}, abc})},
  };
  for (const Case& c : cases) ExpectCorrupt(payload(c.block, abc), c.what);
}

TEST(S2Test, FramingRules) {
  const Bytes plain = ToBytes("hello, s2 framing");
  const Bytes lit = BlockBuilder().Literal(plain).Block();
  Bytes out;
  // Both stream identifiers; repeated identifiers (concatenated streams); padding and
  // skippable chunks; uncompressed chunks.
  Bytes ok = Concat({Header(0x1200), Identifier("sNaPpY"), CompressedChunk(lit, plain),
                     Chunk(0xfe, Bytes(10, 0)), Chunk(0x80, AsBytes("skip me")), Chunk(0xfd, {}),
                     Identifier("S2sTwO"), UncompressedChunk(plain)});
  ASSERT_TRUE(Decompress(ok, &out).ok());
  EXPECT_EQ(out, Concat({plain, plain}));

  ExpectCorrupt(Concat({Header(0x1200), CompressedChunk(lit, plain)}), "no identifier");
  ExpectCorrupt(Concat({Header(0x1200), Chunk(0x80, {}), Identifier()}),
                "skippable before identifier");
  ExpectCorrupt(Concat({Header(0x1200), Identifier("sNaPpX")}), "bad identifier");
  ExpectCorrupt(Concat({Header(0x1200), Chunk(0xff, AsBytes("S2sTwO!"))}), "long identifier");
  for (uint8_t reserved : {0x02, 0x40, 0x7f}) {
    ExpectCorrupt(Concat({Header(0x1200), Identifier(), Chunk(reserved, {})}),
                  "reserved unskippable");
  }
  ExpectCorrupt(Concat({Header(0x1200), Identifier(), Chunk(0x00, Bytes{1, 2, 3})}),
                "short compressed");
  ExpectCorrupt(Concat({Header(0x1200), Identifier(), Chunk(0x01, Bytes{1, 2})}),
                "short uncompressed");
  ExpectCorrupt(Concat({Header(0x1200), Identifier(), Bytes{0x00, 0x10, 0x00}}),
                "cut chunk header");
  ExpectCorrupt(Concat({Header(0x1200), Identifier(), Bytes{0x80, 0x10, 0x00, 0x00, 1, 2}}),
                "cut chunk body");
  Bytes big_raw(4 << 20 | 1, 'a');
  ExpectCorrupt(Concat({Header(0x1200), Identifier(), UncompressedChunk(big_raw)}),
                "raw chunk over 4 MiB");
}

TEST(S2Test, CrcMismatchDetected) {
  const Bytes plain = ToBytes("checksummed data");
  const Bytes lit = BlockBuilder().Literal(plain).Block();
  for (bool compressed : {true, false}) {
    Bytes chunk = compressed ? CompressedChunk(lit, plain) : UncompressedChunk(plain);
    chunk[4] ^= 0x01;  // first CRC byte
    Bytes out;
    Status s = Decompress(Concat({Header(0x1200), Identifier(), chunk}), &out);
    EXPECT_EQ(s.code(), StatusCode::kCorruption);
    EXPECT_NE(s.message().find("CRC"), std::string::npos) << s.ToString();
  }
  // The CRC covers the decoded data, not the block: same block, different claimed data.
  ExpectCorrupt(Concat({Header(0x1200), Identifier(), CompressedChunk(lit, AsBytes("other data"))}),
                "crc of other data");
}

// libsnappy's blocks are S2 blocks: our block decoder must agree with libsnappy on anything
// libsnappy writes, and survive random damage to it.
TEST(S2Test, AgreesWithLibsnappyAndSurvivesMutations) {
  SplitMix64 rng(77);
  for (int i = 0; i < 300; ++i) {
    const size_t n = rng.Below(i < 250 ? 3000 : 200000);
    Bytes plain = (i % 3 == 0) ? RandomBytes(n, rng.Next()) : ProseText(n, rng.Next());
    std::string block;
    snappy::Compress(reinterpret_cast<const char*>(plain.data()), plain.size(), &block);
    const ByteView bv = AsBytes(block);
    uint64_t len = 0;
    size_t prefix = 0;
    ASSERT_TRUE(internal::S2BlockDecodedLength(bv, &len, &prefix).ok());
    ASSERT_EQ(len, plain.size());
    Bytes out(len);
    ASSERT_TRUE(internal::S2DecodeBlockElements(bv.subspan(prefix), out).ok());
    ASSERT_EQ(out, plain);

    if (n > 20000) continue;
    for (int m = 0; m < 20; ++m) {
      Bytes damaged(bv.begin(), bv.end());
      const int edits = 1 + static_cast<int>(rng.Below(4));
      for (int e = 0; e < edits && !damaged.empty(); ++e) {
        damaged[rng.Below(damaged.size())] = static_cast<uint8_t>(rng.Next());
      }
      if (rng.Below(4) == 0 && !damaged.empty()) damaged.resize(rng.Below(damaged.size()));
      uint64_t dlen = 0;
      size_t dprefix = 0;
      if (!internal::S2BlockDecodedLength(damaged, &dlen, &dprefix).ok() || dlen > (1u << 20))
        continue;
      Bytes dout(dlen);
      (void)internal::S2DecodeBlockElements(ByteView(damaged).subspan(dprefix), dout);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CRC-32C

TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(crc32c::Value(AsBytes("123456789").data(), 9), 0xe3069283u);
  const Bytes zeros(32, 0);
  EXPECT_EQ(crc32c::Value(zeros.data(), zeros.size()), 0x8a9136aau);
  const Bytes ones(32, 0xff);
  EXPECT_EQ(crc32c::Value(ones.data(), ones.size()), 0x62a8ab43u);
  Bytes ascending(32);
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(crc32c::Value(ascending.data(), ascending.size()), 0x46dd794eu);
  EXPECT_EQ(crc32c::Value(nullptr, 0), 0u);
}

TEST(Crc32cTest, HardwareAndPortableAgree) {
  const Bytes data = RandomBytes(5000, 13);
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4990u}) {
      const uint8_t* p = data.data() + offset;
      const uint32_t portable = crc32c::ExtendPortable(0, p, n);
      EXPECT_EQ(crc32c::ExtendHardware(0, p, n), portable) << offset << " " << n;
      EXPECT_EQ(crc32c::Value(p, n), portable);
      // Extend over a split equals the whole.
      EXPECT_EQ(crc32c::Extend(crc32c::Value(p, n / 3), p + n / 3, n - n / 3), portable);
    }
  }
}

// The hardware path runs three interleaved streams over 3 x 8 KiB and 3 x 256 byte blocks and
// combines them: lengths around those block sizes, at odd offsets, must match the table loop.
TEST(Crc32cTest, InterleavedBlocksAgreeWithPortable) {
  const Bytes data = RandomBytes(200000, 17);
  for (size_t offset : {0u, 3u}) {
    for (size_t n : {767u, 768u, 769u, 1543u, 24575u, 24576u, 24577u, 25343u, 49152u + 768u + 13u,
                     199990u}) {
      const uint8_t* p = data.data() + offset;
      const uint32_t portable = crc32c::ExtendPortable(0, p, n);
      EXPECT_EQ(crc32c::Value(p, n), portable) << offset << " " << n;
      const size_t split = n / 3 + 5;  // an unaligned split point
      EXPECT_EQ(crc32c::Extend(crc32c::Value(p, split), p + split, n - split), portable) << n;
      if (crc32c::HardwareAvailable()) {
        EXPECT_EQ(crc32c::ExtendHardware(0, p, n), portable) << n;
      }
    }
  }
}

// Combine(Value(A), Value(B), |B|) is Value(A || B) for every split, empty parts included,
// and for lengths whose bits reach past the low powers (a 5 MiB B).
TEST(Crc32cTest, CombineEqualsTheCrcOfTheConcatenation) {
  const Bytes data = RandomBytes(5 << 20, 23);
  const uint8_t* p = data.data();
  for (size_t n : {0u, 1u, 9u, 1000u, 65536u, 200003u, 5u << 20}) {
    const uint32_t whole = crc32c::Value(p, n);
    for (size_t split : {size_t{0}, n / 7, n / 2, n - std::min<size_t>(n, 1), n}) {
      const uint32_t a = crc32c::Value(p, split), b = crc32c::Value(p + split, n - split);
      EXPECT_EQ(crc32c::Combine(a, b, n - split), whole) << n << " " << split;
    }
  }
  // Three parts, combined left to right.
  const uint32_t abc = crc32c::Combine(crc32c::Combine(crc32c::Value(p, 3), crc32c::Value(p + 3, 4000), 4000),
                                       crc32c::Value(p + 4003, 70000), 70000);
  EXPECT_EQ(abc, crc32c::Value(p, 74003));
  // A known value: "123456789" in two parts.
  const ByteView digits = AsBytes("123456789");
  EXPECT_EQ(crc32c::Combine(crc32c::Value(digits.data(), 4), crc32c::Value(digits.data() + 4, 5), 5), 0xe3069283u);
}

TEST(Crc32cTest, MaskRoundTrips) {
  for (uint32_t v : {0u, 1u, 0xe3069283u, 0xffffffffu, 0x80000000u}) {
    EXPECT_EQ(crc32c::Unmask(crc32c::Mask(v)), v);
    EXPECT_NE(crc32c::Mask(v), v);
  }
}

}  // namespace
}  // namespace ferry::compression
