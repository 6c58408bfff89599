package complexrouting

import (
	"context"
	"maps"
	"slices"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestComplexRouting(t *testing.T) {
	p := NewComplexRouting()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s, failures %v", res.Status, res.Failures)
	}

	// Where each ticket went, and by which route (after_run sorted each list).
	want := map[string][]string{
		"page_oncall": {
			"2: classify > security.triage > page_oncall",
			"7: classify > security.triage > page_oncall",
		},
		"open_incident": {
			"1: classify > security.triage > open_incident",
			"2: classify > security.triage > open_incident",
			"2: classify > security.triage > page_oncall > open_incident",
			"7: classify > security.triage > open_incident",
			"7: classify > security.triage > page_oncall > open_incident",
		},
		"refund": {
			"3: classify > billing.triage > refund",
			"4: classify > billing.triage > approve_refund > refund",
		},
		"invoices": {
			"5: classify > billing.triage > invoices",
			"8: classify > billing.triage > invoices",
		},
		"archive": {
			"6: classify > general.reply > archive",
			"9: classify > billing.triage > general.reply > archive",
		},
	}
	if !maps.EqualFunc(p.handled, want, slices.Equal) {
		t.Errorf("handled:\n%q\nwant:\n%q", p.handled, want)
	}

	// Items into each stage, by their qualified names.
	wantIn := map[string]int64{
		"tickets": 0, "classify": 9,
		"security.triage": 3, "security.page_oncall": 2, "security.open_incident": 5,
		"billing.triage": 5, "billing.approve_refund": 1, "billing.refund": 2, "billing.invoices": 2,
		"general.reply": 2, "general.archive": 2,
	}
	got := map[string]int64{}
	for _, st := range res.Stages {
		got[st.Name] = st.In
	}
	if !maps.Equal(got, wantIn) {
		t.Errorf("items in per stage %v, want %v", got, wantIn)
	}

	// The graph knows every route a body may take.
	edges := map[string]bool{}
	for _, e := range p.Graph().Edges {
		edges[e.From+" -> "+e.To] = true
	}
	for _, e := range []string{
		"classify -> security.triage", "classify -> billing.triage", "classify -> general.reply",
		"security.triage -> security.page_oncall", "security.triage -> security.open_incident",
		"security.page_oncall -> security.open_incident",
		"billing.triage -> billing.refund", "billing.triage -> billing.approve_refund",
		"billing.triage -> billing.invoices", "billing.triage -> general.reply",
		"billing.approve_refund -> billing.refund", "general.reply -> general.archive",
	} {
		if !edges[e] {
			t.Errorf("no edge %s in %v", e, edges)
		}
	}
	if len(edges) != 13 {
		t.Errorf("%d edges, want 13 (tickets -> classify and the 12 above)", len(edges))
	}
}
