// The DSA mover's world in a test: a fake platform with one usable work
// queue (more can be added to `platform` before a mover is made), a CPU
// that can submit to it, and the software model of the device (of the
// first queue's shape) behind every queue's portal, set through the
// mover's seams while the object lives, counting what each queue was
// sent; and pages of anonymous memory to move.
#pragma once

#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "support/dsa_model.hpp"
#include "support/fake_dsa.hpp"
#include "vdm_dml/data_mover_dml.hpp"

namespace pmem2::test {

class dsa_on_model {
public:
	fake_dsa platform;
	dsa_model model;

	explicit dsa_on_model(const fake_wq &w = {}, dsa_model::options o = {},
		dsa::cpu_features cpu = {true, true, false})
		: model(shaped(w, o))
	{
		platform.add_device(0);
		platform.add_wq(0, 0, w);
		current() = &model;
		sent().clear();
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

	// Descriptors sent through the portal of the queue named `wq`.
	static unsigned sent_to(const std::string &wq)
	{
		std::lock_guard<std::mutex> g(sent_m());
		auto it = sent().find(wq);
		return it != sent().end() ? it->second.load() : 0;
	}

private:
	// What the library gets as a queue's portal: the live model, counting.
	struct model_portal : dsa::portal {
		std::atomic<unsigned> *count;
		explicit model_portal(std::atomic<unsigned> *c) : count(c) {}
		bool submit(const dsa_hw_desc &d) noexcept override
		{
			count->fetch_add(1, std::memory_order_relaxed);
			return current()->submit(d);
		}
	};
	static dsa_model *&current()
	{
		static dsa_model *m = nullptr;
		return m;
	}
	static std::map<std::string, std::atomic<unsigned>> &sent()
	{
		static std::map<std::string, std::atomic<unsigned>> s;
		return s;
	}
	static std::mutex &sent_m()
	{
		static std::mutex m;
		return m;
	}
	static std::unique_ptr<dsa::portal> open(const dsa::work_queue &q, std::string &)
	{
		std::lock_guard<std::mutex> g(sent_m());
		return std::make_unique<model_portal>(&sent()[q.name]);
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
