// Scratch files: created in a directory, removed on destruction, and the
// directory tests put them in.
#pragma once

#include <cstdlib>
#include <string>
#include <fcntl.h>
#include <unistd.h>

namespace pmem2::test {

// Directory for scratch files: $PMEM2_TEST_DIR, else /tmp (ext4 or tmpfs,
// both are regular-file, page-cache backed: PAGE granularity).
inline std::string scratch_dir()
{
	const char *d = std::getenv("PMEM2_TEST_DIR");
	return d && *d ? d : "/tmp";
}

class tmpfile {
public:
	// A file of `size` bytes (sparse) in `dir`, opened O_RDWR.
	explicit tmpfile(std::size_t size, std::string dir = scratch_dir(), int flags = O_RDWR)
	{
		path_ = dir + "/pmem2-test-XXXXXX";
		fd_ = mkstemp(path_.data());
		if (fd_ < 0)
			std::abort();
		if (size && ftruncate(fd_, static_cast<off_t>(size)) != 0)
			std::abort();
		if (flags != O_RDWR) {
			::close(fd_);
			fd_ = ::open(path_.c_str(), flags);
		}
	}
	~tmpfile()
	{
		if (fd_ >= 0)
			::close(fd_);
		::unlink(path_.c_str());
	}
	tmpfile(const tmpfile &) = delete;
	tmpfile &operator=(const tmpfile &) = delete;

	int fd() const { return fd_; }
	const std::string &path() const { return path_; }

private:
	std::string path_;
	int fd_ = -1;
};

// Unambiguous with ::tmpfile from <cstdio>.
using scratch = tmpfile;

} // namespace pmem2::test
