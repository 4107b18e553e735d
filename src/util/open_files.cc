#include "util/open_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <string>

#include "util/env.h"

namespace migrate {

std::vector<long> other_processes_with_open(const std::filesystem::path& path) {
  std::vector<long> pids;
  struct stat target;
  if (env().stat(path, &target) != 0) return pids;
  const std::string self = std::to_string(::getpid());
  std::error_code ec;
  for (const auto& process : std::filesystem::directory_iterator("/proc", ec)) {
    std::string pid = process.path().filename().string();
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0])) || pid == self) continue;
    std::error_code fd_ec;
    for (const auto& fd : std::filesystem::directory_iterator(process.path() / "fd", fd_ec)) {
      // stat() follows the link to the open file itself: same device and
      // inode means the same file, whatever name it was opened by.
      struct stat open_file;
      if (env().stat(fd.path(), &open_file) == 0 && open_file.st_dev == target.st_dev &&
          open_file.st_ino == target.st_ino) {
        pids.push_back(std::stol(pid));
        break;
      }
    }
  }
  return pids;
}

}  // namespace migrate
