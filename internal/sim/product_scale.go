package sim

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// ProductScaleVersion changes whenever ProductScale's output changes, so
// that a data directory loaded from an older generator is not reused.
const ProductScaleVersion = 1

// ProductScale is a reproducible product-analytics workload of about
// Events browser events from Events/20 persons over Days days starting at
// Start: the shop's page views and its product events (Product Viewed,
// Product Added, Checkout Started, Order Completed). Each person starts
// on a day and comes back on some later days; half of the persons browse
// anonymously (their device id) on their first visit until they add a
// product, when an $identify links the device id to their user id.
type ProductScale struct {
	Events int
	Days   int       // default 56 (8 weeks)
	Start  time.Time // default 2026-01-05, a Monday
	Seed   uint64
}

// ProductEvent is one event as the browser SDK sends it.
type ProductEvent struct {
	TS         int64  // µs
	Name       string // "$pageview", "$identify" or a product event
	Distinct   string // the user id once identified, else the device id
	Device     string // the device (anonymous) id
	Identified bool
	Session    string
	Path       string
	Props      []event.Attr
}

// eventsPerVisit is the mean of visit's event count (see visit).
const eventsPerVisit = 6.4

func (c ProductScale) withDefaults() ProductScale {
	if c.Days <= 0 {
		c.Days = 56
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	}
	if c.Events <= 0 {
		c.Events = 1000
	}
	return c
}

// Persons is how many persons the workload has.
func (c ProductScale) Persons() int { return max(c.withDefaults().Events/20, 1) }

// Range is the workload's time span, [From, To) in µs.
func (c ProductScale) Range() (from, to int64) {
	c = c.withDefaults()
	from = c.Start.UnixMicro()
	return from, from + int64(c.Days)*int64(24*time.Hour/time.Microsecond)
}

// Day returns the events of day d (0-based), in time order. Days are
// independent: each has its own random stream.
func (c ProductScale) Day(d int) []ProductEvent {
	c = c.withDefaults()
	persons := c.Persons()
	// Each person makes one first visit and returns on a later day with
	// probability ret, so that visits average Events/Persons/eventsPerVisit.
	visits := float64(c.Events) / float64(persons) / eventsPerVisit
	ret := min(1, max(0, (visits-1)/(float64(c.Days)/2)))
	r := rand.New(rand.NewPCG(c.Seed, uint64(d)+1))
	dayStart := c.Start.UnixMicro() + int64(d)*int64(24*time.Hour/time.Microsecond)
	var out []ProductEvent
	for p := range persons {
		first := int((uint64(p) * 2654435761) % uint64(c.Days))
		if d < first || (d > first && r.Float64() >= ret) {
			continue
		}
		out = c.visit(out, r, p, d, d == first, dayStart+r.Int64N(int64(23*time.Hour/time.Microsecond)))
	}
	slices.SortStableFunc(out, func(a, b ProductEvent) int {
		switch {
		case a.TS < b.TS:
			return -1
		case a.TS > b.TS:
			return 1
		}
		return 0
	})
	return out
}

var (
	scaleBrowsers = []string{"Chrome", "Safari", "Firefox", "Edge"}
	scalePlans    = []string{"free", "pro"}
)

// visit appends one visit of person p starting at t: the home page, one to
// three products, maybe an add to cart (with $identify for an anonymous
// person), a checkout and an order.
func (c ProductScale) visit(out []ProductEvent, r *rand.Rand, p, d int, first bool, t int64) []ProductEvent {
	const sec = int64(time.Second / time.Microsecond)
	user, device := "user-"+strconv.Itoa(p), "dev-"+strconv.Itoa(p)
	identified := !(first && p%2 == 0)
	session := device + "-" + strconv.Itoa(d)
	browser := event.Attr{Key: "browser", Value: scaleBrowsers[p%len(scaleBrowsers)]}
	add := func(name, path string, props ...event.Attr) {
		distinct := device
		if identified {
			distinct = user
		}
		out = append(out, ProductEvent{TS: t, Name: name, Distinct: distinct, Device: device, Identified: identified,
			Session: session, Path: path, Props: append(props, browser)})
		t += sec + r.Int64N(90*sec)
	}
	add("$pageview", "/")
	for range 1 + r.IntN(3) {
		product := strconv.Itoa(r.IntN(500))
		add("$pageview", "/products/"+product)
		add("Product Viewed", "/products/"+product, event.Attr{Key: "product", Value: product},
			event.Attr{Key: "plan", Value: scalePlans[p%2]})
	}
	if r.Float64() >= 0.5 {
		return out
	}
	add("Product Added", "/cart")
	if !identified {
		identified = true
		add("$identify", "/cart")
	}
	if r.Float64() >= 0.6 {
		return out
	}
	add("$pageview", "/checkout")
	add("Checkout Started", "/checkout")
	if r.Float64() < 0.7 {
		add("Order Completed", "/checkout", event.Attr{Key: "amount", Value: strconv.Itoa(10 + r.IntN(200))})
	}
	return out
}

// AppendPostHog appends e as one event of a PostHog /batch/ body, as the
// browser SDK sends it.
func AppendPostHog(b []byte, e *ProductEvent) []byte {
	b = append(b, `{"event":`...)
	b = event.AppendJSONString(b, e.Name)
	b = append(b, `,"distinct_id":`...)
	b = event.AppendJSONString(b, e.Distinct)
	b = append(b, `,"timestamp":"`...)
	b = time.UnixMicro(e.TS).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","properties":{"$is_identified":`...)
	b = strconv.AppendBool(b, e.Identified)
	b = appendField(b, "$device_id", e.Device)
	b = appendField(b, "$anon_distinct_id", e.Device)
	b = appendField(b, "$session_id", e.Session)
	b = appendField(b, "$pathname", e.Path)
	for _, a := range e.Props {
		b = appendField(b, a.Key, a.Value)
	}
	return append(b, "}}"...)
}
