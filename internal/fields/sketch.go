package fields

import (
	"math"
	"math/bits"
)

// sketchP is the HyperLogLog precision: 2^10 one-byte registers, a
// standard error of 1.04/sqrt(1024) ≈ 3.3% (Flajolet et al., "HyperLogLog:
// the analysis of a near-optimal cardinality estimation algorithm", 2007).
const sketchP = 10

const sketchM = 1 << sketchP

// sketch is a HyperLogLog's registers. Registers merge by max, which is
// what the store does when it merges two days' or two flushes' sketches.
type sketch [sketchM]byte

// add records a 64-bit hash of a value.
func (s *sketch) add(h uint64) {
	i := h >> (64 - sketchP)
	rho := byte(bits.LeadingZeros64(h<<sketchP|1<<(sketchP-1)) + 1)
	if rho > s[i] {
		s[i] = rho
	}
}

// merge takes the larger register of each position.
func mergeInto(dst []byte, src []byte) {
	if len(src) != len(dst) {
		return
	}
	for i := range dst {
		dst[i] = max(dst[i], src[i])
	}
}

// estimate is the HyperLogLog estimate with the small-range correction
// (linear counting while registers are empty).
func estimate(regs []byte) int64 {
	if len(regs) == 0 {
		return 0
	}
	m := float64(len(regs))
	sum := 0.0
	zeros := 0
	for _, r := range regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(math.Round(e))
}
