// The DSA mover's own CPU cost (Google Benchmark): vdm futures on the
// mover's work-queue path against the software model of the device in its
// zero-latency mode (each descriptor performed inside the submit, on this
// thread), so what is measured is building the descriptor, the fence, the
// submit, the polls and the completion, plus a copy of the given size that
// any mover makes:
//   dsa/model/one/<size>      one future, created and busy-polled to the end
//   dsa/model/depth:16/<size> 16 futures, then runtime_wait_multiple; time
//                             per future
//   dsa/model/batch:16/<size> 16 copies as one BATCH descriptor (dsa::batch,
//                             the device side of batching), per copy
//   dsa/cpu/one/<size>        the same future on the mover's CPU path
//   dsa/memcpy/<size>         plain memcpy of the size, the copy alone
// CPU time per operation. The fake platform and the model come from the
// tests' support (tests/support); nothing here needs DSA hardware.
#include <libminiasync-vdm-dml.h>

#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <vector>

#include "dsa/batch.hpp"
#include "support/dsa_on_model.hpp"

namespace {

// The mover on a fake queue of 128 entries over the zero-latency model.
pmem2::test::fake_wq queue_of_128()
{
	pmem2::test::fake_wq w;
	w.size = 128;
	return w;
}

pmem2::test::dsa_model::options zero_latency()
{
	pmem2::test::dsa_model::options o;
	o.inline_device = true;
	return o;
}

struct setup : pmem2::test::dsa_on_model {
	data_mover_dml *hw = nullptr, *cpu = nullptr;
	std::vector<char> src = std::vector<char>(1 << 20, 1), dst = std::vector<char>(1 << 20);

	setup() : dsa_on_model(queue_of_128(), zero_latency())
	{
		hw = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
		cpu = data_mover_dml_new(DATA_MOVER_DML_SOFTWARE);
		if (hw == nullptr || cpu == nullptr)
			std::abort();
	}
	~setup()
	{
		data_mover_dml_delete(hw);
		data_mover_dml_delete(cpu);
	}
};

setup &the_setup()
{
	static setup s;
	return s;
}

void one(benchmark::State &state, data_mover_dml *(*pick)(setup &))
{
	setup &s = the_setup();
	vdm *v = data_mover_dml_get_vdm(pick(s));
	const auto n = static_cast<std::size_t>(state.range(0));
	for (auto _ : state) {
		auto f = vdm_memcpy(v, s.dst.data(), s.src.data(), n, VDM_F_MEM_DURABLE);
		FUTURE_BUSY_POLL(&f);
		benchmark::DoNotOptimize(f.output.result);
	}
	state.SetItemsProcessed(state.iterations());
}

void model_one(benchmark::State &state)
{
	one(state, [](setup &s) { return s.hw; });
}

void cpu_one(benchmark::State &state)
{
	one(state, [](setup &s) { return s.cpu; });
}

void model_depth16(benchmark::State &state)
{
	setup &s = the_setup();
	vdm *v = data_mover_dml_get_vdm(s.hw);
	const auto n = static_cast<std::size_t>(state.range(0));
	runtime *r = runtime_new();
	std::vector<vdm_operation_future> fs(16);
	std::vector<future *> all(16);
	for (auto _ : state) {
		for (std::size_t i = 0; i < 16; ++i) {
			fs[i] = vdm_memcpy(v, s.dst.data() + i * n, s.src.data() + i * n, n, VDM_F_MEM_DURABLE);
			all[i] = FUTURE_AS_RUNNABLE(&fs[i]);
		}
		runtime_wait_multiple(r, all.data(), all.size());
	}
	runtime_delete(r);
	state.SetItemsProcessed(state.iterations() * 16);
}

void model_batch16(benchmark::State &state)
{
	setup &s = the_setup();
	const auto n = static_cast<std::size_t>(state.range(0));
	pmem2::dsa::queue_link q;
	q.port = &s.model;
	q.dedicated = true;
	q.size = 128;
	q.max_transfer_size = 1 << 21;
	pmem2::dsa::batch b(q, 16);	// reused, as a mover keeps its batches
	for (auto _ : state) {
		b.reset();
		for (std::size_t i = 0; i < 16; ++i) {
			vdm_operation op{};
			op.type = VDM_OPERATION_MEMCPY;
			op.data.memcpy = {s.dst.data() + i * n, s.src.data() + i * n, n, VDM_F_MEM_DURABLE};
			b.add(op);
		}
		while (b.poll() == pmem2::dsa::job_state::running)
			;
	}
	state.SetItemsProcessed(state.iterations() * 16);
}

void plain(benchmark::State &state)
{
	setup &s = the_setup();
	const auto n = static_cast<std::size_t>(state.range(0));
	for (auto _ : state) {
		std::memcpy(s.dst.data(), s.src.data(), n);
		benchmark::ClobberMemory();
	}
	state.SetItemsProcessed(state.iterations());
}

} // namespace

BENCHMARK(model_one)->Name("dsa/model/one")->Arg(64)->Arg(4096)->MeasureProcessCPUTime();
BENCHMARK(model_depth16)->Name("dsa/model/depth:16")->Arg(64)->Arg(4096)->MeasureProcessCPUTime();
BENCHMARK(model_batch16)->Name("dsa/model/batch:16")->Arg(64)->Arg(4096)->MeasureProcessCPUTime();
BENCHMARK(cpu_one)->Name("dsa/cpu/one")->Arg(64)->Arg(4096)->MeasureProcessCPUTime();
BENCHMARK(plain)->Name("dsa/memcpy")->Arg(64)->Arg(4096)->MeasureProcessCPUTime();

BENCHMARK_MAIN();
