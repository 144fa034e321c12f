// The DSA mover's world in a test: a fake platform with one usable work
// queue, a CPU that can submit to it, and the software model of the device
// (of the queue's shape) behind its portal, set through the mover's seams
// while the object lives; and pages of anonymous memory to move.
#pragma once

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "support/dsa_model.hpp"
#include "support/fake_dsa.hpp"
#include "vdm_dml/data_mover_dml.hpp"

namespace pmem2::test {

class dsa_on_model {
public:
	fake_dsa platform;
	dsa_model model;

	explicit dsa_on_model(const fake_wq &w = {}, dsa_model::options o = {}) : model(shaped(w, o))
	{
		platform.add_device(0);
		platform.add_wq(0, 0, w);
		current() = &model;
		const dsa::cpu_features cpu{true, true};
		vdm_dml::set_sysfs_root(platform.tree.root());
		vdm_dml::set_cpu_features(&cpu);
		vdm_dml::set_portal_opener(open);
	}
	~dsa_on_model()
	{
		vdm_dml::set_sysfs_root("");
		vdm_dml::set_cpu_features(nullptr);
		vdm_dml::set_portal_opener(nullptr);
		current() = nullptr;
	}
	dsa_on_model(const dsa_on_model &) = delete;
	dsa_on_model &operator=(const dsa_on_model &) = delete;

private:
	// What the library gets as the queue's portal: the live model.
	struct model_portal : dsa::portal {
		bool submit(const dsa_hw_desc &d) noexcept override { return current()->submit(d); }
	};
	static dsa_model *&current()
	{
		static dsa_model *m = nullptr;
		return m;
	}
	static std::unique_ptr<dsa::portal> open(const dsa::work_queue &, std::string &)
	{
		return std::make_unique<model_portal>();
	}
	static dsa_model::options shaped(const fake_wq &w, dsa_model::options o)
	{
		o.dedicated = w.mode == "dedicated";
		o.size = w.size;
		return o;
	}
};

// Pages of anonymous memory, filled with `fill`.
struct anon_pages {
	std::size_t len;
	char *p;
	explicit anon_pages(std::size_t n, int fill = 0) : len(n)
	{
		p = static_cast<char *>(mmap(nullptr, n, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
		if (p == MAP_FAILED)
			std::abort();
		std::memset(p, fill, n);
	}
	~anon_pages() { munmap(p, len); }
	anon_pages(const anon_pages &) = delete;
	anon_pages &operator=(const anon_pages &) = delete;
};

} // namespace pmem2::test
