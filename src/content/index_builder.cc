#include "content/index_builder.h"

#include <unordered_map>

namespace ferry::content {

namespace {

void PutU16(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void PutU24(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 16);
  p[1] = uint8_t(v >> 8);
  p[2] = uint8_t(v);
}
void PutU32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

constexpr size_t kV2HeaderSize = 17;
constexpr size_t kV1HeaderSize = 8;
constexpr size_t kV1ValueSize = 20;
constexpr uint32_t kMaxV2PackOffset = uint32_t{1} << 30;
constexpr uint32_t kMaxV2Length = uint32_t{1} << 28;

struct FormatKey {
  uint32_t compression;
  uint8_t version;
  uint8_t key_id;
  bool operator==(const FormatKey&) const = default;
};

}  // namespace

void IndexBuilder::Add(const IndexEntry& entry) {
  auto it = pack_ids_.try_emplace(std::string(entry.pack_blob_id), 0).first;
  IndexEntry e = entry;
  e.pack_blob_id = it->first;
  entries_[e.id] = e;
}

Status IndexBuilder::AppendSorted(const IndexEntry& entry) {
  if (!sorted_.empty() && !(sorted_.back().id < entry.id)) {
    return Status::InvalidArgument("index entries appended out of order at " + entry.id.ToString());
  }
  auto it = pack_ids_.try_emplace(std::string(entry.pack_blob_id), 0).first;
  sorted_.push_back(entry);
  sorted_.back().pack_blob_id = it->first;
  return Status::OK();
}

Result<Bytes> IndexBuilder::Build(int version) const {
  if (!entries_.empty() && !sorted_.empty()) {
    return Status::InvalidArgument("index builder filled both with Add and AppendSorted");
  }
  std::vector<const IndexEntry*> sorted;
  sorted.reserve(size());
  size_t key_size = 0;
  if (!entries_.empty()) key_size = entries_.begin()->first.key_size();
  if (!sorted_.empty()) key_size = sorted_.front().id.key_size();
  for (const auto& [id, e] : entries_) sorted.push_back(&e);
  for (const auto& e : sorted_) sorted.push_back(&e);
  for (const auto* e : sorted) {
    if (e->id.key_size() != key_size) {
      return Status::InvalidArgument("index entries have content IDs of different lengths");
    }
  }
  auto at = [&sorted](size_t i) { return *sorted[i]; };
  if (version == 1) return BuildV1(sorted.size(), at, 0);
  if (version == 2) return BuildV2(sorted.size(), at, 0);
  return Status::Unsupported("unsupported index version " + std::to_string(version));
}

Result<Bytes> IndexBuilder::BuildSorted(const std::vector<IndexEntry>& sorted, int version) {
  return BuildSorted(sorted.size(), [&sorted](size_t i) { return sorted[i]; }, version);
}

Result<Bytes> IndexBuilder::BuildSorted(size_t count, const std::function<IndexEntry(size_t)>& entry_at,
                                        int version, size_t spare_capacity) {
  ContentId previous;
  for (size_t i = 0; i < count; ++i) {
    const ContentId id = entry_at(i).id;
    if (i > 0 && !(previous < id)) {
      return Status::InvalidArgument("index entries not sorted by content ID at " + id.ToString());
    }
    if (i > 0 && id.key_size() != previous.key_size()) {
      return Status::InvalidArgument("index entries have content IDs of different lengths");
    }
    previous = id;
  }
  if (version == 1) return BuildV1(count, entry_at, spare_capacity);
  if (version == 2) return BuildV2(count, entry_at, spare_capacity);
  return Status::Unsupported("unsupported index version " + std::to_string(version));
}

Result<Bytes> IndexBuilder::BuildV1(size_t count, const EntryAt& entry_at, size_t spare_capacity) {
  size_t key_size = count == 0 ? 255 : entry_at(0).id.key_size();
  // Pack names in order of first use.
  std::unordered_map<std::string_view, uint32_t> name_offset;
  std::string names;
  size_t entries_end = kV1HeaderSize + count * (key_size + kV1ValueSize);
  if (count == 0) entries_end = kV1HeaderSize;
  for (size_t i = 0; i < count; ++i) {
    const IndexEntry entry = entry_at(i);
    const IndexEntry* e = &entry;
    if (e->compression_header != 0) {
      return Status::InvalidArgument("index v1 cannot record compressed content " + e->id.ToString());
    }
    if (e->pack_blob_id.size() > 255) return Status::InvalidArgument("pack blob ID too long");
    if (name_offset.try_emplace(e->pack_blob_id, uint32_t(entries_end + names.size())).second) {
      names += e->pack_blob_id;
    }
  }
  Bytes out;
  out.reserve(entries_end + names.size() + spare_capacity);
  out.resize(entries_end + names.size());
  out[0] = 1;
  out[1] = uint8_t(key_size);
  PutU16(&out[2], kV1ValueSize);
  PutU32(&out[4], uint32_t(count));
  uint8_t* p = out.data() + kV1HeaderSize;
  for (size_t i = 0; i < count; ++i) {
    const IndexEntry entry = entry_at(i);
    const IndexEntry* e = &entry;
    e->id.WriteKey(p);
    p += key_size;
    uint64_t ts = uint64_t(e->timestamp);
    for (int k = 0; k < 6; ++k) p[k] = uint8_t(ts >> (8 * (5 - k)));
    p[6] = e->format_version;
    p[7] = uint8_t(e->pack_blob_id.size());
    PutU32(p + 8, name_offset[e->pack_blob_id]);
    if (e->pack_offset >= 0x80000000u) return Status::InvalidArgument("pack offset too large");
    PutU32(p + 12, e->pack_offset | (e->deleted ? 0x80000000u : 0));
    PutU32(p + 16, e->packed_length);
    p += kV1ValueSize;
  }
  std::memcpy(p, names.data(), names.size());
  return out;
}

Result<Bytes> IndexBuilder::BuildV2(size_t count, const EntryAt& entry_at, size_t spare_capacity) {
  if (count == 0) return Status::InvalidArgument("refusing to build an empty index");
  size_t key_size = entry_at(0).id.key_size();
  std::vector<std::string_view> packs;
  std::unordered_map<std::string_view, uint32_t> pack_index;
  std::vector<FormatKey> formats;
  bool large_lengths = false;
  for (size_t i = 0; i < count; ++i) {
    const IndexEntry entry = entry_at(i);
    const IndexEntry* e = &entry;
    if (pack_index.try_emplace(e->pack_blob_id, uint32_t(packs.size())).second) {
      packs.push_back(e->pack_blob_id);
    }
    FormatKey f{e->compression_header, e->format_version, e->encryption_key_id};
    bool found = false;
    for (const auto& g : formats) found |= (g == f);
    if (!found) formats.push_back(f);
    if (e->pack_offset >= kMaxV2PackOffset) return Status::InvalidArgument("pack offset too large for index v2");
    if (e->packed_length >= kMaxV2Length || e->original_length >= kMaxV2Length) {
      return Status::InvalidArgument("content too large for index v2");
    }
    if (e->packed_length >= (1u << 24) || e->original_length >= (1u << 24)) large_lengths = true;
  }
  if (formats.size() > 255) return Status::InvalidArgument("too many content formats in one index");
  if (packs.size() > (1u << 24)) return Status::InvalidArgument("too many packs in one index");
  size_t entry_size = 16;
  if (formats.size() > 1) entry_size = 17;
  if (packs.size() > 65536) entry_size = 18;
  if (large_lengths) entry_size = 19;

  size_t entries_end = kV2HeaderSize + count * (key_size + entry_size);
  size_t packs_end = entries_end + packs.size() * 5;
  size_t formats_end = packs_end + formats.size() * 6;
  size_t total = formats_end;
  for (auto p : packs) {
    if (p.size() > 255) return Status::InvalidArgument("pack blob ID too long");
    total += p.size();
  }
  Bytes out;
  out.reserve(total + spare_capacity);
  out.resize(total, 0);
  out[0] = 2;
  out[1] = uint8_t(key_size);
  PutU16(&out[2], uint32_t(entry_size));
  PutU32(&out[4], uint32_t(count));
  PutU32(&out[8], uint32_t(packs.size()));
  out[12] = uint8_t(formats.size());
  PutU32(&out[13], 0);  // base timestamp: kopia writes 0

  uint8_t* p = out.data() + kV2HeaderSize;
  for (size_t i = 0; i < count; ++i) {
    const IndexEntry entry = entry_at(i);
    const IndexEntry* e = &entry;
    e->id.WriteKey(p);
    p += key_size;
    uint32_t pack = pack_index[e->pack_blob_id];
    uint32_t fmt = 0;
    FormatKey f{e->compression_header, e->format_version, e->encryption_key_id};
    while (!(formats[fmt] == f)) ++fmt;
    PutU32(p, uint32_t(e->timestamp));
    PutU32(p + 4, e->pack_offset | (e->deleted ? 0x80000000u : 0));
    PutU24(p + 8, e->original_length & 0xffffff);
    PutU24(p + 11, e->packed_length & 0xffffff);
    PutU16(p + 14, pack & 0xffff);
    if (entry_size >= 17) p[16] = uint8_t(fmt);
    if (entry_size >= 18) p[17] = uint8_t(pack >> 16);
    if (entry_size >= 19) {
      p[18] = uint8_t(((e->original_length >> 24) & 0xf) << 4 | ((e->packed_length >> 24) & 0xf));
    }
    p += entry_size;
  }
  size_t name_pos = formats_end;
  for (auto name : packs) {
    p[0] = uint8_t(name.size());
    PutU32(p + 1, uint32_t(name_pos));
    std::memcpy(out.data() + name_pos, name.data(), name.size());
    name_pos += name.size();
    p += 5;
  }
  for (const auto& f : formats) {
    PutU32(p, f.compression);
    p[4] = f.version;
    p[5] = f.key_id;
    p += 6;
  }
  return out;
}

}  // namespace ferry::content
