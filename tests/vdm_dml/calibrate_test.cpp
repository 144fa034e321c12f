// DATA_MOVER_DML_THRESHOLD_AUTO: the crossover measured against the device
// model. A device far slower than the CPU at every size, or one that fails,
// gives SIZE_MAX (everything on the CPU); whatever is measured, a mover
// routes by the threshold it reports.
#include <gtest/gtest.h>

#include <libminiasync-vdm-dml.h>
#include <libminiasync.h>

#include <chrono>
#include <cstring>

#include "support/dsa_on_model.hpp"
#include "vdm_dml/calibrate.hpp"

using pmem2::test::dsa_model;
using pmem2::test::dsa_on_model;
using pmem2::test::fake_wq;

namespace {

data_mover_dml *auto_threshold_mover()
{
	data_mover_dml_config *c = nullptr;
	EXPECT_EQ(data_mover_dml_config_new(&c), 0);
	EXPECT_EQ(data_mover_dml_config_set_type(c, DATA_MOVER_DML_HARDWARE), 0);
	EXPECT_EQ(data_mover_dml_config_set_threshold(c, DATA_MOVER_DML_THRESHOLD_AUTO), 0);
	data_mover_dml *d = data_mover_dml_new_config(c);
	data_mover_dml_config_delete(&c);
	return d;
}

} // namespace

TEST(Calibrate, ASlowDeviceKeepsEverythingOnTheCpu)
{
	dsa_model::options o;
	o.per_kib = std::chrono::microseconds(20);	// 50 MB/s: far below any CPU
	dsa_on_model m(fake_wq{}, o);
	data_mover_dml *d = auto_threshold_mover();
	ASSERT_NE(d, nullptr) << data_mover_dml_errormsg();
	EXPECT_EQ(data_mover_dml_get_threshold(d), SIZE_MAX);
	const unsigned probes = m.model.accepted();
	EXPECT_GE(probes, 3u) << "the device was measured";
	pmem2::test::anon_pages src(1 << 20, 2), dst(1 << 20);
	auto f = vdm_memcpy(data_mover_dml_get_vdm(d), dst.p, src.p, 1 << 20, 0);
	runtime_wait(runtime_new(), FUTURE_AS_RUNNABLE(&f));
	EXPECT_EQ(m.model.accepted(), probes) << "a megabyte went to a device slower than the CPU";
	EXPECT_EQ(std::memcmp(dst.p, src.p, 1 << 20), 0);
	data_mover_dml_delete(d);
}

TEST(Calibrate, AFailingDeviceKeepsEverythingOnTheCpu)
{
	dsa_on_model m;
	pmem2::dsa::queue_link q;
	struct forward : pmem2::dsa::portal {
		dsa_model *m;
		bool submit(const dsa_hw_desc &d) noexcept override { return m->submit(d); }
	} port;
	port.m = &m.model;
	q.port = &port;
	q.size = 16;
	m.model.fail_next(DSA_COMP_HW_ERR1, 100);
	EXPECT_EQ(pmem2::vdm_dml::measure_crossover(q, pmem2::dsa::wait_policy::yield), SIZE_MAX);
}

TEST(Calibrate, AMoverRoutesByTheThresholdItMeasured)
{
	dsa_model::options o;
	o.inline_device = true;	// zero latency: a copy without write-back
	dsa_on_model m(fake_wq{}, o);
	data_mover_dml *d = auto_threshold_mover();
	ASSERT_NE(d, nullptr);
	const std::size_t t = data_mover_dml_get_threshold(d);
	EXPECT_TRUE(t == SIZE_MAX || (t >= 4096 && t <= 256 * 1024 && (t & (t - 1)) == 0)) << t;
	if (t != SIZE_MAX) {
		pmem2::test::anon_pages src(t, 2), dst(t);
		const unsigned before = m.model.accepted();
		auto below = vdm_memcpy(data_mover_dml_get_vdm(d), dst.p, src.p, t - 1, 0);
		runtime_wait(runtime_new(), FUTURE_AS_RUNNABLE(&below));
		EXPECT_EQ(m.model.accepted(), before);
		auto at = vdm_memcpy(data_mover_dml_get_vdm(d), dst.p, src.p, t, 0);
		runtime_wait(runtime_new(), FUTURE_AS_RUNNABLE(&at));
		EXPECT_EQ(m.model.accepted(), before + 1);
	}
	data_mover_dml_delete(d);
}
