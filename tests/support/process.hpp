// What /proc/self and the kernel say about this process: its mappings,
// address ranges, threads and file descriptors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace pmem2::test {

inline std::size_t page() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

// Address-space entries of the kinds pmem2_map_new creates: shared
// mappings, and the anonymous read-only placeholder it reserves address
// space with. (Counting every entry is unreliable: allocators, sanitizers
// included, map memory of their own at any time.)
inline std::size_t vma_count()
{
	std::ifstream f("/proc/self/maps");
	std::size_t n = 0;
	for (std::string l; std::getline(f, l);) {
		char perms[5] = {0};
		unsigned long inode = 0;
		char path[2] = {0};
		int fields = std::sscanf(l.c_str(), "%*s %4s %*s %*s %lu %1s", perms, &inode, path);
		bool anon = fields < 3 && inode == 0;
		if (perms[3] == 's' || (anon && std::string(perms) == "r--p"))
			++n;
	}
	return n;
}

// True when some mapping of this process is backed by `path`.
inline bool is_mapped(const std::string &path)
{
	std::ifstream f("/proc/self/maps");
	for (std::string l; std::getline(f, l);)
		if (l.find(path) != std::string::npos)
			return true;
	return false;
}

// True when nothing at all is mapped in [addr, addr+len).
inline bool range_free(const void *addr, std::size_t len)
{
	void *p = ::mmap(const_cast<void *>(addr), len, PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	::munmap(p, len);
	return p == addr;
}

// Protection string ("rw-p", "---p", ...) of the mapping holding `addr`, "" if none.
inline std::string prot_at(const void *addr)
{
	std::ifstream f("/proc/self/maps");
	const auto a = reinterpret_cast<std::uintptr_t>(addr);
	for (std::string l; std::getline(f, l);) {
		std::uintptr_t lo = 0, hi = 0;
		char perms[8] = {};
		if (std::sscanf(l.c_str(), "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi)
			return perms;
	}
	return "";
}

// Address space of `len` bytes that was free a moment ago.
inline char *free_address(std::size_t len)
{
	void *p = ::mmap(nullptr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		std::abort();
	::munmap(p, len);
	return static_cast<char *>(p);
}

// Threads of this process.
inline int thread_count()
{
	int n = 0;
	if (DIR *d = ::opendir("/proc/self/task")) {
		while (dirent *e = ::readdir(d))
			if (e->d_name[0] != '.')
				++n;
		::closedir(d);
	}
	return n;
}

inline bool fd_is_open(int fd)
{
	return ::fcntl(fd, F_GETFD) != -1;
}

} // namespace pmem2::test
