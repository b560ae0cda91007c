// The repository's format parameters: the inner, encrypted part of kopia.repository
// (kopia-format.md §2.3). Chosen at creation; hash, encryption and splitter never change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::format {

inline constexpr int kFormatVersion = 3;
inline constexpr int64_t kDefaultMaxPackSize = 20 << 20;
inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

// epochParameters: PascalCase keys, durations in nanoseconds (§2.3).
struct EpochParameters {
  bool enabled = true;
  int64_t epoch_refresh_frequency_ns = 20 * 60 * kNanosPerSecond;
  int64_t full_checkpoint_frequency = 7;
  int64_t cleanup_safety_margin_ns = 4 * 3600 * kNanosPerSecond;
  int64_t min_epoch_duration_ns = 24 * 3600 * kNanosPerSecond;
  int64_t epoch_advance_on_count_threshold = 20;
  int64_t epoch_advance_on_total_size_bytes_threshold = 10 << 20;
  int64_t delete_parallelism = 4;
};

struct RequiredFeature {
  std::string feature;
  bool warn = false;
  std::string message;
};

struct RepositoryConfig {
  std::string hash;
  std::string encryption;
  std::string ecc;
  int64_t ecc_overhead_percent = 0;
  Bytes secret;      // the HMAC key of content hashes
  Bytes master_key;  // root of every encryption key
  int version = kFormatVersion;
  int64_t max_pack_size = kDefaultMaxPackSize;
  int index_version = 2;
  EpochParameters epoch;
  bool enable_password_change = true;
  std::string splitter;
  // Kept as JSON text so that a lock or feature list placed by kopia survives a rewrite by ferry.
  std::string upgrade_lock_json;  // empty when absent
  std::vector<RequiredFeature> required_features;

  // Sanity rules of §2.3 (pack size range, epoch parameter rules, version range).
  Status Validate() const;
};

// {"format":{...}} exactly as kopia emits it (compact, kopia's field order).
std::string SerializeRepositoryConfig(const RepositoryConfig& config);
// Accepts kopia's output; applies kopia's defaults (indexVersion 0→1, maxPackSize 0→20 MiB,
// splitter ""→"FIXED"); unknown versions are Status::Unsupported.
Result<RepositoryConfig> ParseRepositoryConfig(std::string_view json);

}  // namespace ferry::format
