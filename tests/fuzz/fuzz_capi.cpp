// The C API driven by random sequences of calls and arguments: configs,
// sources, maps, vm reservations, the persistence functions and futures.
// Every call must return 0, a negated errno or a PMEM2_E_* code (see
// docs/ERRORS.md); nothing may crash or leak (ASan/LSan, UBSan).
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>

#include <sys/mman.h>
#include <unistd.h>

#include "fuzz/fuzz_input.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using pmem2::fuzz::input;

void check_code(int r, const char *what)
{
	bool ok = r == 0 || (r < 0 && r > -4096) || (r >= -100037 && r <= -100000);
	if (!ok) {
		std::fprintf(stderr, "%s returned %d: not a documented code\n", what, r);
		std::abort();
	}
}

constexpr std::size_t big = std::size_t(1) << 30;

// Keeps address-space requests modest; the overflow edges stay.
std::size_t tame(std::size_t s)
{
	if (s >= big && s < SIZE_MAX - (std::size_t(1) << 20))
		return s % (std::size_t(64) << 20);
	return s;
}

struct globals {
	int memfd;
	data_mover_threads *dmt;
	data_mover_sync *dms;
	runtime *rt;
	unsigned char src[128 * 1024];
	globals()
	{
		memfd = memfd_create("pmem2-fuzz", 0);
		dmt = data_mover_threads_new(2, 16, FUTURE_NOTIFIER_WAKER);
		dms = data_mover_sync_new();
		rt = runtime_new();
		for (std::size_t i = 0; i < sizeof(src); ++i)
			src[i] = static_cast<unsigned char>(i * 31 + 7);
		if (memfd < 0 || !dmt || !dms || !rt)
			std::abort();
	}
};

globals &g()
{
	static globals *gl = new globals;
	return *gl;
}

struct cfg_slot {
	pmem2_config *cfg = nullptr;
	unsigned prot = PMEM2_PROT_READ | PMEM2_PROT_WRITE;
	pmem2_vm_reservation *rsv = nullptr;
};
struct map_slot {
	pmem2_map *map = nullptr;
	bool writable = false;
};

struct session {
	cfg_slot cfg[2];
	pmem2_source *src[2] = {};
	map_slot map[3];
	pmem2_vm_reservation *rsv = nullptr;

	~session()
	{
		for (auto &m : map)
			if (m.map)
				check_code(pmem2_map_delete(&m.map), "map_delete (cleanup)");
		for (auto &c : cfg)
			if (c.cfg)
				check_code(pmem2_config_delete(&c.cfg), "config_delete (cleanup)");
		for (auto &s : src)
			if (s)
				check_code(pmem2_source_delete(&s), "source_delete (cleanup)");
		if (rsv && pmem2_vm_reservation_delete(&rsv) != 0)
			std::abort();
	}

	void async_op(input &in, map_slot &m)
	{
		if (!m.writable)
			return;
		auto *base = static_cast<char *>(pmem2_map_get_address(m.map));
		std::size_t size = pmem2_map_get_size(m.map);
		std::size_t off = in.flip() ? in.below(size + 1) : in.size(size);
		std::size_t len = in.flip() ? in.below(sizeof(g().src) + 1) : in.size(size);
		if (len > sizeof(g().src) && off <= size && len <= size - off)
			len = sizeof(g().src);	// in range: the source must be that long
		unsigned flags = in.flip() ? in.byte() : (in.byte() & 0x1e);
		char *dest = base + (off <= size + 4096 ? off : 0);
		if (off > size + 4096)
			dest = base - 4096;	// below the map
		pmem2_future f;
		switch (in.byte() % 4) {
		case 0: f = pmem2_memcpy_async(m.map, dest, g().src, len, flags); break;
		case 1: f = pmem2_memmove_async(m.map, dest, g().src, len, flags); break;
		case 2: f = pmem2_memset_async(m.map, dest, in.byte(), len, flags); break;
		default: {
			// Overlapping move inside the map.
			std::size_t so = in.below(size + 1);
			std::size_t l = len;
			if (off > size || l > size - off || so > size || l > size - so)
				l = 0;
			f = pmem2_memmove_async(m.map, dest, base + so, l, flags);
		}
		}
		if (in.flip()) {
			runtime_wait(g().rt, FUTURE_AS_RUNNABLE(&f));
		} else {
			while (future_poll(FUTURE_AS_RUNNABLE(&f), nullptr) != FUTURE_STATE_COMPLETE)
				;
		}
		int r = FUTURE_OUTPUT(&f)->result;
		check_code(r, "pmem2 future");
		if (r != 0 && r != -EINVAL && r != PMEM2_E_MAP_RANGE) {
			std::fprintf(stderr, "future failed with %d\n", r);
			std::abort();
		}
	}

	void sync_op(input &in, map_slot &m)
	{
		if (!m.writable)
			return;	// flushing a PROT_NONE page faults, as it should
		auto *base = static_cast<char *>(pmem2_map_get_address(m.map));
		std::size_t size = pmem2_map_get_size(m.map);
		std::size_t off = in.below(size);
		std::size_t len = in.below(std::min<std::size_t>(size - off, sizeof(g().src)) + 1);
		unsigned flags = in.byte() & 0x3f;
		switch (in.byte() % 7) {
		case 0:
			if (m.writable)
				pmem2_get_memcpy_fn(m.map)(base + off, g().src, len, flags);
			break;
		case 1:
			if (m.writable)
				pmem2_get_memmove_fn(m.map)(base + off, base + in.below(size - len + 1), len, flags);
			break;
		case 2:
			if (m.writable)
				pmem2_get_memset_fn(m.map)(base + off, in.byte(), len, flags);
			break;
		case 3: pmem2_get_persist_fn(m.map)(base + off, len); break;
		case 4:
			pmem2_get_flush_fn(m.map)(base + off, len);
			pmem2_get_drain_fn(m.map)();
			break;
		case 5: {
			std::size_t o = in.size(size), l = in.size(size);
			char *p = o <= size ? base + o : base;
			check_code(pmem2_deep_flush(m.map, p, l), "deep_flush");
			break;
		}
		default:
			if (pmem2_map_get_store_granularity(m.map) > PMEM2_GRANULARITY_PAGE)
				std::abort();
			break;
		}
	}

	void step(input &in)
	{
		cfg_slot &c = cfg[in.byte() % 2];
		pmem2_source *&s = src[in.byte() % 2];
		map_slot &m = map[in.byte() % 3];
		switch (in.byte() % 20) {
		case 0:
			if (c.cfg)
				check_code(pmem2_config_delete(&c.cfg), "config_delete");
			check_code(pmem2_config_new(&c.cfg), "config_new");
			c.prot = PMEM2_PROT_READ | PMEM2_PROT_WRITE;
			c.rsv = nullptr;
			break;
		case 1:
			check_code(pmem2_config_delete(&c.cfg), "config_delete");
			break;
		case 2:
			if (c.cfg)
				check_code(pmem2_config_set_offset(c.cfg, in.size(1 << 20)), "set_offset");
			break;
		case 3:
			if (c.cfg)
				check_code(pmem2_config_set_length(c.cfg, in.size(1 << 20)), "set_length");
			break;
		case 4:
			if (c.cfg)
				check_code(pmem2_config_set_required_store_granularity(c.cfg,
					static_cast<pmem2_granularity>(int(in.byte()) - 8)), "set_granularity");
			break;
		case 5:
			if (c.cfg) {
				unsigned p = in.flip() ? in.u32() : in.byte() & 7;
				if (pmem2_config_set_protection(c.cfg, p) == 0)
					c.prot = p;
			}
			break;
		case 6:
			if (c.cfg)
				check_code(pmem2_config_set_sharing(c.cfg,
					static_cast<pmem2_sharing_type>(int(in.byte() % 4) - 1)), "set_sharing");
			break;
		case 7:
			if (c.cfg) {
				pmem2_vm_reservation *r = in.flip() ? rsv : nullptr;
				if (pmem2_config_set_vm_reservation(c.cfg, r, in.size(1 << 22)) == 0)
					c.rsv = r;
			}
			break;
		case 8:
			if (c.cfg) {
				vdm *v = nullptr;
				switch (in.byte() % 3) {
				case 1: v = data_mover_threads_get_vdm(g().dmt); break;
				case 2: v = data_mover_sync_get_vdm(g().dms); break;
				}
				check_code(pmem2_config_set_vdm(c.cfg, v), "set_vdm");
			}
			break;
		case 9:
			if (s)
				check_code(pmem2_source_delete(&s), "source_delete");
			switch (in.byte() % 4) {
			case 0:
			{
				// Only grow: shrinking under a live map would be the
				// caller's SIGBUS, not the library's.
				off_t want = off_t(in.below(64) * 4096 + (in.flip() ? in.byte() : 0));
				if (want > lseek(g().memfd, 0, SEEK_END) && ftruncate(g().memfd, want) != 0)
					std::abort();
			}
				check_code(pmem2_source_from_fd(&s, g().memfd), "source_from_fd");
				break;
			case 1:
				check_code(pmem2_source_from_anon(&s, tame(in.size(1 << 20))), "source_from_anon");
				break;
			case 2:
				check_code(pmem2_source_from_fd(&s, in.flip() ? -1 : 1000 + in.byte()), "source_from_fd(bad)");
				break;
			default:
				check_code(pmem2_source_from_fd(&s, 0), "source_from_fd(stdin)");
				break;
			}
			break;
		case 10:
			check_code(pmem2_source_delete(&s), "source_delete");
			break;
		case 11:
			if (s) {
				std::size_t v = 0;
				int fd = -1;
				check_code(pmem2_source_size(s, &v), "source_size");
				check_code(pmem2_source_alignment(s, &v), "source_alignment");
				check_code(pmem2_source_get_fd(s, &fd), "source_get_fd");
			}
			break;
		case 12:
		case 13:
			if (m.map)
				check_code(pmem2_map_delete(&m.map), "map_delete");
			if (in.flip())
				setenv("PMEM2_FORCE_GRANULARITY", in.flip() ? "CACHE_LINE" : "BYTE", 1);
			if (c.cfg && c.rsv == nullptr && in.flip())
				check_code(pmem2_config_set_vm_reservation(c.cfg, nullptr, 0), "set_vm_reservation");
			check_code(pmem2_map_new(&m.map, c.cfg, s), "map_new");
			unsetenv("PMEM2_FORCE_GRANULARITY");
			m.writable = m.map && (c.prot & PMEM2_PROT_WRITE);
			break;
		case 14:
			check_code(pmem2_map_delete(&m.map), "map_delete");
			break;
		case 15:
		case 16:
			if (m.map)
				async_op(in, m);
			break;
		case 17:
			if (m.map)
				sync_op(in, m);
			break;
		case 18: {
			switch (in.byte() % 4) {
			case 0:
				if (!rsv)
					check_code(pmem2_vm_reservation_new(&rsv, nullptr, tame(in.size(1 << 24))),
						"vm_reservation_new");
				break;
			case 1:
				if (rsv) {
					int r = pmem2_vm_reservation_delete(&rsv);
					check_code(r, "vm_reservation_delete");
					if (r == 0)
						for (auto &cs : cfg)
							if (cs.cfg && cs.rsv) {
								pmem2_config_set_vm_reservation(cs.cfg, nullptr, 0);
								cs.rsv = nullptr;
							}
				}
				break;
			case 2:
				if (rsv)
					check_code(pmem2_vm_reservation_extend(rsv, tame(in.size(1 << 22))), "extend");
				break;
			default:
				if (rsv) {
					std::size_t o = in.size(1 << 22), l = in.size(1 << 22);
					check_code(pmem2_vm_reservation_shrink(rsv, o, l), "shrink");
					pmem2_map *f = nullptr;
					check_code(pmem2_vm_reservation_map_find(rsv, o, l, &f), "map_find");
					check_code(pmem2_vm_reservation_map_find_first(rsv, &f), "map_find_first");
					check_code(pmem2_vm_reservation_map_find_last(rsv, &f), "map_find_last");
				}
				break;
			}
			break;
		}
		default: {
			int e = int(in.u32());
			int r = pmem2_err_to_errno(e);
			if (r < 0)
				std::abort();
			if (pmem2_errormsg() == nullptr)
				std::abort();
			break;
		}
		}
	}
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	if (ftruncate(g().memfd, 0) != 0)
		std::abort();
	input in(data, size);
	session s;
	for (int i = 0; i < 64 && !in.empty(); ++i)
		s.step(in);
	return 0;
}
