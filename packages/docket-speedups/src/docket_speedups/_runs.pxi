# The run-statistics kernel (see docket._kernels.fold_runs), included into _kernels.pyx so it
# stays one extension module. A run the fast path does not take exactly as the worker makes it
# (str name, one of the four outcomes, float seconds, int ms within 2**62) is folded by the
# pure-Python kernel, so odd input and errors behave identically by construction.

from cpython.list cimport PyList_GET_ITEM, PyList_SET_ITEM
from cpython.long cimport PyLong_AsLongLong, PyLong_AsLongLongAndOverflow, PyLong_FromLongLong
from cpython.ref cimport Py_DECREF, Py_INCREF

RUN_OUTCOMES = ("succeeded", "failed", "retried", "cancelled")
RUN_BUCKETS = 160
RUN_SIZE = 4 + 2 * RUN_BUCKETS
RUN_MINUTE_MS = 60_000

cdef enum:
    _OUTCOMES = 4
    _BUCKETS = 160

cdef long long _LIMIT = (<long long>1) << 62
cdef long long _MINUTE_MS = 60_000
cdef dict _OUTCOME_INDEX = {"succeeded": 0, "failed": 1, "retried": 2, "cancelled": 3}


cdef inline int _bit_length(unsigned long long n) noexcept:
    cdef int bits = 0
    cdef int width = 32
    while width:  # halve the range each step: 32, 16, 8, 4, 2, 1
        if n >= (<unsigned long long>1 << width):
            n >>= width
            bits += width
        width >>= 1
    return bits + <int>n


cdef inline Py_ssize_t _run_bucket(long long n) noexcept:
    cdef int shift
    cdef long long index
    if n < 8:
        return n if n > 0 else 0
    shift = _bit_length(<unsigned long long>n) - 3
    index = (shift << 2) + (n >> shift)
    return index if index < _BUCKETS else _BUCKETS - 1


cdef inline void _bump(list tally, Py_ssize_t index):
    cdef object old = <object>PyList_GET_ITEM(tally, index)
    cdef object new = PyLong_FromLongLong(PyLong_AsLongLong(old) + 1)
    Py_INCREF(new)
    PyList_SET_ITEM(tally, index, new)
    Py_DECREF(old)


cdef inline long long _small(object value):
    """`value` as a C integer when it is an int strictly within ±2**62, else -_LIMIT."""
    cdef int overflow = 0
    cdef long long n
    if type(value) is not int:
        return -_LIMIT
    n = PyLong_AsLongLongAndOverflow(value, &overflow)
    return -_LIMIT if overflow or n <= -_LIMIT or n >= _LIMIT else n


def fold_runs(runs, tallies):
    """Count each of `runs` in `tallies` (see docket._kernels.fold_runs)."""
    cdef long long late, at, minute
    cdef long long current_minute = -1
    cdef double seconds
    cdef dict tasks = None
    cdef list tally
    cdef tuple item
    if type(runs) is not list or type(tallies) is not dict:
        return _pure().fold_runs(runs, tallies)
    for run in <list>runs:
        index = None
        if type(run) is tuple and len(<tuple>run) == 5:
            item = <tuple>run
            late, at = _small(item[3]), _small(item[4])
            if type(item[0]) is str and type(item[2]) is float and type(item[1]) is str:
                seconds = <double>item[2]
                if late != -_LIMIT and at >= 0 and 0.0 <= seconds < 1e12:
                    index = _OUTCOME_INDEX.get(item[1])
        if index is None:  # not as the worker makes them: the pure kernel says what it is
            _pure().fold_runs([run], tallies)
            continue
        minute = at // _MINUTE_MS
        if tasks is None or minute != current_minute:
            current_minute = minute
            tasks = (<dict>tallies).setdefault(minute, {})
        found = tasks.get(item[0])
        if found is None:
            tally = [0] * RUN_SIZE
            tasks[item[0]] = tally
        else:
            tally = <list>found
        _bump(tally, <Py_ssize_t>index)
        _bump(tally, _OUTCOMES + _run_bucket(<long long>(seconds * 1_000_000)))
        _bump(tally, _OUTCOMES + _BUCKETS + _run_bucket(late))
