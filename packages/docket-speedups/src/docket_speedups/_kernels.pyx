# cython: language_level=3, boundscheck=False, wraparound=False
"""Cython twins of docket/_kernels.py: same names, signatures and output bytes.

The fast paths handle the canonical envelope that encode_envelope writes; anything else is
handed to the pure-Python kernel, so errors and edge cases behave identically.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memcpy

KERNEL_ABI = 1
DEF ENVELOPE_VERSION = 1


cdef inline Py_ssize_t _int_size(long long value):
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


cdef inline Py_ssize_t _write_int(char* out, long long value):
    cdef uint64_t u = <uint64_t>value
    cdef Py_ssize_t size = _int_size(value)
    cdef uint8_t* o = <uint8_t*>out
    if size == 1:
        o[0] = <uint8_t>(value & 0xff)
        return 1
    # tags: 0xcc..0xcf unsigned 8/16/32/64 bits, 0xd0..0xd3 signed
    cdef uint8_t tag = 0xcc if size == 2 else (0xcd if size == 3 else (0xce if size == 5 else 0xcf))
    if value < 0:
        tag += 4
    o[0] = tag
    cdef Py_ssize_t i
    for i in range(size - 1):
        o[size - 1 - i] = <uint8_t>((u >> (8 * i)) & 0xff)
    return size


cdef inline Py_ssize_t _head_size(Py_ssize_t length, bint binary):
    if binary:
        return 2 if length < 256 else (3 if length < 65536 else 5)
    return 1 if length < 32 else (2 if length < 256 else (3 if length < 65536 else 5))


cdef inline Py_ssize_t _write_head(char* out, Py_ssize_t length, bint binary):
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


def encode_envelope(str key, str function, long long when_ms, long long attempt, str token,
                    bytes arguments):
    """Encode one message as a msgpack array (identical bytes to the pure kernel)."""
    cdef bytes k = key.encode("utf-8")
    cdef bytes f = function.encode("utf-8")
    cdef bytes t = token.encode("utf-8")
    cdef Py_ssize_t lk = PyBytes_GET_SIZE(k), lf = PyBytes_GET_SIZE(f)
    cdef Py_ssize_t lt = PyBytes_GET_SIZE(t), la = PyBytes_GET_SIZE(arguments)
    cdef Py_ssize_t size = (
        2
        + _head_size(lk, False) + lk
        + _head_size(lf, False) + lf
        + _int_size(when_ms) + _int_size(attempt)
        + _head_size(lt, False) + lt
        + _head_size(la, True) + la
    )
    cdef bytes result = PyBytes_FromStringAndSize(NULL, size)
    cdef char* out = PyBytes_AS_STRING(result)
    cdef Py_ssize_t pos = 0
    out[0] = <char>0x97
    out[1] = ENVELOPE_VERSION
    pos = 2
    pos += _write_head(out + pos, lk, False)
    memcpy(out + pos, PyBytes_AS_STRING(k), lk)
    pos += lk
    pos += _write_head(out + pos, lf, False)
    memcpy(out + pos, PyBytes_AS_STRING(f), lf)
    pos += lf
    pos += _write_int(out + pos, when_ms)
    pos += _write_int(out + pos, attempt)
    pos += _write_head(out + pos, lt, False)
    memcpy(out + pos, PyBytes_AS_STRING(t), lt)
    pos += lt
    pos += _write_head(out + pos, la, True)
    memcpy(out + pos, PyBytes_AS_STRING(arguments), la)
    return result


cdef class _Reader:
    cdef const uint8_t* data
    cdef Py_ssize_t size
    cdef Py_ssize_t pos
    cdef bint ok

    cdef Py_ssize_t _length(self, Py_ssize_t width):
        cdef Py_ssize_t value = 0, i
        if self.pos + width > self.size:
            self.ok = False
            return 0
        for i in range(width):
            value = (value << 8) | self.data[self.pos + i]
        self.pos += width
        return value

    cdef object raw(self, bint binary):
        cdef uint8_t tag
        cdef Py_ssize_t length
        if self.pos >= self.size:
            self.ok = False
            return None
        tag = self.data[self.pos]
        self.pos += 1
        if not binary and (tag & 0xe0) == 0xa0:
            length = tag & 0x1f
        elif tag == (0xc4 if binary else 0xd9):
            length = self._length(1)
        elif tag == (0xc5 if binary else 0xda):
            length = self._length(2)
        elif tag == (0xc6 if binary else 0xdb):
            length = self._length(4)
        else:
            self.ok = False
            return None
        if not self.ok or self.pos + length > self.size:
            self.ok = False
            return None
        value = PyBytes_FromStringAndSize(<const char*>(self.data + self.pos), length)
        self.pos += length
        return value

    cdef long long integer(self):
        cdef uint8_t tag
        cdef uint64_t value
        if self.pos >= self.size:
            self.ok = False
            return 0
        tag = self.data[self.pos]
        self.pos += 1
        if tag < 0x80:
            return tag
        if tag >= 0xe0:
            return <long long>tag - 256
        if tag == 0xcc:
            return self._length(1)
        if tag == 0xcd:
            return self._length(2)
        if tag == 0xce:
            return self._length(4)
        if tag == 0xcf:
            if self.pos + 8 > self.size or self.data[self.pos] & 0x80:
                self.ok = False
                return 0
            value = 0
            for i in range(8):
                value = (value << 8) | self.data[self.pos + i]
            self.pos += 8
            return <long long>value
        self.ok = False  # signed encodings: leave them to the pure kernel
        return 0


def decode_envelope(bytes data):
    """Decode a message written by encode_envelope, refusing other versions."""
    cdef _Reader reader = _Reader.__new__(_Reader)
    reader.data = <const uint8_t*>PyBytes_AS_STRING(data)
    reader.size = PyBytes_GET_SIZE(data)
    reader.pos = 2
    reader.ok = reader.size > 2 and reader.data[0] == 0x97 and reader.data[1] == ENVELOPE_VERSION
    if reader.ok:
        key = reader.raw(False)
        function = reader.raw(False)
        when_ms = reader.integer()
        attempt = reader.integer()
        token = reader.raw(False)
        arguments = reader.raw(True)
        if reader.ok and reader.pos == reader.size:
            try:
                return (
                    ENVELOPE_VERSION,
                    key.decode("utf-8"),
                    function.decode("utf-8"),
                    when_ms,
                    attempt,
                    token.decode("utf-8"),
                    arguments,
                )
            except UnicodeDecodeError:
                pass
    from docket import _kernels

    return _kernels.decode_envelope(data)


def parse_stream_reply(reply):
    """Flatten an XREADGROUP/XAUTOCLAIM entry list into (message id, payload) pairs."""
    cdef list parsed = []
    for message_id, fields in reply:
        parsed.append((message_id, fields.get(b"d") if fields else None))
    return parsed
