package reroute_extends

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// reference parses the log by hand: parsed lines, and what each variant keeps.
func reference(n int) (parsed []Event) {
	for _, l := range accessLog(n) {
		var e Event
		if _, err := fmt.Sscanf(l, "%s GET %s %d", &e.IP, &e.Path, &e.Status); err != nil {
			continue
		}
		parsed = append(parsed, e)
	}
	return parsed
}

func canon(es []Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s %s %d %s", e.IP, e.Path, e.Status, e.Country))
	}
	sort.Strings(out)
	return out
}

func stages(info mgrt.GraphInfo) []string {
	var names []string
	for _, s := range info.Stages {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	return names
}

func TestIngestAndVariants(t *testing.T) {
	const n = 300
	parsed := reference(n)
	var enriched, valid, audited, errs []Event
	trail := map[string]int{}
	for _, e := range parsed {
		e.Country = countryOf(e.IP)
		enriched = append(enriched, e)
		if e.Path != "/health" {
			valid = append(valid, e)
			trail[e.Country]++
			if e.Status >= 500 {
				errs = append(errs, e)
			}
		}
	}
	audited = valid
	if len(parsed) == n || len(valid) == len(parsed) || len(errs) == 0 {
		t.Fatalf("the log exercises nothing: %d parsed, %d valid, %d errors", len(parsed), len(valid), len(errs))
	}

	ctx := context.Background()

	base := NewIngest()
	base.Lines = n
	res, err := base.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(canon(base.stored), canon(valid)) {
		t.Errorf("Ingest stored %d events, want %d", len(base.stored), len(valid))
	}
	if fmt.Sprint(base.hooks) != "[before_run:ingest after_run:Ingest]" {
		t.Errorf("Ingest hooks %v", base.hooks)
	}
	if got := stages(base.Graph()); fmt.Sprint(got) != "[enrich parse read store validate]" {
		t.Errorf("Ingest stages %v", got)
	}
	if st, _ := res.Stage("parse"); st.In != n || st.Out != int64(len(parsed)) {
		t.Errorf("Ingest parse in %d out %d", st.In, st.Out)
	}

	// Backfill: parse -> store; no country, health checks kept
	bf := NewBackfill()
	bf.Lines = n
	res, err = bf.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bf.Label != "backfill" || !slices.Equal(canon(bf.stored), canon(parsed)) {
		t.Errorf("Backfill (%s) stored %d events, want %d without country", bf.Label, len(bf.stored), len(parsed))
	}
	if got := stages(bf.Graph()); fmt.Sprint(got) != "[parse read store]" {
		t.Errorf("Backfill stages %v: enrich and validate should be dropped", got)
	}
	if _, ok := res.Stage("enrich"); ok {
		t.Errorf("Backfill ran enrich")
	}
	if st, _ := res.Stage("store"); st.In != int64(len(parsed)) {
		t.Errorf("Backfill store took %d", st.In)
	}

	// Audited: validate -> store and audit; its hooks after the parent's
	au := NewAudited()
	au.Lines = n
	res, err = au.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(canon(au.stored), canon(audited)) || fmt.Sprint(au.trail) != fmt.Sprint(trail) {
		t.Errorf("Audited stored %d, trail %v; want %d, %v", len(au.stored), au.trail, len(audited), trail)
	}
	if fmt.Sprint(au.hooks) != "[before_run:audited after_run:Ingest after_run:Audited]" {
		t.Errorf("Audited hooks %v, want the parent's before the child's", au.hooks)
	}
	if got := stages(au.Graph()); fmt.Sprint(got) != "[audit enrich parse read store validate]" {
		t.Errorf("Audited stages %v", got)
	}
	var edges []string
	for _, e := range au.Graph().Edges {
		if e.From == "validate" {
			edges = append(edges, e.To)
		}
	}
	slices.Sort(edges)
	if fmt.Sprint(edges) != "[audit store]" {
		t.Errorf("Audited: validate sends to %v", edges)
	}

	// Errors: enrich -> only_errors -> validate
	er := NewErrors()
	er.Lines = n
	res, err = er.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(canon(er.stored), canon(errs)) {
		t.Errorf("Errors stored %v\nwant %v", canon(er.stored), canon(errs))
	}
	for _, e := range er.stored {
		if e.Status < 500 || e.Country == "" || strings.HasPrefix(e.Path, "/health") {
			t.Errorf("Errors stored %+v", e)
		}
	}
	if st, _ := res.Stage("only_errors"); st.In != int64(len(enriched)) || st.Out != int64(len(errs)+countHealth500(enriched)) {
		t.Errorf("Errors only_errors in %d out %d", st.In, st.Out)
	}
}

// countHealth500 counts the server errors on /health, which only_errors
// passes and validate then drops.
func countHealth500(es []Event) (n int) {
	for _, e := range es {
		if e.Status >= 500 && e.Path == "/health" {
			n++
		}
	}
	return n
}
