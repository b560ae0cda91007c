// Content IDs (kopia-format.md §7): an optional prefix letter 'g'..'z' plus the content hash
// (16, 28 or 32 bytes). String form: prefix + lowercase hex. Index key form: prefix byte (0 when
// there is none) + hash bytes, which is also the sort order of index entries.
#pragma once

#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::content {

inline constexpr size_t kMaxContentHashSize = 32;

class ContentId {
 public:
  ContentId() = default;

  // prefix is 0 (none) or 'g'..'z'; hash is 1..32 bytes.
  static Result<ContentId> FromHash(char prefix, ByteView hash);
  // Parses "prefix? hex". Even length: no prefix; odd: the first character is the prefix.
  static Result<ContentId> Parse(std::string_view text);
  // From index key bytes (prefix byte or 0, then hash).
  static Result<ContentId> FromKey(ByteView key);
  // The same without checks, for key bytes ferry wrote itself with WriteKey (2..33 bytes).
  static ContentId FromWrittenKey(const uint8_t* key, size_t key_size) {
    ContentId id;
    id.prefix_ = key[0];
    id.hash_size_ = static_cast<uint8_t>(key_size - 1);
    std::memcpy(id.hash_, key + 1, key_size - 1);
    return id;
  }

  bool empty() const { return hash_size_ == 0; }
  char prefix() const { return static_cast<char>(prefix_); }
  bool has_prefix() const { return prefix_ != 0; }
  ByteView hash() const { return {hash_, hash_size_}; }
  size_t key_size() const { return size_t{1} + hash_size_; }
  // Writes key_size() bytes.
  void WriteKey(uint8_t* out) const {
    out[0] = prefix_;
    std::memcpy(out + 1, hash_, hash_size_);
  }

  std::string ToString() const;

  // The AEAD IV for a content inside a pack: the last 16 bytes of the hash (§5.1).
  ByteView PackIv() const {
    size_t n = hash_size_ < 16 ? hash_size_ : 16;
    return {hash_ + hash_size_ - n, n};
  }

  friend bool operator==(const ContentId& a, const ContentId& b) {
    return a.prefix_ == b.prefix_ && a.hash_size_ == b.hash_size_ &&
           std::memcmp(a.hash_, b.hash_, a.hash_size_) == 0;
  }
  friend std::strong_ordering operator<=>(const ContentId& a, const ContentId& b) {
    if (a.prefix_ != b.prefix_) return a.prefix_ <=> b.prefix_;
    size_t n = a.hash_size_ < b.hash_size_ ? a.hash_size_ : b.hash_size_;
    int c = std::memcmp(a.hash_, b.hash_, n);
    if (c != 0) return c <=> 0;
    return a.hash_size_ <=> b.hash_size_;
  }

  size_t HashValue() const {
    size_t h;
    std::memcpy(&h, hash_, sizeof(h) <= hash_size_ ? sizeof(h) : hash_size_);
    return h ^ prefix_;
  }

 private:
  uint8_t prefix_ = 0;
  uint8_t hash_size_ = 0;
  uint8_t hash_[kMaxContentHashSize] = {};
};

struct ContentIdHash {
  size_t operator()(const ContentId& id) const { return id.HashValue(); }
};

}  // namespace ferry::content
