#include "splitter/fixed.h"

#include <algorithm>

namespace ferry::splitter {
namespace {

class FixedSplitter final : public Splitter {
 public:
  explicit FixedSplitter(size_t size) : size_(std::max<size_t>(size, 1)) {}

  size_t NextSplitPoint(ByteView data) override {
    const size_t left = size_ - count_;  // count_ < size_ always, so left >= 1
    if (data.size() < left) {
      count_ += data.size();
      return kNoSplit;
    }
    count_ = 0;
    return left;
  }

  void Reset() override { count_ = 0; }
  size_t max_segment_size() const override { return size_; }

 private:
  const size_t size_;
  size_t count_ = 0;
};

}  // namespace

std::unique_ptr<Splitter> NewFixedSplitter(size_t size) {
  return std::make_unique<FixedSplitter>(size);
}

}  // namespace ferry::splitter
