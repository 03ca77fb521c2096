// The profiler's C API (MXCProfiler*): control, dumps and the user objects (domains, tasks, frames, events,
// counters, markers). The recording itself is in profiler.cc.
#include <atomic>
#include <string>

#include "c_api_common.h"
#include "profiler.h"

struct MXCProfilerObject_ {
  int kind = MXC_PROFILER_DOMAIN;
  std::string name, cat;           // cat: the trace category of its events
  std::atomic<int64_t> start{-1};  // task/frame/event: NowNs() at Start, -1 when not started
  std::atomic<int64_t> value{0};   // counter
};

namespace mxc {
namespace {

MXCProfilerObject_ &Obj(MXCProfilerObjectHandle h, int kind, const char *what) {
  CheckPtr(h, what);
  bool ok = kind < 0 ? (h->kind == MXC_PROFILER_TASK || h->kind == MXC_PROFILER_FRAME || h->kind == MXC_PROFILER_EVENT)
                     : h->kind == kind;
  MXC_CHECK(ok, ErrorKind::kValue, "profiler: '", h->name, "' is not a ", what);
  return *h;
}

void RecordCounter(const MXCProfilerObject_ &c, int64_t v) {
  if (profiler::Active() & profiler::kUser) profiler::RecordCounter(c.name, c.cat, v);
}

}  // namespace
}  // namespace mxc

using namespace mxc;

int MXCProfilerSetConfig(int num, const char **keys, const char **vals) {
  API_BEGIN();
  profiler::SetConfig(num, keys, vals);
  API_END();
}

int MXCProfilerSetState(int state) {
  API_BEGIN();
  MXC_CHECK(state == 0 || state == 1, ErrorKind::kValue, "profiler.set_state: state must be 0 (stop) or 1 (run), got ",
            state);
  profiler::SetState(state == 1);
  API_END();
}

int MXCProfilerPause(int paused) {
  API_BEGIN();
  profiler::Pause(paused != 0);
  API_END();
}

int MXCProfilerDump(int finished) {
  API_BEGIN();
  profiler::Dump(finished != 0);
  API_END();
}

int MXCProfilerDumps(int reset, int format, int sort_by, int ascending, const char **out) {
  API_BEGIN();
  CheckPtr(out, "out");
  ThreadReturn *r = Ret();
  r->str = profiler::Dumps(reset != 0, format, sort_by, ascending != 0);
  *out = r->str.c_str();
  API_END();
}

int MXCProfilerObjectCreate(int kind, MXCProfilerObjectHandle domain, const char *name,
                            MXCProfilerObjectHandle *out) {
  API_BEGIN();
  CheckPtr(name, "name");
  CheckPtr(out, "out");
  MXC_CHECK(kind >= MXC_PROFILER_DOMAIN && kind <= MXC_PROFILER_MARKER, ErrorKind::kValue,
            "profiler: unknown object kind ", kind, " (0 domain ... 5 marker)");
  bool in_domain = kind != MXC_PROFILER_DOMAIN && kind != MXC_PROFILER_EVENT;
  std::string dom;
  if (in_domain) dom = Obj(domain, MXC_PROFILER_DOMAIN, "domain").name;
  else MXC_CHECK(domain == nullptr, ErrorKind::kValue, "profiler: a domain or event '", name, "' has no domain");
  auto *o = new MXCProfilerObject_();
  o->kind = kind;
  o->name = name;
  switch (kind) {
    case MXC_PROFILER_FRAME: o->cat = dom + ",frame"; break;
    case MXC_PROFILER_MARKER: o->cat = dom + ",instant_marker"; break;
    case MXC_PROFILER_EVENT: o->cat = "event"; break;
    default: o->cat = in_domain ? dom : name;
  }
  *out = o;
  API_END();
}

int MXCProfilerObjectFree(MXCProfilerObjectHandle obj) {
  API_BEGIN();
  delete obj;
  API_END();
}

int MXCProfilerObjectStart(MXCProfilerObjectHandle obj) {
  API_BEGIN();
  Obj(obj, -1, "task, frame or event").start.store(profiler::NowNs());
  API_END();
}

int MXCProfilerObjectStop(MXCProfilerObjectHandle obj) {
  API_BEGIN();
  MXCProfilerObject_ &o = Obj(obj, -1, "task, frame or event");
  int64_t t1 = profiler::NowNs(), t0 = o.start.exchange(-1);
  MXC_CHECK(t0 >= 0, ErrorKind::kValue, "profiler: '", o.name, "' stopped without a start");
  if (profiler::Active() & profiler::kUser) profiler::RecordDuration(o.name, o.cat, nullptr, t0, t1);
  API_END();
}

int MXCProfilerCounterSet(MXCProfilerObjectHandle counter, int64_t value) {
  API_BEGIN();
  MXCProfilerObject_ &c = Obj(counter, MXC_PROFILER_COUNTER, "counter");
  c.value.store(value);
  RecordCounter(c, value);
  API_END();
}

int MXCProfilerCounterAdd(MXCProfilerObjectHandle counter, int64_t delta) {
  API_BEGIN();
  MXCProfilerObject_ &c = Obj(counter, MXC_PROFILER_COUNTER, "counter");
  RecordCounter(c, c.value.fetch_add(delta) + delta);
  API_END();
}

int MXCProfilerMarkerMark(MXCProfilerObjectHandle marker, const char *scope) {
  API_BEGIN();
  MXCProfilerObject_ &m = Obj(marker, MXC_PROFILER_MARKER, "marker");
  std::string s = scope ? scope : "process";
  MXC_CHECK(s == "global" || s == "process" || s == "thread" || s == "task" || s == "marker", ErrorKind::kValue,
            "profiler.Marker.mark: scope must be 'global', 'process', 'thread', 'task' or 'marker', got '", s, "'");
  if (profiler::Active() & profiler::kUser)
    profiler::RecordInstant(m.name, m.cat, s == "global" ? 'g' : s == "process" ? 'p' : 't');
  API_END();
}
