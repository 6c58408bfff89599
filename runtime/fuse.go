package mgrt

// fusable reports whether stage b can run on its sender's goroutine, called directly for each
// item, instead of on its own goroutine behind a queue. That keeps every semantic the stage
// has (hooks, stats, retries, failures, order) when:
//   - b is an Inline processor, consumer or custom stage with no queue size of its own (a
//     stage given a queue size keeps its queue: the user asked for a buffer);
//   - b has exactly one sender: one static edge and no dead-letter edge, so its end of stream
//     is its sender's end;
//   - that sender runs on exactly one goroutine (a producer, an accumulator, an Inline or
//     Threads(1) stage, or a stage fused into one), so b still runs one item at a time.
//
// DESIGN 3.2 calls this the main speed lever: a chain of inline stages costs a few function
// calls per item instead of a channel hop per stage.
func fusable(b *stageBase) bool {
	s := b.spec
	switch s.Kind {
	case KindProcessor, KindConsumer, KindCustom:
	default:
		return false
	}
	if s.Strategy.Kind != Inline || s.QueueSize != 0 {
		return false
	}
	if len(b.ins) != 1 || len(b.dlFrom) != 0 {
		return false
	}
	up := b.ins[0].spec
	switch up.Kind {
	case KindProducer, KindAccumulator:
		return true
	}
	return up.Strategy.Kind == Inline || (up.Strategy.Kind == Threads && up.Strategy.N <= 1)
}
