// Storage: the blob store underneath a repository (kopia's repo/blob). A flat map from blob ID to
// bytes with put (atomic whole-blob replace), get (whole or a byte range), delete, list by prefix
// and metadata. Storage knows nothing of what the bytes mean: packs, indexes and the format blob
// are all opaque to it.
//
// Contract for every implementation (filesystem, memory, S3, and the wrappers):
//
// * Thread-safety: all methods may be called concurrently from any number of threads.
// * Atomicity: a reader (GetBlob, ListBlobs) never observes a partially written blob; after
//   PutBlob returns OK the new bytes are visible to every later call (read-after-write).
// * Timestamps: a blob's timestamp is assigned by the store when the blob is written (file mtime,
//   S3 LastModified). Callers cannot set it; kopia relies on it for epoch advancement and garbage
//   collection safety margins.
// * Blob IDs: non-empty printable ASCII (0x21..0x7E), at most kMaxBlobIdLength characters, no
//   '/', '\', no "..", not starting with '.'. Anything else is refused with InvalidArgument before
//   an implementation sees it, so a hostile ID can never name a path outside the store.
// * Errors: NotFound (blob missing; the message names the blob ID), InvalidArgument (bad ID, bad
//   range), IOError (the OS or network failed; transient, may be retried), others as documented on
//   the method. No exception ever leaves these methods.
// * Close(): releases resources; later calls fail with Internal ("used after Close"). Wrappers
//   close what they wrap.
//
// Implementations derive from Storage and override the protected Do* methods; the public methods
// validate arguments and then forward, so every backend refuses the same inputs the same way.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::blob {

// Longest accepted blob ID. Kopia's longest IDs (pack and index blobs) are about 60 characters;
// 200 keeps every filesystem path component (ID + ".f.tmp.<16 hex>") within NAME_MAX (255).
inline constexpr size_t kMaxBlobIdLength = 200;

struct BlobMetadata {
  std::string id;
  int64_t length = 0;
  int64_t timestamp_unix_nanos = 0;  // assigned by the store (modification time)
};

struct PutOptions {
  // S3 object lock ("GOVERNANCE" / "COMPLIANCE") and period; empty/0 means no retention.
  // Stores without object lock (filesystem, memory) ignore these.
  std::string retention_mode;
  int64_t retention_period_seconds = 0;

  // The CRC-32C of the body, when the caller already has it (the content layer computes it while
  // a pack's bytes are in the CPU cache): S3 sends it as x-amz-checksum-crc32c instead of
  // reading the whole body from memory once more before sending it. The store still rejects a
  // body that does not match it (S3 answers BadDigest; the memory store checks it too).
  std::optional<uint32_t> body_crc32c;

  bool HasRetention() const { return !retention_mode.empty() || retention_period_seconds != 0; }
};

// Called once per listed blob. Returning a non-OK status stops the listing; ListBlobs then
// returns that status unchanged.
using ListCallback = std::function<Status(const BlobMetadata&)>;

// OK if `id` is a valid blob ID (see the contract above), otherwise InvalidArgument.
Status ValidateBlobId(std::string_view id);
// OK if `prefix` may be used with ListBlobs: empty, or printable ASCII without '/' and '\'.
Status ValidateBlobIdPrefix(std::string_view prefix);
// OK if (offset, length) is a well-formed request: offset >= 0 and length >= -1.
Status ValidateRange(int64_t offset, int64_t length);
// Given the blob's size, resolves a well-formed (offset, length) to the byte count to read, or
// InvalidArgument if the range reaches beyond the end of the blob.
Result<int64_t> ResolveRange(std::string_view id, int64_t blob_size, int64_t offset,
                             int64_t length);
// The NotFound status every store returns for a missing blob.
Status BlobNotFound(std::string_view id);

// A blob written in pieces, in any order, and made visible at once by Commit (atomically, like
// PutBlob): a pack can go to storage while it fills instead of waiting whole in memory.
// Write may be called from several threads at once for disjoint ranges; Commit after every
// Write has returned, once every byte of the blob has been written. Destroying a writer that
// was not committed discards what it wrote; the blob's previous content (or absence) stays.
class BlobWriter {
 public:
  BlobWriter() = default;
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;
  virtual ~BlobWriter() = default;

  // Writes `data` at byte `offset` of the blob (which is as long as the furthest byte written).
  virtual Status Write(int64_t offset, ByteView data) = 0;
  // Makes the blob visible; after OK the writer accepts no more calls. Errors as PutBlob's.
  virtual Status Commit() = 0;
};

// What DeleteStaleTemporaries removed.
struct TemporaryCleanup {
  int64_t files = 0;
  int64_t bytes = 0;
};

class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage() = default;

  // Creates or atomically replaces blob `id` with `data`. On error the previous content (or
  // absence) of the blob may remain; a failed put never leaves a partially written blob visible
  // (except through FaultInjectingStorage's deliberate torn writes).
  Status PutBlob(std::string_view id, ByteView data, const PutOptions& options = {});

  // Starts writing blob `id` in pieces (see BlobWriter). Every store supports it: by default the
  // pieces are kept in memory and PutBlob'd at Commit; stores for which streams_writes() is true
  // send them to the store as they come, so memory does not hold the blob.
  Result<std::unique_ptr<BlobWriter>> NewBlobWriter(std::string_view id, const PutOptions& options = {});
  // True when NewBlobWriter's writers do not keep the blob in memory (the filesystem store).
  virtual bool streams_writes() const { return false; }
  // True when every read is a round trip that costs far more than its bytes (object storage):
  // readers of many small ranges of one blob should rather read a larger range once.
  virtual bool small_reads_are_costly() const { return false; }

  // Reads `length` bytes starting at `offset` into *out (replacing its contents). length == -1
  // means "to the end of the blob" (so (0, -1) is the whole blob). A range that reaches past the
  // end (offset + length > size, or offset > size) is InvalidArgument: storage cannot tell whether
  // the caller or the data is wrong, layers above turn it into Corruption when the range came from
  // an index. Missing blob: NotFound naming `id`. On error *out is left empty.
  Status GetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out);
  // Convenience: the whole blob.
  Result<Bytes> GetBlob(std::string_view id);

  // Length and timestamp of one blob; NotFound if missing.
  Result<BlobMetadata> GetMetadata(std::string_view id);

  // Removes the blob. Deleting a blob that does not exist is OK (as in kopia), so deletes are
  // idempotent and safe to retry.
  Status DeleteBlob(std::string_view id);

  // Calls `callback` for every blob whose ID starts with `prefix` ("" = all), in no particular
  // order, from the calling thread. Blobs put or deleted during the listing may or may not be
  // reported. Stops at the first non-OK status from the store or the callback and returns it.
  Status ListBlobs(std::string_view prefix, const ListCallback& callback);
  // Convenience: collects the listing.
  Result<std::vector<BlobMetadata>> ListAllBlobs(std::string_view prefix);

  // Human-readable one-liner for `repository status`, e.g. "Filesystem: /backups/repo".
  virtual std::string DisplayName() const = 0;
  // What is needed to reconnect, as flat strings: always has "type" ("filesystem", "memory",
  // "s3"), plus backend keys such as "path" or "bucket". Never contains secrets.
  virtual std::map<std::string, std::string> Config() const = 0;

  // Makes every blob put so far durable (survives a power loss). Layers above call it before
  // writing a blob that refers to earlier ones (an index naming packs), which keeps the
  // "packs before index" order true on disk, not just in the page cache. Stores that are durable
  // on return of PutBlob (S3) do nothing.
  Status Sync();

  // Removes the temporary files of writes that never finished (a filesystem store's
  // "<blob>.tmp.<random>" files, left by a killed process) last modified before
  // `older_than_unix_nanos`. Listing never reports them; this gives their space back. Stores
  // whose writes are all-or-nothing (S3, memory) have none.
  Result<TemporaryCleanup> DeleteStaleTemporaries(int64_t older_than_unix_nanos);

  // Releases resources. Idempotent; every later call other than Close returns Internal.
  Status Close();

 protected:
  // Implementations: arguments are already validated (ID, prefix, offset >= 0, length >= -1,
  // out != nullptr). Must be thread-safe. DoGetBlob gets *out as the caller passed it, NOT
  // cleared (so that a reused buffer is overwritten in place, without zeroing): on success it must
  // hold exactly the requested bytes (assign, or resize and fill; never append); on error the
  // caller clears it.
  virtual Status DoPutBlob(std::string_view id, ByteView data, const PutOptions& options) = 0;
  virtual Status DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) = 0;
  virtual Result<BlobMetadata> DoGetMetadata(std::string_view id) = 0;
  virtual Status DoDeleteBlob(std::string_view id) = 0;
  virtual Status DoListBlobs(std::string_view prefix, const ListCallback& callback) = 0;
  virtual Status DoSync() { return Status::OK(); }
  // Default: a writer that collects the pieces and calls PutBlob at Commit.
  virtual Result<std::unique_ptr<BlobWriter>> DoNewBlobWriter(std::string_view id, const PutOptions& options);
  virtual Result<TemporaryCleanup> DoDeleteStaleTemporaries(int64_t /*older_than_unix_nanos*/) {
    return TemporaryCleanup{};
  }
  // Called once, by the first Close().
  virtual Status DoClose() { return Status::OK(); }

 private:
  Status CheckOpen() const;

  std::atomic<bool> closed_{false};
};

}  // namespace ferry::blob
