// FakeContentManager: the whole content::ContentManager contract in memory, for tests of the
// layers above it (objects, manifests, snapshots). Content IDs are real (a keyed hash from
// crypto/hashing.h), compression is real (compression::Compress / Decompress, skipped when it does
// not shrink the data), deduplication and deletion follow the interface's rules. Nothing is
// encrypted or packed: a content is stored as the bytes a pack would hold before encryption.
//
// Test hooks let a test look at or damage what is stored. Thread-safe like the real manager.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "content/content_manager.h"
#include "crypto/hashing.h"

namespace ferry::content {

class FakeContentManager : public ContentManager {
 public:
  // Aborts if the hash cannot be made (a test setup bug).
  explicit FakeContentManager(std::string_view hash_algorithm = "BLAKE2B-256-128",
                              std::string_view hash_key = "fake-content-manager-secret");

  ferry::Result<ContentId> WriteContent(ByteView data, char prefix,
                                        compression::HeaderId compression) override;
  Status GetContent(const ContentId& id, Bytes* out) override;
  ferry::Result<ContentInfo> GetContentInfo(const ContentId& id) override;
  Status DeleteContent(const ContentId& id) override;
  // Maintenance operations have no meaning for an in-memory fake without packs or index blobs.
  Status UndeleteContent(const ContentId&) override { return Status::Unsupported("fake content manager"); }
  Status RewriteContent(const ContentId&) override { return Status::Unsupported("fake content manager"); }
  ferry::Result<std::string> CompactIndexBlobs(const std::vector<std::string>&, const std::string&) override {
    return Status::Unsupported("fake content manager");
  }
  int64_t deletion_watermark() const override { return 0; }
  Status Flush() override;
  Status Refresh() override { return Status::OK(); }
  Status IterateContents(bool include_deleted,
                         const std::function<Status(const ContentInfo&)>& visit) override;
  ContentId ComputeContentId(ByteView data, char prefix) const override;
  ContentStats stats() const override;
  std::vector<std::pair<std::string, Status>> unreadable_index_blobs() const override { return {}; }
  const ContentFormat& format() const override { return format_; }
  const std::string& session_id() const override { return session_id_; }

  // --- test hooks ---
  // Contents stored (deleted ones included).
  size_t content_count() const;
  // Contents not deleted.
  size_t live_content_count() const;
  int flush_count() const;
  // Stores `plaintext` under `id` whatever its hash (to forge damaged or foreign contents);
  // replaces what was there and clears a deletion.
  void PutRaw(const ContentId& id, Bytes plaintext);
  // The stored bytes of a content: compression header || stream when compressed.
  ferry::Result<Bytes> StoredBytes(const ContentId& id) const;
  // The compression WriteContent was asked for when the content was first stored (the stored
  // form only records it when it helped).
  ferry::Result<compression::HeaderId> RequestedCompression(const ContentId& id) const;
  // Makes the next `count` WriteContent calls fail with IOError.
  void FailNextWrites(int count);

 private:
  struct Stored {
    Bytes bytes;  // as a pack would hold them before encryption
    uint32_t original_length = 0;
    uint32_t compression_header = 0;
    compression::HeaderId requested_compression = 0;
    bool deleted = false;
    bool pending = true;  // written since the last Flush
    int64_t timestamp = 0;
  };

  ContentInfo InfoLocked(const ContentId& id, const Stored& s) const;

  std::unique_ptr<crypto::HashFunction> hash_;
  ContentFormat format_;
  std::string session_id_ = "s0123456789abcdef-c1";

  mutable std::mutex mu_;
  std::map<ContentId, Stored> contents_;  // ordered like an index
  ContentStats stats_;
  int flushes_ = 0;
  int fail_writes_ = 0;
  int64_t clock_ = 1'700'000'000;  // each write ticks, so timestamps order writes
};

}  // namespace ferry::content
