#include "object/object_writer.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace ferry::object {

ObjectWriter::ObjectWriter(content::ContentManager* contents,
                           std::unique_ptr<splitter::Splitter> splitter,
                           splitter::SplitterFactory list_splitter_factory, WriterOptions options)
    : contents_(contents),
      splitter_(std::move(splitter)),
      list_splitter_factory_(std::move(list_splitter_factory)),
      options_(std::move(options)) {}

Status ObjectWriter::Write(ByteView data) {
  if (!error_.ok()) return error_;
  if (result_.has_value()) {
    error_ = Status::Internal("object writer " + options_.description + ": Write after Result");
    return error_;
  }
  length_ += static_cast<int64_t>(data.size());
  while (!data.empty()) {
    size_t n = splitter_->NextSplitPoint(data);
    if (n == splitter::kNoSplit) {
      AppendToBuffer(data);
      break;
    }
    if (buffer_.empty()) {
      // The whole chunk is in the caller's bytes: store it from there.
      error_ = StoreChunk(data.first(n));
    } else {
      AppendToBuffer(data.first(n));
      error_ = StoreChunk(buffer_);
      buffer_.clear();  // keeps the capacity for the next chunk
    }
    if (!error_.ok()) return error_;
    data = data.subspan(n);
  }
  return Status::OK();
}

// Grows the buffer geometrically but never beyond the splitter's largest chunk, so a writer for
// a 200-byte directory does not reserve megabytes and one for a large file reserves it once.
void ObjectWriter::AppendToBuffer(ByteView data) {
  size_t needed = buffer_.size() + data.size();
  if (needed > buffer_.capacity()) {
    size_t cap = std::max(needed, buffer_.capacity() * 2);
    cap = std::max(needed, std::min(cap, splitter_->max_segment_size()));
    buffer_.reserve(cap);
  }
  buffer_.insert(buffer_.end(), data.begin(), data.end());
}

Status ObjectWriter::StoreChunk(ByteView chunk) {
  auto id = contents_->WriteContent(chunk, options_.prefix, options_.compression);
  if (!id.ok()) {
    return id.status().WithContext("writing chunk " + std::to_string(entries_.size()) + " of " +
                                   (options_.description.empty() ? "object"
                                                                 : options_.description));
  }
  int64_t start = entries_.empty() ? 0 : entries_.back().end();
  entries_.push_back(
      IndirectEntry{start, static_cast<int64_t>(chunk.size()), ObjectId::Direct(*id)});
  return Status::OK();
}

ferry::Result<ObjectId> ObjectWriter::Result() {
  if (!error_.ok()) return error_;
  if (result_.has_value()) return *result_;
  if (!buffer_.empty() || entries_.empty()) {
    // The final partial chunk; for an empty object, the one empty content.
    error_ = StoreChunk(buffer_);
    if (!error_.ok()) return error_;
    buffer_ = Bytes();  // the writer will not cut another chunk
  }
  if (entries_.size() == 1) {
    result_ = entries_.front().object;
    return *result_;
  }
  auto id = WriteIndirectObject(contents_, list_splitter_factory_, entries_, options_.prefix,
                                "LIST(" + options_.description + ")");
  if (!id.ok()) {
    error_ = id.status();
    return error_;
  }
  result_ = *id;
  return *result_;
}

ferry::Result<ObjectId> WriteIndirectObject(content::ContentManager* contents,
                                            const splitter::SplitterFactory& splitter_factory,
                                            const std::vector<IndirectEntry>& entries, char prefix,
                                            std::string_view description) {
  assert(!entries.empty());
  WriterOptions options;
  options.prefix = prefix != 0 ? prefix : kIndirectContentPrefix;
  options.compression = kMetadataCompression;
  options.description = std::string(description);
  ObjectWriter writer(contents, splitter_factory(), splitter_factory, std::move(options));

  // Streams the JSON in pieces so a list of a very large file is never held twice.
  constexpr size_t kPiece = 64 << 10;
  std::string piece = "{\"stream\":\"kopia:indirect\",\"entries\":[";
  piece.reserve(kPiece + 256);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) piece.push_back(',');
    AppendIndirectEntryJson(entries[i], &piece);
    if (piece.size() >= kPiece) {
      FERRY_RETURN_IF_ERROR(writer.Write(AsBytes(piece)));
      piece.clear();
    }
  }
  piece.append("]}\n");  // json.Encoder ends every value with a newline
  FERRY_RETURN_IF_ERROR(writer.Write(AsBytes(piece)));
  FERRY_ASSIGN_OR_RETURN(ObjectId list, writer.Result());
  return list.Indirect();
}

}  // namespace ferry::object
