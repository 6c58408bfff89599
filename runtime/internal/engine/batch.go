package engine

import "time"

// batchDriver runs an accumulator on one goroutine, whatever its strategy: it collects items
// into batches of size, flushing a full batch at once, a partial one when its oldest item has
// waited maxWait (if set), when the run is canceled, and at end of stream.
type batchDriver[In, Out any] struct{ n *Node[In, Out] }

// batchWorker is the accumulator's worker; its "items" are batches.
type batchWorker[In, Out any] struct {
	itemRunner[[]In, Out]
	dead sink[Failed[In]]
}

func (d batchDriver[In, Out]) goroutines(r *run) []func() {
	n := d.n
	st := n.rt
	rn := r.newRunner()
	bw := &batchWorker[In, Out]{}
	bw.init(st, rn, false)
	bw.onFail = bw.fail
	var sinks []sink[Out]
	for _, t := range n.targets {
		sinks = append(sinks, t.sinkFor(st, rn, &bw.w.ws, bufPrivate))
	}
	bw.w.init(&n.stageBase, sinks, n.spec.Retry > 0, nil)
	if n.dead != nil {
		bw.dead = n.dead.sinkFor(st, rn, &bw.w.ws, bufPrivate)
	}
	bw.fn = n.accumulate(&bw.w)
	return []func(){func() {
		bw.loop(n.q, n.batchSize, n.maxWait)
		st.exit(rn)
	}}
}

func (bw *batchWorker[In, Out]) loop(q *queue[In], size int, maxWait time.Duration) {
	r, ws := bw.r, &bw.w.ws
	canceled := &bw.st.run.canceled
	var timer *time.Timer
	if maxWait > 0 {
		timer = time.NewTimer(maxWait)
		timer.Stop()
	}
	// A batch grows to its size: a large max_size is not held in full for a trickle of items,
	// and after a full batch the next starts at the size the last one reached.
	batch := make([]In, 0, min(size, 4096))
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if timer != nil {
			timer.Stop()
		}
		b := batch
		batch = make([]In, 0, min(size, cap(b)))
		bw.timedProcess(b)
		r.afterItems()
	}
	for {
		var timerC <-chan time.Time
		if timer != nil && len(batch) > 0 {
			timerC = timer.C
		}
		c, ok, fired := q.recv(r, ws, timerC)
		if fired {
			flush()
			continue
		}
		if !ok {
			break
		}
		for _, v := range c {
			if canceled.Load() {
				flush() // the collected items are in flight: they are processed
				ws.dropped++
				continue
			}
			if !bw.started {
				bw.begin()
				ws.markFirst()
			}
			if len(batch) == 0 && timer != nil {
				timer.Reset(maxWait)
			}
			batch = append(batch, v)
			ws.in++
			if len(batch) == size {
				flush()
			}
		}
		q.recycle(c)
		if timer != nil && len(batch) > 0 {
			select {
			case <-timer.C:
				flush()
			default:
			}
		}
		r.poll()
	}
	flush()
}

// fail sends the items of a batch that failed for good to the dead-letter stage one by one,
// or records the batch as one failure.
func (bw *batchWorker[In, Out]) fail(batch []In, err error, attempts int) {
	if bw.dead != nil {
		name := bw.st.base.spec.Name
		for _, v := range batch {
			bw.dead.put(Failed[In]{Item: v, Err: err, Stage: name, Attempts: attempts})
		}
		bw.st.stats.deadLettered.Add(int64(len(batch)))
		return
	}
	bw.st.itemFailed(batch, err, attempts)
}
