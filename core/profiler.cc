// The profiler: per-thread event buffers, the Chrome trace writer and the aggregate statistics (see profiler.h).
#include "profiler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "json.h"

namespace mxc {
namespace profiler {

std::atomic<unsigned> g_active{0};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

struct Event {
  std::string name, cat, node;
  char ph = 'X';     // 'X' complete, 'C' counter, 'i' instant
  char scope = 't';  // instant: 'g' global, 'p' process, 't' thread
  bool has_dev = false;
  Device dev;
  int64_t ts = 0, dur = 0, value = 0;
};

struct ThreadBuf {
  std::mutex mu;
  std::vector<Event> events;
  size_t aggregated = 0;  // events[0, aggregated) are already in the aggregate statistics
  int tid = 0;
  std::atomic<bool> alive{true};  // false once its thread has ended (then dropped when empty)
};

// Marks the thread's buffer ended at thread exit. The buffer itself stays reachable through a plain pointer, so work
// recording during process exit (after this thread_local is destroyed) still finds it.
struct BufOwner {
  ThreadBuf *buf = nullptr;
  ~BufOwner() {
    if (buf) buf->alive.store(false);
  }
};

struct Config {
  bool symbolic = true, imperative = true, memory = true, api = true, all = false, aggregate = false;
  bool continuous_dump = true;
  double dump_period = 1;
  std::string filename = "profile.json";
};

struct Stat {
  bool counter = false;  // values, not durations
  uint64_t count = 0;
  double total = 0, min = 0, max = 0, last = 0;
  void Add(double v) {
    min = count ? std::min(min, v) : v;
    max = count ? std::max(max, v) : v;
    total += v;
    last = v;
    ++count;
  }
};

struct State {
  std::mutex mu;  // guards everything below (never taken while a buffer's mutex is held)
  Config cfg;
  bool running = false, paused = false;
  std::vector<std::shared_ptr<ThreadBuf>> bufs;
  int next_tid = 0;
  std::map<std::string, std::map<std::string, Stat>> stats;  // category -> name -> statistics
};

State &S() {
  static State *s = new State();  // never destroyed: work may record during process exit
  return *s;
}

void UpdateActive(State &s) {
  unsigned m = 0;
  if (s.running && !s.paused) {
    const Config &c = s.cfg;
    m = kUser;
    if (c.all || c.imperative) m |= kImperative;
    if (c.all || c.symbolic) m |= kSymbolic;
    if (c.all || c.memory) m |= kMemory;
    if (c.all || c.api) m |= kAPI;
  }
  g_active.store(m, std::memory_order_relaxed);
}

ThreadBuf &Buf() {
  thread_local ThreadBuf *tls = nullptr;
  if (!tls) {
    thread_local BufOwner owner;
    auto b = std::make_shared<ThreadBuf>();
    State &s = S();
    std::lock_guard<std::mutex> lk(s.mu);
    b->tid = s.next_tid++;
    s.bufs.push_back(b);
    tls = owner.buf = b.get();
  }
  return *tls;
}

void Append(Event &&e) {
  ThreadBuf &b = Buf();
  std::lock_guard<std::mutex> lk(b.mu);
  b.events.push_back(std::move(e));
}

std::string DeviceName(const Device &d) {
  return std::string(d.type == MXC_GPU ? "gpu/" : "cpu/") + std::to_string(d.id);
}

// Adds the events not yet counted to the statistics (caller holds s.mu).
void Aggregate(State &s) {
  for (auto &b : s.bufs) {
    std::lock_guard<std::mutex> lk(b->mu);
    for (size_t i = b->aggregated; i < b->events.size(); ++i) {
      const Event &e = b->events[i];
      if (e.ph == 'X') {
        s.stats[e.cat][e.name].Add(e.dur / 1e6);  // ms
      } else if (e.ph == 'C') {
        Stat &st = s.stats[e.cat][e.name];
        st.counter = true;
        st.Add(e.cat == "Device Storage" ? e.value / 1000.0 : static_cast<double>(e.value));  // kB as MXNet
      } else {
        s.stats[e.cat];  // markers: the category is listed, without rows (as MXNet)
      }
    }
    b->aggregated = b->events.size();
  }
}

bool ParseBool(const std::string &key, const std::string &v) {
  if (v == "1" || v == "True" || v == "true") return true;
  if (v == "0" || v == "False" || v == "false") return false;
  Throw(ErrorKind::kValue, "profiler.set_config: argument '", key, "' must be a boolean, got '", v, "'");
}

}  // namespace

void RecordDuration(const std::string &name, const std::string &cat, const Device *dev, int64_t begin_ns,
                    int64_t end_ns, const char *node) {
  Event e;
  e.name = name;
  e.cat = cat;
  if (node) e.node = node;
  if (dev) {
    e.has_dev = true;
    e.dev = *dev;
  }
  e.ts = begin_ns;
  e.dur = std::max<int64_t>(end_ns - begin_ns, 0);
  Append(std::move(e));
}

void RecordCounter(const std::string &name, const std::string &cat, int64_t value) {
  Event e;
  e.name = name;
  e.cat = cat;
  e.ph = 'C';
  e.ts = NowNs();
  e.value = value;
  Append(std::move(e));
}

void RecordInstant(const std::string &name, const std::string &cat, char scope) {
  Event e;
  e.name = name;
  e.cat = cat;
  e.ph = 'i';
  e.scope = scope;
  e.ts = NowNs();
  Append(std::move(e));
}

void Scope::Begin(const Device &dev, const char *node) noexcept {
  dev_type_ = dev.type;
  dev_id_ = dev.id;
  node_ = node;
  t0_ = NowNs();
}

void Scope::End() noexcept {
  int64_t t1 = NowNs();
  try {
    Device dev{dev_type_, dev_id_};
    RecordDuration(name_, dev.type == MXC_GPU ? "operator (enqueue time)" : "operator", &dev, t0_, t1, node_);
  } catch (...) {  // out of memory: the event is lost, the work is not
  }
}

void ApiScope::Begin() noexcept { t0_ = NowNs(); }

void ApiScope::End() noexcept {
  int64_t t1 = NowNs();
  try {
    RecordDuration(fn_, "MXNET_C_API", nullptr, t0_, t1);
  } catch (...) {
  }
}

void RecordMemory(const Device &dev, int64_t bytes_in_use) noexcept {
  try {
    RecordCounter("Memory: " + DeviceName(dev), "Device Storage", bytes_in_use);
  } catch (...) {
  }
}

void SetConfig(int num, const char *const *keys, const char *const *vals) {
  MXC_CHECK(num >= 0 && (num == 0 || (keys && vals)), ErrorKind::kValue, "profiler.set_config: keys or vals is NULL");
  Config c;
  for (int i = 0; i < num; ++i) {
    MXC_CHECK(keys[i] && vals[i], ErrorKind::kValue, "profiler.set_config: argument ", i, " is NULL");
    std::string k = keys[i], v = vals[i];
    if (k == "profile_all") c.all = ParseBool(k, v);
    else if (k == "profile_symbolic") c.symbolic = ParseBool(k, v);
    else if (k == "profile_imperative") c.imperative = ParseBool(k, v);
    else if (k == "profile_memory") c.memory = ParseBool(k, v);
    else if (k == "profile_api") c.api = ParseBool(k, v);
    else if (k == "aggregate_stats") c.aggregate = ParseBool(k, v);
    else if (k == "continuous_dump") c.continuous_dump = ParseBool(k, v);
    else if (k == "filename") c.filename = v;
    else if (k == "dump_period") {
      char *end = nullptr;
      c.dump_period = std::strtod(v.c_str(), &end);
      MXC_CHECK(!v.empty() && *end == 0, ErrorKind::kValue, "profiler.set_config: argument 'dump_period' must be a "
                "number, got '", v, "'");
    } else if (k == "profile_process") {
      MXC_CHECK(v == "worker", ErrorKind::kValue, "profiler.set_config: profile_process '", v,
                "' is not supported (only 'worker': mxc has no parameter server)");
    } else {
      Throw(ErrorKind::kValue, "profiler.set_config: unknown argument '", k, "' (possible arguments: profile_all, "
            "profile_symbolic, profile_imperative, profile_memory, profile_api, filename, continuous_dump, "
            "dump_period, aggregate_stats, profile_process)");
    }
  }
  MXC_CHECK(!c.filename.empty(), ErrorKind::kValue, "profiler.set_config: filename is empty");
  State &s = S();
  std::lock_guard<std::mutex> lk(s.mu);
  s.cfg = c;
  UpdateActive(s);
}

void SetState(bool run) {
  State &s = S();
  std::lock_guard<std::mutex> lk(s.mu);
  s.running = run;
  s.paused = false;
  UpdateActive(s);
}

void Pause(bool paused) {
  State &s = S();
  std::lock_guard<std::mutex> lk(s.mu);
  s.paused = paused;
  UpdateActive(s);
}

void Dump(bool finished) {
  State &s = S();
  std::lock_guard<std::mutex> lk(s.mu);
  // Chrome's processes: each device, then each other category (user domains, the C API, storage).
  std::map<std::pair<int, int>, int> dev_pid;
  std::map<std::string, int> cat_pid;
  std::string body;
  char num[64];
  auto add = [&](const std::string &text) {
    body += body.empty() ? "\n    " : ",\n    ";
    body += text;
  };
  std::vector<std::string> meta;
  auto pid_of = [&](const Event &e) {
    if (e.has_dev) {
      auto it = dev_pid.find({e.dev.type, e.dev.id});
      if (it != dev_pid.end()) return it->second;
      int pid = static_cast<int>(dev_pid.size() + cat_pid.size());
      dev_pid[{e.dev.type, e.dev.id}] = pid;
      meta.push_back(DeviceName(e.dev) + '\x01' + std::to_string(pid));
      return pid;
    }
    auto it = cat_pid.find(e.cat);
    if (it != cat_pid.end()) return it->second;
    int pid = static_cast<int>(dev_pid.size() + cat_pid.size());
    cat_pid[e.cat] = pid;
    meta.push_back(e.cat + '\x01' + std::to_string(pid));
    return pid;
  };
  for (auto &b : s.bufs) {  // the devices first (cpu/0 is pid 0, as in MXNet's traces)
    std::lock_guard<std::mutex> lk2(b->mu);
    for (const Event &e : b->events)
      if (e.has_dev) pid_of(e);
  }
  std::vector<std::pair<int, int>> threads;  // (pid, tid) seen
  for (auto &b : s.bufs) {
    std::lock_guard<std::mutex> lk2(b->mu);
    for (const Event &e : b->events) {
      int pid = pid_of(e);
      if (std::find(threads.begin(), threads.end(), std::make_pair(pid, b->tid)) == threads.end())
        threads.emplace_back(pid, b->tid);
      std::string t = "{\"name\": " + json::Quote(e.name) + ", \"cat\": " + json::Quote(e.cat) + ", \"ph\": \"";
      t += e.ph;
      std::snprintf(num, sizeof(num), "\", \"ts\": %.3f", e.ts / 1e3);  // microseconds
      t += num;
      if (e.ph == 'X') {
        std::snprintf(num, sizeof(num), ", \"dur\": %.3f", e.dur / 1e3);
        t += num;
      }
      t += ", \"pid\": " + std::to_string(pid) + ", \"tid\": " + std::to_string(b->tid);
      if (e.ph == 'C') t += ", \"args\": {" + json::Quote(e.name) + ": " + std::to_string(e.value) + "}";
      if (e.ph == 'i') t += std::string(", \"s\": \"") + e.scope + "\"";
      if (!e.node.empty()) t += ", \"args\": {\"node\": " + json::Quote(e.node) + "}";
      add(t + "}");
    }
  }
  std::string head;
  for (const std::string &m : meta) {
    size_t sep = m.find('\x01');
    head += "    {\"name\": \"process_name\", \"ph\": \"M\", \"pid\": " + m.substr(sep + 1) +
            ", \"args\": {\"name\": " + json::Quote(m.substr(0, sep)) + "}},\n";
  }
  for (auto &pt : threads)
    head += "    {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": " + std::to_string(pt.first) + ", \"tid\": " +
            std::to_string(pt.second) + ", \"args\": {\"name\": \"thread " + std::to_string(pt.second) + "\"}},\n";
  if (body.empty() && !head.empty()) head.resize(head.size() - 2);  // no trailing comma
  std::string text = "{\n  \"traceEvents\": [\n" + head + (body.empty() ? "" : body.substr(1)) +
                     "\n  ],\n  \"displayTimeUnit\": \"ms\"\n}\n";
  std::FILE *f = std::fopen(s.cfg.filename.c_str(), "wb");
  MXC_CHECK(f, ErrorKind::kIO, "profiler.dump: cannot open '", s.cfg.filename, "' for writing");
  size_t written = std::fwrite(text.data(), 1, text.size(), f);
  bool ok = std::fclose(f) == 0 && written == text.size();
  MXC_CHECK(ok, ErrorKind::kIO, "profiler.dump: writing '", s.cfg.filename, "' failed");
  if (finished) {
    Aggregate(s);  // the statistics keep what the file now holds
    for (auto &b : s.bufs) {
      std::lock_guard<std::mutex> lk2(b->mu);
      b->events.clear();
      b->aggregated = 0;
    }
    // Buffers of threads that have ended, now empty, are dropped.
    s.bufs.erase(std::remove_if(s.bufs.begin(), s.bufs.end(),
                                [](const std::shared_ptr<ThreadBuf> &b) { return !b->alive.load(); }),
                 s.bufs.end());
  }
}

std::string Dumps(bool reset, int format, int sort_by, bool ascending) {
  MXC_CHECK(format == 0 || format == 1, ErrorKind::kValue, "profiler.dumps: format must be 0 (table) or 1 (json), got ",
            format);
  MXC_CHECK(sort_by >= 0 && sort_by <= 4, ErrorKind::kValue,
            "profiler.dumps: sort_by must be 0 (total), 1 (avg), 2 (min), 3 (max) or 4 (count), got ", sort_by);
  State &s = S();
  std::lock_guard<std::mutex> lk(s.mu);
  Aggregate(s);
  if (!s.cfg.aggregate) {  // as MXNet: nothing without aggregate_stats (reset still clears)
    if (reset) s.stats.clear();
    return std::string();
  }
  auto key = [&](const Stat &st) {
    switch (sort_by) {
      case 1: return st.count ? st.total / st.count : 0.0;
      case 2: return st.min;
      case 3: return st.max;
      case 4: return static_cast<double>(st.count);
      default: return st.total;
    }
  };
  auto sorted = [&](const std::map<std::string, Stat> &m) {
    std::vector<std::pair<std::string, Stat>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [&](const std::pair<std::string, Stat> &a,
                                             const std::pair<std::string, Stat> &b) {
      return ascending ? key(a.second) < key(b.second) : key(a.second) > key(b.second);
    });
    return v;
  };
  const std::string kStorage = "Device Storage";
  std::string out;
  if (format == 0) {
    char line[512];
    out = "\nProfile Statistics:\n\tNote the difference in units for different entries.\n";
    auto memory = s.stats.find(kStorage);
    if (memory != s.stats.end()) {
      out += kStorage + "\n=================\n"
             "Name                          Total Count    Min Use  (kB)    Max Use  (kB)    Avg Use  (kB)\n"
             "----                          -----------    -------------    -------------    -------------\n";
      for (auto &r : sorted(memory->second)) {
        const Stat &st = r.second;
        std::snprintf(line, sizeof(line), "%-25s%16llu%17.4f%17.4f%17.4f\n", r.first.c_str(),
                      static_cast<unsigned long long>(st.count), st.min, st.max, st.total / st.count);
        out += line;
      }
      out += "\n";
    }
    for (auto &cat : s.stats) {
      if (cat.first == kStorage) continue;
      out += cat.first + "\n=================\n"
             "Name                          Total Count        Time (ms)    Min Time (ms)    Max Time (ms)    "
             "Avg Time (ms)\n"
             "----                          -----------        ---------    -------------    -------------    "
             "-------------\n";
      for (auto &r : sorted(cat.second)) {
        const Stat &st = r.second;  // a counter: its last value as the total, then its smallest, largest, mean
        std::snprintf(line, sizeof(line), "%-25s%16llu%17.4f%17.4f%17.4f%17.4f\n", r.first.c_str(),
                      static_cast<unsigned long long>(st.count), st.counter ? st.last : st.total, st.min, st.max,
                      st.total / st.count);
        out += line;
      }
      out += "\n";
    }
  } else {
    json::Value time = json::Value::Object(), memory = json::Value::Object();
    for (auto &cat : s.stats) {
      bool mem = cat.first == kStorage;
      json::Value c = json::Value::Object();
      for (auto &r : sorted(cat.second)) {
        const Stat &st = r.second;
        json::Value row = json::Value::Object();
        row.Set("Count", json::Value::Number(static_cast<double>(st.count)));
        if (!mem) row.Set("Total", json::Value::Number(st.counter ? st.last : st.total));
        row.Set("Min", json::Value::Number(st.min));
        row.Set("Max", json::Value::Number(st.max));
        row.Set("Avg", json::Value::Number(st.total / st.count));
        c.Set(r.first, std::move(row));
      }
      (mem ? memory : time).Set(cat.first, std::move(c));
    }
    json::Value units = json::Value::Object();
    units.Set("Time", json::Value::String("ms"));
    units.Set("Memory", json::Value::String("kB"));
    json::Value doc = json::Value::Object();
    doc.Set("Time", std::move(time));
    doc.Set("Memory", std::move(memory));
    doc.Set("Unit", std::move(units));
    out = doc.Dump(4);
  }
  if (reset) s.stats.clear();
  return out;
}

}  // namespace profiler
}  // namespace mxc
