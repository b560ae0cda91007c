#include "content/index_view.h"

#include <algorithm>
#include <cstring>

namespace ferry::content {

namespace {

uint32_t U16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t U24(const uint8_t* p) { return uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2]; }
uint32_t U32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

constexpr size_t kV1HeaderSize = 8;
constexpr size_t kV2HeaderSize = 17;
constexpr uint32_t kEncryptionOverhead = 28;  // v1 has no original length: packed − overhead

// Bloom filter bits per entry of an in-memory view (~1 % false positives) and of a spilled one
// (~0.4 %), and the size of the blocks a spilled view reads back.
constexpr size_t kFilterBits = 10;
constexpr size_t kSpilledFilterBits = 12;
constexpr size_t kSpillBlockBytes = 4096;

// A 64-bit mix of an index key (prefix byte and hash). Content hashes are already uniform, but
// the key's first byte is a prefix, and short hashes exist.
uint64_t KeyHash(const uint8_t* key, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, key + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  for (; i < n; ++i) h = (h ^ key[i]) * 0x100000001b3ull;
  h ^= h >> 29;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 32;
  return h;
}

// The filter is a split-block Bloom filter: a key picks one 512-bit block (one cache line,
// from the hash's low half) and sets one bit in each of its eight 64-bit words (from the high
// half times eight odd constants, Parquet's SBBF salts). One memory access per lookup, as with
// one-word blocks, but ~0.4 % false positives at 12 bits per entry where a 6-bit mask in a
// single word needed 16 (measured: index_test).
constexpr uint32_t kFilterSalts[8] = {0x47b6137bu, 0x44974d91u, 0x8824ad5bu, 0xa2b7289du,
                                      0x705495c7u, 0x2df1424bu, 0x9efc4947u, 0x5c6bfb31u};

size_t FilterBlockIndex(uint64_t h, size_t blocks) { return size_t((h & 0xffffffffull) * blocks >> 32); }

uint64_t FilterBit(uint64_t h, int word) {
  return uint64_t{1} << ((uint32_t(h >> 32) * kFilterSalts[word]) >> 26);
}

}  // namespace

Result<std::shared_ptr<const IndexView>> IndexView::Parse(Bytes data, std::string name,
                                                         std::shared_ptr<IndexSpillFile> spill) {
  std::shared_ptr<IndexView> v(new IndexView());
  v->data_ = std::move(data);
  FERRY_RETURN_IF_ERROR(v->Load(v->data_, std::move(name), spill));
  return std::shared_ptr<const IndexView>(std::move(v));
}

Result<std::shared_ptr<const IndexView>> IndexView::ParseCopy(ByteView data, std::string name,
                                                             std::shared_ptr<IndexSpillFile> spill) {
  std::shared_ptr<IndexView> v(new IndexView());
  FERRY_RETURN_IF_ERROR(v->Load(data, std::move(name), spill));
  if (!v->spill_) v->data_.assign(data.begin(), data.end());  // kept whole after all
  return std::shared_ptr<const IndexView>(std::move(v));
}

// `src` is the whole blob: data_ itself, or the caller's bytes (ParseCopy), which a spilled view
// never needs again (Spill copies what it keeps).
Status IndexView::Load(ByteView src, std::string name, const std::shared_ptr<IndexSpillFile>& spill) {
  blob_size_ = src.size();
  name_ = std::move(name);
  FERRY_RETURN_IF_ERROR(Validate(src));
  const bool spilling = spill && count_ > 0 && count_ >= spill->min_entries() && CanSpill(src);
  // A spilled view's false positive costs a block read, not a binary search in memory.
  BuildFilter(src, spilling ? kSpilledFilterBits : kFilterBits);
  if (spilling && !Spill(src, spill).ok()) {
    // The view stays whole in memory: what it costs without a spill file, and still correct.
    fences_.clear();
    spill_.reset();
  }
  return Status::OK();
}

bool IndexView::CanSpill(ByteView src) const {
  const size_t end = entries_end();
  if (version_ == 2) {
    for (size_t i = 0; i < pack_count_; ++i) {
      if (U32(src.data() + packs_offset_ + i * 5 + 1) < end) return false;
    }
    return true;
  }
  if (version_ != 1) return false;
  for (size_t i = 0; i < count_; ++i) {
    if (U32(src.data() + entries_offset_ + i * stride() + key_size_ + 8) < end) return false;
  }
  return true;
}

Status IndexView::Spill(ByteView src, const std::shared_ptr<IndexSpillFile>& spill) {
  const size_t s = stride();
  const size_t end = entries_end();
  FERRY_ASSIGN_OR_RETURN(spill_offset_, spill->Append(ByteView(src.data() + entries_offset_, count_ * s)));
  block_entries_ = std::max<size_t>(1, kSpillBlockBytes / s);
  const size_t blocks = (count_ + block_entries_ - 1) / block_entries_;
  fences_.resize(blocks * key_size_);
  for (size_t b = 0; b < blocks; ++b) {
    std::memcpy(fences_.data() + b * key_size_, src.data() + entries_offset_ + b * block_entries_ * s, key_size_);
  }
  Bytes tail(src.begin() + std::ptrdiff_t(end), src.end());  // src may be data_ itself
  data_.swap(tail);
  tail_offset_ = end;
  spill_ = spill;
  return Status::OK();
}

size_t IndexView::BlockEntries(size_t block) const {
  return std::min(block_entries_, count_ - block * block_entries_);
}

Status IndexView::ReadBlock(size_t block, uint8_t* out) const {
  Status s = spill_->ReadAt(spill_offset_ + uint64_t(block) * block_entries_ * stride(),
                            MutableByteView(out, BlockEntries(block) * stride()));
  return s.WithContext("reading index blob " + name_ + " back");
}

Status IndexView::Validate(ByteView src) {
  auto corrupt = [this](const std::string& what) {
    return Status::Corruption("index blob " + name_ + " is corrupt: " + what);
  };
  if (src.empty()) return corrupt("empty");
  version_ = src[0];
  const uint8_t* d = src.data();
  if (version_ == 1) {
    if (src.size() < kV1HeaderSize) return corrupt("short header");
    key_size_ = d[1];
    value_size_ = U16(d + 2);
    count_ = U32(d + 4);
    entries_offset_ = kV1HeaderSize;
    if (key_size_ == 255 && count_ == 0) return Status::OK();  // kopia's empty v1 index
    if (key_size_ <= 1) return corrupt("invalid key size");
    if (value_size_ != 20) return corrupt("invalid value size");
  } else if (version_ == 2) {
    if (src.size() < kV2HeaderSize) return corrupt("short header");
    key_size_ = d[1];
    value_size_ = U16(d + 2);
    count_ = U32(d + 4);
    pack_count_ = U32(d + 8);
    format_count_ = d[12];
    base_timestamp_ = U32(d + 13);
    entries_offset_ = kV2HeaderSize;
    if (key_size_ <= 1) return corrupt("invalid key size");
    if (value_size_ < 16 || value_size_ > 19 || key_size_ + value_size_ > 256) {
      return corrupt("invalid entry size");
    }
  } else {
    return corrupt("unknown index version " + std::to_string(version_));
  }
  uint64_t entries_end = uint64_t(entries_offset_) + uint64_t(count_) * (key_size_ + value_size_);
  if (entries_end > src.size()) return corrupt("truncated entries");
  if (version_ == 2) {
    packs_offset_ = size_t(entries_end);
    uint64_t packs_end = entries_end + uint64_t(pack_count_) * 5;
    formats_offset_ = size_t(packs_end);
    uint64_t formats_end = packs_end + uint64_t(format_count_) * 6;
    if (formats_end > src.size()) return corrupt("truncated pack or format table");
    for (size_t i = 0; i < pack_count_; ++i) {
      const uint8_t* p = d + packs_offset_ + i * 5;
      if (uint64_t(U32(p + 1)) + p[0] > src.size()) return corrupt("pack name out of bounds");
    }
  }
  // Keys must be strictly ascending for binary search to be correct.
  for (size_t i = 1; i < count_; ++i) {
    const uint8_t* a = d + entries_offset_ + (i - 1) * (key_size_ + value_size_);
    if (std::memcmp(a, a + key_size_ + value_size_, key_size_) >= 0) return corrupt("entries not sorted");
  }
  return Status::OK();
}

Status IndexView::Decode(const uint8_t* e, IndexEntry* out) const {
  auto id = ContentId::FromKey(ByteView(e, key_size_));
  if (!id.ok()) return Status::Corruption("index blob " + name_ + " has an invalid content ID");
  out->id = *id;
  const uint8_t* v = e + key_size_;
  if (version_ == 1) {
    uint64_t ts = 0;
    for (int k = 0; k < 6; ++k) ts = ts << 8 | v[k];
    out->timestamp = int64_t(ts);
    out->format_version = v[6];
    size_t name_len = v[7];
    size_t name_off = U32(v + 8);
    if (name_off < tail_offset_ || name_off + name_len > blob_size_) {
      return Status::Corruption("index blob " + name_ + " has a pack name out of bounds");
    }
    out->pack_blob_id = std::string_view(reinterpret_cast<const char*>(At(name_off)), name_len);
    uint32_t word = U32(v + 12);
    out->deleted = (word & 0x80000000u) != 0;
    out->pack_offset = word & 0x7fffffffu;
    out->packed_length = U32(v + 16);
    out->original_length = out->packed_length >= kEncryptionOverhead ? out->packed_length - kEncryptionOverhead : 0;
    out->compression_header = 0;
    out->encryption_key_id = 0;
    return Status::OK();
  }
  out->timestamp = int64_t(base_timestamp_) + int64_t(U32(v));
  uint32_t word = U32(v + 4);
  out->deleted = (word & 0x80000000u) != 0;
  out->pack_offset = word & 0x7fffffffu;
  out->original_length = U24(v + 8);
  out->packed_length = U24(v + 11);
  uint32_t pack = U16(v + 14);
  size_t fmt = 0;
  if (value_size_ >= 17) fmt = v[16];
  if (value_size_ >= 18) pack |= uint32_t(v[17]) << 16;
  if (value_size_ >= 19) {
    out->original_length |= uint32_t(v[18] >> 4) << 24;
    out->packed_length |= uint32_t(v[18] & 0xf) << 24;
  }
  if (pack >= pack_count_) return Status::Corruption("index blob " + name_ + " has a pack index out of range");
  const uint8_t* p = At(packs_offset_ + pack * 5);
  out->pack_blob_id = std::string_view(reinterpret_cast<const char*>(At(U32(p + 1))), p[0]);
  if (format_count_ == 0 && fmt == 0) {
    out->compression_header = 0;
    out->format_version = 0;
    out->encryption_key_id = 0;
  } else {
    if (fmt >= format_count_) return Status::Corruption("index blob " + name_ + " has a format index out of range");
    const uint8_t* f = At(formats_offset_ + fmt * 6);
    out->compression_header = U32(f);
    out->format_version = f[4];
    out->encryption_key_id = f[5];
  }
  return Status::OK();
}

void IndexView::BuildFilter(ByteView src, size_t bits_per_entry) {
  if (count_ == 0) return;
  filter_.assign(count_ * bits_per_entry / 512 + 1, FilterBlock{});
  const size_t stride = key_size_ + value_size_;
  const uint8_t* base = src.data() + entries_offset_;
  for (size_t i = 0; i < count_; ++i) {
    uint64_t h = KeyHash(base + i * stride, key_size_);
    FilterBlock& block = filter_[FilterBlockIndex(h, filter_.size())];
    for (int w = 0; w < 8; ++w) block.word[w] |= FilterBit(h, w);
  }
}

bool IndexView::FilterMayContain(const uint8_t* key) const {
  uint64_t h = KeyHash(key, key_size_);
  const FilterBlock& block = filter_[FilterBlockIndex(h, filter_.size())];
  uint64_t missing = 0;
  for (int w = 0; w < 8; ++w) missing |= ~block.word[w] & FilterBit(h, w);
  return missing == 0;
}

bool IndexView::MayContain(const ContentId& id) const {
  if (id.key_size() != key_size_ || count_ == 0) return false;
  uint8_t key[1 + kMaxContentHashSize];
  id.WriteKey(key);
  return FilterMayContain(key);
}

Result<bool> IndexView::Find(const ContentId& id, IndexEntry* out) const {
  if (id.key_size() != key_size_ || count_ == 0) return false;
  uint8_t key[1 + kMaxContentHashSize];
  id.WriteKey(key);
  if (!FilterMayContain(key)) return false;
  size_t stride = key_size_ + value_size_;
  const uint8_t* base = nullptr;
  size_t lo = 0, hi = count_;
  if (!spill_) {
    base = data_.data() + entries_offset_;
  } else {
    // The block whose first key is the last one <= key, read back.
    const size_t blocks = fences_.size() / key_size_;
    size_t flo = 0, fhi = blocks;
    while (flo < fhi) {
      size_t mid = flo + (fhi - flo) / 2;
      if (std::memcmp(fences_.data() + mid * key_size_, key, key_size_) <= 0) flo = mid + 1;
      else fhi = mid;
    }
    if (flo == 0) return false;
    thread_local uint8_t block[kSpillBlockBytes];
    FERRY_RETURN_IF_ERROR(ReadBlock(flo - 1, block));
    base = block;
    hi = BlockEntries(flo - 1);
  }
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = std::memcmp(base + mid * stride, key, key_size_);
    if (c == 0) return Decode(base + mid * stride, out).ok();
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

Status IndexView::ForEach(const std::function<Status(const IndexEntry&)>& visit) const {
  IndexEntry e;
  if (!spill_) {
    for (size_t i = 0; i < count_; ++i) {
      FERRY_RETURN_IF_ERROR(Decode(data_.data() + entries_offset_ + i * stride(), &e));
      FERRY_RETURN_IF_ERROR(visit(e));
    }
    return Status::OK();
  }
  Bytes block(block_entries_ * stride());
  for (size_t b = 0; b * block_entries_ < count_; ++b) {
    FERRY_RETURN_IF_ERROR(ReadBlock(b, block.data()));
    for (size_t i = 0; i < BlockEntries(b); ++i) {
      FERRY_RETURN_IF_ERROR(Decode(block.data() + i * stride(), &e));
      FERRY_RETURN_IF_ERROR(visit(e));
    }
  }
  return Status::OK();
}

Result<IndexEntry> IndexView::EntryAt(size_t i) const {
  if (i >= count_) return Status::InvalidArgument("index entry out of range");
  IndexEntry e;
  if (!spill_) {
    FERRY_RETURN_IF_ERROR(Decode(data_.data() + entries_offset_ + i * stride(), &e));
    return e;
  }
  std::lock_guard<std::mutex> lock(block_cache_mu_);
  const size_t b = i / block_entries_;
  if (block_cache_index_ != b) {
    block_cache_.resize(block_entries_ * stride());
    block_cache_index_ = SIZE_MAX;
    FERRY_RETURN_IF_ERROR(ReadBlock(b, block_cache_.data()));
    block_cache_index_ = b;
  }
  FERRY_RETURN_IF_ERROR(Decode(block_cache_.data() + (i - b * block_entries_) * stride(), &e));
  return e;
}

}  // namespace ferry::content
