#include "map/source.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/sysmacros.h>

#include <libpmem2/base.h>

#include "common/errormsg.hpp"
#include "os/os.hpp"

namespace pmem2 {

namespace {

std::string char_dev_dir(dev_t rdev)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), "/sys/dev/char/%u:%u", major(rdev), minor(rdev));
	return os::sys_path(buf);
}

// A regular file, a directory, a device DAX char device, or an error.
int classify(const struct stat &st, file_kind &out)
{
	if (S_ISREG(st.st_mode)) {
		out = file_kind::reg;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		out = file_kind::dir;
		return 0;
	}
	if (!S_ISCHR(st.st_mode)) {
		set_errormsg("file type 0%o is not supported (not a regular file or a device DAX)",
			unsigned(st.st_mode & S_IFMT));
		return PMEM2_E_INVALID_FILE_TYPE;
	}
	std::string spath = char_dev_dir(st.st_rdev) + "/subsystem";
	std::string resolved;
	if (int r = os::realpath(spath, resolved)) {
		// A char device without a sysfs node cannot be device DAX (DIFFERENCES.md A38).
		if (r == -ENOENT) {
			set_errormsg("character device %u:%u is not a device DAX (no %s)",
				major(st.st_rdev), minor(st.st_rdev), spath.c_str());
			return PMEM2_E_INVALID_FILE_TYPE;
		}
		set_errormsg_errno(-r, "realpath %s", spath.c_str());
		return r;
	}
	std::size_t slash = resolved.rfind('/');
	std::string_view last = slash == std::string::npos
		? std::string_view(resolved) : std::string_view(resolved).substr(slash + 1);
	if (last != "dax") {
		set_errormsg("character device %u:%u is not a device DAX (subsystem %.*s)",
			major(st.st_rdev), minor(st.st_rdev), int(last.size()), last.data());
		return PMEM2_E_INVALID_FILE_TYPE;
	}
	out = file_kind::devdax;
	return 0;
}

bool is_pow2(std::size_t v) noexcept { return v != 0 && (v & (v - 1)) == 0; }

} // namespace

int source_from_fd(int fd, source_info &out)
{
	if (fd < 0) {
		set_errormsg("invalid file descriptor %d", fd);
		return PMEM2_E_INVALID_FILE_HANDLE;
	}
	int fl = os::fcntl_getfl(fd);
	if (fl < 0) {
		set_errormsg_errno(-fl, "fcntl(%d, F_GETFL)", fd);
		return fl == -EBADF ? PMEM2_E_INVALID_FILE_HANDLE : fl;
	}
	if ((fl & O_ACCMODE) == O_WRONLY) {
		set_errormsg("file descriptor %d is write-only; mapping needs read access", fd);
		return PMEM2_E_INVALID_FILE_HANDLE;
	}
	struct stat st;
	if (int r = os::fstat(fd, &st)) {
		set_errormsg_errno(-r, "fstat(%d)", fd);
		return r == -EBADF ? PMEM2_E_INVALID_FILE_HANDLE : r;
	}
	file_kind k;
	if (int r = classify(st, k))
		return r;
	if (k == file_kind::dir) {
		set_errormsg("file descriptor %d refers to a directory", fd);
		return PMEM2_E_INVALID_FILE_TYPE;
	}
	out = source_info{};
	out.kind = source_kind::fd;
	out.ftype = k;
	out.fd = fd;
	out.rdev = st.st_rdev;
	out.dev = st.st_dev;
	return 0;
}

source_info source_from_anon(std::size_t size) noexcept
{
	source_info s;
	s.kind = source_kind::anon;
	s.ftype = file_kind::none;
	s.anon_size = size;
	return s;
}

result<std::size_t> devdax_size(dev_t rdev)
{
	std::string path = char_dev_dir(rdev) + "/size";
	std::string text;
	if (int r = os::read_file(path, 64, text)) {
		set_errormsg_errno(-r, "cannot read %s", path.c_str());
		return result<std::size_t>::error(r);
	}
	errno = 0;
	char *end = nullptr;
	unsigned long long v = std::strtoull(text.c_str(), &end, 0);
	if (errno == ERANGE) {
		set_errormsg_errno(ERANGE, "device DAX size in %s", path.c_str());
		return result<std::size_t>::error(-ERANGE);
	}
	if (end == text.c_str() || *end != '\n') {
		set_errormsg("invalid device DAX size format in %s", path.c_str());
		return result<std::size_t>::error(PMEM2_E_INVALID_SIZE_FORMAT);
	}
	return static_cast<std::size_t>(v);
}

result<std::size_t> devdax_alignment(dev_t rdev)
{
	std::string dir = char_dev_dir(rdev);
	std::string resolved;
	if (int r = os::realpath(dir, resolved)) {
		set_errormsg_errno(-r, "realpath %s", dir.c_str());
		return result<std::size_t>::error(r);
	}
	const std::string stop = os::sys_path("/sys/devices");
	std::string level = resolved;
	for (;;) {
		if (level == stop || level.empty())
			break;
		std::string path = level + "/dax_region/align";
		std::string text;
		int r = os::read_file(path, 64, text);
		if (r == 0) {
			errno = 0;
			char *end = nullptr;
			unsigned long long v = std::strtoull(text.c_str(), &end, 10);
			if (errno == ERANGE) {
				set_errormsg_errno(ERANGE, "device DAX alignment in %s", path.c_str());
				return result<std::size_t>::error(-ERANGE);
			}
			if (end == text.c_str() || *end != '\n') {
				set_errormsg("invalid device DAX alignment format in %s", path.c_str());
				return result<std::size_t>::error(PMEM2_E_INVALID_ALIGNMENT_FORMAT);
			}
			if (!is_pow2(v)) {
				// Old kernels printed the alignment in hexadecimal.
				errno = 0;
				unsigned long long h = std::strtoull(text.c_str(), &end, 16);
				if (errno == 0 && *end == '\n')
					v = h;
			}
			return static_cast<std::size_t>(v);
		}
		std::size_t slash = level.rfind('/');
		if (slash == std::string::npos)
			break;
		level.resize(slash);
	}
	return std::size_t(0);
}

result<std::size_t> source_size(const source_info &src)
{
	if (src.kind == source_kind::anon)
		return src.anon_size;
	struct stat st;
	if (int r = os::fstat(src.fd, &st)) {
		set_errormsg_errno(-r, "fstat(%d)", src.fd);
		return result<std::size_t>::error(r == -EBADF ? PMEM2_E_INVALID_FILE_HANDLE : r);
	}
	switch (src.ftype) {
	case file_kind::reg:
		if (st.st_size < 0) {
			set_errormsg("file size %" PRId64 " is negative", int64_t(st.st_size));
			return result<std::size_t>::error(PMEM2_E_INVALID_FILE_HANDLE);
		}
		return static_cast<std::size_t>(st.st_size);
	case file_kind::devdax:
		return devdax_size(src.rdev);
	default:
		set_errormsg("source has no size (unsupported file type)");
		return result<std::size_t>::error(PMEM2_E_INVALID_FILE_TYPE);
	}
}

result<std::size_t> source_alignment(const source_info &src)
{
	std::size_t a = os::page_size();
	if (src.kind == source_kind::fd && src.ftype == file_kind::devdax) {
		auto r = devdax_alignment(src.rdev);
		if (!r)
			return r;
		a = *r;
	}
	if (!is_pow2(a)) {
		set_errormsg("alignment %zu is not a power of two", a);
		return result<std::size_t>::error(PMEM2_E_INVALID_ALIGNMENT_VALUE);
	}
	return a;
}

} // namespace pmem2
