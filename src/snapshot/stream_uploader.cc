#include "snapshot/stream_uploader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>

#include "object/indirect_list.h"
#include "object/object_writer.h"

namespace ferry::snapshot {

namespace {

// Reads go straight into chunk buffers in aligned blocks of this size; the bytes of the last
// block that follow a chunk boundary are copied into the next chunk's buffer (half a block per
// chunk on average, an eighth of a 4 MiB chunk; a separate read buffer copied every byte).
constexpr size_t kReadBlock = 1 << 20;
// Recycled buffers kept while unused. Buffers alive at once are bounded by the chunk pool (its
// workers' chunks) plus the one each reader fills, so this is rarely reached.
constexpr size_t kMaxFreeBuffers = 4;
constexpr size_t kKeepTouched = 8 << 20;

bool IsAllZero(const uint8_t* p, size_t n) {
  // Cheap on real data: the first non-zero word ends it.
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w) return false;
  }
  for (; i < n; ++i) {
    if (p[i]) return false;
  }
  return true;
}

std::string ErrnoText(int err) { return std::strerror(err); }

// Where the next data byte at or after `offset` is, and where the data run ends, for a sparse
// file; falls back to "all data" when the filesystem cannot say.
struct Extent {
  int64_t data_start;
  int64_t data_end;
};

Extent NextExtent(int fd, int64_t offset, int64_t size) {
  off_t d = lseek(fd, offset, SEEK_DATA);
  if (d < 0) {
    if (errno == ENXIO) return {size, size};  // only a hole remains
    return {offset, size};                    // SEEK_DATA unsupported: treat all as data
  }
  off_t h = lseek(fd, d, SEEK_HOLE);
  if (h < 0) h = size;
  return {std::min<int64_t>(d, size), std::min<int64_t>(h, size)};
}

}  // namespace

StreamUploader::StreamUploader(repo::Repository* repository, WorkPool* chunk_pool,
                               UploadProgress* progress, const std::atomic<bool>* cancel)
    : repository_(repository), chunk_pool_(chunk_pool), progress_(progress), cancel_(cancel) {}

// A recycled buffer keeps the pages its longest chunk touched: with chunks of 2–8 MiB, every
// buffer would soon hold 8 MiB. Pages past kKeepTouched go back to the system (they read as zeros
// and fault in again when a long chunk needs them): the chunks in flight then cost about their
// own size.
static void ReleaseTail(ChunkBuffer* b) {
  const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  const uintptr_t base = reinterpret_cast<uintptr_t>(b->data.get());
  const uintptr_t from = (base + kKeepTouched + page - 1) & ~(page - 1);
  const uintptr_t to = (base + b->capacity) & ~(page - 1);
  if (b->capacity > kKeepTouched && to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

std::shared_ptr<ChunkBuffer> StreamUploader::TakeBuffer(size_t need, size_t recycle_capacity) {
  std::unique_ptr<ChunkBuffer> buf;
  {
    std::lock_guard<std::mutex> lock(buffers_mu_);
    for (size_t i = free_buffers_.size(); i-- > 0;) {
      if (free_buffers_[i]->capacity >= need) {
        buf = std::move(free_buffers_[i]);
        free_buffers_.erase(free_buffers_.begin() + long(i));
        break;
      }
    }
  }
  if (!buf) {
    buf = std::make_unique<ChunkBuffer>();
    buf->capacity = std::max(need, recycle_capacity);
    buf->data.reset(new uint8_t[buf->capacity]);
  }
  buf->size = 0;
  // The deleter puts the buffer back instead of freeing it (the uploader outlives its chunks).
  return std::shared_ptr<ChunkBuffer>(buf.release(), [this](ChunkBuffer* b) {
    std::lock_guard<std::mutex> lock(buffers_mu_);
    if (free_buffers_.size() < kMaxFreeBuffers) {
      ReleaseTail(b);
      free_buffers_.emplace_back(b);
    } else {
      delete b;
    }
  });
}

namespace {
// Below this size a file is not checked for holes nor given a read-ahead hint.
constexpr int64_t kSmallFileBytes = 1 << 20;
}  // namespace

Result<content::ContentId> StreamUploader::StoreChunk(ByteView chunk, compression::HeaderId compression) {
  if (!chunk.empty() && IsAllZero(chunk.data(), chunk.size())) {
    auto key = std::make_pair(chunk.size(), compression);
    {
      std::lock_guard<std::mutex> lock(zero_mu_);
      auto it = zero_chunks_.find(key);
      if (it != zero_chunks_.end()) return it->second;
    }
    FERRY_ASSIGN_OR_RETURN(content::ContentId id, repository_->contents()->WriteContent(chunk, 0, compression));
    std::lock_guard<std::mutex> lock(zero_mu_);
    zero_chunks_[key] = id;
    return id;
  }
  return repository_->contents()->WriteContent(chunk, 0, compression);
}

Result<object::ObjectId> StreamUploader::Upload(int fd, int64_t size, const StreamUploadOptions& o) {
  auto splitter = repository_->splitter_factory()();
  const size_t max_chunk = splitter->max_segment_size();
  const bool parallel = o.parallel_chunks && chunk_pool_ != nullptr;
  // Small files are read in one go: the read-ahead hint and the check for holes (one syscall
  // each) would cost more than they save (a tree of a million small files makes ~10 per file).
  const bool small = size >= 0 && size < kSmallFileBytes;
  if (!small) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  // Sparse handling only for regular files with holes.
  bool sparse = false;
  if (o.sparse && size > 0 && !small) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && int64_t(st.st_blocks) * 512 < st.st_size) sparse = true;
  }
  Extent extent{0, size < 0 ? INT64_MAX : size};
  if (sparse) extent = NextExtent(fd, 0, size);

  std::deque<object::IndirectEntry> entries;  // stable references for the chunk tasks
  TaskGroup group;
  // Room for the longest chunk: reads stop there (the splitter cuts at max_chunk at the latest).
  const size_t full_capacity = max_chunk;
  // The room a buffer needs that starts with `carried` bytes when `left` bytes remain unread
  // (left < 0: unknown).
  auto capacity_for = [&](size_t carried, int64_t left) -> size_t {
    if (left < 0) return full_capacity;
    return size_t(std::min<int64_t>(int64_t(full_capacity), int64_t(carried) + left));
  };
  auto chunk = TakeBuffer(capacity_for(0, size), full_capacity);
  thread_local Bytes carry;  // at most one read block
  int64_t offset = 0;       // bytes consumed from the source
  int64_t chunk_start = 0;  // object offset of the current chunk

  auto emit = [&](std::shared_ptr<ChunkBuffer> data) -> Status {
    entries.push_back({chunk_start, int64_t(data->size), {}});
    object::IndirectEntry* slot = &entries.back();
    chunk_start += int64_t(data->size);
    if (!parallel) {
      FERRY_ASSIGN_OR_RETURN(content::ContentId id, StoreChunk(data->view(), o.compression));
      slot->object = object::ObjectId::Direct(id);
      progress_->hashed_bytes += int64_t(data->size);
      return Status::OK();
    }
    if (group.failed()) return Status::OK();  // the error is reported by Wait()
    group.Add();
    chunk_pool_->Submit([this, data = std::move(data), slot, &group, compression = o.compression] {
      auto id = StoreChunk(data->view(), compression);
      if (id.ok()) {
        slot->object = object::ObjectId::Direct(*id);
        progress_->hashed_bytes += int64_t(data->size);
      }
      group.Done(id.status());
    });
    return Status::OK();
  };

  Status status;
  while (size < 0 || offset < size) {
    if (cancel_ && cancel_->load()) {
      status = Status::Cancelled("upload cancelled");
      break;
    }
    // The buffer holds less than one chunk (the splitter cuts at max_chunk), so there is room.
    size_t want = std::min(kReadBlock, chunk->capacity - chunk->size);
    if (size >= 0) want = size_t(std::min<int64_t>(int64_t(want), size - offset));
    uint8_t* dst = chunk->data.get() + chunk->size;
    ssize_t got;
    if (sparse && offset < extent.data_start) {
      // A hole: the zeros need not be read.
      want = size_t(std::min<int64_t>(int64_t(want), extent.data_start - offset));
      std::memset(dst, 0, want);
      got = ssize_t(want);
    } else {
      if (sparse) want = size_t(std::min<int64_t>(int64_t(want), extent.data_end - offset));
      got = pread(fd, dst, want, offset);
      if (got < 0) {
        if (errno == EINTR) continue;
        status = Status::IOError("reading " + o.description + ": " + ErrnoText(errno));
        break;
      }
      progress_->read_bytes += got;
      if (got == 0) {
        if (size >= 0) status = Status::IOError(o.description + " is shorter than expected (it changed while being read)");
        break;
      }
    }
    offset += got;
    if (sparse && offset >= extent.data_end && offset < size) extent = NextExtent(fd, offset, size);
    chunk->size += size_t(got);
    ByteView view(dst, size_t(got));
    while (!view.empty()) {
      size_t n = splitter->NextSplitPoint(view);
      if (n == splitter::kNoSplit) break;
      // The chunk ends n bytes into the new data; what follows it starts the next chunk.
      // The next buffer is taken only once the chunk pool has accepted this one (emit waits for
      // an idle worker), so that no more than one buffer per reader waits; meanwhile the bytes
      // past the boundary (less than a read block) wait in `carry`.
      size_t chunk_end = size_t(view.data() - chunk->data.get()) + n;
      size_t rest = chunk->size - chunk_end;
      carry.assign(chunk->data.get() + chunk_end, chunk->data.get() + chunk->size);
      chunk->size = chunk_end;
      status = emit(std::move(chunk));
      chunk = TakeBuffer(capacity_for(rest, size < 0 ? -1 : size - offset), full_capacity);
      if (rest > 0) std::memcpy(chunk->data.get(), carry.data(), rest);
      chunk->size = rest;
      view = ByteView(chunk->data.get(), rest);
      if (!status.ok()) break;
    }
    if (!status.ok()) break;
  }
  if (status.ok() && (chunk->size > 0 || entries.empty())) status = emit(std::move(chunk));
  Status waited = parallel ? group.Wait() : Status::OK();
  if (!status.ok()) return status;
  if (!waited.ok()) return waited;

  if (entries.size() == 1) return entries.front().object;
  std::vector<object::IndirectEntry> list(entries.begin(), entries.end());
  std::string json = object::SerializeIndirectList(list);
  object::WriterOptions wo;
  wo.prefix = 'x';
  wo.compression = 0x1101;  // zstd-fastest, kopia's metadata compression
  wo.description = "indirect list of " + o.description;
  auto writer = repository_->objects()->NewWriter(wo);
  FERRY_RETURN_IF_ERROR(writer->Write(AsBytes(json)));
  FERRY_ASSIGN_OR_RETURN(object::ObjectId list_id, writer->Result());
  return list_id.Indirect();
}

}  // namespace ferry::snapshot
