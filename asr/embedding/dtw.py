"""Frame-level dynamic time warping: the query-by-example baseline that segment vectors must match.

The local distance between two frames is the cosine distance ``1 - cos(a_i, b_j)``. The path
recursion is Sakoe and Chiba's symmetric form: a diagonal step costs twice the frame distance,
a horizontal or vertical step once, and the first cell twice::

    D(1, 1) = 2 d(1, 1)
    D(i, j) = min(D(i-1, j-1) + 2 d(i, j),  D(i-1, j) + d(i, j),  D(i, j-1) + d(i, j))
    distance = D(n, m) / (n + m)

Why the sum of lengths and not the path length: with these weights every path from (1, 1) to
(n, m) has weights that add up to exactly n + m, so the result is a weighted mean of frame
distances along the path, in [0, 2], and the recursion finds the path with the smallest mean.
Dividing a plain (unit-weight) DTW cost by the length of its best path does not: that path
minimises the sum, not the mean, and the length depends on how ties are broken.

Speed: frame similarities of a block of queries against every segment come from one matrix
product (numpy's BLAS, one thread per core); the recursion runs in a numba kernel, one pair per
thread (`prange`). 500 queries x 2000 segments of 30-60 frames x 80 dims (FSDD-sized) take
12-17 s on two busy cores, 12-17 us a pair, about two thirds of it in the matrix products (see
scripts/bench_qbe.py); the same search with 100-dim vectors takes 0.07 s, 190-220 times less. On the same data, extrapolated from 10-20 queries: dtaidistance's C
``dtw_ndim`` with OpenMP (squared Euclidean frames, no BLAS) 140 s, tslearn's ``cdist_dtw``
400 s, a torch sweep over anti-diagonals of 2000 pairs at a time 950 s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

# Frame-similarity block of (query frames) x (all segment frames), in float32 values: 64 M values
# = 256 MB, about 16 queries of 45 frames against 90 000 frames (FSDD's 2000 digits).
BLOCK_VALUES = 64 * 1024 * 1024


@numba.njit(parallel=True, cache=True, nogil=True)
def _dtw_pairs(sim: np.ndarray, row_offsets: np.ndarray, col_offsets: np.ndarray,
               pair_rows: np.ndarray, pair_cols: np.ndarray, out: np.ndarray) -> None:
    """out[p] = symmetric DTW distance of sequence pair_rows[p] (rows of sim) and pair_cols[p] (columns).

    sim : (frames_a, frames_b) float32 cosine similarities; sequence r owns rows
          row_offsets[r]:row_offsets[r+1], sequence c owns columns col_offsets[c]:col_offsets[c+1].
    """
    for p in numba.prange(pair_rows.shape[0]):
        r0, r1 = row_offsets[pair_rows[p]], row_offsets[pair_rows[p] + 1]
        c0, c1 = col_offsets[pair_cols[p]], col_offsets[pair_cols[p] + 1]
        n, m = r1 - r0, c1 - c0
        # two rows of the cost table are enough: D(i, .) needs only D(i-1, .) and D(i, j-1)
        prev = np.empty(m, np.float64)
        cur = np.empty(m, np.float64)
        prev[0] = 2.0 * (1.0 - sim[r0, c0])
        for j in range(1, m):
            prev[j] = prev[j - 1] + (1.0 - sim[r0, c0 + j])
        for i in range(1, n):
            cur[0] = prev[0] + (1.0 - sim[r0 + i, c0])
            for j in range(1, m):
                d = 1.0 - sim[r0 + i, c0 + j]
                cur[j] = min(prev[j - 1] + 2.0 * d, min(prev[j], cur[j - 1]) + d)
            prev, cur = cur, prev
        out[p] = max(prev[m - 1] / (n + m), 0.0)  # float32 similarities can pass 1 by a rounding


def _unit_frames(sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate sequences (frames x dims each) into unit-length frames (total, dims) and their offsets (N+1,).

    A frame of zeros stays zero (similarity 0, distance 1 to everything) instead of dividing by 0.
    """
    lengths = [len(s) for s in sequences]
    if not sequences or min(lengths) == 0:
        raise ValueError("DTW needs non-empty sequences of frames")
    dims = {s.shape[1] if np.ndim(s) == 2 else -1 for s in sequences}
    if len(dims) != 1 or -1 in dims:
        raise ValueError(f"DTW needs 2-D sequences (frames x dims) of one dimension, got dims {sorted(dims)}")
    frames = np.concatenate([np.asarray(s, dtype=np.float32) for s in sequences])
    frames /= np.maximum(np.linalg.norm(frames, axis=1, keepdims=True), 1e-12)
    return frames, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Symmetric cosine DTW distance of two sequences a (n, dims) and b (m, dims), in [0, 2]."""
    return float(dtw_distances([a], [b])[0, 0])


def dtw_distances(queries: Sequence[np.ndarray], segments: Sequence[np.ndarray] | None = None,
                  threads: int | None = None) -> np.ndarray:
    """DTW distance of every query to every segment.

    queries  : Q sequences, each (frames, dims), frames may differ.
    segments : N sequences of the same dims; None compares the queries among themselves and
               computes each pair once (the result is symmetric, with zeros on the diagonal).
    threads  : threads of the recursion; None = all of numba's (one per core). The matrix
               products use numpy's BLAS with its own threads (also one per core by default).
    Returns distances : ndarray float64, shape = (Q, N), in [0, 2]; smaller = more alike.
    """
    threads = min(threads or numba.config.NUMBA_NUM_THREADS, numba.config.NUMBA_NUM_THREADS)
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        return _within(queries) if segments is None else _across(queries, segments)
    finally:
        numba.set_num_threads(previous)


def _across(queries: Sequence[np.ndarray], segments: Sequence[np.ndarray]) -> np.ndarray:
    q_frames, q_offsets = _unit_frames(queries)
    s_frames, s_offsets = _unit_frames(segments)
    if q_frames.shape[1] != s_frames.shape[1]:
        raise ValueError(f"queries have {q_frames.shape[1]} dims, segments {s_frames.shape[1]}")
    out = np.empty((len(queries), len(segments)))
    blocks = _query_blocks(q_offsets, len(s_frames))
    buffer = _Buffer()
    for first, last in blocks:
        sim = buffer.product(q_frames[q_offsets[first]:q_offsets[last]], s_frames)
        pair_rows, pair_cols = np.divmod(np.arange((last - first) * len(segments)), len(segments))
        block = np.empty(len(pair_rows))
        _dtw_pairs(sim, q_offsets[first:last + 1] - q_offsets[first], s_offsets, pair_rows, pair_cols, block)
        out[first:last] = block.reshape(last - first, len(segments))
    return out


def _within(sequences: Sequence[np.ndarray]) -> np.ndarray:
    frames, offsets = _unit_frames(sequences)
    count = len(sequences)
    out = np.zeros((count, count))
    buffer = _Buffer()
    for first, last in _query_blocks(offsets, len(frames)):
        # rows first..last-1 need only the columns of sequences after them: i < j
        start = offsets[first]
        sim = buffer.product(frames[start:offsets[last]], frames[start:])
        pair_rows, pair_cols = np.triu_indices(last - first, 1, count - first)
        block = np.empty(len(pair_rows))
        _dtw_pairs(sim, offsets[first:last + 1] - start, offsets[first:] - start, pair_rows, pair_cols, block)
        out[pair_rows + first, pair_cols + first] = block
    return np.maximum(out, out.T)  # mirror the upper triangle (the lower one is still 0)


class _Buffer:
    """One float32 buffer reused by every block's similarity product.

    Writing into memory already touched saves the page faults of a fresh 256 MB result per block
    (55 GFLOPS against 47 on 16-query blocks); numpy's OpenBLAS ran these products at twice the
    speed of torch's MKL (27 GFLOPS) on our AMD CPUs.
    """

    def __init__(self) -> None:
        self.values = np.empty(0, dtype=np.float32)

    def product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a (n, D) @ b (m, D).T -> (n, m), a view of the buffer valid until the next call."""
        size = len(a) * len(b)
        if size > self.values.size:
            self.values = np.empty(size, dtype=np.float32)
        out = self.values[:size].reshape(len(a), len(b))
        return np.matmul(a, b.T, out=out)


def _query_blocks(offsets: np.ndarray, columns: int) -> list[tuple[int, int]]:
    """Split sequences into consecutive blocks whose similarity rows x `columns` fit BLOCK_VALUES."""
    budget = max(1, BLOCK_VALUES // max(columns, 1))
    blocks, first = [], 0
    for last in range(1, len(offsets)):
        if last - first > 1 and offsets[last] - offsets[first] > budget:
            blocks.append((first, last - 1))
            first = last - 1
    blocks.append((first, len(offsets) - 1))
    return blocks
