// The read side through the binary: snapshot restore/verify/diff, ls, show, manifest list/show
// on copies of the kopia fixtures.
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/test_util.h"

namespace ferry::testing {
namespace {

const std::string kAlpha = "3d3bed13be8d01166562d0382d59c3dd";
const std::string kAlpha2 = "b2afd3645316c7c440f1ca146f2940cf";
const std::string kDisk = "5f637b4714c32e9b146d4ef682980b32";

class SnapshotReadCliTest : public ::testing::Test {
 protected:
  SnapshotReadCliTest() : dir_("snapshot-read-cli") {}

  // Copies fixture `name` and connects to the copy.
  void Connect(const std::string& name) {
    repo_ = dir_.str() + "/" + name;
    CopyFixture(name, repo_);
    Output c = RunFerry(Ferry("repository connect filesystem --path=" + repo_ +
                              " --password=static-passw0rd --override-hostname=default --override-username=default"));
    ASSERT_EQ(c.exit_code, 0) << c.text;
  }
  std::string Ferry(const std::string& args) { return "--config-file=" + dir_.str() + "/c.config " + args; }
  std::string Expected(const std::string& tree, const std::string& path, const std::string& field) {
    std::ifstream in(FixtureDir("expected") / (tree + ".manifest.jsonl"));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      if (j["path"] == path) return j[field].is_string() ? j[field].get<std::string>() : j[field].dump();
    }
    return "";
  }
  std::string Sha256Of(const std::string& ferry_args) {
    Output o = RunShell(FerryBinary() + " " + Ferry(ferry_args) + " 2>/dev/null | sha256sum");
    return o.text.substr(0, 64);
  }

  TempDir dir_;
  std::string repo_;
};

TEST_F(SnapshotReadCliTest, RestoreMatchesTheExpectedTree) {
  Connect("default");
  std::string target = dir_.str() + "/out";
  Output r = RunFerry(Ferry("snapshot restore " + kAlpha2 + " " + target + " --parallel=2"), false);
  ASSERT_EQ(r.exit_code, 0) << r.text;
  EXPECT_EQ(r.text, "Restored 46 files, 17 directories and 3 symbolic links (10.1 MB).\n");
  Output got = RunShell("python3 " + (FixtureDir("") / "tree-manifest.py").string() + " " + target + " | sort");
  Output want = RunShell("sort " + (FixtureDir("expected") / "alpha2.manifest.jsonl").string());
  if (::geteuid() == 0) {
    EXPECT_EQ(got.text, want.text);  // owners too: running as root restores them
  }

  // Again into the same place: refused without the overwrite flags, one clear line.
  Output again = RunFerry(Ferry("snapshot restore " + kAlpha2 + " " + target));
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.text, "ferry: error: " + target + " is not empty; use --overwrite-directories to restore into it\n");
  Output overwrite = RunFerry(Ferry("snapshot restore " + kAlpha2 + " " + target +
                                    " --overwrite-directories --overwrite-files --progress=json"));
  ASSERT_EQ(overwrite.exit_code, 0) << overwrite.text;
  EXPECT_NE(overwrite.text.find("{\"bytesDone\":10108903,\"totalBytes\":10108903,\"files\":46,\"errors\":0"),
            std::string::npos)
      << overwrite.text;
}

TEST_F(SnapshotReadCliTest, BlockSnapshotToASparseImage) {
  Connect("blake3-chacha-rabinkarp-zstd");
  std::string image = dir_.str() + "/disk.raw";
  Output r = RunFerry(Ferry("snapshot restore " + kDisk + " " + image + " --write-sparse-files"), false);
  ASSERT_EQ(r.exit_code, 0) << r.text;
  EXPECT_EQ(r.text, "Restored 12582912 bytes (12.6 MB) to " + image + ".\n");
  Output sha = RunShell("sha256sum " + image);
  EXPECT_EQ(sha.text.substr(0, 64), Expected("disk.img", "disk.img", "sha256"));
  Output du = RunShell("du -k " + image + " | cut -f1");
  EXPECT_LE(std::stoi(du.text), 8 * 1024 + 64) << "the two 2 MiB zero regions are holes";
}

TEST_F(SnapshotReadCliTest, LsShowAndManifests) {
  Connect("default");
  Output ls = RunFerry(Ferry("ls " + kAlpha), false);
  ASSERT_EQ(ls.exit_code, 0) << ls.text;
  EXPECT_EQ(ls.text.substr(0, ls.text.find("-leading-dash.txt")),
            "big/\ndeep/\ndonnées/\nempty-dir/\nlinks/\nperms/\nsmall/\ntext/\n");
  Output long_ls = RunFerry(Ferry("ls -l " + kAlpha + "/big"), false);
  EXPECT_EQ(long_ls.text,
            "-rw-r--r--      9437184 2022-10-11 23:59:59 UTC Ix01242d10f98d392ddc25bbea6fbd2cfb random-9m.bin\n");
  Output rec = RunFerry(Ferry("ls -r " + kAlpha + "/links"), false);
  EXPECT_EQ(rec.text, kAlpha + "/links/dangling\n" + kAlpha + "/links/to-dir\n" + kAlpha + "/links/to-file\n");

  EXPECT_EQ(Sha256Of("show " + kAlpha + "/text/lorem-300k.txt"), Expected("alpha", "text/lorem-300k.txt", "sha256"));
  Output link = RunFerry(Ferry("show " + kAlpha + "/links/to-dir"), false);
  EXPECT_EQ(link.text, "../deep/l1/l2");
  Output missing = RunFerry(Ferry("show " + kAlpha + "/text/nope.txt"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.text.find("no entry named 'nope.txt'"), std::string::npos) << missing.text;

  Output json = RunFerry(Ferry("manifest list --json"), false);
  ASSERT_EQ(json.exit_code, 0) << json.text;
  std::ifstream want(FixtureDir("").parent_path() / "default.manifests.json");
  EXPECT_EQ(nlohmann::json::parse(json.text), nlohmann::json::parse(want));
  Output list = RunFerry(Ferry("manifest list --filter=type:snapshot"), false);
  EXPECT_EQ(list.text,
            kAlpha + "        770 2026-11-27 14:27:54 UTC type:snapshot hostname:default "
                     "path:/snapshot-data-upload-download/kopia/ns1/pvc-alpha "
                     "tag:snapshot-requester:snapshot-data-upload-download tag:snapshot-uploader:kopia username:default\n" +
                kAlpha2 + "        773 2026-11-27 14:27:55 UTC type:snapshot hostname:default "
                          "path:/snapshot-data-upload-download/kopia/ns1/pvc-alpha "
                          "tag:snapshot-requester:snapshot-data-upload-download tag:snapshot-uploader:kopia "
                          "username:default\n");
  Output show = RunFerry(Ferry("manifest show 263bfae711a286b495882738a4a7eb2c"), false);
  EXPECT_EQ(show.text.substr(0, show.text.find("\n{")),
            "// id: 263bfae711a286b495882738a4a7eb2c\n// length: 214\n// modified: 2026-11-27 14:27:54 UTC\n"
            "// label type:maintenance");
  EXPECT_NE(show.text.find("\n  \"owner\": \"default@default\",\n"), std::string::npos) << show.text;
}

TEST_F(SnapshotReadCliTest, VerifyAndAFlippedByte) {
  Connect("default");
  Output ok = RunFerry(Ferry("snapshot verify --verify-files-percent=100"));
  ASSERT_EQ(ok.exit_code, 0) << ok.text;
  EXPECT_NE(ok.text.find("Processed 72 objects."), std::string::npos) << ok.text;
  // Flip one byte in the middle of the largest data pack (big/random-9m.bin's chunks live there).
  Output pack = RunShell("ls -S $(find " + repo_ + "/p -name '*.f') | head -1");
  std::string path = pack.text.substr(0, pack.text.find('\n'));
  ASSERT_FALSE(path.empty());
  ASSERT_EQ(RunShell("python3 -c \"import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); "
                     "b[len(b)//2]^=1; open(p,'wb').write(b)\" " + path).exit_code, 0);
  Output quick = RunFerry(Ferry("snapshot verify"));
  EXPECT_EQ(quick.exit_code, 0) << "the index still lists every content: " << quick.text;
  Output bad = RunFerry(Ferry("snapshot verify --verify-files-percent=100 " + kAlpha));
  EXPECT_EQ(bad.exit_code, 1) << bad.text;
  EXPECT_NE(bad.text.find("error processing " + kAlpha + "/big/random-9m.bin: error reading object Ix01242d10f98d392ddc25bbea6fbd2cfb"),
            std::string::npos)
      << bad.text;
  EXPECT_NE(bad.text.find("ferry: error: verify found"), std::string::npos) << bad.text;
}

TEST_F(SnapshotReadCliTest, DiffOfTheIncrementalPair) {
  Connect("default");
  Output d = RunFerry(Ferry("snapshot diff " + kAlpha + " " + kAlpha2), false);
  ASSERT_EQ(d.exit_code, 0) << d.text;
  EXPECT_EQ(d.text,
            "changed directory .\n"
            ". sizes differ:  10100801 10108903\n"
            "changed directory ./big\n"
            "changed ./big/random-9m.bin at 2022-10-13 00:00:00 +0000 UTC (size 9437184 -> 9437184)\n"
            "./big/random-9m.bin modification times differ:  2022-10-11 23:59:59.999999999 +0000 UTC 2022-10-13 00:00:00 +0000 UTC\n"
            "changed directory ./données\n"
            "./données sizes differ:  2046 3792\n"
            "changed ./données/résumé.txt at 2022-10-13 01:00:00.5 +0000 UTC (size 2046 -> 3792)\n"
            "./données/résumé.txt sizes differ:  2046 3792\n"
            "./données/résumé.txt modification times differ:  2022-10-12 00:00:00 +0000 UTC 2022-10-13 01:00:00.5 +0000 UTC\n"
            "changed directory ./small\n"
            "./small sizes differ:  348813 355169\n"
            "./small modification times differ:  2022-10-12 00:00:00 +0000 UTC 2022-10-13 00:00:00 +0000 UTC\n"
            "added file ./small/added-in-alpha2.txt (7356 bytes)\n"
            "removed file ./small/size-001000.txt (1000 bytes)\n");
  Output files = RunFerry(Ferry("snapshot diff --files " + kAlpha + "/big " + kAlpha2 + "/big"), false);
  EXPECT_NE(files.text.find("./random-9m.bin contents differ: "), std::string::npos) << files.text;
}

}  // namespace
}  // namespace ferry::testing
