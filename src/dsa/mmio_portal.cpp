#include "dsa/mmio_portal.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <immintrin.h>

namespace pmem2::dsa {
namespace {

constexpr std::size_t portal_size = 4096;

class mmio_portal final : public portal {
public:
	mmio_portal(int fd, void *page, bool dedicated) : fd_(fd), page_(page), dedicated_(dedicated) {}
	~mmio_portal() override
	{
		munmap(page_, portal_size);
		close(fd_);
	}
	bool submit(const dsa_hw_desc &d) noexcept override
	{
		_mm_sfence();
		return dedicated_ ? movdir64b(d) : enqcmd(d);
	}

private:
	[[gnu::target("movdir64b")]] bool movdir64b(const dsa_hw_desc &d) noexcept
	{
		_movdir64b(page_, &d);
		return true;
	}
	// ENQCMD sets ZF when the queue did not accept the descriptor.
	[[gnu::target("enqcmd")]] bool enqcmd(const dsa_hw_desc &d) noexcept
	{
		return _enqcmd(page_, &d) == 0;
	}

	int fd_;
	void *page_;
	bool dedicated_;
};

} // namespace

std::unique_ptr<portal> open_mmio_portal(const work_queue &q, std::string &why)
{
	if (q.mode == wq_mode::unknown) {
		why = q.name + ": unknown mode";
		return nullptr;
	}
	const int fd = open(q.dev_path.c_str(), O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		why = q.dev_path + ": " + std::strerror(errno);
		return nullptr;
	}
	void *page = mmap(nullptr, portal_size, PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (page == MAP_FAILED) {
		why = q.dev_path + ": mmap of the portal: " + std::strerror(errno);
		close(fd);
		return nullptr;
	}
	auto p = std::unique_ptr<portal>(new (std::nothrow) mmio_portal(fd, page, q.mode == wq_mode::dedicated));
	if (!p) {
		munmap(page, portal_size);
		close(fd);
		why = "out of memory";
	}
	return p;
}

} // namespace pmem2::dsa
