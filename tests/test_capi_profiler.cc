// The profiler through the C API (MXCProfiler*): operators run with the profiler on are in the Chrome trace (read
// back with the library's JSON reader) with positive durations inside the wall time of the run; nothing is recorded
// while stopped or paused; the aggregate counts equal the operators run; user objects appear; bad input is an error.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "json.h"
#include "mxc.h"

namespace {

std::string Err() { return MXCGetLastError(); }

const std::string kFile = "test_capi_profiler_trace.json";

void Config(std::vector<const char *> keys, std::vector<const char *> vals) {
  ASSERT_EQ(MXCProfilerSetConfig(static_cast<int>(keys.size()), keys.data(), vals.data()), 0) << Err();
}

MXCNDArrayHandle Ones(int64_t n) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(&n, 1, MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0) << Err();
  std::vector<float> v(n, 1.0f);
  EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), n), 0) << Err();
  return h;
}

// Runs elemwise_add n times on a, waiting at the end.
void RunAdds(MXCNDArrayHandle a, int n) {
  MXCOpHandle add;
  ASSERT_EQ(MXCOpGetHandle("elemwise_add", &add), 0) << Err();
  for (int i = 0; i < n; ++i) {
    MXCNDArrayHandle in[2] = {a, a};
    int nout = 0;
    MXCNDArrayHandle *out = nullptr;
    ASSERT_EQ(MXCOpInvoke(add, 2, in, &nout, &out, 0, nullptr, nullptr), 0) << Err();
    MXCNDArrayHandle o = out[0];
    ASSERT_EQ(MXCNDArrayWaitToRead(o), 0) << Err();
    MXCNDArrayFree(o);
  }
}

mxc::json::Value ReadTrace() {
  std::ifstream f(kFile);
  std::stringstream ss;
  ss << f.rdbuf();
  return mxc::json::Parse(ss.str());
}

std::vector<const mxc::json::Value *> Events(const mxc::json::Value &trace, const std::string &name) {
  std::vector<const mxc::json::Value *> v;
  for (auto &e : trace.Find("traceEvents")->AsArray("traceEvents"))
    if (e.Find("name")->AsString("name") == name) v.push_back(&e);
  return v;
}

double NowUs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
             .count() / 1e3;
}

std::string Dumps(int reset, int format, int sort_by = 0, int ascending = 0) {
  const char *s = nullptr;
  EXPECT_EQ(MXCProfilerDumps(reset, format, sort_by, ascending, &s), 0) << Err();
  return s ? s : "";
}

TEST(Profiler, OperatorsTimedWithinWallTimeAndCounted) {
  Config({"profile_all", "filename", "aggregate_stats"}, {"1", kFile.c_str(), "1"});
  MXCNDArrayHandle a = Ones(1000);
  Dumps(1, 0);                      // forget earlier statistics
  RunAdds(a, 3);                    // stopped: not recorded
  ASSERT_EQ(MXCProfilerSetState(1), 0) << Err();
  double t0 = NowUs();
  RunAdds(a, 5);
  double t1 = NowUs();
  ASSERT_EQ(MXCProfilerPause(1), 0) << Err();
  RunAdds(a, 4);                    // paused: not recorded
  ASSERT_EQ(MXCProfilerPause(0), 0) << Err();
  RunAdds(a, 2);
  double t2 = NowUs();
  ASSERT_EQ(MXCProfilerSetState(0), 0) << Err();
  RunAdds(a, 3);                    // stopped again
  ASSERT_EQ(MXCProfilerDump(1), 0) << Err();

  auto trace = ReadTrace();
  auto adds = Events(trace, "elemwise_add");
  ASSERT_EQ(adds.size(), 7u);
  for (size_t i = 0; i < adds.size(); ++i) {
    const auto &e = *adds[i];
    EXPECT_EQ(e.Find("ph")->AsString("ph"), "X");
    EXPECT_EQ(e.Find("cat")->AsString("cat"), "operator");
    double ts = e.Find("ts")->AsNumber("ts"), dur = e.Find("dur")->AsNumber("dur");
    EXPECT_GT(dur, 0);
    EXPECT_GE(ts, t0);
    EXPECT_LE(ts + dur, t2);
    if (i < 5) EXPECT_LE(ts + dur, t1);  // the first five ran before the pause
    EXPECT_TRUE(e.Find("pid")->is_number());
    EXPECT_TRUE(e.Find("tid")->is_number());
  }
  // The device's process is named as MXNet names it.
  bool named = false;
  for (auto &e : trace.Find("traceEvents")->AsArray("traceEvents"))
    if (e.Find("ph")->AsString("ph") == "M" && e.Find("name")->AsString("name") == "process_name" &&
        e.Find("args")->Find("name")->AsString("name") == "cpu/0")
      named = e.Find("pid")->AsNumber("pid") == adds[0]->Find("pid")->AsNumber("pid");
  EXPECT_TRUE(named);
  // The C API calls and the storage counter are there too.
  EXPECT_EQ(Events(trace, "MXCOpInvoke").size(), 7u);
  EXPECT_FALSE(Events(trace, "Memory: cpu/0").empty());

  auto stats = mxc::json::Parse(Dumps(1, 1));
  const auto *row = stats.Find("Time")->Find("operator")->Find("elemwise_add");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->Find("Count")->AsInt("Count"), 7);
  double total = row->Find("Total")->AsNumber("Total"), mn = row->Find("Min")->AsNumber("Min");
  EXPECT_GT(mn, 0);
  EXPECT_LE(mn, row->Find("Max")->AsNumber("Max"));
  EXPECT_NEAR(row->Find("Avg")->AsNumber("Avg"), total / 7, 1e-9 + total * 1e-9);
  EXPECT_LE(total, (t2 - t0) / 1e3);  // ms, within the wall time
  // reset: empty afterwards
  auto empty = mxc::json::Parse(Dumps(0, 1));
  EXPECT_EQ(empty.Find("Time")->Find("operator"), nullptr);

  // The table: MXNet's headings and one row per operator.
  ASSERT_EQ(MXCProfilerSetState(1), 0) << Err();
  RunAdds(a, 2);
  ASSERT_EQ(MXCProfilerSetState(0), 0) << Err();
  std::string table = Dumps(1, 0);
  EXPECT_NE(table.find("Profile Statistics:\n\tNote the difference in units for different entries.\n"),
            std::string::npos);
  EXPECT_NE(table.find("operator\n=================\nName                          Total Count        Time (ms)    "
                       "Min Time (ms)    Max Time (ms)    Avg Time (ms)\n"),
            std::string::npos);
  EXPECT_NE(table.find("elemwise_add                            2"), std::string::npos) << table;
  MXCNDArrayFree(a);
  std::remove(kFile.c_str());
}

TEST(Profiler, ThreadsRecordSafely) {
  Config({"profile_imperative", "profile_symbolic", "profile_api", "profile_memory", "filename", "aggregate_stats"},
         {"1", "0", "0", "0", kFile.c_str(), "1"});
  ASSERT_EQ(MXCProfilerDump(1), 0) << Err();  // forget the events of earlier tests
  Dumps(1, 0);
  ASSERT_EQ(MXCProfilerSetState(1), 0) << Err();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([] {
      MXCNDArrayHandle a = Ones(64);
      RunAdds(a, 50);
      MXCNDArrayFree(a);
    });
  for (auto &t : threads) t.join();
  ASSERT_EQ(MXCProfilerSetState(0), 0) << Err();
  ASSERT_EQ(MXCProfilerDump(1), 0) << Err();
  EXPECT_EQ(Events(ReadTrace(), "elemwise_add").size(), 200u);
  EXPECT_TRUE(Events(ReadTrace(), "MXCOpInvoke").empty());  // profile_api off
  auto stats = mxc::json::Parse(Dumps(1, 1));
  EXPECT_EQ(stats.Find("Time")->Find("operator")->Find("elemwise_add")->Find("Count")->AsInt("Count"), 200);
  std::remove(kFile.c_str());
}

TEST(Profiler, UserObjects) {
  Config({"profile_all", "filename"}, {"1", kFile.c_str()});
  ASSERT_EQ(MXCProfilerDump(1), 0) << Err();
  Dumps(1, 0);
  MXCProfilerObjectHandle dom, task, frame, ev, counter, marker;
  ASSERT_EQ(MXCProfilerObjectCreate(MXC_PROFILER_DOMAIN, nullptr, "dom", &dom), 0) << Err();
  ASSERT_EQ(MXCProfilerObjectCreate(MXC_PROFILER_TASK, dom, "task", &task), 0) << Err();
  ASSERT_EQ(MXCProfilerObjectCreate(MXC_PROFILER_FRAME, dom, "frame", &frame), 0) << Err();
  ASSERT_EQ(MXCProfilerObjectCreate(MXC_PROFILER_EVENT, nullptr, "ev", &ev), 0) << Err();
  ASSERT_EQ(MXCProfilerObjectCreate(MXC_PROFILER_COUNTER, dom, "counter", &counter), 0) << Err();
  ASSERT_EQ(MXCProfilerObjectCreate(MXC_PROFILER_MARKER, dom, "marker", &marker), 0) << Err();
  ASSERT_EQ(MXCProfilerSetState(1), 0) << Err();
  for (auto *h : {task, frame, ev}) ASSERT_EQ(MXCProfilerObjectStart(h), 0) << Err();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  for (auto *h : {task, frame, ev}) ASSERT_EQ(MXCProfilerObjectStop(h), 0) << Err();
  ASSERT_EQ(MXCProfilerCounterSet(counter, 5), 0) << Err();
  ASSERT_EQ(MXCProfilerCounterAdd(counter, 3), 0) << Err();
  ASSERT_EQ(MXCProfilerCounterAdd(counter, -1), 0) << Err();
  ASSERT_EQ(MXCProfilerMarkerMark(marker, "process"), 0) << Err();
  ASSERT_EQ(MXCProfilerSetState(0), 0) << Err();
  ASSERT_EQ(MXCProfilerDump(1), 0) << Err();
  auto trace = ReadTrace();
  std::map<std::string, std::string> cats = {{"task", "dom"}, {"frame", "dom,frame"}, {"ev", "event"},
                                             {"marker", "dom,instant_marker"}};
  for (auto &kv : cats) {
    auto v = Events(trace, kv.first);
    ASSERT_EQ(v.size(), 1u) << kv.first;
    EXPECT_EQ(v[0]->Find("cat")->AsString("cat"), kv.second);
    if (kv.first != "marker") EXPECT_GE(v[0]->Find("dur")->AsNumber("dur"), 2000);  // us
  }
  auto counts = Events(trace, "counter");
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[2]->Find("args")->Find("counter")->AsInt("counter"), 7);
  // Errors: a wrong kind, a stop without a start, a bad scope; the library goes on.
  EXPECT_EQ(MXCProfilerCounterSet(task, 1), -1);
  EXPECT_NE(Err().find("ValueError: profiler: 'task' is not a counter"), std::string::npos) << Err();
  EXPECT_EQ(MXCProfilerObjectStop(task), -1);
  EXPECT_NE(Err().find("stopped without a start"), std::string::npos) << Err();
  EXPECT_EQ(MXCProfilerMarkerMark(marker, "galaxy"), -1);
  EXPECT_EQ(MXCProfilerObjectCreate(MXC_PROFILER_TASK, nullptr, "t", &task), -1);
  for (auto *h : {task, frame, ev, counter, marker, dom}) MXCProfilerObjectFree(h);
  std::remove(kFile.c_str());
}

TEST(Profiler, BadArguments) {
  const char *k[] = {"profile_everything"}, *v[] = {"1"};
  EXPECT_EQ(MXCProfilerSetConfig(1, k, v), -1);
  EXPECT_NE(Err().find("ValueError: profiler.set_config: unknown argument 'profile_everything'"), std::string::npos);
  const char *k2[] = {"profile_all"}, *v2[] = {"yes"};
  EXPECT_EQ(MXCProfilerSetConfig(1, k2, v2), -1);
  EXPECT_NE(Err().find("'profile_all' must be a boolean, got 'yes'"), std::string::npos) << Err();
  EXPECT_EQ(MXCProfilerSetState(2), -1);
  const char *s = nullptr;
  EXPECT_EQ(MXCProfilerDumps(0, 2, 0, 0, &s), -1);
  EXPECT_EQ(MXCProfilerDumps(0, 0, 7, 0, &s), -1);
  EXPECT_EQ(Dumps(0, 0), "");  // without aggregate_stats, as MXNet
  const char *k3[] = {"filename"}, *v3[] = {"/nonexistent-dir/p.json"};
  ASSERT_EQ(MXCProfilerSetConfig(1, k3, v3), 0) << Err();
  EXPECT_EQ(MXCProfilerDump(1), -1);
  EXPECT_NE(Err().find("IOError: profiler.dump: cannot open '/nonexistent-dir/p.json'"), std::string::npos) << Err();
}

}  // namespace
