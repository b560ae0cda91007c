// MemoryStorage: blobs in a map, for unit tests of the layers above storage. Timestamps come from
// a settable clock so that tests can age blobs (epoch advancement, GC safety margins) without
// sleeping.
//
// Thread-safe (a reader/writer lock around the map). Blob bytes are shared immutable buffers, so a
// put never invalidates data a concurrent get is copying.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

#include "blob/storage.h"

namespace ferry::blob {

class MemoryStorage : public Storage {
 public:
  // Returns "now" in Unix nanoseconds.
  using Clock = std::function<int64_t()>;

  // `name` only appears in DisplayName(). A null clock means the system clock.
  explicit MemoryStorage(std::string name = "memory", Clock clock = nullptr);

  // Replaces the clock used for blobs written from now on.
  void SetClock(Clock clock);
  // Sets the timestamp of an existing blob; NotFound if missing.
  Status SetBlobTimestamp(std::string_view id, int64_t timestamp_unix_nanos);

  size_t BlobCount() const;
  int64_t TotalBytes() const;

  std::string DisplayName() const override;
  std::map<std::string, std::string> Config() const override;

 protected:
  Status DoPutBlob(std::string_view id, ByteView data, const PutOptions& options) override;
  Status DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) override;
  Result<BlobMetadata> DoGetMetadata(std::string_view id) override;
  Status DoDeleteBlob(std::string_view id) override;
  Status DoListBlobs(std::string_view prefix, const ListCallback& callback) override;

 private:
  struct Entry {
    std::shared_ptr<const Bytes> data;
    int64_t timestamp = 0;
  };

  int64_t Now() const;

  const std::string name_;
  mutable std::shared_mutex mu_;
  Clock clock_;                                      // guarded by mu_
  std::map<std::string, Entry, std::less<>> blobs_;  // guarded by mu_
};

}  // namespace ferry::blob
