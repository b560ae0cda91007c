#include "splitter/splitter.h"

#include <string>
#include <utility>

#include "splitter/fixed.h"

namespace ferry::splitter {
namespace {

struct Entry {
  std::string name;
  SplitterFactory factory;
};

// kopia's repo/splitter/splitter.go: every size from 128 KiB to 8 MiB; a dynamic splitter of size
// avg cuts between avg/2 and 2·avg; FIXED and DYNAMIC are the legacy 4 MiB names.
const std::vector<Entry>& Registry() {
  static const std::vector<Entry>* const registry = [] {
    struct Size {
      const char* label;
      size_t bytes;
    };
    static constexpr Size kSizes[] = {{"128K", 128 << 10}, {"256K", 256 << 10},
                                      {"512K", 512 << 10}, {"1M", 1 << 20},
                                      {"2M", 2 << 20},     {"4M", 4 << 20},
                                      {"8M", 8 << 20}};
    auto fixed = [](size_t size) -> SplitterFactory {
      return [size] { return NewFixedSplitter(size); };
    };
    auto buzhash = [](size_t avg) -> SplitterFactory {
      return [avg] { return NewBuzhashSplitter(avg / 2, avg, avg * 2); };
    };
    auto rabinkarp = [](size_t avg) -> SplitterFactory {
      return [avg] { return NewRabinKarpSplitter(avg / 2, avg, avg * 2); };
    };

    auto* r = new std::vector<Entry>;
    r->push_back({"FIXED", fixed(4 << 20)});
    for (const Size& s : kSizes) r->push_back({std::string("FIXED-") + s.label, fixed(s.bytes)});
    r->push_back({"DYNAMIC", buzhash(4 << 20)});
    for (const Size& s : kSizes) {
      r->push_back({std::string("DYNAMIC-") + s.label + "-BUZHASH", buzhash(s.bytes)});
    }
    for (const Size& s : kSizes) {
      r->push_back({std::string("DYNAMIC-") + s.label + "-RABINKARP", rabinkarp(s.bytes)});
    }
    return r;
  }();
  return *registry;
}

}  // namespace

const std::vector<std::string>& SplitterNames() {
  static const std::vector<std::string>* const names = [] {
    auto* v = new std::vector<std::string>;
    for (const Entry& e : Registry()) v->push_back(e.name);
    return v;
  }();
  return *names;
}

Result<SplitterFactory> GetSplitterFactory(std::string_view name) {
  for (const Entry& e : Registry()) {
    if (e.name == name) return e.factory;
  }
  std::string message = "unknown splitter \"" + std::string(name) + "\"; valid names are: ";
  bool first = true;
  for (const Entry& e : Registry()) {
    if (!first) message += ", ";
    message += e.name;
    first = false;
  }
  return Status::InvalidArgument(std::move(message));
}

std::vector<size_t> SplitAll(Splitter& s, ByteView data) {
  std::vector<size_t> lengths;
  while (!data.empty()) {
    const size_t n = s.NextSplitPoint(data);
    if (n == kNoSplit) {
      lengths.push_back(data.size());
      break;
    }
    lengths.push_back(n);
    data = data.subspan(n);
  }
  return lengths;
}

}  // namespace ferry::splitter
