#include "object/object_manager.h"

#include <utility>

namespace ferry::object {

ObjectManager::ObjectManager(content::ContentManager* contents,
                             splitter::SplitterFactory splitter_factory)
    : contents_(contents), splitter_factory_(std::move(splitter_factory)) {}

std::unique_ptr<ObjectWriter> ObjectManager::NewWriter(WriterOptions options) const {
  return std::make_unique<ObjectWriter>(contents_, splitter_factory_(), splitter_factory_,
                                        std::move(options));
}

ferry::Result<ObjectId> ObjectManager::Concatenate(const std::vector<ObjectId>& parts) const {
  if (parts.empty()) return Status::InvalidArgument("concatenating an empty list of objects");
  if (parts.size() == 1) return parts.front();
  std::vector<IndirectEntry> entries;
  int64_t total = 0;
  for (const ObjectId& part : parts) {
    if (part.is_indirect()) {
      auto list = LoadIndirectList(contents_, part.IndexObjectId());
      if (!list.ok()) return list.status().WithContext("concatenating " + part.ToString());
      for (IndirectEntry& e : *list) {
        if (e.length == 0) continue;
        e.start = total;  // lists are contiguous (checked when loaded)
        total += e.length;
        entries.push_back(std::move(e));
      }
      continue;
    }
    // A direct object's length is its plaintext's (its index entry may count compressed bytes),
    // so read it, as kopia does; direct parts are at most one chunk.
    auto reader = ObjectReader::Open(contents_, part);
    if (!reader.ok()) return reader.status().WithContext("concatenating " + part.ToString());
    // Empty parts add nothing; leaving them out spares readers entries without an `l`.
    if (reader->Length() == 0) continue;
    entries.push_back(IndirectEntry{total, reader->Length(), part});
    total += reader->Length();
  }
  if (entries.empty()) return parts.front();  // every part was empty
  return WriteIndirectObject(contents_, splitter_factory_, entries, kIndirectContentPrefix,
                             "CONCATENATED INDEX");
}

ferry::Result<ObjectReader> ObjectManager::Open(const ObjectId& id) const {
  return ObjectReader::Open(contents_, id);
}

ferry::Result<Bytes> ObjectManager::ReadAll(const ObjectId& id) const {
  return ReadObject(contents_, id);
}

ferry::Result<std::vector<content::ContentId>> ObjectManager::VerifyObject(
    const ObjectId& id) const {
  return object::VerifyObject(contents_, id);
}

}  // namespace ferry::object
