#include "object/object_reader.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>
#include <utility>

#include "compression/compression.h"

namespace ferry::object {
namespace {

// Real objects nest at most a few levels (an entry is itself indirect only after unusual
// concatenations); a deeper chain means crafted data, so stop instead of exhausting the stack.
constexpr int kMaxDepth = 32;

Status TooDeep(const ObjectId& id) {
  return Status::Corruption("object " + id.ToString() + " nests more than " +
                            std::to_string(kMaxDepth) + " levels of indirect lists");
}

// The plaintext of a direct object into *out (replaced).
Status ReadDirect(content::ContentManager* contents, const ObjectId& id, Bytes* out) {
  if (id.empty()) return Status::InvalidArgument("cannot read the empty object ID");
  Status s = contents->GetContent(id.content_id(), out);
  if (!s.ok()) return s.WithContext("reading object " + id.ToString());
  if (id.compressed()) {
    Bytes plain;
    s = compression::Decompress(*out, &plain);
    if (!s.ok()) return s.WithContext("decompressing object " + id.ToString());
    out->swap(plain);
  }
  return Status::OK();
}

ferry::Result<Bytes> ReadObjectAtDepth(content::ContentManager* contents, const ObjectId& id,
                                       int depth);

ferry::Result<std::vector<IndirectEntry>> LoadListAtDepth(content::ContentManager* contents,
                                                          const ObjectId& list_id, int depth) {
  FERRY_ASSIGN_OR_RETURN(Bytes json, ReadObjectAtDepth(contents, list_id, depth + 1));
  return ParseIndirectList(json, list_id.Indirect().ToString());
}

// Reads an object fully. Used for lists and for chunks that are themselves indirect.
ferry::Result<Bytes> ReadObjectAtDepth(content::ContentManager* contents, const ObjectId& id,
                                       int depth) {
  if (depth > kMaxDepth) return TooDeep(id);
  Bytes out;
  if (!id.is_indirect()) {
    FERRY_RETURN_IF_ERROR(ReadDirect(contents, id, &out));
    return out;
  }
  FERRY_ASSIGN_OR_RETURN(auto entries, LoadListAtDepth(contents, id.IndexObjectId(), depth));
  // The list's total is only a hint until the chunks are checked: cap what it can make us reserve.
  out.reserve(static_cast<size_t>(std::min<int64_t>(entries.back().end(), int64_t{64} << 20)));
  Bytes chunk;
  for (size_t i = 0; i < entries.size(); ++i) {
    const IndirectEntry& e = entries[i];
    if (e.object.is_indirect()) {
      FERRY_ASSIGN_OR_RETURN(chunk, ReadObjectAtDepth(contents, e.object, depth + 1));
    } else {
      FERRY_RETURN_IF_ERROR(ReadDirect(contents, e.object, &chunk));
    }
    if (static_cast<int64_t>(chunk.size()) != e.length) {
      return Status::Corruption("object " + id.ToString() + ": chunk " + std::to_string(i) + " (" +
                                e.object.ToString() + ") has " + std::to_string(chunk.size()) +
                                " bytes, its indirect list says " + std::to_string(e.length));
    }
    out.insert(out.end(), chunk.begin(), chunk.end());
  }
  return out;
}

Status VerifyAtDepth(content::ContentManager* contents, const ObjectId& id, int depth,
                     std::unordered_set<content::ContentId, content::ContentIdHash>* seen,
                     std::vector<content::ContentId>* out) {
  if (depth > kMaxDepth) return TooDeep(id);
  if (id.empty()) return Status::InvalidArgument("cannot verify the empty object ID");
  if (id.is_indirect()) {
    ObjectId list_id = id.IndexObjectId();
    FERRY_RETURN_IF_ERROR(VerifyAtDepth(contents, list_id, depth + 1, seen, out));
    FERRY_ASSIGN_OR_RETURN(auto entries, LoadListAtDepth(contents, list_id, depth));
    for (const IndirectEntry& e : entries) {
      FERRY_RETURN_IF_ERROR(VerifyAtDepth(contents, e.object, depth + 1, seen, out));
    }
    return Status::OK();
  }
  const content::ContentId& cid = id.content_id();
  if (seen->contains(cid)) return Status::OK();
  auto info = contents->GetContentInfo(cid);
  if (!info.ok()) return info.status().WithContext("verifying object " + id.ToString());
  if (info->deleted) {
    return Status::NotFound("verifying object " + id.ToString() + ": content " + cid.ToString() +
                            " is deleted");
  }
  seen->insert(cid);
  out->push_back(cid);
  return Status::OK();
}

}  // namespace

ferry::Result<ObjectReader> ObjectReader::Open(content::ContentManager* contents,
                                               const ObjectId& id) {
  ObjectReader r;
  r.contents_ = contents;
  r.id_ = id;
  if (id.is_indirect()) {
    FERRY_ASSIGN_OR_RETURN(r.chunks_, LoadListAtDepth(contents, id.IndexObjectId(), 0));
    r.length_ = r.chunks_.back().end();
    return r;
  }
  FERRY_RETURN_IF_ERROR(ReadDirect(contents, id, &r.data_));
  r.length_ = static_cast<int64_t>(r.data_.size());
  r.chunks_.push_back(IndirectEntry{0, r.length_, id});
  r.loaded_ = 0;
  return r;
}

size_t ObjectReader::FindChunk(int64_t offset) const {
  // The first chunk ending after offset; zero-length chunks are skipped naturally.
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), offset,
                             [](int64_t off, const IndirectEntry& e) { return off < e.end(); });
  return static_cast<size_t>(it - chunks_.begin());
}

Status ObjectReader::LoadChunk(size_t index) {
  const IndirectEntry& e = chunks_[index];
  loaded_ = kNoChunk;
  if (e.object.is_indirect()) {
    FERRY_ASSIGN_OR_RETURN(data_, ReadObjectAtDepth(contents_, e.object, 1));
  } else {
    FERRY_RETURN_IF_ERROR(ReadDirect(contents_, e.object, &data_));
  }
  if (static_cast<int64_t>(data_.size()) != e.length) {
    return Status::Corruption("object " + id_.ToString() + ": chunk " + std::to_string(index) +
                              " (" + e.object.ToString() + ") has " +
                              std::to_string(data_.size()) + " bytes, its indirect list says " +
                              std::to_string(e.length));
  }
  loaded_ = index;
  return Status::OK();
}

ferry::Result<size_t> ObjectReader::Read(MutableByteView out) {
  size_t done = 0;
  while (done < out.size() && position_ < length_) {
    if (loaded_ == kNoChunk || position_ < chunks_[loaded_].start ||
        position_ >= chunks_[loaded_].end()) {
      FERRY_RETURN_IF_ERROR(LoadChunk(FindChunk(position_)));
    }
    const IndirectEntry& e = chunks_[loaded_];
    size_t in_chunk = static_cast<size_t>(position_ - e.start);
    size_t n = std::min(out.size() - done, data_.size() - in_chunk);
    std::memcpy(out.data() + done, data_.data() + in_chunk, n);
    done += n;
    position_ += static_cast<int64_t>(n);
  }
  return done;
}

Status ObjectReader::Seek(int64_t offset) {
  if (offset < 0) {
    return Status::InvalidArgument("seek to negative offset " + std::to_string(offset) +
                                   " in object " + id_.ToString());
  }
  position_ = offset;
  return Status::OK();
}

ferry::Result<Bytes> ReadObject(content::ContentManager* contents, const ObjectId& id) {
  return ReadObjectAtDepth(contents, id, 0);
}

ferry::Result<std::vector<IndirectEntry>> LoadIndirectList(content::ContentManager* contents,
                                                           const ObjectId& list_id) {
  return LoadListAtDepth(contents, list_id, 0);
}

ferry::Result<std::vector<content::ContentId>> VerifyObject(content::ContentManager* contents,
                                                            const ObjectId& id) {
  std::unordered_set<content::ContentId, content::ContentIdHash> seen;
  std::vector<content::ContentId> out;
  FERRY_RETURN_IF_ERROR(VerifyAtDepth(contents, id, 0, &seen, &out));
  return out;
}

}  // namespace ferry::object
