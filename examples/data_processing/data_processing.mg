// Data processing in named sub-pipelines routed to one another.
// data_processing_test.go runs it.
package dataprocessing

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

go {
	// Reading is one temperature measurement, in tenths of a degree.
	type Reading struct {
		Seq    int
		Sensor string
		Tenths int
	}

	// Alert is something an operator must look at.
	type Alert struct {
		Sensor string
		Text   string
	}

	// Chunk is a batch of readings, compressed for the archive.
	type Chunk struct {
		First, Last int // Seq of the first and last reading
		Count       int
		Gzip        []byte
	}

	var sensors = []string{"boiler", "cellar", "roof"}

	// wire is line seq of the sensors' feed, "sensor,tenths": each sensor
	// reads a steady value with a little noise; the boiler spikes at seq 30
	// and 51, the cellar's sensor fails at 70, and every 25th line is garbled.
	func wire(seq int) string {
		s := sensors[seq%len(sensors)]
		v := 200 + 10*(seq%len(sensors)) + (seq*7)%5
		switch {
		case seq%25 == 24:
			return s + ",??"
		case seq == 30 || seq == 51:
			v += 150
		case seq == 70:
			v = 9999
		}
		return fmt.Sprintf("%s,%d", s, v)
	}
}

// DataProcessing runs a sensor feed through five named sub-pipelines:
// ingest decodes the feed, validate checks it and sends every reading to
// both realtime and archive (broadcast), realtime raises an alert when a
// reading jumps away from its sensor's recent average, archive compresses
// readings in chunks of 20 on two goroutines, and alerts takes both the
// realtime alerts and its own scheduled notices.
pipeline DataProcessing {
	// lines of the feed to read
	param Count int = 90

	state {
		mu      sync.Mutex
		recent  map[string][]int // realtime's window per sensor: detect is inline
		alerts  []Alert
		chunks  []Chunk
		garbled int
	}

	before_run {
		p.recent = map[string][]int{}
	}

	pipeline ingest to(validate) {
		producer feed() string {
			for seq := 0; seq < p.Count; seq++ {
				emit(strconv.Itoa(seq) + "," + wire(seq))
			}
		}
		processor decode(line string) Reading {
			f := strings.Split(line, ",")
			seq, _ := strconv.Atoi(f[0])
			v, err := strconv.Atoi(f[2])
			if err != nil {
				p.mu.Lock()
				p.garbled++
				p.mu.Unlock()
				return nil // a garbled line is skipped, not an error
			}
			emit(Reading{Seq: seq, Sensor: f[1], Tenths: v})
		}
	}

	pipeline validate to(realtime, archive) {
		// a failed sensor reads far outside what a room can be
		processor plausible(r Reading) Reading {
			if r.Tenths > -500 && r.Tenths < 1500 {
				emit(r)
			}
		}
	}

	pipeline realtime to(alerts) {
		// compares each reading with the average of its sensor's last four
		processor detect(r Reading) Alert {
			w := p.recent[r.Sensor]
			if len(w) == 4 {
				sum := 0
				for _, v := range w {
					sum += v
				}
				if avg := sum / 4; r.Tenths-avg > 50 || avg-r.Tenths > 50 {
					emit(Alert{Sensor: r.Sensor, Text: fmt.Sprintf("reading %d: %d is far from %d", r.Seq, r.Tenths, avg)})
				}
				w = w[1:]
			}
			p.recent[r.Sensor] = append(w, r.Tenths)
		}
	}

	pipeline archive {
		batch 20
		processor compress(b []Reading) Chunk threads(2) {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			for _, r := range b {
				fmt.Fprintf(zw, "%d %s %d\n", r.Seq, r.Sensor, r.Tenths)
			}
			if err := zw.Close(); err != nil {
				return err
			}
			emit(Chunk{First: b[0].Seq, Last: b[len(b)-1].Seq, Count: len(b), Gzip: buf.Bytes()})
		}
		consumer store(c Chunk) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.chunks = append(p.chunks, c)
		}
	}

	// its own producer, and the realtime alerts from upstream: both feed notify
	pipeline alerts {
		producer scheduled() Alert {
			emit(Alert{Sensor: "roof", Text: "maintenance at 14:00"})
		}
		consumer notify(a Alert) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.alerts = append(p.alerts, a)
		}
	}

	after_run {
		sort.Slice(p.alerts, func(i, j int) bool { return p.alerts[i].Text < p.alerts[j].Text })
		for _, a := range p.alerts {
			fmt.Printf("alert %-7s %s\n", a.Sensor, a.Text)
		}
		n := 0
		for _, c := range p.chunks {
			n += c.Count
		}
		fmt.Printf("%d readings archived in %d chunks, %d garbled lines skipped\n", n, len(p.chunks), p.garbled)
	}
}
