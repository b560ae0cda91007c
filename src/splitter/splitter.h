// Object splitters (kopia-format.md §15): cut a byte stream into chunks whose boundaries are
// byte-identical to kopia's, so that ferry's and kopia's data deduplicate against each other.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::splitter {

inline constexpr std::string_view kDefaultSplitter = "DYNAMIC-4M-BUZHASH";
inline constexpr size_t kNoSplit = static_cast<size_t>(-1);

// State for one object. Not thread-safe; make one per object (per stream being split).
class Splitter {
 public:
  virtual ~Splitter() = default;

  // Feeds `data` (the next bytes of the object) and returns the number of bytes of `data` that
  // complete the current chunk (1..data.size()), or kNoSplit if the chunk continues past `data`.
  // After a split point is returned the caller feeds the remaining bytes again. The result does
  // not depend on how the stream is cut into calls.
  virtual size_t NextSplitPoint(ByteView data) = 0;

  // Back to the state at the start of an object.
  virtual void Reset() = 0;

  // The largest chunk this splitter produces (the caller's buffer size).
  virtual size_t max_segment_size() const = 0;
};

using SplitterFactory = std::function<std::unique_ptr<Splitter>()>;

// Every name kopia accepts (FIXED-*, DYNAMIC, DYNAMIC-*-BUZHASH, DYNAMIC-*-RABINKARP), kopia's order.
const std::vector<std::string>& SplitterNames();

// Unknown names are InvalidArgument with a message that lists the valid names.
Result<SplitterFactory> GetSplitterFactory(std::string_view name);

// Test helpers for the avg=1024 vectors of kopia-test-vectors.md §12.2 (not names kopia accepts).
std::unique_ptr<Splitter> NewBuzhashSplitter(size_t min_size, size_t avg_size, size_t max_size);
std::unique_ptr<Splitter> NewRabinKarpSplitter(size_t min_size, size_t avg_size, size_t max_size);

// Convenience: the chunk lengths a splitter produces for a whole buffer (last = final partial).
std::vector<size_t> SplitAll(Splitter& s, ByteView data);

}  // namespace ferry::splitter
