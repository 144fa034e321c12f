// The durable image of one tracked range (checker.hpp) and the rule by which
// bytes enter it: a commit of bytes as of event `seq` writes a byte only when
// no newer event wrote it already. Two threads may flush the same line, and
// a fence may commit an older flush after a newer one was committed: the
// older copy must not roll back what the newer one made durable.
//
// Versions are kept per 64-byte line, not per byte. A flush always carries
// all bytes of its line as they were at the flush, so when every commit into
// a line covers the whole line, its bytes share one version and that version
// is exact. Only a commit of part of a line (a streaming store's tail, a
// range at the edge of a map not aligned to lines) gives its bytes different
// versions: such a line is "mixed" and keeps one version per byte on the
// side, until a commit of the whole line newer than all of them makes it
// uniform again. The rule is thus applied byte-exactly everywhere while the
// common case (whole lines, in order) costs one compare and one store per
// line besides the copy.
//
// Not thread-safe: the checker's lock guards it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace pmem2::check {

class shadow {
public:
	// [base, base+len), its current bytes `live` taken as durable (version
	// 0: older than every event).
	shadow(std::uintptr_t base, std::size_t len, const unsigned char *live);

	// [a, a+n), inside the range, from src (src[0] is the byte at a) as of
	// event seq (> 0): each byte unless a newer event wrote it already.
	void commit(std::uintptr_t a, std::size_t n, const unsigned char *src, std::uint64_t seq) noexcept;

	const std::vector<unsigned char> &bytes() const noexcept { return bytes_; }
	// Lines holding per-byte versions now (observation for tests).
	std::size_t mixed_lines() const noexcept { return mixed_.size(); }

private:
	static constexpr std::uintptr_t line = 64;
	// Set in a line's version when the line is mixed; the rest of it is
	// then the newest version of any of its bytes.
	static constexpr std::uint64_t mixed_bit = std::uint64_t(1) << 63;
	using byte_versions = std::array<std::uint64_t, line>;	// by address % 64

	void commit_mixed(std::uintptr_t lo, std::uintptr_t hi, const unsigned char *src, std::uint64_t seq,
		std::uint64_t &v) noexcept;

	std::uintptr_t base_;
	std::size_t len_;
	std::uintptr_t first_line_;	// base_ / 64
	std::vector<unsigned char> bytes_;
	std::vector<std::uint64_t> line_version_;	// by line from first_line_
	std::unordered_map<std::uintptr_t, byte_versions> mixed_;	// by line number
};

} // namespace pmem2::check
