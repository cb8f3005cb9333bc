# cython: language_level=3, boundscheck=False, wraparound=False, autotestdict=False
"""Cython twins of docket/_kernels.py: same names, signatures and output bytes.

The fast paths take exactly the types the kernels are declared with (str, int within 64 bits,
bytes) and the canonical envelope encode_envelope writes. Anything else (subclasses, bool,
None, bytearray, huge ints, signed or non-canonical msgpack, any error) is handed to the
pure-Python kernel, so odd input and errors behave identically by construction.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_AsUTF8AndSize, PyUnicode_DecodeUTF8
from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memcpy

KERNEL_ABI = 4

cdef enum:
    _ENVELOPE_VERSION = 1
    _FIXARRAY_7 = 0x97

cdef Py_ssize_t _MAX_LENGTH = 0xFFFFFFFF  # msgpack str32/bin32 lengths are 32 bits

cdef object _pure_module = None


cdef object _pure():
    """docket._kernels, imported on first use (docket imports this module while it loads)."""
    global _pure_module
    if _pure_module is None:
        from docket import _kernels

        _pure_module = _kernels
    return _pure_module


# -- encoding ------------------------------------------------------------------------------------


cdef inline Py_ssize_t _int_size(long long value) noexcept:
    if value < 0:
        if value >= -32:
            return 1
        if value >= -128:
            return 2
        if value >= -32768:
            return 3
        if value >= -2147483648:
            return 5
        return 9
    if value < 128:
        return 1
    if value < 256:
        return 2
    if value < 65536:
        return 3
    if value < 4294967296:
        return 5
    return 9


cdef inline Py_ssize_t _write_int(char* out, long long value) noexcept:
    cdef uint64_t u = <uint64_t>value
    cdef Py_ssize_t size = _int_size(value)
    cdef uint8_t* o = <uint8_t*>out
    cdef uint8_t tag
    cdef Py_ssize_t i
    if size == 1:
        o[0] = <uint8_t>(u & 0xff)  # positive or negative fixint
        return 1
    # tags: 0xcc..0xcf unsigned 8/16/32/64 bits, 0xd0..0xd3 signed
    tag = 0xcc if size == 2 else (0xcd if size == 3 else (0xce if size == 5 else 0xcf))
    if value < 0:
        tag += 4
    o[0] = tag
    for i in range(size - 1):
        o[size - 1 - i] = <uint8_t>((u >> (8 * i)) & 0xff)
    return size


cdef inline Py_ssize_t _head_size(Py_ssize_t length, bint binary) noexcept:
    if binary:
        return 2 if length < 256 else (3 if length < 65536 else 5)
    return 1 if length < 32 else (2 if length < 256 else (3 if length < 65536 else 5))


cdef inline Py_ssize_t _write_head(char* out, Py_ssize_t length, bint binary) noexcept:
    cdef uint8_t* o = <uint8_t*>out
    if not binary and length < 32:
        o[0] = 0xa0 | <uint8_t>length
        return 1
    if length < 256:
        o[0] = 0xc4 if binary else 0xd9
        o[1] = <uint8_t>length
        return 2
    if length < 65536:
        o[0] = 0xc5 if binary else 0xda
        o[1] = <uint8_t>(length >> 8)
        o[2] = <uint8_t>(length & 0xff)
        return 3
    o[0] = 0xc6 if binary else 0xdb
    o[1] = <uint8_t>(length >> 24)
    o[2] = <uint8_t>((length >> 16) & 0xff)
    o[3] = <uint8_t>((length >> 8) & 0xff)
    o[4] = <uint8_t>(length & 0xff)
    return 5


cdef inline Py_ssize_t _write_raw(
    char* out, const char* data, Py_ssize_t length, bint binary
) noexcept:
    cdef Py_ssize_t head = _write_head(out, length, binary)
    memcpy(out + head, data, length)
    return head + length


def encode_envelope(key, function, when_ms, attempt, token, arguments):
    """Encode one message as a msgpack array (identical bytes to the pure kernel)."""
    cdef long long when, tries
    cdef const char* k
    cdef const char* f
    cdef const char* t
    cdef Py_ssize_t lk = 0, lf = 0, lt = 0, la, size, pos
    if (
        type(key) is not str
        or type(function) is not str
        or type(token) is not str
        or type(when_ms) is not int
        or type(attempt) is not int
        or type(arguments) is not bytes
    ):
        return _pure().encode_envelope(key, function, when_ms, attempt, token, arguments)
    try:
        when = when_ms
        tries = attempt
        k = PyUnicode_AsUTF8AndSize(key, &lk)
        f = PyUnicode_AsUTF8AndSize(function, &lf)
        t = PyUnicode_AsUTF8AndSize(token, &lt)
    except (OverflowError, UnicodeEncodeError):
        # Beyond signed 64 bits (msgpack still has uint64), or text that is not UTF-8.
        return _pure().encode_envelope(key, function, when_ms, attempt, token, arguments)
    la = PyBytes_GET_SIZE(arguments)
    if lk > _MAX_LENGTH or lf > _MAX_LENGTH or lt > _MAX_LENGTH or la > _MAX_LENGTH:
        return _pure().encode_envelope(key, function, when_ms, attempt, token, arguments)
    size = (
        2
        + _head_size(lk, False) + lk
        + _head_size(lf, False) + lf
        + _int_size(when) + _int_size(tries)
        + _head_size(lt, False) + lt
        + _head_size(la, True) + la
    )
    result = PyBytes_FromStringAndSize(NULL, size)
    cdef char* out = PyBytes_AS_STRING(result)
    out[0] = <char>_FIXARRAY_7
    out[1] = <char>_ENVELOPE_VERSION
    pos = 2
    pos += _write_raw(out + pos, k, lk, False)
    pos += _write_raw(out + pos, f, lf, False)
    pos += _write_int(out + pos, when)
    pos += _write_int(out + pos, tries)
    pos += _write_raw(out + pos, t, lt, False)
    pos += _write_raw(out + pos, PyBytes_AS_STRING(arguments), la, True)
    return result


# -- decoding ------------------------------------------------------------------------------------


cdef struct _Cursor:
    const uint8_t* data
    Py_ssize_t size
    Py_ssize_t pos
    bint ok


cdef inline uint64_t _big_endian(_Cursor* c, Py_ssize_t width) noexcept:
    cdef uint64_t value = 0
    cdef Py_ssize_t i
    if c.pos + width > c.size:
        c.ok = False
        return 0
    for i in range(width):
        value = (value << 8) | c.data[c.pos + i]
    c.pos += width
    return value


cdef inline Py_ssize_t _raw_length(_Cursor* c, bint binary) noexcept:
    """Read a str (or bin) header and return the length of the data that follows it."""
    cdef uint8_t tag
    cdef Py_ssize_t length
    if not c.ok or c.pos >= c.size:
        c.ok = False
        return 0
    tag = c.data[c.pos]
    c.pos += 1
    if not binary and (tag & 0xe0) == 0xa0:
        length = tag & 0x1f
    elif tag == (0xc4 if binary else 0xd9):
        length = <Py_ssize_t>_big_endian(c, 1)
    elif tag == (0xc5 if binary else 0xda):
        length = <Py_ssize_t>_big_endian(c, 2)
    elif tag == (0xc6 if binary else 0xdb):
        length = <Py_ssize_t>_big_endian(c, 4)
    else:
        c.ok = False
        return 0
    if not c.ok or length > c.size - c.pos:
        c.ok = False
        return 0
    return length


cdef object _text(_Cursor* c):
    """The str at the cursor, or None (with ok cleared); raises UnicodeDecodeError."""
    cdef Py_ssize_t length = _raw_length(c, False)
    if not c.ok:
        return None
    c.pos += length
    return PyUnicode_DecodeUTF8(<char*>(c.data + c.pos - length), length, NULL)


cdef object _binary(_Cursor* c):
    """The bin at the cursor, or None (with ok cleared)."""
    cdef Py_ssize_t length = _raw_length(c, True)
    if not c.ok:
        return None
    c.pos += length
    return PyBytes_FromStringAndSize(<const char*>(c.data + c.pos - length), length)


cdef inline long long _integer(_Cursor* c) noexcept:
    """A non-negative int, or a negative fixint; others (signed tags) clear ok."""
    cdef uint8_t tag
    cdef uint64_t value
    if not c.ok or c.pos >= c.size:
        c.ok = False
        return 0
    tag = c.data[c.pos]
    c.pos += 1
    if tag < 0x80:
        return tag
    if tag >= 0xe0:
        return <long long>tag - 256
    if tag == 0xcc:
        return <long long>_big_endian(c, 1)
    if tag == 0xcd:
        return <long long>_big_endian(c, 2)
    if tag == 0xce:
        return <long long>_big_endian(c, 4)
    if tag == 0xcf:
        value = _big_endian(c, 8)
        if value >> 63:
            c.ok = False  # above the signed 64-bit range: leave it to the pure kernel
        return <long long>value
    c.ok = False
    return 0


def decode_envelope(data):
    """Decode a message written by encode_envelope, refusing other versions."""
    cdef _Cursor c
    cdef long long when_ms = 0, attempt = 0
    key = function = token = None
    if type(data) is not bytes:
        return _pure().decode_envelope(data)
    c.data = <const uint8_t*>PyBytes_AS_STRING(data)
    c.size = PyBytes_GET_SIZE(data)
    c.pos = 2
    c.ok = c.size > 2 and c.data[0] == _FIXARRAY_7 and c.data[1] == _ENVELOPE_VERSION
    try:
        key = _text(&c)
        function = _text(&c)
        when_ms = _integer(&c)
        attempt = _integer(&c)
        token = _text(&c)
    except UnicodeDecodeError:
        c.ok = False
    arguments = _binary(&c)
    if c.ok and c.pos == c.size:
        return (_ENVELOPE_VERSION, key, function, when_ms, attempt, token, arguments)
    return _pure().decode_envelope(data)


# -- stream replies ------------------------------------------------------------------------------


def parse_stream_reply(entries):
    """Turn the raw entries of an XREADGROUP or XAUTOCLAIM reply into (message id, payload)."""
    cdef list parsed = []
    cdef Py_ssize_t i, n
    cdef list flat
    for entry in entries:
        if entry is None:
            continue  # Redis 6.2's XAUTOCLAIM of a deleted entry: no id to act on
        message_id, fields = entry
        payload = None
        if fields:
            payload = b""  # fields but no envelope: docket._kernels.NO_ENVELOPE
            if type(fields) is list:
                flat = <list>fields
                n = len(flat) - 1
                i = 0
                while i < n:
                    if flat[i] == b"d":
                        payload = flat[i + 1]
                        break
                    i += 2
            else:
                for i in range(0, len(fields) - 1, 2):
                    if fields[i] == b"d":
                        payload = fields[i + 1]
                        break
        parsed.append((message_id, payload))
    return parsed


include "_runs.pxi"
