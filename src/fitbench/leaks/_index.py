"""Pairs of 64-bit hashes within a Hamming distance, without comparing every pair: multi-index
hashing (Norouzi, Punjani and Fleet, 2012).

The 64 bits are dealt into 4 chunks of 16. Two hashes at most 7 bits apart differ in at most
one bit in some chunk (pigeonhole), so probing each chunk's bucket and the 16 buckets one bit
away finds every such pair; only those candidates are compared in full.
"""

from __future__ import annotations

import numpy as np

from fitbench.leaks._hash import hamming

CHUNKS, CHUNK_BITS = 4, 16
# The farthest distance the probes are sure to reach: CHUNKS * 2 - 1.
MAX_DISTANCE = 2 * CHUNKS - 1
# Bit k of the hash goes to chunk k % 4: each chunk mixes low and high frequencies, so no chunk
# is all coarse shape (which most images of a class share) and buckets stay small.
_SPREAD = np.array([k for chunk in range(CHUNKS) for k in range(chunk, 64, CHUNKS)])
_PROBES = np.array([0] + [1 << bit for bit in range(CHUNK_BITS)], dtype=np.uint64)
# Candidates compared per step: bounds memory (about 16 bytes each).
STEP = 4_000_000


def _chunks(hashes: np.ndarray) -> np.ndarray:
    """(n, 4) uint64 chunks of 16 bits, the bits dealt round-robin."""
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    dealt = bits[:, _SPREAD].reshape(-1, CHUNKS, CHUNK_BITS)
    weights = (1 << np.arange(CHUNK_BITS)).astype(np.uint64)
    return (dealt.astype(np.uint64) * weights).sum(axis=2)


def _bucket_pairs(queries: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (query, key) position pair whose values are equal."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    lo = np.searchsorted(sorted_keys, queries, side="left")
    counts = np.searchsorted(sorted_keys, queries, side="right") - lo
    q = np.repeat(np.arange(len(queries)), counts)
    offsets = np.arange(len(q)) - np.repeat(np.cumsum(counts) - counts, counts)
    return q, order[np.repeat(lo, counts) + offsets]


def near_pairs(a: np.ndarray, b: np.ndarray, max_distance: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(i, j, distance)``: every ``a[i]``, ``b[j]`` at most ``max_distance`` bits apart,
    sorted by distance then ``i``. ``max_distance`` is at most 7 (``MAX_DISTANCE``)."""
    if not 0 <= max_distance <= MAX_DISTANCE:
        raise ValueError(f"max_distance: expected 0 to {MAX_DISTANCE} bits, got {max_distance}")
    a, b = np.asarray(a, np.uint64), np.asarray(b, np.uint64)
    pairs = []
    chunks_a, chunks_b = _chunks(a), _chunks(b)
    for chunk in range(CHUNKS):
        probes = _PROBES if max_distance >= CHUNKS else _PROBES[:1]  # up to 3 bits: one chunk is equal
        for probe in probes:
            i, j = _bucket_pairs(chunks_a[:, chunk] ^ probe, chunks_b[:, chunk])
            for start in range(0, len(i), STEP):
                ii, jj = i[start:start + STEP], j[start:start + STEP]
                keep = hamming(a[ii], b[jj]) <= max_distance
                pairs.append(ii[keep] * np.int64(len(b)) + jj[keep])
    flat = np.unique(np.concatenate(pairs)) if pairs else np.empty(0, np.int64)
    i, j = flat // max(len(b), 1), flat % max(len(b), 1)
    distance = hamming(a[i], b[j])
    order = np.lexsort((j, i, distance))
    return i[order], j[order], distance[order]
