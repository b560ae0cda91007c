// Tests of the object layer against the in-memory FakeContentManager: ID syntax
// (kopia-test-vectors.md §14), round trips through direct and (nested) indirect objects, the exact
// indirect-list bytes, seeking, concatenation, deduplication, legacy `Z`/`D` IDs and damage.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "compression/compression.h"
#include "object/indirect_list.h"
#include "object/object_id.h"
#include "object/object_manager.h"
#include "object/testing/fake_content_manager.h"
#include "splitter/fixed.h"
#include "splitter/splitter.h"

namespace ferry::object {
namespace {

using content::ContentId;
using content::FakeContentManager;

Bytes RandomData(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Small chunks (512..2048 bytes, ~1 KiB average) keep many-chunk tests fast.
splitter::SplitterFactory SmallBuzhash() {
  return [] { return splitter::NewBuzhashSplitter(512, 1024, 2048); };
}
splitter::SplitterFactory Fixed(size_t size) {
  return [size] { return splitter::NewFixedSplitter(size); };
}

ObjectId MustParse(std::string_view text) {
  auto id = ObjectId::Parse(text);
  EXPECT_TRUE(id.ok()) << text << ": " << id.status().ToString();
  return id.ok() ? *id : ObjectId();
}

ObjectId WriteObject(const ObjectManager& om, ByteView data, WriterOptions options = {},
                     size_t piece = 0) {
  auto w = om.NewWriter(std::move(options));
  if (piece == 0) piece = data.size() + 1;
  for (size_t i = 0; i < data.size(); i += piece) {
    EXPECT_TRUE(w->Write(data.subspan(i, std::min(piece, data.size() - i))).ok());
  }
  auto id = w->Result();
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : ObjectId();
}

Bytes MustReadAll(const ObjectManager& om, const ObjectId& id) {
  auto data = om.ReadAll(id);
  EXPECT_TRUE(data.ok()) << id.ToString() << ": " << data.status().ToString();
  return data.ok() ? *data : Bytes();
}

// ---------------------------------------------------------------------------------------------
// Object ID syntax

TEST(ObjectIdTest, KopiaParseCases) {
  // kopia repo/object/objectid_test.go TestParseObjectID, plus the cases of test-vectors §14.
  struct Case {
    const char* text;
    bool valid;
  } cases[] = {
      {"Df0f0", true},    {"IDf0f0", true},   {"IIDf0f0", true}, {"Dxf0f0", true},
      {"IDxf0f0", true},  {"IIDxf0f0", true}, {"Dxf0f", false},  {"IDxf0f", false},
      {"Da", false},      {"Daf0f0", false},  {"", true},        {"B!$@#$!@#$", false},
      {"X", false},       {"I.", false},      {"I.x", false},    {"I.af", false},
      {"Ix.ag", false},   {"Iab.", false},    {"I1", false},     {"I1,", false},
      {"I-1,X", false},   {"Xsomething", false}, {"IZabcd", false}, {"Zabcd", true},
      {"ZDabcd", true},   {"DZabcd", false},  {"abcd", true},    {"kabcd", true},
      {"aabcd", false},   {"{abcd", false},   {"Ikabcd", true},  {"abc", false},
      {"I", false},       {"Z", false},       {"D", false},      {"IIZxabcd", false},
  };
  for (const Case& c : cases) {
    auto id = ObjectId::Parse(c.text);
    EXPECT_EQ(id.ok(), c.valid) << '"' << c.text << "\": " << id.status().ToString();
    if (!id.ok()) {
      EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(id.status().message().find('"' + std::string(c.text) + '"'), std::string::npos)
          << id.status().message();
    }
  }
}

TEST(ObjectIdTest, ComponentsAndToString) {
  ObjectId file = MustParse("d9295958410ae3b73f68033274cd7a8f");
  EXPECT_EQ(file.indirection(), 0);
  EXPECT_FALSE(file.compressed());
  EXPECT_FALSE(file.is_indirect());
  EXPECT_FALSE(file.is_directory());
  EXPECT_FALSE(file.content_id().has_prefix());
  EXPECT_EQ(file.ToString(), "d9295958410ae3b73f68033274cd7a8f");

  ObjectId dir = MustParse("k18c2fa7d9108a2bf0d9d5b8e7993c48d");
  EXPECT_TRUE(dir.is_directory());
  EXPECT_EQ(dir.content_id().prefix(), 'k');

  ObjectId big_dir = MustParse("IIk18c2fa7d9108a2bf0d9d5b8e7993c48d");
  EXPECT_EQ(big_dir.indirection(), 2);
  EXPECT_TRUE(big_dir.is_directory());
  EXPECT_EQ(big_dir.IndexObjectId().ToString(), "Ik18c2fa7d9108a2bf0d9d5b8e7993c48d");
  EXPECT_EQ(big_dir.IndexObjectId().IndexObjectId(), dir);
  EXPECT_EQ(dir.Indirect().Indirect(), big_dir);

  ObjectId z = MustParse("Zabcd");
  EXPECT_TRUE(z.compressed());
  EXPECT_EQ(z.ToString(), "Zabcd");
  EXPECT_EQ(z, ObjectId::Compressed(z.content_id()));

  // `D` is accepted and dropped; ToString is canonical.
  EXPECT_EQ(MustParse("Dabcd").ToString(), "abcd");
  EXPECT_EQ(MustParse("IDxf0f0").ToString(), "Ixf0f0");
  EXPECT_EQ(MustParse("ZDabcd").ToString(), "Zabcd");
  EXPECT_EQ(MustParse("Dabcd"), MustParse("abcd"));

  ObjectId empty = MustParse("");
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.ToString(), "");
  EXPECT_EQ(empty, ObjectId());

  // Even length: no prefix; odd: a g..z prefix.
  EXPECT_FALSE(MustParse("f0f0").content_id().has_prefix());
  EXPECT_EQ(MustParse("xf0f0").content_id().prefix(), 'x');
  EXPECT_EQ(MustParse("gf0f0").content_id().prefix(), 'g');
  EXPECT_EQ(MustParse("zf0f0").content_id().prefix(), 'z');
  EXPECT_FALSE(ObjectId::Parse("ff0f0").ok());  // 'f' is hex, not a prefix
}

TEST(ObjectIdTest, RoundTripsEveryShape) {
  for (const char* text : {"abcd", "kabcd", "Ixabcd", "IIIxabcd", "Zabcd", "Zkabcd",
                           "I0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}) {
    EXPECT_EQ(MustParse(text).ToString(), text);
  }
}

TEST(ObjectIdTest, ErrorsNameTheText) {
  auto id = ObjectId::Parse("IZabcd");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find("IZabcd"), std::string::npos);
  EXPECT_NE(id.status().message().find("mutually exclusive"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Writing and reading

class ObjectTest : public ::testing::Test {
 protected:
  FakeContentManager contents_;
  ObjectManager om_{&contents_, SmallBuzhash()};
};

TEST_F(ObjectTest, EmptyObjectIsOneEmptyContent) {
  ObjectId id = WriteObject(om_, {});
  EXPECT_FALSE(id.is_indirect());
  EXPECT_EQ(id.content_id(), contents_.ComputeContentId({}, 0));
  EXPECT_EQ(contents_.content_count(), 1u);
  EXPECT_TRUE(MustReadAll(om_, id).empty());
  auto r = om_.Open(id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Length(), 0);
  uint8_t buf[4];
  auto n = r->Read(buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST_F(ObjectTest, OneByte) {
  Bytes data = {0x42};
  ObjectId id = WriteObject(om_, data);
  EXPECT_EQ(id.ToString(), contents_.ComputeContentId(data, 0).ToString());
  EXPECT_EQ(MustReadAll(om_, id), data);
}

TEST_F(ObjectTest, ExactlyOneChunkLeavesNoEmptyTail) {
  ObjectManager om(&contents_, Fixed(1024));
  Bytes data = RandomData(1024, 1);
  ObjectId id = WriteObject(om, data);
  EXPECT_FALSE(id.is_indirect());
  EXPECT_EQ(id.content_id(), contents_.ComputeContentId(data, 0));
  EXPECT_EQ(contents_.content_count(), 1u);
  EXPECT_EQ(MustReadAll(om, id), data);

  // Two full chunks: a list of two entries, not three.
  Bytes two = RandomData(2048, 2);
  ObjectId id2 = WriteObject(om, two);
  ASSERT_TRUE(id2.is_indirect());
  auto list = LoadIndirectList(&contents_, id2.IndexObjectId());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
}

TEST_F(ObjectTest, ExactIndirectListBytesForTwoChunks) {
  ObjectManager om(&contents_, Fixed(1024));
  Bytes data = RandomData(1500, 3);
  ObjectId id = WriteObject(om, data);
  ContentId c1 = contents_.ComputeContentId(ByteView(data).first(1024), 0);
  ContentId c2 = contents_.ComputeContentId(ByteView(data).subspan(1024), 0);
  std::string expected = "{\"stream\":\"kopia:indirect\",\"entries\":[{\"l\":1024,\"o\":\"" +
                         c1.ToString() + "\"},{\"s\":1024,\"l\":476,\"o\":\"" + c2.ToString() +
                         "\"}]}\n";
  ASSERT_EQ(id.indirection(), 1);
  // The list is a direct object with prefix x whose content ID is the hash of those bytes.
  EXPECT_EQ(id.content_id().prefix(), 'x');
  EXPECT_EQ(id.content_id(), contents_.ComputeContentId(AsBytes(expected), 'x'));
  EXPECT_EQ(id.ToString(), "I" + contents_.ComputeContentId(AsBytes(expected), 'x').ToString());
  EXPECT_EQ(AsString(MustReadAll(om, id.IndexObjectId())), expected);
  EXPECT_EQ(SerializeIndirectList({{0, 1024, ObjectId::Direct(c1)},
                                   {1024, 476, ObjectId::Direct(c2)}}),
            expected);
  EXPECT_EQ(MustReadAll(om, id), data);
}

TEST_F(ObjectTest, ManyChunksOneList) {
  Bytes data = RandomData(5000, 4);
  auto expected_lengths = [&] {
    auto s = SmallBuzhash()();
    return splitter::SplitAll(*s, data);
  }();
  ASSERT_GT(expected_lengths.size(), 2u);
  ObjectId id = WriteObject(om_, data);
  ASSERT_EQ(id.indirection(), 1) << id.ToString();
  EXPECT_EQ(id.content_id().prefix(), 'x');
  auto list = LoadIndirectList(&contents_, id.IndexObjectId());
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), expected_lengths.size());
  int64_t start = 0;
  for (size_t i = 0; i < list->size(); ++i) {
    EXPECT_EQ((*list)[i].start, start);
    EXPECT_EQ((*list)[i].length, static_cast<int64_t>(expected_lengths[i]));
    EXPECT_FALSE((*list)[i].object.is_indirect());
    start += (*list)[i].length;
  }
  EXPECT_EQ(MustReadAll(om_, id), data);
  auto r = om_.Open(id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Length(), 5000);
}

TEST_F(ObjectTest, WriteSizesDoNotChangeTheObject) {
  Bytes data = RandomData(40000, 5);
  ObjectId whole = WriteObject(om_, data);
  size_t before = contents_.content_count();
  for (size_t piece : {1, 7, 511, 512, 2048, 4099}) {
    EXPECT_EQ(WriteObject(om_, data, {}, piece), whole) << piece;
  }
  EXPECT_EQ(contents_.content_count(), before);
  EXPECT_EQ(MustReadAll(om_, whole), data);
}

TEST_F(ObjectTest, NestedLists) {
  // ~200 chunks: the list (~60 bytes per entry) is itself split, giving II.
  Bytes data = RandomData(200000, 6);
  ObjectId id = WriteObject(om_, data, {}, 65536);
  EXPECT_EQ(id.indirection(), 2) << id.ToString();
  EXPECT_EQ(id.content_id().prefix(), 'x');
  EXPECT_EQ(MustReadAll(om_, id), data);
  // The list of the list is a list of x contents.
  auto outer = LoadIndirectList(&contents_, id.IndexObjectId().IndexObjectId());
  ASSERT_TRUE(outer.ok());
  for (const auto& e : *outer) EXPECT_EQ(e.object.content_id().prefix(), 'x');
}

TEST_F(ObjectTest, ThreeLevels) {
  Bytes data = RandomData(3 << 20, 7);
  ObjectId id = WriteObject(om_, data, {}, 1 << 20);
  EXPECT_EQ(id.indirection(), 3) << id.ToString();
  EXPECT_EQ(MustReadAll(om_, id), data);
}

TEST_F(ObjectTest, PrefixedObjectsKeepTheirPrefixInLists) {
  WriterOptions options;
  options.prefix = 'k';
  options.compression = kMetadataCompression;
  Bytes small = ToBytes("{\"stream\":\"kopia:directory\",\"entries\":null}\n");
  ObjectId dir = WriteObject(om_, small, options);
  EXPECT_TRUE(dir.is_directory());
  EXPECT_FALSE(dir.is_indirect());
  EXPECT_EQ(MustReadAll(om_, dir), small);

  Bytes big = RandomData(20000, 8);
  ObjectId big_dir = WriteObject(om_, big, options);
  EXPECT_TRUE(big_dir.is_indirect());
  EXPECT_TRUE(big_dir.is_directory());
  EXPECT_EQ(big_dir.ToString().substr(0, 2), "Ik");
  auto list = LoadIndirectList(&contents_, big_dir.IndexObjectId());
  ASSERT_TRUE(list.ok());
  for (const auto& e : *list) EXPECT_EQ(e.object.content_id().prefix(), 'k');
  EXPECT_EQ(MustReadAll(om_, big_dir), big);
}

TEST_F(ObjectTest, ListsUseMetadataCompression) {
  ObjectManager om(&contents_, Fixed(4096));
  Bytes data = RandomData(40000, 9);
  ObjectId id = WriteObject(om, data);
  ASSERT_EQ(id.indirection(), 1);
  // A list is JSON and hex: zstd-fastest shrinks it, so the fake keeps the compressed form.
  auto info = contents_.GetContentInfo(id.content_id());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->compression_header, 0x1101u);
  // Data chunks were written without compression (none was requested).
  auto list = LoadIndirectList(&contents_, id.IndexObjectId());
  ASSERT_TRUE(list.ok());
  auto chunk = contents_.GetContentInfo(list->front().object.content_id());
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(chunk->compression_header, 0u);
}

TEST_F(ObjectTest, DataCompressionIsPassedToTheContentLayer) {
  WriterOptions options;
  options.compression = 0x1100;  // zstd
  Bytes data(10000, 'a');
  ObjectId id = WriteObject(om_, data, options);
  auto list = LoadIndirectList(&contents_, id.IndexObjectId());
  ASSERT_TRUE(list.ok());
  auto info = contents_.GetContentInfo(list->front().object.content_id());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->compression_header, 0x1100u);
  EXPECT_EQ(MustReadAll(om_, id), data);
}

TEST_F(ObjectTest, SeekAndReadAtRandomOffsets) {
  Bytes data = RandomData(100000, 10);
  ObjectId id = WriteObject(om_, data);
  ASSERT_TRUE(id.is_indirect());
  auto r = om_.Open(id);
  ASSERT_TRUE(r.ok());
  std::mt19937 rng(11);
  Bytes buf;
  for (int i = 0; i < 300; ++i) {
    int64_t off = static_cast<int64_t>(rng() % (data.size() + 10));
    size_t len = rng() % 5000;
    ASSERT_TRUE(r->Seek(off).ok());
    buf.assign(len, 0);
    auto n = r->Read(buf);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    size_t want = off >= static_cast<int64_t>(data.size())
                      ? 0
                      : std::min(len, data.size() - static_cast<size_t>(off));
    ASSERT_EQ(*n, want) << off << " " << len;
    ASSERT_TRUE(std::equal(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(want),
                           data.begin() + std::min<ptrdiff_t>(off, static_cast<ptrdiff_t>(data.size()))));
    EXPECT_EQ(r->position(), off + static_cast<int64_t>(want));
  }
  EXPECT_FALSE(r->Seek(-1).ok());
}

TEST_F(ObjectTest, SequentialReadsInOddSizes) {
  Bytes data = RandomData(30000, 12);
  ObjectId id = WriteObject(om_, data);
  auto r = om_.Open(id);
  ASSERT_TRUE(r.ok());
  Bytes got;
  uint8_t buf[333];
  for (;;) {
    auto n = r->Read(buf);
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    got.insert(got.end(), buf, buf + *n);
  }
  EXPECT_EQ(got, data);
}

TEST_F(ObjectTest, DeduplicatesIdenticalObjects) {
  Bytes data = RandomData(20000, 13);
  ObjectId a = WriteObject(om_, data);
  size_t count = contents_.content_count();
  uint64_t written = contents_.stats().written_contents;
  ObjectId b = WriteObject(om_, data);
  EXPECT_EQ(a, b);
  EXPECT_EQ(contents_.content_count(), count);
  EXPECT_EQ(contents_.stats().written_contents, written);
  EXPECT_GT(contents_.stats().deduplicated_contents, 0u);
}

TEST_F(ObjectTest, ResultIsStable) {
  auto w = om_.NewWriter({});
  Bytes data = RandomData(5000, 14);
  ASSERT_TRUE(w->Write(data).ok());
  EXPECT_EQ(w->length(), 5000);
  auto a = w->Result();
  auto b = w->Result();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_FALSE(w->Write(data).ok());
}

TEST_F(ObjectTest, WriteErrorsAreSticky) {
  auto w = om_.NewWriter({.prefix = 0, .compression = 0, .description = "FILE:/a/b"});
  contents_.FailNextWrites(1);
  Status s = w->Write(RandomData(10000, 15));
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("FILE:/a/b"), std::string::npos) << s.message();
  EXPECT_EQ(w->Result().status().code(), StatusCode::kIOError);
}

TEST_F(ObjectTest, Concatenate) {
  Bytes a = RandomData(30000, 16), b = {1, 2, 3}, c = RandomData(9000, 17);
  ObjectId ia = WriteObject(om_, a), ib = WriteObject(om_, b), ic = WriteObject(om_, c);
  ASSERT_TRUE(ia.is_indirect());
  ASSERT_FALSE(ib.is_indirect());
  auto joined = om_.Concatenate({ia, ib, ic});
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_TRUE(joined->is_indirect());
  Bytes all = a;
  all.insert(all.end(), b.begin(), b.end());
  all.insert(all.end(), c.begin(), c.end());
  EXPECT_EQ(MustReadAll(om_, *joined), all);

  // The list is the parts' entries, shifted: never a list of lists.
  // (joined's list object may itself be indirect if the list split; LoadIndirectList reads it.)
  auto list = LoadIndirectList(&contents_, joined->IndexObjectId());
  ASSERT_TRUE(list.ok());
  auto la = LoadIndirectList(&contents_, ia.IndexObjectId());
  auto lc = LoadIndirectList(&contents_, ic.IndexObjectId());
  ASSERT_TRUE(la.ok() && lc.ok());
  ASSERT_EQ(list->size(), la->size() + 1 + lc->size());
  EXPECT_EQ((*list)[la->size()].object, ib);
  EXPECT_EQ((*list)[la->size()].start, 30000);
  EXPECT_EQ((*list)[la->size()].length, 3);
  EXPECT_EQ(list->back().start, 30003 + lc->back().start);

  // Concatenation equals reading the parts; seek across a part boundary.
  auto r = om_.Open(*joined);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Length(), static_cast<int64_t>(all.size()));
  ASSERT_TRUE(r->Seek(29998).ok());
  uint8_t buf[8];
  auto n = r->Read(buf);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 8u);
  EXPECT_TRUE(std::equal(buf, buf + 8, all.begin() + 29998));

  // Empty parts are left out of the list.
  ObjectId empty = WriteObject(om_, {});
  auto with_empty = om_.Concatenate({empty, ia, empty, ib, empty});
  ASSERT_TRUE(with_empty.ok());
  auto with_empty_list = LoadIndirectList(&contents_, with_empty->IndexObjectId());
  ASSERT_TRUE(with_empty_list.ok());
  EXPECT_EQ(with_empty_list->size(), la->size() + 1);
  Bytes ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  EXPECT_EQ(MustReadAll(om_, *with_empty), ab);
  auto only_empty = om_.Concatenate({empty, empty});
  ASSERT_TRUE(only_empty.ok());
  EXPECT_EQ(*only_empty, empty);

  auto one = om_.Concatenate({ib});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, ib);
  EXPECT_EQ(om_.Concatenate({}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ObjectTest, ParallelSegmentsConcatenate) {
  // The use case: a large file written as segments by independent writers.
  Bytes data = RandomData(60000, 18);
  std::vector<ObjectId> parts;
  for (size_t off = 0; off < data.size(); off += 20000) {
    parts.push_back(WriteObject(om_, ByteView(data).subspan(off, 20000)));
  }
  auto joined = om_.Concatenate(parts);
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(MustReadAll(om_, *joined), data);
}

TEST_F(ObjectTest, LegacyCompressedAndDirectMarkers) {
  Bytes data = ToBytes(std::string(5000, 'z') + "legacy format-v1 object");
  Bytes payload;
  ASSERT_TRUE(compression::Compress(0x1000, data, &payload).ok());  // gzip
  auto cid = contents_.WriteContent(payload, 0, compression::kNoCompression);
  ASSERT_TRUE(cid.ok());
  ObjectId z = MustParse("Z" + cid->ToString());
  EXPECT_EQ(MustReadAll(om_, z), data);
  auto r = om_.Open(z);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Length(), static_cast<int64_t>(data.size()));

  // `D` changes nothing; the raw object is the compressed payload itself.
  EXPECT_EQ(MustReadAll(om_, MustParse("D" + cid->ToString())), payload);

  // A Z chunk inside a list is decompressed too.
  Bytes list = ToBytes(SerializeIndirectList(
      {{0, static_cast<int64_t>(data.size()), z}, {static_cast<int64_t>(data.size()), 3,
                                                   ObjectId::Direct(*contents_.WriteContent(
                                                       ToBytes("end"), 0, 0))}}));
  auto lid = contents_.WriteContent(list, 'x', 0);
  ASSERT_TRUE(lid.ok());
  Bytes want = data;
  for (char ch : std::string("end")) want.push_back(static_cast<uint8_t>(ch));
  EXPECT_EQ(MustReadAll(om_, ObjectId::Direct(*lid).Indirect()), want);
}

TEST_F(ObjectTest, ChunkLengthMismatchIsCorruption) {
  ObjectManager om(&contents_, Fixed(1024));
  Bytes data = RandomData(1500, 19);
  ObjectId id = WriteObject(om, data);
  ASSERT_EQ(id.indirection(), 1);
  auto list = LoadIndirectList(&contents_, id.IndexObjectId());
  ASSERT_TRUE(list.ok());
  // A list claiming 1000 + 500 bytes over chunks of 1024 + 476.
  std::vector<IndirectEntry> bad = {{0, 1000, (*list)[0].object}, {1000, 500, (*list)[1].object}};
  auto lid = contents_.WriteContent(AsBytes(SerializeIndirectList(bad)), 'x', 0);
  ASSERT_TRUE(lid.ok());
  ObjectId bad_id = ObjectId::Direct(*lid).Indirect();

  auto all = om.ReadAll(bad_id);
  EXPECT_EQ(all.status().code(), StatusCode::kCorruption);
  EXPECT_NE(all.status().message().find("1024 bytes"), std::string::npos)
      << all.status().message();

  auto r = om.Open(bad_id);
  ASSERT_TRUE(r.ok());  // the list itself is well-formed
  EXPECT_EQ(r->Length(), 1500);
  uint8_t buf[10];
  EXPECT_EQ(r->Read(buf).status().code(), StatusCode::kCorruption);
}

TEST_F(ObjectTest, MalformedListsAreCorruption) {
  Bytes chunk = ToBytes("abc");
  std::string o = contents_.WriteContent(chunk, 0, 0)->ToString();
  for (std::string json : {
           std::string("not json"),
           std::string("[]"),
           std::string("{\"stream\":\"kopia:indirect\"}"),
           std::string("{\"stream\":\"kopia:indirect\",\"entries\":[]}"),
           std::string("{\"entries\":null}"),
           std::string("{\"entries\":[{\"l\":3}]}"),
           "{\"entries\":[{\"l\":3,\"o\":\"IZ" + o + "\"}]}",
           "{\"entries\":[{\"s\":1,\"l\":3,\"o\":\"" + o + "\"}]}",
           "{\"entries\":[{\"l\":3,\"o\":\"" + o + "\"},{\"s\":4,\"l\":3,\"o\":\"" + o + "\"}]}",
           "{\"entries\":[{\"l\":-3,\"o\":\"" + o + "\"}]}",
           "{\"entries\":[{\"l\":\"3\",\"o\":\"" + o + "\"}]}",
           "{\"entries\":[{\"l\":18446744073709551615,\"o\":\"" + o + "\"}]}",
       }) {
    auto lid = contents_.WriteContent(AsBytes(json), 'x', 0);
    ASSERT_TRUE(lid.ok());
    ObjectId id = ObjectId::Direct(*lid).Indirect();
    auto r = om_.Open(id);
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << json;
    EXPECT_EQ(om_.ReadAll(id).status().code(), StatusCode::kCorruption) << json;
  }
  // Unknown fields and a missing `stream` are tolerated, as kopia does.
  auto lid = contents_.WriteContent(
      AsBytes("{\"entries\":[{\"l\":3,\"o\":\"" + o + "\",\"extra\":1}],\"more\":true}"), 'x', 0);
  EXPECT_EQ(MustReadAll(om_, ObjectId::Direct(*lid).Indirect()), chunk);
}

TEST_F(ObjectTest, MissingContentsAreNotFound) {
  ContentId absent = contents_.ComputeContentId(ToBytes("never written"), 0);
  EXPECT_EQ(om_.Open(ObjectId::Direct(absent)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(om_.ReadAll(ObjectId::Direct(absent)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(om_.Open(ObjectId::Direct(absent).Indirect()).status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(om_.ReadAll(ObjectId()).ok());
}

TEST_F(ObjectTest, VerifyObject) {
  Bytes data = RandomData(200000, 20);
  ObjectId id = WriteObject(om_, data);
  ASSERT_EQ(id.indirection(), 2);
  auto ids = om_.VerifyObject(id);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  // Every stored content backs this object (nothing else was written).
  EXPECT_EQ(ids->size(), contents_.content_count());
  std::vector<ContentId> sorted = *ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());

  auto direct = om_.VerifyObject(WriteObject(om_, ToBytes("x")));
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->size(), 1u);

  // Delete one data chunk: verification names it.
  auto chunks = LoadIndirectList(&contents_, id.IndexObjectId());  // reads the split list
  ASSERT_TRUE(chunks.ok());
  ContentId victim = (*chunks)[3].object.content_id();
  ASSERT_TRUE(contents_.DeleteContent(victim).ok());
  auto bad = om_.VerifyObject(id);
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_NE(bad.status().message().find(victim.ToString()), std::string::npos);
}

}  // namespace
}  // namespace ferry::object
