// StreamUploader: turns the bytes of one file or block device into an object. It reads in large
// blocks, cuts chunks with the repository's splitter, and either stores each chunk on the calling
// thread or hands chunks to a chunk pool so that one big file (a whole block device) is hashed,
// compressed and encrypted on every core. The chunk boundaries are those of the sequential
// splitter, so the result is the same object ID kopia would compute.
//
// Sparse sources: holes (SEEK_HOLE/SEEK_DATA) are not read but produced as the zeros they are,
// and an all-zero chunk whose length was seen before reuses its content ID without hashing.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "compression/compression.h"
#include "object/object_id.h"
#include "repo/repository.h"
#include "snapshot/upload_progress.h"
#include "snapshot/work_pool.h"

namespace ferry::snapshot {

struct StreamUploadOptions {
  compression::HeaderId compression = compression::kNoCompression;
  // Hand chunks to the chunk pool (worth it for sources larger than a few chunks).
  bool parallel_chunks = false;
  // Skip reading holes of sparse files.
  bool sparse = true;
  std::string description;  // "FILE:/path" for error messages
};

// A chunk's bytes: read straight from the source into it, uninitialised until read (a zeroed
// vector would cost a memset of every chunk).
struct ChunkBuffer {
  std::unique_ptr<uint8_t[]> data;
  size_t size = 0;
  size_t capacity = 0;
  ByteView view() const { return {data.get(), size}; }
};

class StreamUploader {
 public:
  // chunk_pool may be null (everything on the calling thread). cancel may be null.
  StreamUploader(repo::Repository* repository, WorkPool* chunk_pool, UploadProgress* progress,
                 const std::atomic<bool>* cancel);

  // Uploads bytes [0, size) of fd; size < 0 reads until end of file. Cancelled when *cancel
  // becomes true (Status::Cancelled).
  Result<object::ObjectId> Upload(int fd, int64_t size, const StreamUploadOptions& options);

 private:
  Result<content::ContentId> StoreChunk(ByteView chunk, compression::HeaderId compression);
  // A buffer with room for `need` bytes. Buffers are recycled (allocated with `recycle_capacity`
  // room, so that any can serve any chunk, a small file's too): a fresh buffer per chunk costs a
  // page fault per 4 KiB touched (heap memory freed at the top is given back, too), which was a
  // large part of a backup's system time.
  std::shared_ptr<ChunkBuffer> TakeBuffer(size_t need, size_t recycle_capacity);

  std::mutex buffers_mu_;
  std::vector<std::unique_ptr<ChunkBuffer>> free_buffers_;  // at most kMaxFreeBuffers

  repo::Repository* repository_;
  WorkPool* chunk_pool_;
  UploadProgress* progress_;
  const std::atomic<bool>* cancel_;
  std::mutex zero_mu_;
  std::map<std::pair<size_t, compression::HeaderId>, content::ContentId> zero_chunks_;
};

}  // namespace ferry::snapshot
