"""XXH3-64 (seed 0, default secret) in pure Python: what ``digest_local`` hashes with when
the optional ``xxhash`` package is not installed (redis-py requires it; fastredis's runtime
dependencies stay hiredis alone). The result equals ``xxhash.xxh3_64(data).intdigest()`` —
tests/test_digest_local.py checks it on every length class against the real one.

Written from the XXH3 specification (xxhash.h, ``XXH3_64bits``): one function per length
class, 0 / 1-3 / 4-8 / 9-16 / 17-128 / 129-240 / more (stripes of 64 bytes into eight
accumulators, scrambled once per 1024-byte block). Only ``digest_local`` uses it, on values
a caller is about to SET, so it favours being obviously the specification over speed.
"""

from __future__ import annotations

from struct import Struct

__all__ = ["xxh3_64", "xxh3_64_hexdigest"]

_M64 = 0xFFFFFFFFFFFFFFFF
_M32 = 0xFFFFFFFF

_PRIME32_1 = 0x9E3779B1
_PRIME32_2 = 0x85EBCA77
_PRIME32_3 = 0xC2B2AE3D
_PRIME64_1 = 0x9E3779B185EBCA87
_PRIME64_2 = 0xC2B2AE3D27D4EB4F
_PRIME64_3 = 0x165667B19E3779F9
_PRIME64_4 = 0x85EBCA77C2B2AE63
_PRIME64_5 = 0x27D4EB2F165667C5
_PRIME_MX1 = 0x165667919E3779F9
_PRIME_MX2 = 0x9FB21C651E98DF25

#: XXH3's default 192-byte secret (kSecret in xxhash.h)
_SECRET = bytes.fromhex(
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
    "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
    "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
    "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e"
)
_SECRET_SIZE = len(_SECRET)  # 192
_STRIPE_LEN = 64
_SECRET_CONSUME_RATE = 8
_STRIPES_PER_BLOCK = (_SECRET_SIZE - _STRIPE_LEN) // _SECRET_CONSUME_RATE  # 16
_BLOCK_LEN = _STRIPE_LEN * _STRIPES_PER_BLOCK  # 1024
_SECRET_LASTACC_START = 7
_SECRET_MERGEACCS_START = 11
_MIDSIZE_STARTOFFSET = 3
_MIDSIZE_LASTOFFSET = 17
_SECRET_SIZE_MIN = 136

_U32 = Struct("<I")
_U64 = Struct("<Q")
_U64X2 = Struct("<2Q")
_U64X8 = Struct("<8Q")


def _r32(data: bytes, at: int) -> int:
    v: int = _U32.unpack_from(data, at)[0]
    return v


def _r64(data: bytes, at: int) -> int:
    v: int = _U64.unpack_from(data, at)[0]
    return v


#: the secret's 64-bit words at every byte offset (the long hash reads it unaligned)
_SECRET64 = [_r64(_SECRET, i) for i in range(_SECRET_SIZE - 7)]


def _mul128_fold64(a: int, b: int) -> int:
    p = a * b
    return (p ^ (p >> 64)) & _M64


def _xxh64_avalanche(h: int) -> int:
    h ^= h >> 33
    h = (h * _PRIME64_2) & _M64
    h ^= h >> 29
    h = (h * _PRIME64_3) & _M64
    return h ^ (h >> 32)


def _avalanche(h: int) -> int:
    h ^= h >> 37
    h = (h * _PRIME_MX1) & _M64
    return h ^ (h >> 32)


def _rotl64(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _rrmxmx(h: int, length: int) -> int:
    h ^= _rotl64(h, 49) ^ _rotl64(h, 24)
    h = (h * _PRIME_MX2) & _M64
    h ^= (h >> 35) + length
    h = (h * _PRIME_MX2) & _M64
    return h ^ (h >> 28)


def _swap64(x: int) -> int:
    return int.from_bytes(x.to_bytes(8, "little"), "big")


def _len_1to3(data: bytes, n: int) -> int:
    c1, c2, c3 = data[0], data[n >> 1], data[n - 1]
    combined = (c1 << 16) | (c2 << 24) | c3 | (n << 8)
    bitflip = _r32(_SECRET, 0) ^ _r32(_SECRET, 4)  # + seed (0)
    return _xxh64_avalanche(combined ^ bitflip)


def _len_4to8(data: bytes, n: int) -> int:
    input1 = _r32(data, 0)
    input2 = _r32(data, n - 4)
    bitflip = _SECRET64[8] ^ _SECRET64[16]  # - seed (0)
    packed = input2 + (input1 << 32)
    return _rrmxmx(packed ^ bitflip, n)


def _len_9to16(data: bytes, n: int) -> int:
    bitflip1 = _SECRET64[24] ^ _SECRET64[32]
    bitflip2 = _SECRET64[40] ^ _SECRET64[48]
    lo = _r64(data, 0) ^ bitflip1
    hi = _r64(data, n - 8) ^ bitflip2
    acc = (n + _swap64(lo) + hi + _mul128_fold64(lo, hi)) & _M64
    return _avalanche(acc)


def _mix16(data: bytes, at: int, sec: int) -> int:
    lo, hi = _U64X2.unpack_from(data, at)
    return _mul128_fold64(lo ^ _SECRET64[sec], hi ^ _SECRET64[sec + 8])


def _len_17to128(data: bytes, n: int) -> int:
    acc = n * _PRIME64_1
    if n > 32:
        if n > 64:
            if n > 96:
                acc += _mix16(data, 48, 96) + _mix16(data, n - 64, 112)
            acc += _mix16(data, 32, 64) + _mix16(data, n - 48, 80)
        acc += _mix16(data, 16, 32) + _mix16(data, n - 32, 48)
    acc += _mix16(data, 0, 0) + _mix16(data, n - 16, 16)
    return _avalanche(acc & _M64)


def _len_129to240(data: bytes, n: int) -> int:
    acc = n * _PRIME64_1
    for i in range(8):
        acc += _mix16(data, 16 * i, 16 * i)
    acc = _avalanche(acc & _M64)
    for i in range(8, n // 16):
        acc += _mix16(data, 16 * i, 16 * (i - 8) + _MIDSIZE_STARTOFFSET)
    acc += _mix16(data, n - 16, _SECRET_SIZE_MIN - _MIDSIZE_LASTOFFSET)
    return _avalanche(acc & _M64)


def _accumulate_512(acc: list[int], data: bytes, at: int, sec: int) -> None:
    words = _U64X8.unpack_from(data, at)
    for i in range(8):
        value = words[i]
        key = value ^ _SECRET64[sec + 8 * i]
        acc[i ^ 1] += value
        acc[i] = (acc[i] + (key & _M32) * (key >> 32)) & _M64
    for i in range(8):  # the += value above may have carried past 64 bits
        acc[i] &= _M64


def _scramble(acc: list[int]) -> None:
    sec = _SECRET_SIZE - _STRIPE_LEN
    for i in range(8):
        a = acc[i]
        a ^= a >> 47
        a ^= _SECRET64[sec + 8 * i]
        acc[i] = (a * _PRIME32_1) & _M64


def _long(data: bytes, n: int) -> int:
    acc = [_PRIME32_3, _PRIME64_1, _PRIME64_2, _PRIME64_3,
           _PRIME64_4, _PRIME32_2, _PRIME64_5, _PRIME32_1]
    nb_blocks = (n - 1) // _BLOCK_LEN
    for block in range(nb_blocks):
        base = block * _BLOCK_LEN
        for s in range(_STRIPES_PER_BLOCK):
            _accumulate_512(acc, data, base + s * _STRIPE_LEN, s * _SECRET_CONSUME_RATE)
        _scramble(acc)
    # the last, partial block, then the last stripe (which may overlap it)
    base = nb_blocks * _BLOCK_LEN
    for s in range(((n - 1) - base) // _STRIPE_LEN):
        _accumulate_512(acc, data, base + s * _STRIPE_LEN, s * _SECRET_CONSUME_RATE)
    _accumulate_512(acc, data, n - _STRIPE_LEN,
                    _SECRET_SIZE - _STRIPE_LEN - _SECRET_LASTACC_START)
    # merge the accumulators
    result = n * _PRIME64_1
    for i in range(4):
        sec = _SECRET_MERGEACCS_START + 16 * i
        result += _mul128_fold64(acc[2 * i] ^ _SECRET64[sec], acc[2 * i + 1] ^ _SECRET64[sec + 8])
    return _avalanche(result & _M64)


def xxh3_64(data: bytes) -> int:
    """The XXH3-64 hash (seed 0) of ``data``, as an unsigned 64-bit int."""
    n = len(data)
    if n <= 16:
        if n > 8:
            return _len_9to16(data, n)
        if n >= 4:
            return _len_4to8(data, n)
        if n:
            return _len_1to3(data, n)
        return _xxh64_avalanche(_SECRET64[56] ^ _SECRET64[64])
    if n <= 128:
        return _len_17to128(data, n)
    if n <= 240:
        return _len_129to240(data, n)
    return _long(data, n)


def xxh3_64_hexdigest(data: bytes) -> str:
    """``xxh3_64(data)`` as 16 lower-case hex digits (``xxhash.xxh3_64(data).hexdigest()``)."""
    return f"{xxh3_64(data):016x}"
