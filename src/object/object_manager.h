// ObjectManager: the object layer's entry point (kopia's repo/object.Manager). Writes byte streams
// as objects with the repository's splitter, reads them back, concatenates objects written in
// parallel, and verifies that an object's contents exist. docs/objects.md describes the bytes.
//
// Thread-safety: every method may be called from many threads at once (the manager holds no
// mutable state); the writers and readers it returns belong to one thread each.
#pragma once

#include <memory>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "content/content_manager.h"
#include "object/object_id.h"
#include "object/object_reader.h"
#include "object/object_writer.h"
#include "splitter/splitter.h"

namespace ferry::object {

class ObjectManager {
 public:
  // `contents` must outlive the manager and everything it returns. `splitter_factory` is the
  // repository's splitter (format::RepositoryConfig::splitter); it cuts objects and their lists.
  ObjectManager(content::ContentManager* contents, splitter::SplitterFactory splitter_factory);

  std::unique_ptr<ObjectWriter> NewWriter(WriterOptions options) const;

  // One object whose bytes are the parts' bytes in order, made without reading or rewriting
  // data: its indirect list is the parts' chunk entries with shifted offsets (a direct part is
  // one entry; empty parts are left out). This lets a large file be written by several writers
  // in parallel, one segment each. The list has prefix `x`, like kopia's. One part: that part's
  // ID; only empty parts: the first; no part: InvalidArgument.
  ferry::Result<ObjectId> Concatenate(const std::vector<ObjectId>& parts) const;

  ferry::Result<ObjectReader> Open(const ObjectId& id) const;
  // The whole object in memory.
  ferry::Result<Bytes> ReadAll(const ObjectId& id) const;
  // See object_reader.h: every backing content exists; returns them.
  ferry::Result<std::vector<content::ContentId>> VerifyObject(const ObjectId& id) const;

  content::ContentManager* content_manager() const { return contents_; }

 private:
  content::ContentManager* const contents_;
  const splitter::SplitterFactory splitter_factory_;
};

}  // namespace ferry::object
