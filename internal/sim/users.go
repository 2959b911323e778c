package sim

import (
	"math"
	"sort"
	"strconv"
	"time"
)

// visitor is one browser: a registered user, or an anonymous visitor.
type visitor struct {
	userID    string // empty for visitors who never register
	anonID    string
	signedUp  bool // has an account already
	loggedIn  bool // the browser remembers the login
	sessionID string
	lastSeen  int64 // micros of the last action, for session renewal
	browser   string
	os        string
	device    string
}

var (
	browsers = [...]string{"Chrome", "Chrome", "Chrome", "Safari", "Safari", "Firefox", "Edge"}
	oses     = [...]string{"Windows", "macOS", "iOS", "Android", "Linux"}
)

// hourly is the relative traffic by UTC hour: quiet at night, peaks around
// 10:00-12:00 and 19:00-21:00.
var hourly = [24]float64{
	0.35, 0.25, 0.18, 0.15, 0.15, 0.2, 0.35, 0.55, 0.8, 1.0, 1.3, 1.4,
	1.25, 1.0, 0.95, 0.95, 1.0, 1.1, 1.25, 1.45, 1.5, 1.3, 0.9, 0.6,
}

// seasonality is the traffic factor at t (micros), mean 1 over a day.
func seasonality(t int64) float64 {
	var sum float64
	for _, v := range hourly {
		sum += v
	}
	mean := sum / 24
	tt := time.UnixMicro(t).UTC()
	h := float64(tt.Hour()) + float64(tt.Minute())/60
	i := int(h)
	f := h - float64(i)
	v := hourly[i]*(1-f) + hourly[(i+1)%24]*f
	if wd := tt.Weekday(); wd == time.Saturday || wd == time.Sunday {
		v *= 0.85
	}
	return v / mean
}

func (s *Shop) initUsers() {
	n := s.cfg.Users
	s.users = make([]*visitor, n)
	s.cum = make([]float64, n)
	var total float64
	for i := range n {
		v := s.newVisitor()
		v.userID = "user_" + strconv.Itoa(1000+i)
		v.signedUp = s.rng.Float64() < 0.7
		v.loggedIn = v.signedUp && s.rng.Float64() < 0.5
		// Loyal users come back about daily, regulars weekly, most rarely.
		w := 0.15
		switch r := s.rng.Float64(); {
		case r < 0.1:
			w = 6
		case r < 0.35:
			w = 1.2
		}
		total += w
		s.users[i] = v
		s.cum[i] = total
	}
}

func (s *Shop) newVisitor() *visitor {
	return &visitor{
		anonID:  s.uuid(),
		browser: browsers[s.rng.IntN(len(browsers))],
		os:      oses[s.rng.IntN(len(oses))],
		device:  []string{"desktop", "mobile", "mobile", "tablet"}[s.rng.IntN(4)],
	}
}

// pickVisitor returns the visitor of a new session: a third are fresh
// anonymous visitors who come once, the rest registered users by weight.
func (s *Shop) pickVisitor() *visitor {
	if s.rng.Float64() < 0.33 {
		return s.newVisitor()
	}
	x := s.rng.Float64() * s.cum[len(s.cum)-1]
	i := sort.SearchFloat64s(s.cum, x)
	if i >= len(s.users) {
		i = len(s.users) - 1
	}
	return s.users[i]
}

// generate starts the sessions whose first action falls in [from, to).
func (s *Shop) generate(from, to int64) {
	const minute = int64(time.Minute / time.Microsecond)
	for t := from; t < to; t += minute {
		end := min(t+minute, to)
		lambda := float64(s.cfg.SessionsPerDay) / (24 * 60) * seasonality(t) * float64(end-t) / float64(minute)
		n := s.poisson(lambda)
		for range n {
			start := t + s.rng.Int64N(end-t)
			v := s.pickVisitor()
			if v.lastSeen > start {
				// The user is still busy in a visit that started
				// earlier; a visitor's visits never overlap.
				v = s.newVisitor()
			}
			s.session(v, start)
		}
	}
}

func (s *Shop) poisson(lambda float64) int {
	if lambda > 30 {
		n := int(math.Round(lambda + math.Sqrt(lambda)*s.rng.NormFloat64()))
		return max(n, 0)
	}
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= s.rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func (s *Shop) uuid() string {
	var b [16]byte
	hi, lo := s.rng.Uint64(), s.rng.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexDigits[c>>4], hexDigits[c&15])
	}
	return string(out)
}
