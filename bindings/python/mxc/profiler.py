"""MXNet's ``mx.profiler``: operator timing from the engine, Chrome trace dumps and aggregate statistics.

```python
mx.profiler.set_config(profile_all=True, filename='profile.json', aggregate_stats=True)
mx.profiler.set_state('run')
...                                   # operators, executors, Gluon blocks
mx.profiler.set_state('stop')
mx.profiler.dump()                    # profile.json: open in chrome://tracing or Perfetto
print(mx.profiler.dumps())            # count, total, min, max, average per operator (MXNet's table)
```

The recording is in the library (``MXCProfiler*`` in mxc.h); this module is a thin layer over it.
"""
from .base import ffi, lib, check_call, c_str, c_str_array, py_str

__all__ = ["set_config", "set_state", "dump", "dumps", "pause", "resume", "profiler_set_config",
           "profiler_set_state", "dump_profile", "Domain", "Task", "Frame", "Event", "Counter", "Marker"]

_STATES = {"stop": 0, "run": 1}
_FORMATS = {"table": 0, "json": 1}
_SORT_BY = {"total": 0, "avg": 1, "min": 2, "max": 3, "count": 4}


def _check_process(profile_process):
    if profile_process != "worker":
        raise ValueError("profile_process '%s' is not supported: mxc profiles this process only ('worker')"
                         % (profile_process,))


def set_config(**kwargs):
    """Configures the profiler. Keys as MXNet's: profile_all, profile_symbolic, profile_imperative, profile_memory,
    profile_api, filename, continuous_dump, dump_period, aggregate_stats, profile_process; keys not given take their
    defaults. An unknown key or a bad value raises an MXNetError naming it."""
    keys = list(kwargs)
    vals = []
    for k in keys:
        v = kwargs[k]
        vals.append("1" if v is True else "0" if v is False else str(v))
    check_call(lib.MXCProfilerSetConfig(len(keys), c_str_array(keys), c_str_array(vals)))


def set_state(state="stop", profile_process="worker"):
    """'run' starts recording, 'stop' stops it."""
    _check_process(profile_process)
    check_call(lib.MXCProfilerSetState(_STATES[state]))


def pause(profile_process="worker"):
    """Stops recording until resume()."""
    _check_process(profile_process)
    check_call(lib.MXCProfilerPause(1))


def resume(profile_process="worker"):
    """Records again after pause()."""
    _check_process(profile_process)
    check_call(lib.MXCProfilerPause(0))


def dump(finished=True, profile_process="worker"):
    """Writes the events recorded so far to the configured file as Chrome trace-event JSON. finished=True: the
    events are then forgotten (the next dump starts a new file)."""
    _check_process(profile_process)
    check_call(lib.MXCProfilerDump(1 if finished else 0))


def dumps(reset=False, format="table", sort_by="total", ascending=False):
    """The aggregate statistics per operator and user object (count, total, min, max, average), as MXNet's table
    (``format='table'``) or JSON (``format='json'``), sorted by ``sort_by``; ``reset=True`` clears them. Empty
    unless set_config had ``aggregate_stats=True`` (as MXNet)."""
    assert format in _FORMATS, "Invalid value provided for format: {0}. Support: 'table', 'json'".format(format)
    assert sort_by in _SORT_BY, ("Invalid value provided for sort_by: {0}.\
             Support: 'total', 'avg', 'min', 'max', 'count'".format(sort_by))
    assert ascending in (False, True), \
        "Invalid value provided for ascending: {0}. Support: False, True".format(ascending)
    out = ffi.new("const char **")
    check_call(lib.MXCProfilerDumps(1 if reset else 0, _FORMATS[format], _SORT_BY[sort_by], 1 if ascending else 0,
                                    out))
    return py_str(out[0])


def profiler_set_config(mode="symbolic", filename="profile.json"):
    """Deprecated MXNet 0.x form of set_config: mode 'symbolic' (executors only) or 'all'."""
    if mode not in ("symbolic", "all"):
        raise ValueError("profiler_set_config: mode must be 'symbolic' or 'all', got %r" % (mode,))
    set_config(profile_symbolic=True, profile_imperative=mode == "all", profile_memory=mode == "all",
               profile_api=mode == "all", filename=filename)


def profiler_set_state(state="stop"):
    """Deprecated form of set_state."""
    set_state(state)


def dump_profile():
    """Deprecated form of dump()."""
    dump(True)


# ------------------------------------------------------------------------------------------------------------------
# User objects
# ------------------------------------------------------------------------------------------------------------------


class _Object(object):
    _KIND = None

    def __init__(self, domain, name):
        self.name = name
        self.handle = None
        h = ffi.new("MXCProfilerObjectHandle *")
        check_call(lib.MXCProfilerObjectCreate(self._KIND, domain.handle if domain is not None else ffi.NULL,
                                               c_str(name), h))
        self.handle = h[0]

    def __del__(self, _free=lib.MXCProfilerObjectFree):
        h = getattr(self, "handle", None)
        if h is not None:
            self.handle = None
            _free(h)

    def __str__(self):
        return self.name


class Domain(_Object):
    """A named group of tasks, frames, counters and markers (their category in the trace and the statistics)."""
    _KIND = lib.MXC_PROFILER_DOMAIN

    def __init__(self, name):
        super(Domain, self).__init__(None, name)

    def new_task(self, name):
        return Task(self, name)

    def new_frame(self, name):
        return Frame(self, name)

    def new_counter(self, name, value=None):
        return Counter(self, name, value)

    def new_marker(self, name):
        return Marker(self, name)


class _Duration(_Object):
    def start(self):
        """Begins the duration."""
        check_call(lib.MXCProfilerObjectStart(self.handle))

    def stop(self):
        """Ends it: records one event from start() to now while the profiler runs."""
        check_call(lib.MXCProfilerObjectStop(self.handle))


class Task(_Duration):
    """A duration in a domain."""
    _KIND = lib.MXC_PROFILER_TASK

    def __init__(self, domain, name):
        super(Task, self).__init__(domain, name)
        self.domain = domain


class Frame(_Duration):
    """A duration in a domain, listed under '<domain>,frame'."""
    _KIND = lib.MXC_PROFILER_FRAME

    def __init__(self, domain, name):
        super(Frame, self).__init__(domain, name)
        self.domain = domain


class Event(_Duration):
    """A duration outside any domain (category 'event')."""
    _KIND = lib.MXC_PROFILER_EVENT

    def __init__(self, name):
        super(Event, self).__init__(None, name)


class Counter(_Object):
    """An integer value in a domain; every change is a counter event in the trace."""
    _KIND = lib.MXC_PROFILER_COUNTER

    def __init__(self, domain, name, value=None):
        super(Counter, self).__init__(domain, name)
        self.domain = domain
        if value is not None:
            self.set_value(value)

    def set_value(self, value):
        check_call(lib.MXCProfilerCounterSet(self.handle, int(value)))

    def increment(self, delta=1):
        check_call(lib.MXCProfilerCounterAdd(self.handle, int(delta)))

    def decrement(self, delta=1):
        check_call(lib.MXCProfilerCounterAdd(self.handle, -int(delta)))

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self


class Marker(_Object):
    """An instant in a domain."""
    _KIND = lib.MXC_PROFILER_MARKER

    def __init__(self, domain, name):
        super(Marker, self).__init__(domain, name)
        self.domain = domain

    def mark(self, scope="process"):
        """Records the instant; scope 'global', 'process', 'thread', 'task' or 'marker'."""
        check_call(lib.MXCProfilerMarkerMark(self.handle, c_str(scope)))
