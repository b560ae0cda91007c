// ContentManager: deduplicated, compressed, encrypted contents stored in pack blobs and found
// through index blobs managed by the epoch index manager (kopia-format.md §7–§11).
//
// Writes: WriteContent hashes the plaintext (content ID = prefix + hash), returns at once if the
// ID is already known (committed or pending, and not deleted), otherwise compresses (if asked and
// if it helps), encrypts, and appends to the open pack of its class (`p` for unprefixed data, `q`
// for prefixed metadata). On a store that streams writes (filesystem), the ready beginning of a
// pack goes to the store while it fills, so a pack costs its contents in flight, not 20 MiB.
// Full packs are uploaded; every 16 384 contents in uploaded packs get an
// index blob at once (so pending entries do not pile up), and Flush() uploads the open packs and
// then writes one index blob for everything pending — packs always land before the index that
// names them.
//
// Thread-safety: every method may be called from many threads at once. Hashing, compression and
// encryption run on the calling thread, outside any lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "blob/storage.h"
#include "compression/compression.h"
#include "content/content_id.h"
#include "content/index_entry.h"
#include "crypto/encryption.h"
#include "crypto/hashing.h"
#include "format/repository_config.h"

namespace ferry::content {

// What the content layer needs to know of the repository format.
struct ContentFormat {
  const crypto::HashFunction* hash = nullptr;  // keyed with the repository secret
  const crypto::Encryptor* encryptor = nullptr;
  int format_version = 3;
  int index_version = 2;
  int64_t max_pack_size = format::kDefaultMaxPackSize;
  format::EpochParameters epoch;
  // Object-lock retention for pack and index puts (kopia.blobcfg), if any.
  blob::PutOptions put_options;
};

struct ContentInfo {
  ContentId id;
  std::string pack_blob_id;
  uint32_t pack_offset = 0;
  uint32_t packed_length = 0;
  uint32_t original_length = 0;
  int64_t timestamp = 0;
  bool deleted = false;
  uint32_t compression_header = 0;
  uint8_t format_version = 0;
};

struct ContentManagerOptions {
  std::string hostname = "ferry";
  std::string username = "ferry";
  // Unix-seconds clock for index timestamps; tests may replace it.
  std::function<int64_t()> now;
  // Read-only managers refuse writes (used while an upgrade lock is in force).
  bool read_only = false;
  // Index views of at least this many entries keep them in an unlinked file in
  // index_spill_dir ($TMPDIR or /tmp when empty) rather than in memory (IndexView); 0 = never.
  size_t index_spill_min_entries = 4096;
  std::string index_spill_dir;
};

struct ContentStats {
  uint64_t written_contents = 0;      // new contents stored by this manager
  uint64_t written_bytes = 0;         // their plaintext bytes
  uint64_t written_packed_bytes = 0;  // their stored (compressed + encrypted) bytes
  uint64_t deduplicated_contents = 0;
  uint64_t deduplicated_bytes = 0;
  uint64_t packs_written = 0;
  uint64_t index_blobs_written = 0;
};

class ContentManager {
 public:
  static Result<std::unique_ptr<ContentManager>> Open(blob::Storage* storage, ContentFormat format,
                                                      ContentManagerOptions options = {});
  virtual ~ContentManager() = default;

  // Stores `data` (deduplicated) and returns its ID. prefix is 0 or 'g'..'z'. compression is a
  // header ID or compression::kNoCompression; it is skipped when the output is not smaller.
  virtual Result<ContentId> WriteContent(ByteView data, char prefix,
                                         compression::HeaderId compression) = 0;

  // Reads, verifies (AEAD), decrypts and decompresses a content. NotFound when absent or deleted;
  // Corruption naming the pack when the stored bytes are damaged.
  virtual Status GetContent(const ContentId& id, Bytes* out) = 0;

  // The effective index entry (deleted entries above the watermark are returned with
  // deleted = true). NotFound when the ID is unknown.
  virtual Result<ContentInfo> GetContentInfo(const ContentId& id) = 0;

  // Marks a content deleted (a new index entry, written at the next Flush).
  virtual Status DeleteContent(const ContentId& id) = 0;

  // Makes a content marked deleted live again: a new index entry (same pack and offset,
  // deleted = false, a later timestamp), written at the next Flush. Maintenance undeletes
  // contents that turn out to be reachable (kopia's UndeleteContent). OK if it is not deleted.
  virtual Status UndeleteContent(const ContentId& id) = 0;

  // Copies a committed content (deleted or not, above the watermark) into a new pack of its
  // class with a new index entry (same flags, a later timestamp), so that the old pack stops
  // being referenced by it. The stored bytes are authenticated before they are copied (the
  // AEAD does not depend on the position in a pack, so they are copied as they are).
  // Maintenance's short-pack rewrite uses this (kopia's RewriteContent).
  virtual Status RewriteContent(const ContentId& id) = 0;

  // Merges the given index blobs (kopia's merge rule, deleted entries kept) into one new index
  // blob named output_prefix + hash + "-s<16 hex>-c1" (kopia's compacted-set convention) and
  // returns its ID. Entries stream through a k-way merge; memory is the input views plus the
  // output. Maintenance compacts settled epochs (xs) and ranges (xr) with it.
  virtual Result<std::string> CompactIndexBlobs(const std::vector<std::string>& blob_ids,
                                                const std::string& output_prefix) = 0;

  // The deletion watermark of the current index view (Unix seconds, 0 when none).
  virtual int64_t deletion_watermark() const = 0;

  // Uploads open packs, waits for every upload, then writes the index blob of all pending
  // entries. After OK, everything written so far is durable and visible to other clients.
  virtual Status Flush() = 0;

  // Re-reads the set of index blobs (other clients' writes become visible).
  virtual Status Refresh() = 0;

  // Visits the effective entry of every content (sorted by ID). Deleted entries only when
  // include_deleted. Pending (unflushed) entries are included.
  virtual Status IterateContents(bool include_deleted,
                                 const std::function<Status(const ContentInfo&)>& visit) = 0;

  // Computes the ID `data` would get with `prefix`, without storing anything.
  virtual ContentId ComputeContentId(ByteView data, char prefix) const = 0;

  virtual ContentStats stats() const = 0;
  // Index blobs that could not be read or decrypted at the last Refresh, with the reason. They
  // are left out of the index (what they describe is unreadable, everything else stays
  // readable); whoever deletes data (maintenance) must refuse to run while this is non-empty.
  virtual std::vector<std::pair<std::string, Status>> unreadable_index_blobs() const = 0;
  virtual const ContentFormat& format() const = 0;
  // The session ID of this manager's pack and index blobs ("s" + 16 hex + month).
  virtual const std::string& session_id() const = 0;
};

}  // namespace ferry::content
