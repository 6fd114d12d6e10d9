"""Every occupation's most similar occupations, all pairs at once: the transitions' candidates.

The score is the comparison's similarity (:func:`competency_kg.compare.scoring.similarity`):
a weighted Jaccard index of the competency weights, the Jaccard indexes of the tools and of
the detailed work activities. On the whole O*NET release that is 516,000 pairs, and scoring
them one at a time in Python (``sum(map(min, a, b))`` over 114 competencies) took 36 s
(11.6 s of CPU) on a busy machine; done here without numpy (not a dependency), 6-8 s (2.9 s
of CPU), in two passes (docs/career.md):

1. **Estimate every pair**, row by row with ``map`` over whole rows (the loops run in C):
   a profile's weights are packed into one integer, :data:`LANE` bits per competency, as
   multiples of ``1/GRID``; the element-wise minimum of two packed profiles is a few integer
   operations (SWAR: a guard bit per lane says which side is smaller) and its sum is nine
   ``bit_count`` calls. Tools and work activities are bit sets (only those two occupations
   or more share; the most shared on the lowest bits), their overlap one ``&`` and one
   ``bit_count``. O*NET's weights, ``(importance − 1)/4`` with importances of two decimals,
   lie on that grid, so the estimate is the score up to rounding.
2. **Score exactly** only the candidates: per occupation, those whose estimate is within
   :func:`_margin` of its ``k``-th best (and of ``floor``). The margin bounds the estimate's
   error (the largest distance of a weight from the grid, times the competencies, through
   the Jaccard index's slope), so no pair that the exact scores would rank in the top ``k``
   is left out, whatever the weights; the exact scores are the old pair-by-pair formula's,
   to the bit (the competencies summed in the same order: a missing one adds an exact 0.0).
"""

from __future__ import annotations

import heapq
from array import array
from collections import Counter
from collections.abc import Sequence
from itertools import repeat
from operator import add, and_, lshift, mul, rshift, sub, truediv, xor

from competency_kg.compare.index import Cluster
from competency_kg.compare.scoring import WEIGHTS

#: A weight is packed as a multiple of ``1/GRID`` (O*NET's two-decimal importances: exact).
GRID = 400
#: Bits per competency in a packed profile: 9 for 0..511 (a weight is at most 1: 400) and the
#: guard bit at the top of the lane.
LANE = 10
_TOP = 1 << (LANE - 1)
_VALUE_BITS = LANE - 1
#: What rounding in the estimate may add on top of the quantization error.
_ROUNDING = 1e-9


def all_nearest(
    clusters: Sequence[Cluster], k: int, floor: float = 0.0
) -> list[list[tuple[float, int]]]:
    """Every occupation's ``k`` most similar occupations scoring at least ``floor``, best
    first (ties in title order), as ``(score, index)``: exactly the pair-by-pair scores and
    order, computed as the module doc says."""
    n = len(clusters)
    packed = _Packed(clusters)
    estimates = array("d", [-1.0]) * (n * n)  # -1: i = j
    for i in range(n):  # the pairs (i, j > i), into row i and column i
        row = packed.estimate_row(i)
        estimates[i * n + i + 1 : (i + 1) * n] = row
        estimates[(i + 1) * n + i :: n] = row
    margin = _margin(packed)
    titles = [c.title.casefold() for c in clusters]
    out: list[list[tuple[float, int]]] = []
    for i in range(n):
        row = estimates[i * n : (i + 1) * n]
        # an exact score is within the margin of its estimate, so the exact k-th best too:
        # any pair the exact scores rank (or tie) in the top k is within twice the margin
        kth = heapq.nlargest(k, row)[-1] if k else float("inf")
        cut = max(floor - margin, kth - 2 * margin, 0.0)
        scored = []
        for j in [j for j, s in enumerate(row) if s >= cut]:
            score = packed.exact(i, j)
            if score is not None and score >= floor:
                scored.append((score, j))
        out.append(heapq.nsmallest(k, scored, key=lambda t: (-t[0], titles[t[1]])))
    return out


class _Packed:
    """The profiles in the forms the two passes read."""

    def __init__(self, clusters: Sequence[Cluster]) -> None:
        profiles = [c.profile for c in clusters]
        keys = sorted({key for p in profiles for key in p.competencies})
        at = {key: x for x, key in enumerate(keys)}
        self.n = len(profiles)
        self.totals = [p.total for p in profiles]
        # exact: each profile's keys (in key order), its weights over all keys
        self.keys: list[list[int]] = []
        self.dense: list[list[float]] = []
        self.packed: list[int] = []
        self.error = 0.0  # the largest distance of a weight from the grid
        for p in profiles:
            idx = sorted(at[key] for key in p.competencies)
            dense = [0.0] * len(keys)
            word = 0
            for key, w in p.competencies.items():
                dense[at[key]] = w
                q = min(max(round(w * GRID), 0), (1 << _VALUE_BITS) - 1)
                self.error = max(self.error, abs(w - q / GRID))
                word |= q << (LANE * at[key])
            self.keys.append(idx)
            self.dense.append(dense)
            self.packed.append(word)
        self.most_keys = max((len(x) for x in self.keys), default=0)
        self.guards = sum(_TOP << (LANE * x) for x in range(len(keys)))
        self.planes = [
            sum(1 << (LANE * x + b) for x in range(len(keys))) for b in range(_VALUE_BITS)
        ]
        self.tools, self.tool_sizes = _bit_sets([p.tools for p in profiles])
        self.acts, self.act_sizes = _bit_sets([p.activities for p in profiles])
        # 1.0 where an occupation has data for a part (the estimate multiplies by it)
        self.has_competencies = [1.0 if t > 0 else 0.0 for t in self.totals]
        self.has_tools = [1.0 if x else 0.0 for x in self.tool_sizes]
        self.has_acts = [1.0 if x else 0.0 for x in self.act_sizes]

    def _set_parts(self) -> tuple[tuple[list[int], list[int], list[float], float], ...]:
        """The tools' and the work activities' bit sets, sizes, flags and weights."""
        return (
            (self.tools, self.tool_sizes, self.has_tools, WEIGHTS["tools"]),
            (self.acts, self.act_sizes, self.has_acts, WEIGHTS["work_activities"]),
        )

    def estimate_row(self, i: int) -> array[float]:
        """The estimated scores of ``i`` with every later occupation."""
        m = self.n - i - 1
        wc = WEIGHTS["competencies"]
        num = [0.0] * m
        den = [0.0] * m
        if self.totals[i] > 0:
            both = self._both(i)
            totals = self.totals[i + 1 :]
            ti = self.totals[i]
            # clamped into [0, min(total_i, total_j)], where the exact sum lies
            both = list(map(min, both, totals, repeat(ti)))
            has = self.has_competencies[i + 1 :]
            part = map(truediv, both, map(sub, map(add, repeat(ti), totals), both))
            num = list(map(add, num, map(mul, map(mul, repeat(wc), part), has)))
            den = list(map(add, den, map(mul, repeat(wc), has)))
        for sets, sizes, flags, w in self._set_parts():
            if sizes[i]:
                common = list(map(int.bit_count, map(and_, repeat(sets[i]), sets[i + 1 :])))
                union = map(sub, map(add, repeat(sizes[i]), sizes[i + 1 :]), common)
                has = flags[i + 1 :]
                part = map(truediv, common, union)
                num = list(map(add, num, map(mul, map(mul, repeat(w), part), has)))
                den = list(map(add, den, map(mul, repeat(w), has)))
        # no part both have data for: 0 (the exact score tells it apart, None)
        return array("d", map(truediv, num, map(max, den, repeat(_ROUNDING))))

    def _both(self, i: int) -> list[float]:
        """Σ min(w_i, w_j) over the competencies, for every later j, from the packed
        weights: per lane ``(a + guard) − b`` keeps the guard bit where a ≥ b, which selects
        b there and a elsewhere; the lanes' sum is the bit planes' counts."""
        a = self.packed[i]
        rest = self.packed[i + 1 :]
        guards = list(map(and_, map(sub, repeat(a | self.guards), rest), repeat(self.guards)))
        masks = map(sub, guards, map(rshift, guards, repeat(_VALUE_BITS)))
        mins = list(map(xor, repeat(a), map(and_, map(xor, repeat(a), rest), masks)))
        sums = [0] * len(rest)
        for b, plane in enumerate(self.planes):
            counts = map(int.bit_count, map(and_, mins, repeat(plane)))
            sums = list(map(add, sums, map(lshift, counts, repeat(b))))
        return [s / GRID for s in sums]

    def exact(self, i: int, j: int) -> float | None:
        """The score of ``i`` and ``j`` as the comparison's formula gives it, pair by pair."""
        wc = WEIGHTS["competencies"]
        num = den = 0.0
        if self.totals[i] > 0 and self.totals[j] > 0:
            # i's own keys in key order: the same sum as over all keys (the rest add 0.0)
            mine, theirs = self.dense[i], self.dense[j]
            keys = self.keys[i]
            both = sum(map(min, map(mine.__getitem__, keys), map(theirs.__getitem__, keys)))
            num += wc * both / (self.totals[i] + self.totals[j] - both)
            den += wc
        for sets, sizes, _, w in self._set_parts():
            if sizes[i] and sizes[j]:
                m = (sets[i] & sets[j]).bit_count()
                num += w * m / (sizes[i] + sizes[j] - m)
                den += w
        return num / den if den else None


def _bit_sets(sets: Sequence[frozenset[str]]) -> tuple[list[int], list[int]]:
    """Each set as an integer's bits (only members two sets or more share: the others never
    meet; the most shared on the lowest bits), with each set's full size."""
    counts = Counter(x for s in sets for x in s)
    shared = sorted((x for x, c in counts.items() if c > 1), key=lambda x: (-counts[x], x))
    bit = {x: 1 << b for b, x in enumerate(shared)}
    return [sum(bit[x] for x in s if x in bit) for s in sets], [len(s) for s in sets]


def _margin(packed: _Packed) -> float:
    """How far an estimate may lie from the exact score. A weight is at most ``error`` from
    the grid, so the sum of minima at most ``error`` per competency; the Jaccard index
    b / (T_i + T_j − b) has slope at most 2 / max(T_i, T_j) where b can be, and the
    competencies' share of the score is at most 1."""
    positive = [t for t in packed.totals if t > 0]
    if not positive:
        return _ROUNDING
    return 2 * packed.error * packed.most_keys / min(positive) + _ROUNDING
