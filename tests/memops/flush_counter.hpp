// A recorder that counts what the architecture's flush paths did: the lines
// flushed in order, the page syncs, the drains, the drains since the last
// flush (1 after a persist: the drain came after every flush), and the
// kernels that ran.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "memops/memops.hpp"

namespace memops_test {

struct counting : pmem2::memops::recorder {
	std::vector<const void *> flushes;
	std::vector<std::pair<const void *, std::size_t>> syncs;
	int fences = 0;
	int fences_after_last_flush = 0;
	void on_flush(const void *line) noexcept override
	{
		flushes.push_back(line);
		fences_after_last_flush = 0;
	}
	void on_nt_store(const void *, std::size_t) noexcept override {}
	void on_fence() noexcept override
	{
		++fences;
		++fences_after_last_flush;
	}
	void on_page_sync(const void *p, std::size_t n) noexcept override { syncs.emplace_back(p, n); }
	std::vector<std::string> kernels;
	void on_kernel(const char *name) noexcept override { kernels.emplace_back(name); }
	void clear()
	{
		flushes.clear();
		kernels.clear();
		syncs.clear();
		fences = fences_after_last_flush = 0;
	}
};

} // namespace memops_test
