#include "map/mcsafe.hpp"

#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <mutex>

#include <sys/mman.h>

#include <libpmem2/base.h>

#include "common/errormsg.hpp"
#include "memops/memops.hpp"
#include "os/io.hpp"
#include "os/os.hpp"

namespace pmem2::mcsafe {

namespace {

// The thread's landing point while it copies; nullptr otherwise. Only the
// owning thread writes it, and its own signal handler reads it. Static TLS
// (initial-exec): reading it from the handler in a thread that never
// copied must not allocate, as lazily allocated TLS would.
__attribute__((tls_model("initial-exec"))) thread_local sigjmp_buf *volatile landing = nullptr;

// What SIGBUS did before our handler was (last) installed: the handler
// forwards every SIGBUS that is not a fault of an armed copy to it.
struct sigaction previous;
std::mutex install_mtx;

void on_sigbus(int sig, siginfo_t *info, void *ctx)
{
	// Only a fault of this thread's copy lands; a SIGBUS sent by kill()
	// (si_code <= 0) is somebody else's even if it arrives mid-copy.
	sigjmp_buf *j = landing;
	if (j != nullptr && info != nullptr && info->si_code > 0) {
		landing = nullptr;
		siglongjmp(*j, 1);
	}
	// Not ours: behave as if the handler were not there.
	if (previous.sa_flags & SA_SIGINFO) {
		previous.sa_sigaction(sig, info, ctx);
		return;
	}
	if (previous.sa_handler == SIG_IGN)
		return;
	if (previous.sa_handler == SIG_DFL) {
		// Restore the default and re-raise: it is delivered (and ends the
		// process) as soon as this handler returns and unblocks SIGBUS; a
		// faulting instruction would fault again under the default anyway.
		struct sigaction dfl = {};
		dfl.sa_handler = SIG_DFL;
		sigemptyset(&dfl.sa_mask);
		::sigaction(sig, &dfl, nullptr);
		::raise(sig);
		return;
	}
	previous.sa_handler(sig);
}

} // namespace

// The contract with an application's own SIGBUS handler: every mcsafe
// copy first checks that ours is the installed one. If the application
// installed another since (or ours never was), that one becomes the
// handler ours forwards to and ours is installed in front of it. So a
// handler the application installs at any time still gets every SIGBUS
// that is not a machine check of an mcsafe copy, and mcsafe copies still
// return PMEM2_E_IO_FAIL. (An application that installs its handler from
// inside another thread's mcsafe copy may see that one copy crash.)
int install_handler() noexcept
{
	std::lock_guard lk(install_mtx);
	struct sigaction cur;
	if (int r = os::sigaction(SIGBUS, nullptr, &cur)) {
		set_errormsg_errno(-r, "reading the SIGBUS disposition");
		return r;
	}
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == &on_sigbus)
		return 0;
	// Record the disposition before ours can run, so a SIGBUS arriving the
	// moment the handler is in place already finds where to forward.
	previous = cur;
	struct sigaction sa = {};
	sa.sa_sigaction = &on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (int r = os::sigaction(SIGBUS, &sa, nullptr)) {
		set_errormsg_errno(-r, "installing the SIGBUS handler");
		return r;
	}
	return 0;
}

int guarded_copy(void *dst, const void *src, std::size_t n, bool persist) noexcept
{
	if (int r = install_handler())
		return r;
	landing = nullptr;	// first touch of the thread's slot happens outside the handler
	sigjmp_buf jb;
	if (sigsetjmp(jb, 1) != 0) {
		set_errormsg("machine check (SIGBUS) while copying %zu bytes from %p to %p",
			n, src, dst);
		return PMEM2_E_IO_FAIL;
	}
	landing = &jb;
	// The compiler must not move the copy out of the armed window.
	std::atomic_signal_fence(std::memory_order_seq_cst);
	if (persist)
		memops::ops(memops::granularity::cache_line).memmove(dst, src, n, 0);
	else
		std::memcpy(dst, src, n);
	std::atomic_signal_fence(std::memory_order_seq_cst);
	landing = nullptr;
	return 0;
}

int window_io(int fd, std::size_t align, void *buf, std::size_t size, std::size_t offset, bool write)
{
	if (size == 0)
		return 0;
	const std::size_t start = offset & ~(align - 1);
	const std::size_t end = (offset + size + align - 1) & ~(align - 1);
	const std::size_t len = end - start;
	auto m = os::mmap(nullptr, len, write ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd,
		static_cast<off_t>(start));
	if (m.err) {
		set_errormsg_errno(-m.err, "mmap(%zu bytes at offset %zu) of the device", len, start);
		return m.err;
	}
	char *at = static_cast<char *>(m.addr) + (offset - start);
	int r = write ? guarded_copy(at, buf, size, true) : guarded_copy(buf, at, size, false);
	os::munmap(m.addr, len);
	return r;
}

namespace {

// Size check shared by both directions (DIFFERENCES.md A26: offset past the end too).
int check_range(const source_info &src, std::size_t size, std::size_t offset)
{
	if (src.kind != source_kind::fd) {
		set_errormsg("mcsafe I/O needs a file or device DAX source, not anonymous memory");
		return PMEM2_E_SOURCE_TYPE_NOT_SUPPORTED;
	}
	auto s = source_size(src);
	if (!s)
		return s.code();
	if (offset > *s || size > *s - offset) {
		set_errormsg("range %zu + %zu exceeds the source size %zu", offset, size, *s);
		return PMEM2_E_LENGTH_OUT_OF_RANGE;
	}
	return 0;
}

// The whole range through pread/pwrite, whatever the transfer sizes (DIFFERENCES.md A26).
template <class Op>
int file_io(Op op, const char *name, int fd, char *buf, std::size_t size, std::size_t offset)
{
	std::size_t done = 0;
	while (done < size) {
		ssize_t n = op(fd, buf + done, size - done, static_cast<off_t>(offset + done));
		if (n == -EIO) {
			set_errormsg_errno(EIO, "%s(%zu bytes at %zu)", name, size - done, offset + done);
			return PMEM2_E_IO_FAIL;
		}
		if (n < 0) {
			set_errormsg_errno(int(-n), "%s(%zu bytes at %zu)", name, size - done, offset + done);
			return int(n);
		}
		if (n == 0) {	// the file shrank under us
			set_errormsg("%s: no progress at offset %zu", name, offset + done);
			return -EIO;
		}
		done += std::size_t(n);
	}
	return 0;
}

int devdax_io(const source_info &src, void *buf, std::size_t size, std::size_t offset, bool write)
{
	auto a = source_alignment(src);
	if (!a)
		return a.code();
	return window_io(src.fd, *a, buf, size, offset, write);
}

} // namespace

int pread(const source_info &src, void *buf, std::size_t size, std::size_t offset)
{
	if (int r = check_range(src, size, offset))
		return r;
	if (src.ftype == file_kind::devdax)
		return devdax_io(src, buf, size, offset, false);
	return file_io([](int fd, char *b, std::size_t n, off_t o) { return os::pread(fd, b, n, o); },
		"pread", src.fd, static_cast<char *>(buf), size, offset);
}

int pwrite(const source_info &src, const void *buf, std::size_t size, std::size_t offset)
{
	if (int r = check_range(src, size, offset))
		return r;
	char *b = static_cast<char *>(const_cast<void *>(buf));
	if (src.ftype == file_kind::devdax)
		return devdax_io(src, b, size, offset, true);
	return file_io([](int fd, char *p, std::size_t n, off_t o) { return os::pwrite(fd, p, n, o); },
		"pwrite", src.fd, b, size, offset);
}

} // namespace pmem2::mcsafe
