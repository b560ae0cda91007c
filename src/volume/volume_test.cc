#include "volume/volume.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "cli/test_util.h"
#include "volume/quantity.h"

namespace ferry::volume {
namespace {

namespace fs = std::filesystem;
using ferry::testing::RunShell;
using ferry::testing::TempDir;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(s.data() + i, &v, std::min<size_t>(8, n - i));
  }
  return s;
}

void WriteFile(const fs::path& p, const std::string& data, mode_t mode = 0644) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
  ::chmod(p.c_str(), mode);
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void SetMtime(const fs::path& p, int64_t sec, long nsec) {
  timespec ts[2] = {{sec, nsec}, {sec, nsec}};
  ::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

void MakeVolume(const fs::path& root) {
  WriteFile(root / "data" / "big.bin", RandomBytes(1 << 20, 1));
  WriteFile(root / "data" / "ro.txt", "read only", 0444);
  WriteFile(root / "secret", "s", 0600);
  WriteFile(root / "empty", "");
  fs::create_directories(root / "empty-dir");
  fs::create_symlink("data/big.bin", root / "link");
  // A sparse file: 4 MiB with data only at the end.
  {
    int fd = ::open((root / "sparse.img").c_str(), O_WRONLY | O_CREAT, 0640);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "end", 3, (4 << 20) - 3), 3);
    ::close(fd);
  }
  SetMtime(root / "data" / "ro.txt", 1600000000, 123456789);
  SetMtime(root / "link", 1500000000, 1);
  SetMtime(root / "data", 1400000000, 5);
  ::chmod((root / "empty-dir").c_str(), 0750);
}

// Same names, types, sizes, contents, modes, mtimes (and owners) everywhere.
void ExpectSameTree(const fs::path& a, const fs::path& b) {
  auto diff = RunShell("diff -r --no-dereference '" + a.string() + "' '" + b.string() + "'");
  EXPECT_EQ(diff.exit_code, 0) << diff.text;
  auto listing = [](const fs::path& root) {
    return RunShell("cd '" + root.string() + "' && find . -printf '%p %y %m %U:%G %s %T@ %l\\n' | sort").text;
  };
  EXPECT_EQ(listing(a), listing(b));
}

int64_t AllocatedBytes(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? int64_t(st.st_blocks) * 512 : -1;
}

// --- quantities ------------------------------------------------------------------------------

TEST(QuantityTest, ParsesKubernetesQuantities) {
  EXPECT_EQ(ParseQuantity("10Gi").value(), int64_t(10) << 30);
  EXPECT_EQ(ParseQuantity("500Mi").value(), int64_t(500) << 20);
  EXPECT_EQ(ParseQuantity("1.5Ti").value(), int64_t(3) << 39);
  EXPECT_EQ(ParseQuantity("1Ki").value(), 1024);
  EXPECT_EQ(ParseQuantity("100G").value(), int64_t(100'000'000'000));
  EXPECT_EQ(ParseQuantity("1k").value(), 1000);
  EXPECT_EQ(ParseQuantity("128974848").value(), 128974848);
  EXPECT_EQ(ParseQuantity("1e9").value(), 1'000'000'000);
  EXPECT_EQ(ParseQuantity("12E-1").value(), 2);  // 1.2 bytes rounds up
  EXPECT_EQ(ParseQuantity("1500m").value(), 2);
  EXPECT_EQ(ParseQuantity("0.5Ki").value(), 512);
  EXPECT_EQ(ParseQuantity(" 1Mi ").value(), 1 << 20);
  EXPECT_EQ(ParseQuantity("0").value(), 0);
  for (const char* bad : {"", "Gi", "10GiB", "10gi", "-1Gi", "1..5", "8Ei", "1e99", "ten"}) {
    auto r = ParseQuantity(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(QuantityTest, FormatsWithTheLargestExactBinarySuffix) {
  EXPECT_EQ(FormatQuantity(int64_t(10) << 30), "10Gi");
  EXPECT_EQ(FormatQuantity(int64_t(1536) << 20), "1536Mi");
  EXPECT_EQ(FormatQuantity(1000), "1000");
  EXPECT_EQ(FormatQuantity(0), "0");
  EXPECT_EQ(ParseQuantity(FormatQuantity(int64_t(7) << 40)).value(), int64_t(7) << 40);
}

TEST(VolumeModeTest, ParsesKubernetesNames) {
  EXPECT_EQ(ParseVolumeMode("Block").value(), VolumeMode::kBlock);
  EXPECT_EQ(ParseVolumeMode("Filesystem").value(), VolumeMode::kFilesystem);
  EXPECT_EQ(ParseVolumeMode("").value(), VolumeMode::kFilesystem);
  EXPECT_FALSE(ParseVolumeMode("block").ok());
}

// --- snapshot drivers ----------------------------------------------------------------------

TEST(SnapshotTest, CopyIsAFaithfulIndependentCopy) {
  TempDir dir("volume-copy");
  fs::path volume = dir.path() / "volume";
  MakeVolume(volume);
  auto h = TakeSnapshot(kCopyDriver, volume.string(), VolumeMode::kFilesystem, (dir.path() / "snaps").string(), "s1");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->path, (dir.path() / "snaps" / "s1").string());
  EXPECT_TRUE(h->owns_copy);
  EXPECT_EQ(h->size_bytes, (1 << 20) + 9 + 1 + (4 << 20));
  ExpectSameTree(volume, h->path);
  EXPECT_LT(AllocatedBytes(fs::path(h->path) / "sparse.img"), 1 << 20);  // holes stay holes
  // Point in time: later writes to the volume do not reach the snapshot.
  WriteFile(volume / "secret", "changed", 0600);
  EXPECT_EQ(ReadFile(fs::path(h->path) / "secret"), "s");
  // A second snapshot with the same name is refused; the first is untouched.
  auto again = TakeSnapshot(kCopyDriver, volume.string(), VolumeMode::kFilesystem, (dir.path() / "snaps").string(), "s1");
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(fs::exists(fs::path(h->path) / "secret"));
  ASSERT_TRUE(DeleteSnapshot(*h).ok());
  EXPECT_FALSE(fs::exists(h->path));
  EXPECT_TRUE(fs::exists(volume / "secret"));
}

TEST(SnapshotTest, LiveIsTheVolumeItselfAndIsNeverDeleted) {
  TempDir dir("volume-live");
  fs::path volume = dir.path() / "volume";
  MakeVolume(volume);
  auto h = TakeSnapshot(kLiveDriver, volume.string(), VolumeMode::kFilesystem, (dir.path() / "snaps").string(), "s1");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->path, volume.string());
  EXPECT_FALSE(h->owns_copy);
  EXPECT_FALSE(fs::exists(dir.path() / "snaps"));
  ASSERT_TRUE(DeleteSnapshot(*h).ok());
  EXPECT_TRUE(fs::exists(volume / "data" / "big.bin"));
  // Even a handle claiming to own the volume's path does not delete it.
  SnapshotHandle forged = *h;
  forged.owns_copy = true;
  forged.driver = std::string(kCopyDriver);
  EXPECT_FALSE(DeleteSnapshot(forged).ok());
  EXPECT_TRUE(fs::exists(volume / "data" / "big.bin"));
}

TEST(SnapshotTest, CopyOfABlockImageIsSparse) {
  TempDir dir("volume-block-copy");
  fs::path image = dir.path() / "disk.img";
  std::string data = RandomBytes(8 << 20, 3);
  std::memset(data.data() + (2 << 20), 0, 4 << 20);
  WriteFile(image, data);  // written in full: no holes in the source
  auto h = TakeSnapshot(kCopyDriver, image.string(), VolumeMode::kBlock, (dir.path() / "snaps").string(), "disk");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->size_bytes, int64_t(data.size()));
  EXPECT_EQ(ReadFile(h->path), data);
  // The source's zeros were written; an image copy only keeps holes the source had.
  EXPECT_GE(AllocatedBytes(h->path), 4 << 20);
  ASSERT_TRUE(DeleteSnapshot(*h).ok());
  EXPECT_FALSE(fs::exists(h->path));
}

TEST(SnapshotTest, ErrorsNameTheProblem) {
  TempDir dir("volume-errors");
  fs::path volume = dir.path() / "volume";
  MakeVolume(volume);
  std::string snaps = (dir.path() / "snaps").string();
  auto unknown = TakeSnapshot("csi.example.com", volume.string(), VolumeMode::kFilesystem, snaps, "s");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("ferry.local/copy"), std::string::npos);
  auto missing = TakeSnapshot(kCopyDriver, (dir.path() / "nope").string(), VolumeMode::kFilesystem, snaps, "s");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto not_block = TakeSnapshot(kCopyDriver, volume.string(), VolumeMode::kBlock, snaps, "s");
  EXPECT_EQ(not_block.status().code(), StatusCode::kInvalidArgument);
  auto bad_name = TakeSnapshot(kCopyDriver, volume.string(), VolumeMode::kFilesystem, snaps, "../escape");
  EXPECT_EQ(bad_name.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir.path() / "escape"));
}

TEST(SnapshotTest, ReflinkOnAFilesystemWithoutItSaysWhichFilesystem) {
  TempDir dir("volume-noreflink");
  std::string type = FilesystemTypeName(dir.path().string());
  if (type == "xfs" || type == "btrfs") GTEST_SKIP() << "the test directory is on " << type;
  fs::path volume = dir.path() / "volume";
  MakeVolume(volume);
  auto h = TakeSnapshot(kReflinkDriver, volume.string(), VolumeMode::kFilesystem, (dir.path() / "snaps").string(), "s");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("reflink snapshots need XFS (reflink=1) or btrfs; " + volume.string() +
                                      " is on " + type),
            std::string::npos)
      << h.status().message();
  EXPECT_FALSE(fs::exists(dir.path() / "snaps" / "s"));
}

// Root, a loop device and mkfs.xfs: a real XFS filesystem with reflink, mounted for the test.
class XfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (losetup, mount)";
    if (RunShell("command -v mkfs.xfs && command -v losetup").exit_code != 0) GTEST_SKIP() << "xfsprogs or losetup missing";
    image_ = dir_.path() / "xfs.img";
    mount_ = dir_.path() / "mnt";
    fs::create_directories(mount_);
    // 300 MiB: mkfs.xfs's minimum.
    auto out = RunShell("truncate -s 300M '" + image_.string() + "' && mkfs.xfs -q -m reflink=1 '" + image_.string() + "'");
    ASSERT_EQ(out.exit_code, 0) << out.text;
    out = RunShell("losetup --find --show '" + image_.string() + "'");
    if (out.exit_code != 0) GTEST_SKIP() << "no loop device: " << out.text;
    loop_ = out.text.substr(0, out.text.find('\n'));
    out = RunShell("mount -t xfs " + loop_ + " '" + mount_.string() + "'");
    if (out.exit_code != 0) GTEST_SKIP() << "cannot mount XFS: " << out.text;
    mounted_ = true;
  }

  void TearDown() override {
    if (mounted_) {
      EXPECT_EQ(RunShell("umount '" + mount_.string() + "'").exit_code, 0);
    }
    if (!loop_.empty()) {
      EXPECT_EQ(RunShell("losetup -d " + loop_).exit_code, 0);
    }
  }

  TempDir dir_{"volume-xfs"};
  fs::path image_, mount_;
  std::string loop_;
  bool mounted_ = false;
};

TEST_F(XfsTest, ReflinkSnapshotsShareBlocksAndArePointInTime) {
  EXPECT_EQ(FilesystemTypeName(mount_.string()), "xfs");
  fs::path volume = mount_ / "volume";
  MakeVolume(volume);
  auto h = TakeSnapshot(kReflinkDriver, volume.string(), VolumeMode::kFilesystem, (mount_ / "snaps").string(), "s1");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ExpectSameTree(volume, h->path);
  // The copy shares the volume's extents instead of duplicating them.
  auto frag = RunShell("filefrag -v '" + (fs::path(h->path) / "data" / "big.bin").string() + "'");
  EXPECT_NE(frag.text.find("shared"), std::string::npos) << frag.text;
  // Writes to the volume after the snapshot do not show in it.
  std::string original = ReadFile(volume / "data" / "big.bin");
  WriteFile(volume / "data" / "big.bin", RandomBytes(1 << 20, 99));
  EXPECT_EQ(ReadFile(fs::path(h->path) / "data" / "big.bin"), original);
  ASSERT_TRUE(DeleteSnapshot(*h).ok());
  EXPECT_FALSE(fs::exists(h->path));
}

TEST_F(XfsTest, ReflinkOfABlockImageFile) {
  fs::path image = mount_ / "disk.img";
  std::string data = RandomBytes(6 << 20, 4);
  WriteFile(image, data);
  auto h = TakeSnapshot(kReflinkDriver, image.string(), VolumeMode::kBlock, (mount_ / "snaps").string(), "disk.img");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->size_bytes, int64_t(data.size()));
  WriteFile(image, RandomBytes(6 << 20, 5));
  EXPECT_EQ(ReadFile(h->path), data);
  ASSERT_TRUE(DeleteSnapshot(*h).ok());
}

TEST_F(XfsTest, ReflinkOfABlockDeviceIsRefusedWithTheAlternative) {
  auto h = TakeSnapshot(kReflinkDriver, loop_, VolumeMode::kBlock, (mount_ / "snaps").string(), "dev.img");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("use ferry.local/copy"), std::string::npos) << h.status().message();
}

// A real block device (a loop device over an image) as a Block volume, snapshot by copy.
TEST(BlockDeviceTest, CopySnapshotOfALoopDevice) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (losetup)";
  TempDir dir("volume-loop");
  fs::path image = dir.path() / "backing.img";
  std::string data = RandomBytes(4 << 20, 6);
  std::memset(data.data(), 0, 1 << 20);  // a zero first MiB becomes a hole in the snapshot
  WriteFile(image, data);
  auto out = RunShell("losetup --find --show '" + image.string() + "'");
  if (out.exit_code != 0) GTEST_SKIP() << "no loop device: " << out.text;
  std::string loop = out.text.substr(0, out.text.find('\n'));
  struct Detach {
    std::string dev;
    ~Detach() { RunShell("losetup -d " + dev); }
  } detach{loop};
  EXPECT_EQ(BlockVolumeSize(loop).value(), int64_t(data.size()));
  auto h = TakeSnapshot(kCopyDriver, loop, VolumeMode::kBlock, (dir.path() / "snaps").string(), "pvc.img");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->size_bytes, int64_t(data.size()));
  EXPECT_EQ(ReadFile(h->path), data);
  EXPECT_LE(AllocatedBytes(h->path), 3 << 20);
  // The device's later writes do not reach the snapshot.
  ASSERT_EQ(RunShell("dd if=/dev/urandom of=" + loop + " bs=1M count=1 conv=fsync status=none").exit_code, 0);
  EXPECT_EQ(ReadFile(h->path), data);
  ASSERT_TRUE(DeleteSnapshot(*h).ok());
}

// --- provisioner -----------------------------------------------------------------------------

TEST(ProvisionTest, DirectoriesAndSparseImages) {
  TempDir dir("volume-provision");
  std::string root = (dir.path() / "volumes").string();
  auto fsvol = Provision(root, "pvc-a", VolumeMode::kFilesystem, int64_t(1) << 30);
  ASSERT_TRUE(fsvol.ok()) << fsvol.status().ToString();
  EXPECT_TRUE(fs::is_directory(fsvol->path));
  EXPECT_TRUE(fs::is_empty(fsvol->path));
  auto block = Provision(root, "pvc-b", VolumeMode::kBlock, ParseQuantity("1Gi").value());
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  EXPECT_EQ(int64_t(fs::file_size(block->path)), int64_t(1) << 30);
  EXPECT_LT(AllocatedBytes(block->path), 1 << 20);  // sparse
  EXPECT_EQ(BlockVolumeSize(block->path).value(), int64_t(1) << 30);
  EXPECT_EQ(Provision(root, "pvc-b", VolumeMode::kBlock, 4096).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Provision(root, "pvc-c", VolumeMode::kBlock, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Provision(root, "a/b", VolumeMode::kFilesystem, 0).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(DeleteProvisioned(*fsvol).ok());
  ASSERT_TRUE(DeleteProvisioned(*block).ok());
  EXPECT_FALSE(fs::exists(fsvol->path));
  EXPECT_FALSE(fs::exists(block->path));
  EXPECT_TRUE(DeleteProvisioned(*block).ok());  // already gone
}

}  // namespace
}  // namespace ferry::volume
