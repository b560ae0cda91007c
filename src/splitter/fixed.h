// FIXED-* splitters: a cut every `size` bytes, nothing else (kopia's splitter_fixed.go).
#pragma once

#include <cstddef>
#include <memory>

#include "splitter/splitter.h"

namespace ferry::splitter {

std::unique_ptr<Splitter> NewFixedSplitter(size_t size);

}  // namespace ferry::splitter
