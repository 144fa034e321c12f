// pmem2 cp SRC DST: copies a file into DST through a pmem2 map with
// asynchronous durable operations.
//
// Crash behaviour: DST's space is reserved first, leaving an existing DST
// exactly as it was if that fails; then DST is sized and every chunk is
// written with an operation that completes only once its bytes are durable;
// "done" is printed only after every chunk completed and DST's size is
// synced. A run killed at any point leaves DST possibly incomplete and never
// reported complete; running the same command again rewrites every chunk
// from SRC, so it converges to the same result however often it is
// interrupted.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <libminiasync-vdm-dml.h>
#include <pmem2/pmem2.hpp>

#include "tool.hpp"

namespace pmem2::tool {
namespace {

const char help_text[] =
	"usage: pmem2 cp [options] SRC DST\n"
	"\n"
	"Copies SRC into DST (a file, created or resized to SRC's size, or a device\n"
	"DAX at least as large) through a pmem2 map, with asynchronous operations\n"
	"that complete only when their data is durable. When it reports done, all\n"
	"of DST is durable. An interrupted copy is never reported complete; run\n"
	"the same command again to finish it.\n"
	"\n"
	"  --mover KIND     threads (default), default (the map's own mover, which\n"
	"                   copies on the calling thread), sync, or dsa (a DSA work\n"
	"                   queue; fails, changing nothing, when none is usable)\n"
	"  --threads N      worker threads of the threads mover (default 4)\n"
	"  --chunk SIZE     bytes per operation, e.g. 1M (default 4M)\n"
	"  --inflight N     operations in flight at once (default 8)\n"
	"  --verify         re-read DST and compare with SRC after copying\n"
	"  --progress       always draw the progress bar (default: on a terminal)\n"
	"  --no-progress    never draw it\n"
	"  --json           print the summary (or the error) as JSON on stdout\n";

using clock_type = std::chrono::steady_clock;

struct cp_options {
	std::string src, dst;
	std::string mover = "threads";
	std::size_t threads = 4;
	std::size_t chunk = 4 << 20;
	std::size_t inflight = 8;
	bool verify = false;
	bool json = false;
	int progress = -1;	// -1: when stderr is a terminal
};

cp_options parse(int argc, char **argv)
{
	cp_options o;
	args a(argc, argv, 2);
	std::vector<std::string> pos;
	bool only_paths = false;
	while (!a.done()) {
		std::string_view arg = a.next();
		auto is = [&](std::string_view name) {
			return arg == name || (arg.size() > name.size() && arg.substr(0, name.size()) == name &&
				arg[name.size()] == '=');
		};
		if (only_paths || arg.empty() || arg[0] != '-' || arg == "-") {
			pos.emplace_back(arg);
		} else if (arg == "--") {
			only_paths = true;
		} else if (arg == "--help" || arg == "-h") {
			throw std::monostate{};
		} else if (is("--mover")) {
			o.mover = std::string(a.value("--mover", arg));
			if (o.mover != "threads" && o.mover != "default" && o.mover != "sync" && o.mover != "dsa")
				throw usage_error{"--mover: expected threads, default, sync or dsa, got '" + o.mover + "'"};
		} else if (is("--threads")) {
			o.threads = parse_count("--threads", a.value("--threads", arg), 1, 256);
		} else if (is("--chunk")) {
			o.chunk = parse_size("--chunk", a.value("--chunk", arg));
			if (o.chunk < 4096 || o.chunk > (std::size_t(1) << 30))
				throw usage_error{"--chunk: must be from 4K to 1G"};
		} else if (is("--inflight")) {
			o.inflight = parse_count("--inflight", a.value("--inflight", arg), 1, 4096);
		} else if (arg == "--verify") {
			o.verify = true;
		} else if (arg == "--json") {
			o.json = true;
		} else if (arg == "--progress") {
			o.progress = 1;
		} else if (arg == "--no-progress") {
			o.progress = 0;
		} else {
			throw usage_error{"unknown option '" + std::string(arg) + "'"};
		}
	}
	if (pos.size() != 2)
		throw usage_error{pos.size() < 2 ? "missing SRC or DST" : "too many arguments"};
	o.src = pos[0];
	o.dst = pos[1];
	return o;
}

class progress_bar {
public:
	progress_bar(bool on, std::size_t total) : on_(on), total_(total), start_(clock_type::now()) {}
	void update(std::size_t done, bool force = false)
	{
		if (!on_)
			return;
		auto now = clock_type::now();
		if (!force && now - last_ < std::chrono::milliseconds(100))
			return;
		last_ = now;
		double frac = total_ ? double(done) / double(total_) : 1.0;
		int width = 30, fill = int(frac * width);
		double secs = std::chrono::duration<double>(now - start_).count();
		double gbps = secs > 0 ? double(done) / secs / 1e9 : 0.0;
		std::fprintf(stderr, "\r[%.*s%.*s] %3d%% %s / %s %.2f GB/s ", fill,
			"==============================", width - fill, "                              ",
			int(frac * 100), human_size(double(done)).c_str(), human_size(double(total_)).c_str(), gbps);
		std::fflush(stderr);
	}
	void finish(std::size_t done)
	{
		if (!on_)
			return;
		update(done, true);
		std::fputc('\n', stderr);
	}

private:
	bool on_;
	std::size_t total_;
	clock_type::time_point start_, last_{};
};

std::string errno_text(int e)
{
	return std::strerror(e);
}

// Makes sure a regular file FD (now OLD_SIZE bytes long) has blocks for its
// first LEN bytes, changing neither its size nor its bytes when it cannot:
// returns 0, or the errno of the failure with FD as it was.
//
// fallocate (mode 0) allocates only what is missing and leaves the bytes
// there; it is called directly, as posix_fallocate would emulate a missing
// fallocate by writing into the file. A file system may have allocated part
// of the range, and grown the file, before failing (ext4 does): the size is
// then set back, which also frees those blocks. Where fallocate is not
// supported, the free space is checked first (nothing is changed if it is
// short), then the file is grown and its new part written with zeros, and
// on a failure (the space taken meanwhile) cut back to OLD_SIZE. Holes
// within OLD_SIZE are left to the copy then.
int reserve_space(int fd, off_t old_size, off_t len)
{
	auto restore = [&](int e) {
		struct stat st;
		if (::fstat(fd, &st) == 0 && st.st_size != old_size)
			(void)::ftruncate(fd, old_size);
		return e;
	};
	if (::fallocate(fd, 0, 0, len) == 0)
		return 0;
	int e = errno;
	if (e != EOPNOTSUPP && e != ENOSYS && e != EINVAL)
		return restore(e);
	if (len <= old_size)
		return 0;
	struct stat st;
	struct statvfs vfs;
	if (::fstat(fd, &st) != 0)
		return errno;
	if (::fstatvfs(fd, &vfs) == 0 && vfs.f_frsize != 0) {
		unsigned long long have = static_cast<unsigned long long>(st.st_blocks) * 512;
		unsigned long long need = static_cast<unsigned long long>(len) > have ? len - have : 0;
		if (static_cast<unsigned long long>(vfs.f_bavail) < (need + vfs.f_frsize - 1) / vfs.f_frsize)
			return ENOSPC;
	}
	if (::ftruncate(fd, len) != 0)
		return restore(errno);
	static const char zeros[64 << 10] = {};
	for (off_t off = old_size; off < len;) {
		ssize_t n = ::pwrite(fd, zeros, std::size_t(std::min<off_t>(len - off, off_t(sizeof zeros))), off);
		if (n <= 0)
			return restore(n < 0 ? errno : ENOSPC);
		off += n;
	}
	return 0;
}

int run_cp(const cp_options &o)
{
	auto failed = [&](const std::string &msg, int code) { return fail("cp", o.json, msg, code); };

	struct fd_closer {
		int fd;
		~fd_closer() { ::close(fd); }
	};
	std::string err;
	struct stat sst, dst_st;
	// Source: a regular file or device DAX, checked without blocking.
	int sfd = open_mappable(o.src, O_RDONLY, "source ", sst, err);
	if (sfd < 0)
		return failed(err, sfd);
	fd_closer src_closer{sfd};
	auto src = source::try_from_fd(sfd);
	if (!src)
		return failed("source '" + o.src + "' cannot be mapped: " + src.error().message, src.code());
	auto ssize = src->try_size();
	if (!ssize)
		return failed("cannot size source '" + o.src + "': " + ssize.error().message, ssize.code());
	const std::size_t total = *ssize;

	if (::stat(o.dst.c_str(), &dst_st) == 0 && dst_st.st_dev == sst.st_dev && dst_st.st_ino == sst.st_ino)
		return failed("'" + o.src + "' and '" + o.dst + "' are the same file", -EINVAL);

	// The mover, before DST is touched: one that cannot be had fails the
	// copy with DST as it was.
	std::optional<threads_mover> tmover;
	std::optional<sync_mover> smover;
	std::unique_ptr<data_mover_dml, void (*)(data_mover_dml *)> dsa_mover(nullptr, data_mover_dml_delete);
	if (o.mover == "threads") {
		auto m = threads_mover::try_create(o.threads, 128);
		if (!m)
			return failed("cannot start the threads mover: " + m.error().message, m.code());
		tmover.emplace(std::move(*m));
	} else if (o.mover == "sync") {
		auto m = sync_mover::try_create();
		if (!m)
			return failed("cannot create the sync mover: " + m.error().message, m.code());
		smover.emplace(std::move(*m));
	} else if (o.mover == "dsa") {
		dsa_mover.reset(data_mover_dml_new(DATA_MOVER_DML_HARDWARE));
		if (!dsa_mover)
			return failed(std::string("cannot use the DSA mover: ") + data_mover_dml_errormsg(), -ENODEV);
	}

	// Destination: created if missing, the same check as the source's before
	// anything is changed; then its blocks are allocated up front, so running
	// out of space fails here, not in a store, and before DST is resized or
	// written: an existing DST is then left as it was, a new one removed.
	struct stat before;
	bool existed = ::lstat(o.dst.c_str(), &before) == 0;
	int fd = open_mappable(o.dst, O_RDWR | O_CREAT, "destination ", dst_st, err);
	if (fd < 0)
		return failed(err, fd);
	fd_closer closer{fd};
	// While copying, a regular DST is as long as the mapping (whole pages);
	// it gets SRC's exact size just before the final sync.
	std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
	std::size_t map_len = (total + page - 1) / page * page;
	if (S_ISREG(dst_st.st_mode)) {
		if (map_len != 0) {
			if (int e = reserve_space(fd, dst_st.st_size, off_t(map_len))) {
				struct stat now;
				if (!existed && ::lstat(o.dst.c_str(), &now) == 0 && now.st_dev == dst_st.st_dev &&
					now.st_ino == dst_st.st_ino)
					::unlink(o.dst.c_str());
				return failed("not enough space for " + std::to_string(total) + " bytes in '" + o.dst +
					"': " + errno_text(e), -e);
			}
		}
		// The space is there: only now does DST change.
		struct stat now;
		if (::fstat(fd, &now) != 0 ||
			(static_cast<std::size_t>(now.st_size) != map_len && ::ftruncate(fd, off_t(map_len)) != 0))
			return failed("cannot resize destination '" + o.dst + "' to " + std::to_string(map_len) +
				" bytes: " + errno_text(errno), -errno);
	}

	auto dsrc = source::try_from_fd(fd);
	if (!dsrc)
		return failed("destination '" + o.dst + "' cannot be mapped: " + dsrc.error().message, dsrc.code());
	if (S_ISCHR(dst_st.st_mode)) {
		auto dsize = dsrc->try_size();
		if (!dsize)
			return failed("cannot size destination '" + o.dst + "': " + dsize.error().message, dsize.code());
		if (*dsize < total)
			return failed("destination '" + o.dst + "' holds " + std::to_string(*dsize) +
				" bytes, the source has " + std::to_string(total), -ENOSPC);
	}

	auto t0 = clock_type::now();
	std::string gran = "n/a";
	bool verified = false;

	if (total != 0) {
		map_options dopt;
		if (tmover)
			dopt.mover = *tmover;
		else if (smover)
			dopt.mover = *smover;
		else if (dsa_mover)
			dopt.mover = data_mover_dml_get_vdm(dsa_mover.get());
		if (S_ISCHR(dst_st.st_mode)) {
			auto align = dsrc->try_alignment();
			if (!align)
				return failed("destination '" + o.dst + "' cannot be mapped: " + align.error().message,
					align.code());
			dopt.length = (total + *align - 1) / *align * *align;
		}
		auto dmap = map::try_create(*dsrc, dopt);
		if (!dmap)
			return failed("destination '" + o.dst + "' cannot be mapped: " + dmap.error().message, dmap.code());
		// The source is only read: a plain read-only mapping, any length.
		void *sp = ::mmap(nullptr, total, PROT_READ, MAP_SHARED, sfd, 0);
		if (sp == MAP_FAILED)
			return failed("source '" + o.src + "' cannot be mapped: " + errno_text(errno), -errno);
		struct unmapper {
			void *p;
			std::size_t n;
			~unmapper() { ::munmap(p, n); }
		} src_unmap{sp, total};
		gran = std::string(to_string(dmap->granularity()));

		progress_bar bar(o.progress == 1 || (o.progress == -1 && !o.json && ::isatty(2)), total);
		std::size_t next = 0, done = 0;
		std::optional<error_info> first_error;
		const auto *s = static_cast<const std::byte *>(sp);
		std::byte *d = dmap->data();
		map_ref dst = *dmap;
		auto worker = [&]() -> task<void> {
			while (!first_error && next < total) {
				std::size_t off = next, len = std::min(o.chunk, total - off);
				next += len;
				auto r = co_await dst.memcpy_async(d + off, s + off, len).no_throw();
				if (!r) {
					if (!first_error)
						first_error = r.error();
					co_return;
				}
				done += len;
				bar.update(done);
			}
		};
		std::vector<task<void>> workers;
		std::size_t nworkers = std::min(o.inflight, (total + o.chunk - 1) / o.chunk);
		for (std::size_t i = 0; i < nworkers; ++i)
			workers.push_back(worker());
		sync_wait(when_all(std::move(workers)));
		if (first_error) {
			bar.finish(done);
			return failed("copy to '" + o.dst + "' failed: " + first_error->message, first_error->code);
		}
		bar.finish(done);
		if (o.verify) {
			for (std::size_t off = 0; off < total; off += o.chunk) {
				std::size_t len = std::min(o.chunk, total - off);
				if (std::memcmp(s + off, d + off, len) != 0) {
					std::size_t i = 0;
					while (s[off + i] == d[off + i])
						++i;
					return failed("verify: '" + o.dst + "' differs from '" + o.src + "' at byte " +
						std::to_string(off + i), PMEM2_E_IO_FAIL);
				}
			}
			verified = true;
		}
	}
	// The data is durable; give DST its exact size and make that durable too.
	if (S_ISREG(dst_st.st_mode) && map_len != total && ::ftruncate(fd, off_t(total)) != 0)
		return failed("cannot resize destination '" + o.dst + "': " + errno_text(errno), -errno);
	if (S_ISREG(dst_st.st_mode) && ::fdatasync(fd) != 0)
		return failed("cannot sync destination '" + o.dst + "': " + errno_text(errno), -errno);

	double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
	double gbps = secs > 0 ? double(total) / secs / 1e9 : 0.0;
	std::string mover_desc = o.mover == "threads" ? "threads (" + std::to_string(o.threads) + " threads)" : o.mover;
	if (o.json) {
		json j;
		j.begin_object()
			.field("status", "done")
			.field("src", o.src)
			.field("dst", o.dst)
			.field("bytes", total)
			.field("seconds", secs)
			.field("gbps", gbps)
			.field("granularity", gran)
			.field("mover", o.mover)
			.field("threads", o.mover == "threads" ? o.threads : std::size_t(0))
			.field("chunk", o.chunk)
			.field("inflight", o.inflight)
			.field("durable", true)
			.field("verified", verified)
			.end_object();
		std::printf("%s\n", j.str().c_str());
	} else {
		std::printf("copied %zu bytes (%s) in %.3f s, %.2f GB/s\n", total, human_size(double(total)).c_str(),
			secs, gbps);
		std::printf("granularity %s, mover %s, chunk %s, %zu in flight\n", gran.c_str(), mover_desc.c_str(),
			human_size(double(o.chunk)).c_str(), o.inflight);
		std::printf("done: '%s' is durable%s\n", o.dst.c_str(), verified ? " and verified" : "");
	}
	return exit_ok;
}

} // namespace

int cmd_cp(int argc, char **argv)
{
	cp_options o;
	try {
		o = parse(argc, argv);
	} catch (std::monostate) {
		std::fputs(help_text, stdout);
		return exit_ok;
	}
	// A file size limit must show as an error (EFBIG), not kill the copy.
	::signal(SIGXFSZ, SIG_IGN);
	try {
		return run_cp(o);
	} catch (const error &e) {
		return fail("cp", o.json, e.what(), e.code());
	}
}

} // namespace pmem2::tool
