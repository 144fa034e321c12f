// pmem2::map: a mapping of a source with its durable memory operations.
// map_ref is a non-owning view (wraps any struct pmem2_map *); map owns.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <utility>

#include <libpmem2/base.h>
#include <libpmem2/async.h>
#include <libpmem2/operations.h>
#include <libpmem2/persist_async.h>

#include "error.hpp"
#include "flags.hpp"
#include "future.hpp"
#include "mover.hpp"
#include "source.hpp"

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

// How to map. The defaults map the whole source read-write, shared, and
// accept any store granularity, with the map's own default mover.
struct map_options {
	// The coarsest granularity the caller can handle; page accepts all.
	granularity required_granularity = granularity::page;
	std::size_t offset = 0;
	std::size_t length = 0;		// 0: to the end of the source
	pmem2::sharing sharing = sharing::shared;
	pmem2::protection protection = protection::read_write;
	// Mover for the *_async operations (must outlive the map); none: the default one.
	mover_ref mover{};
};

namespace detail {

struct config_deleter {
	void operator()(pmem2_config *c) const noexcept { pmem2_config_delete(&c); }
};
using config_ptr = std::unique_ptr<pmem2_config, config_deleter>;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
inline result<config_ptr> make_config(const map_options &o) noexcept
{
	pmem2_config *raw = nullptr;
	int rc = pmem2_config_new(&raw);
	if (rc != 0)
		return last_error(rc, "pmem2_config_new");
	config_ptr cfg(raw);
	if ((rc = pmem2_config_set_required_store_granularity(raw,
			static_cast<pmem2_granularity>(o.required_granularity))) != 0)
		return last_error(rc, "pmem2_config_set_required_store_granularity");
	if ((rc = pmem2_config_set_offset(raw, o.offset)) != 0)
		return last_error(rc, "pmem2_config_set_offset");
	if ((rc = pmem2_config_set_length(raw, o.length)) != 0)
		return last_error(rc, "pmem2_config_set_length");
	if ((rc = pmem2_config_set_sharing(raw, static_cast<pmem2_sharing_type>(o.sharing))) != 0)
		return last_error(rc, "pmem2_config_set_sharing");
	if ((rc = pmem2_config_set_protection(raw, static_cast<unsigned>(o.protection))) != 0)
		return last_error(rc, "pmem2_config_set_protection");
	if (o.mover && (rc = pmem2_config_set_vdm(raw, o.mover.vdm())) != 0)
		return last_error(rc, "pmem2_config_set_vdm");
	return cfg;
}
#pragma GCC diagnostic pop

} // namespace detail

// A view of a map someone else owns. Copyable; every operation is noexcept
// except the range-checked ones (write/fill/deep_flush), which throw.
class map_ref {
public:
	map_ref() noexcept = default;
	explicit map_ref(pmem2_map *m) noexcept { bind(m); }

	pmem2_map *native() const noexcept { return m_; }
	explicit operator bool() const noexcept { return m_ != nullptr; }

	std::byte *data() const noexcept { return static_cast<std::byte *>(addr_); }
	std::size_t size() const noexcept { return size_; }
	std::span<std::byte> bytes() const noexcept { return {data(), size_}; }
	pmem2::granularity granularity() const noexcept { return gran_; }

	// Persistence of a range inside the map.
	void persist(const void *p, std::size_t n) const noexcept { persist_(p, n); }
	void persist(std::span<const std::byte> r) const noexcept { persist_(r.data(), r.size()); }
	void flush(const void *p, std::size_t n) const noexcept { flush_(p, n); }
	void flush(std::span<const std::byte> r) const noexcept { flush_(r.data(), r.size()); }
	void drain() const noexcept { drain_(); }

	result<void> try_deep_flush(void *p, std::size_t n) const noexcept
	{
		int rc = pmem2_deep_flush(m_, p, n);
		if (rc != 0)
			return detail::last_error(rc, "pmem2_deep_flush");
		return {};
	}
	void deep_flush(void *p, std::size_t n) const { try_deep_flush(p, n).value(); }
	void deep_flush(std::span<std::byte> r) const { deep_flush(r.data(), r.size()); }

	// Durable memory operations (the map's functions, chosen for its
	// granularity); the destination must lie inside the map. On a map made
	// without write access they write nothing and return nullptr
	// (pmem2_errormsg() says why).
	void *memcpy(void *dst, const void *src, std::size_t n, mem_flags f = {}) const noexcept
	{
		return memcpy_(dst, src, n, f.bits());
	}
	void *memmove(void *dst, const void *src, std::size_t n, mem_flags f = {}) const noexcept
	{
		return memmove_(dst, src, n, f.bits());
	}
	void *memset(void *dst, int c, std::size_t n, mem_flags f = {}) const noexcept
	{
		return memset_(dst, c, n, f.bits());
	}
	// Copies src into the start of dst; dst.size() >= src.size().
	void copy(std::span<std::byte> dst, std::span<const std::byte> src, mem_flags f = {}) const noexcept
	{
		memcpy_(dst.data(), src.data(), src.size(), f.bits());
	}
	void fill(std::span<std::byte> dst, std::byte value, mem_flags f = {}) const noexcept
	{
		memset_(dst.data(), static_cast<int>(value), dst.size(), f.bits());
	}

	// Offset-based, range-checked: throws PMEM2_E_LENGTH_OUT_OF_RANGE, and
	// PMEM2_E_NO_ACCESS on a map made without write access (nothing written).
	void write(std::size_t offset, std::span<const std::byte> src, mem_flags f = {}) const
	{
		if (memcpy_(range(offset, src.size()).data(), src.data(), src.size(), f.bits()) == nullptr)
			detail::throw_error(detail::last_error(PMEM2_E_NO_ACCESS, "pmem2::map"));
	}
	void fill(std::size_t offset, std::size_t n, std::byte value, mem_flags f = {}) const
	{
		if (memset_(range(offset, n).data(), static_cast<int>(value), n, f.bits()) == nullptr)
			detail::throw_error(detail::last_error(PMEM2_E_NO_ACCESS, "pmem2::map"));
	}
	// The bytes [offset, offset + n), or throws.
	std::span<std::byte> range(std::size_t offset, std::size_t n) const
	{
		if (offset > size_ || n > size_ - offset)
			detail::throw_error(detail::make_error(PMEM2_E_LENGTH_OUT_OF_RANGE, "pmem2::map",
				"range outside the map"));
		return {data() + offset, n};
	}

	// Asynchronous durable operations through the map's mover; complete
	// once the data is durable (an invalid request completes with an error).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	durable_future memcpy_async(void *dst, const void *src, std::size_t n, mem_flags f = {}) const noexcept
	{
		return durable_future(pmem2_memcpy_async(m_, dst, src, n, f.bits()));
	}
	durable_future memmove_async(void *dst, const void *src, std::size_t n, mem_flags f = {}) const noexcept
	{
		return durable_future(pmem2_memmove_async(m_, dst, src, n, f.bits()));
	}
	durable_future memset_async(void *dst, int c, std::size_t n, mem_flags f = {}) const noexcept
	{
		return durable_future(pmem2_memset_async(m_, dst, c, n, f.bits()));
	}
#pragma GCC diagnostic pop
	durable_future copy_async(std::span<std::byte> dst, std::span<const std::byte> src, mem_flags f = {}) const noexcept
	{
		return memcpy_async(dst.data(), src.data(), src.size(), f);
	}
	durable_future fill_async(std::span<std::byte> dst, std::byte value, mem_flags f = {}) const noexcept
	{
		return memset_async(dst.data(), static_cast<int>(value), dst.size(), f);
	}
	// Range-checked: throws PMEM2_E_LENGTH_OUT_OF_RANGE.
	durable_future write_async(std::size_t offset, std::span<const std::byte> src, mem_flags f = {}) const
	{
		return memcpy_async(range(offset, src.size()).data(), src.data(), src.size(), f);
	}
	// Makes [ptr, ptr + n), written earlier, durable through the map's mover
	// (a pmem2 extension, <libpmem2/persist_async.h>).
	durable_future persist_async(const void *ptr, std::size_t n) const noexcept
	{
		return durable_future(pmem2_persist_async(m_, const_cast<void *>(ptr), n));
	}
	// The operations storage engines add to copies, one future each (a
	// pmem2 extension, <libpmem2/operations.h>; the batch entries of the
	// same names as single futures). The future's value is the destination
	// (nullptr for crc32c and compare); a checksum or an offset is written
	// into the caller's variable, which must stay in place until the future
	// completes (as with pmem2::batch): a value kept in the future would
	// have to move with it, and the mover writes it while the future may
	// be anywhere the caller put it.
	durable_future memset8_async(void *dst, std::uint64_t pattern, std::size_t n, mem_flags f = {}) const noexcept
	{
		return durable_future(pmem2_memset8_async(m_, dst, pattern, n, f.bits()));
	}
	durable_future dualcast_async(void *dst1, void *dst2, const void *src, std::size_t n,
		mem_flags f = {}) const noexcept
	{
		return durable_future(pmem2_dualcast_async(m_, dst1, dst2, src, n, f.bits()));
	}
	// `crc` = CRC32C of [src, src + n) chained from `seed`, at completion.
	durable_future crc32c_async(const void *src, std::size_t n, std::uint32_t &crc,
		std::uint32_t seed = 0) const noexcept
	{
		return durable_future(pmem2_crc32c_async(m_, src, n, seed, &crc));
	}
	durable_future copy_crc32c_async(void *dst, const void *src, std::size_t n, std::uint32_t &crc,
		std::uint32_t seed = 0, mem_flags f = {}) const noexcept
	{
		return durable_future(pmem2_copy_crc32c_async(m_, dst, src, n, seed, &crc, f.bits()));
	}
	// `first_diff` = the first offset where a and b differ (n if none), at completion.
	durable_future compare_async(const void *a, const void *b, std::size_t n,
		std::size_t &first_diff) const noexcept
	{
		return durable_future(pmem2_compare_async(m_, a, b, n, &first_diff));
	}

protected:
	void bind(pmem2_map *m) noexcept
	{
		m_ = m;
		if (m == nullptr) {
			*this = map_ref();
			return;
		}
		addr_ = pmem2_map_get_address(m);
		size_ = pmem2_map_get_size(m);
		gran_ = static_cast<pmem2::granularity>(pmem2_map_get_store_granularity(m));
		persist_ = pmem2_get_persist_fn(m);
		flush_ = pmem2_get_flush_fn(m);
		drain_ = pmem2_get_drain_fn(m);
		memcpy_ = pmem2_get_memcpy_fn(m);
		memmove_ = pmem2_get_memmove_fn(m);
		memset_ = pmem2_get_memset_fn(m);
	}

	pmem2_map *m_ = nullptr;
	void *addr_ = nullptr;
	std::size_t size_ = 0;
	pmem2::granularity gran_ = granularity::page;
	pmem2_persist_fn persist_ = nullptr;
	pmem2_flush_fn flush_ = nullptr;
	pmem2_drain_fn drain_ = nullptr;
	pmem2_memcpy_fn memcpy_ = nullptr;
	pmem2_memmove_fn memmove_ = nullptr;
	pmem2_memset_fn memset_ = nullptr;
};

// An owned map; deleted (pmem2_map_delete) on destruction.
class map : public map_ref {
public:
	map() noexcept = default;
	explicit map(const source &src, const map_options &opt = {}) : map(try_create(src, opt).value()) {}

	map(map &&o) noexcept : map_ref(o) { o.bind(nullptr); }
	map &operator=(map &&o) noexcept
	{
		if (this != &o) {
			reset();
			static_cast<map_ref &>(*this) = o;
			o.bind(nullptr);
		}
		return *this;
	}
	map(const map &) = delete;
	map &operator=(const map &) = delete;
	~map() { reset(); }

	static result<map> try_create(const source &src, const map_options &opt = {}) noexcept
	{
		auto cfg = detail::make_config(opt);
		if (!cfg)
			return cfg.error();
		pmem2_map *m = nullptr;
		int rc = pmem2_map_new(&m, cfg->get(), src.native());
		if (rc != 0)
			return detail::last_error(rc, "pmem2_map_new");
		return adopt(m);
	}

	// Opens and maps an existing file (or device DAX) in one call.
	static result<map> try_open(const std::filesystem::path &path, const map_options &opt = {}) noexcept
	{
		bool ro = (static_cast<unsigned>(opt.protection) & PMEM2_PROT_WRITE) == 0;
		auto src = source::try_open(path, ro ? open_mode::read_only : open_mode::read_write);
		if (!src)
			return src.error();
		return try_create(*src, opt);
	}
	static map open(const std::filesystem::path &path, const map_options &opt = {})
	{
		return try_open(path, opt).value();
	}

	// Creates `path` if needed, makes it at least `size` bytes (allocated,
	// so stores cannot fail for lack of space), and maps it.
	static result<map> try_create_file(const std::filesystem::path &path, std::size_t size,
		const map_options &opt = {}) noexcept
	{
		auto src = source::try_open(path, open_mode::create);
		if (!src)
			return src.error();
		struct stat st;
		if (::fstat(src->fd(), &st) != 0)
			return detail::make_error(-errno, "fstat", std::strerror(errno));
		if (static_cast<std::size_t>(st.st_size) < size) {
			int e = ::posix_fallocate(src->fd(), 0, static_cast<off_t>(size));
			if (e == EOPNOTSUPP || e == EINVAL)
				e = ::ftruncate(src->fd(), static_cast<off_t>(size)) == 0 ? 0 : errno;
			if (e != 0)
				return detail::make_error(-e, "extend file", std::strerror(e));
		}
		return try_create(*src, opt);
	}
	static map create_file(const std::filesystem::path &path, std::size_t size, const map_options &opt = {})
	{
		return try_create_file(path, size, opt).value();
	}

	// Takes ownership of a C map.
	static map adopt(pmem2_map *m) noexcept
	{
		map r;
		r.bind(m);
		return r;
	}
	// Gives up ownership; the caller deletes the C map.
	pmem2_map *release() noexcept
	{
		pmem2_map *m = m_;
		bind(nullptr);
		return m;
	}

private:
	void reset() noexcept
	{
		if (m_ != nullptr) {
			pmem2_map *m = m_;
			pmem2_map_delete(&m);
		}
		bind(nullptr);
	}
};

} // namespace v1
} // namespace pmem2
