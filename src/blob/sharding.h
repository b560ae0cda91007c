// ShardingParameters: how a sharded store (filesystem) maps a blob ID to a file path, kopia's
// repo/blob/sharded. Persisted in the file `.shards` at the repository root:
//
//   {"default":[1,3],"maxNonShardedLength":20}\n
//
// IDs of at most maxNonShardedLength characters live at the root; longer ones are split into
// directories by the shard sizes of the first override whose prefix matches (else "default"):
// for each size s, stop if at most s characters remain, otherwise the next s characters become a
// directory. The file is the rest of the ID plus ".f".
//
// A plain value type; safe to share between threads once built.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace ferry::blob {

inline constexpr std::string_view kShardsFileName = ".shards";
inline constexpr std::string_view kBlobFileSuffix = ".f";

struct ShardingParameters {
  struct Override {
    std::string prefix;
    std::vector<int> shards;
  };

  std::vector<int> default_shards;
  int max_non_sharded_length = 0;
  std::vector<Override> overrides;

  // What kopia writes when creating a repository: [1,3], 20.
  static ShardingParameters Default();
  // What kopia assumes for an existing repository without `.shards`: [3,3], 20.
  static ShardingParameters Legacy();

  // Parses `.shards` the way Go's encoding/json would: keys are matched case-insensitively,
  // unknown keys are ignored, missing keys are zero (no sharding). Malformed JSON, negative or
  // zero shard sizes are Corruption.
  static Result<ShardingParameters> Parse(std::string_view json);

  // The exact bytes kopia writes (Go's json.Encoder: compact, trailing newline, "overrides"
  // omitted when empty).
  std::string ToJson() const;

  // The shard directories and the file name of blob `id`, e.g. for [1,3]:
  // "p0123456789abcdef…" -> {{"p", "012"}, "3456789abcdef….f"}.
  std::pair<std::vector<std::string>, std::string> Split(std::string_view id) const;

  // Split() joined with '/': "p/012/3456789abcdef….f", "kopia.repository.f".
  std::string RelativePath(std::string_view id) const;

  bool operator==(const ShardingParameters& other) const;

 private:
  const std::vector<int>& ShardsFor(std::string_view id) const;
};

}  // namespace ferry::blob
