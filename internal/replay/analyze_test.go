package replay

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/lore-dev/lore/internal/replay/synth"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// checkoutPage is a page with a pay button, a note, an email field and a
// status line.
func checkoutPage() *synth.Node {
	return synth.El("body", map[string]string{"data-lore-unmask": ""},
		synth.El("h1", nil, synth.T("Checkout")),
		synth.El("input", map[string]string{"id": "email", "type": "email", "data-lore-mask": ""}).As("email").At(40, 100, 300, 30),
		synth.El("button", map[string]string{"id": "pay", "class": "btn primary"}, synth.T("Pay now")).As("pay").At(40, 160, 160, 40),
		synth.El("p", map[string]string{"class": "note"}, synth.T("Secure payment")).As("note").At(40, 220, 300, 20),
		synth.El("div", map[string]string{"id": "status"}).As("status"),
	)
}

// stream parses a recorder's events as Analyze reads them.
func stream(t *testing.T, page string, r *synth.Recorder) Stream {
	t.Helper()
	b, err := json.Marshal(r.Events())
	if err != nil {
		t.Fatal(err)
	}
	var p fastjson.Parser
	v, err := p.ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	arr, _ := v.Array()
	return Stream{Page: page, Events: arr}
}

func kinds(ds []Detection) map[string][]Detection {
	out := map[string][]Detection{}
	for _, d := range ds {
		out[d.Kind] = append(out[d.Kind], d)
	}
	return out
}

func TestAnalyzeRageClick(t *testing.T) {
	r := synth.New(t0, 1280, 800)
	r.Load("https://shop.example/checkout", "Checkout", "", checkoutPage())
	r.Move("pay", 500*time.Millisecond)
	for i := 0; i < 5; i++ {
		r.Click("pay")
		r.Wait(150 * time.Millisecond)
	}
	r.Wait(4 * time.Second)
	r.Move("note", 300*time.Millisecond)
	s := Analyze([]Stream{stream(t, "p1", r)}, nil)
	if s.Clicks != 5 || len(s.Pages) != 1 || s.Pages[0].URL != "https://shop.example/checkout" {
		t.Fatalf("summary = %+v", s)
	}
	got := kinds(s.Detections)
	rage := got[DetectRageClick]
	if len(rage) != 1 || rage[0].Clicks != 5 || rage[0].Selector != "button#pay" || rage[0].Text != "Pay now" || rage[0].URL != "https://shop.example/checkout" {
		t.Fatalf("rage clicks = %+v", rage)
	}
	// It lasts until its last click (4 waits of 150 ms and the clicks).
	if d := rage[0].End - rage[0].TS; d < 600 || d > 1500 {
		t.Errorf("rage click lasts %d ms (ends %d, recording %d), want until the last click", d, rage[0].End, s.End)
	}
	// The burst changed nothing on the page: its first click is also dead, once.
	if dead := got[DetectDeadClick]; len(dead) != 1 || dead[0].TS != rage[0].TS || dead[0].End != dead[0].TS+deadAfterMS {
		t.Fatalf("dead clicks = %+v", dead)
	}
}

func TestAnalyzeClicksThatChangeThePageAreNotDead(t *testing.T) {
	r := synth.New(t0, 1280, 800)
	r.Load("https://shop.example/checkout", "Checkout", "", checkoutPage())
	r.Click("pay")
	r.Wait(800 * time.Millisecond)
	r.Append("status", synth.El("span", map[string]string{"class": "spinner"}, synth.T("Paying…")))
	r.Wait(5 * time.Second)
	// A click into a field changes nothing but is not dead either.
	r.Click("email")
	r.Input("email", "ada@example.com")
	r.Wait(5 * time.Second)
	// A click on text that is no control is not a dead click.
	r.Click("note")
	r.Wait(5 * time.Second)
	r.Scroll(200)
	s := Analyze([]Stream{stream(t, "p1", r)}, nil)
	if len(s.Detections) != 0 {
		t.Fatalf("detections = %+v, want none", s.Detections)
	}
	if s.Clicks != 3 || s.Inputs != len("ada@example.com") {
		t.Fatalf("clicks %d inputs %d", s.Clicks, s.Inputs)
	}
}

func TestAnalyzeDeadClickNeedsTheRecordingToGoOn(t *testing.T) {
	r := synth.New(t0, 1280, 800)
	r.Load("https://shop.example/checkout", "Checkout", "", checkoutPage())
	r.Click("pay")
	r.Wait(time.Second) // the recording ends: the tab was closed, nothing to tell
	r.Move("note", 100*time.Millisecond)
	if s := Analyze([]Stream{stream(t, "p1", r)}, nil); len(s.Detections) != 0 {
		t.Fatalf("detections = %+v, want none", s.Detections)
	}
}

func TestAnalyzeErrorAfterClick(t *testing.T) {
	r := synth.New(t0, 1280, 800)
	r.Load("https://shop.example/checkout", "Checkout", "", checkoutPage())
	r.Click("pay")
	r.Custom(tagRequest, map[string]any{"url": "/api/checkout/pay", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})
	r.Wait(1200 * time.Millisecond)
	r.Custom(tagError, map[string]any{"type": "TypeError", "message": "Cannot read properties of undefined (reading 'total')"})
	r.Append("status", synth.El("p", map[string]string{"class": "error"}, synth.T("Something went wrong")))
	r.Wait(10 * time.Second)
	r.Click("note")
	r.Scroll(100)
	// A backend error 2 s after the click on the note, known from the journey.
	backend := ErrorAt{TS: r.Now().UnixMilli() - 8000, Text: "payment-service: RateLimited", TraceID: "0af7651916cd43dd8448eb211c80319c"}
	s := Analyze([]Stream{stream(t, "p1", r)}, []ErrorAt{backend})
	errs := kinds(s.Detections)[DetectErrorAfterClick]
	if len(errs) != 1 {
		t.Fatalf("errors after clicks = %+v", errs)
	}
	d := errs[0]
	if d.Selector != "button#pay" || d.Error != "Cannot read properties of undefined (reading 'total')" || d.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		d.End != d.ErrorTS || d.End-d.TS < 1200 || d.End-d.TS > 1300 {
		t.Fatalf("error after click = %+v", d)
	}
	if s.Errors != 2 {
		t.Fatalf("errors = %d, want the stream's and the journey's", s.Errors)
	}
}

func TestAnalyzePagesAndMutations(t *testing.T) {
	r1 := synth.New(t0, 1280, 800)
	r1.Load("https://shop.example/cart", "Cart", "", checkoutPage())
	r1.Wait(3 * time.Second)
	r2 := synth.New(r1.Now(), 1280, 800)
	r2.Load("https://shop.example/checkout", "Checkout", "", checkoutPage())
	r2.Append("status", synth.El("button", map[string]string{"id": "retry"}, synth.T("Try again")).As("retry").At(40, 300, 120, 30))
	r2.Click("retry")
	r2.Wait(3 * time.Second)
	r2.Remove("retry")
	s := Analyze([]Stream{stream(t, "a", r1), stream(t, "b", r2)}, nil)
	if len(s.Pages) != 2 || s.Pages[1].URL != "https://shop.example/checkout" {
		t.Fatalf("pages = %+v", s.Pages)
	}
	// The button added by a mutation is named (and its click was dead).
	dead := kinds(s.Detections)[DetectDeadClick]
	if len(dead) != 1 || dead[0].Selector != "button#retry" || dead[0].Text != "Try again" {
		t.Fatalf("dead clicks = %+v", dead)
	}
	if s.Start != t0.UnixMilli() || s.End <= s.Start {
		t.Fatalf("span %d–%d", s.Start, s.End)
	}
}

func TestAnalyzeSPANavigation(t *testing.T) {
	r := synth.New(t0, 1280, 800)
	r.Load("https://shop.example/cart", "Cart", "", checkoutPage())
	r.Custom(tagNavigate, map[string]any{"href": "https://shop.example/cart"}) // the load's own page view
	r.Wait(time.Second)
	r.Custom(tagNavigate, map[string]any{"href": "https://shop.example/checkout"})
	s := Analyze([]Stream{stream(t, "p", r)}, nil)
	if len(s.Pages) != 2 || s.Pages[1].URL != "https://shop.example/checkout" {
		t.Fatalf("pages = %+v", s.Pages)
	}
}
