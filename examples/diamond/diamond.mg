// A diamond: fan-out to two branches that join again. diamond_test.go runs it.
package diamond

import (
	"fmt"
	"hash/crc32"
	"sort"
	"strings"
	"sync"
)

go {
	// Doc is a document to check in.
	type Doc struct {
		ID   int
		Text string
	}

	// Part is what one branch found out about a document.
	type Part struct {
		DocID int
		Kind  string // "words" or "crc"
		Value uint32
	}

	// Report is a document's two parts, joined.
	type Report struct {
		DocID int
		Words int
		CRC   uint32
	}

	var corpus = []string{
		"the quick brown fox",
		"jumps over the lazy dog",
		"pipelines move items between stages",
		"a diamond splits and joins again",
	}

	// docText is the text of document id.
	func docText(id int) string { return strings.Repeat(corpus[id%len(corpus)]+" ", 1+id%3) }
}

// Diamond sends every document down two branches at once (broadcast: each
// branch gets each document), counts its words on one and checksums it on the
// other, each on two goroutines, then joins the two parts of each document
// into one report.
pipeline Diamond {
	// how many documents to check in
	param Count int = 40

	state {
		pending map[int][]Part // join's half-done documents: join is inline, one goroutine
		mu      sync.Mutex
		reports []Report
	}

	before_run {
		p.pending = map[int][]Part{}
	}

	producer docs() Doc to(count_words, checksum) {
		for id := 0; id < p.Count; id++ {
			emit(Doc{ID: id, Text: docText(id)})
		}
	}

	processor count_words(d Doc) Part threads(2) to(join) {
		emit(Part{DocID: d.ID, Kind: "words", Value: uint32(len(strings.Fields(d.Text)))})
	}

	processor checksum(d Doc) Part threads(2) to(join) {
		emit(Part{DocID: d.ID, Kind: "crc", Value: crc32.ChecksumIEEE([]byte(d.Text))})
	}

	// both branches fan in here; a report leaves once both parts are in
	processor join(part Part) Report from(count_words, checksum) {
		parts := append(p.pending[part.DocID], part)
		if len(parts) < 2 {
			p.pending[part.DocID] = parts
			return nil
		}
		delete(p.pending, part.DocID)
		r := Report{DocID: part.DocID}
		for _, pt := range parts {
			switch pt.Kind {
			case "words":
				r.Words = int(pt.Value)
			case "crc":
				r.CRC = pt.Value
			}
		}
		emit(r)
	}

	consumer save(r Report) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.reports = append(p.reports, r)
	}

	after_run {
		sort.Slice(p.reports, func(i, j int) bool { return p.reports[i].DocID < p.reports[j].DocID })
		for _, r := range p.reports {
			fmt.Printf("doc %2d: %2d words, crc %08x\n", r.DocID, r.Words, r.CRC)
		}
		fmt.Printf("%d reports, %d documents left unjoined\n", len(p.reports), len(p.pending))
	}
}
