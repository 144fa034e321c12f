// A directory tree under /tmp that stands for a system's root: sysfs
// attributes, /dev nodes and links, written by the tests that fake a
// platform.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace pmem2::test {

// A directory tree under /tmp standing for a system's root (sys/, dev/),
// removed on exit. A library reads it when told to (fake_root in
// support/fake_sysfs.hpp for libpmem2; the DSA mover's own seam for its
// work queues, support/fake_dsa.hpp).
class fake_tree {
public:
	fake_tree()
	{
		std::string t = "/tmp/pmem2-sysfs-XXXXXX";
		if (::mkdtemp(t.data()) == nullptr)
			std::abort();
		root_ = t;
	}
	~fake_tree()
	{
		std::string cmd = "rm -rf '" + root_ + "'";
		if (std::system(cmd.c_str()) != 0)
			std::abort();
	}
	fake_tree(const fake_tree &) = delete;
	fake_tree &operator=(const fake_tree &) = delete;
	const std::string &root() const { return root_; }
	std::string path(const std::string &rel) const { return root_ + rel; }

	void mkdirs(const std::string &rel) const
	{
		std::string p = root_;
		std::size_t i = 1;
		while (i <= rel.size()) {
			std::size_t j = rel.find('/', i);
			if (j == std::string::npos)
				j = rel.size();
			p = root_ + rel.substr(0, j);
			::mkdir(p.c_str(), 0755);
			i = j + 1;
		}
	}
	void write(const std::string &rel, const std::string &content) const
	{
		mkdirs(rel.substr(0, rel.rfind('/')));
		std::ofstream(path(rel), std::ios::binary) << content;
	}
	// Relative-to-root link: `rel` -> `target` (target as given).
	void symlink(const std::string &target, const std::string &rel) const
	{
		mkdirs(rel.substr(0, rel.rfind('/')));
		if (::symlink(target.c_str(), path(rel).c_str()) != 0)
			std::abort();
	}

private:
	std::string root_;
};

} // namespace pmem2::test
