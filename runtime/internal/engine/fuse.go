package engine

// fusable reports whether stage b can run on its sender's goroutine (GraphConfig.Fuse)
// instead of on its own goroutine behind a channel. A fused stage's input is a local queue
// that its sender appends to; the goroutine processes it when it is full, after each chunk of
// the sender's input, after each slow item, before waiting and at the end (localQueue). That keeps every semantic
// the stage has (hooks, stats, retries, failures, order, end of stream) when:
//   - b is an Inline processor, consumer or custom stage with no queue size of its own (a
//     stage given a queue size keeps its queue: the user asked for a buffer);
//   - b has exactly one sender: one static edge and no dead-letter edge, so its end of stream
//     is its sender's end;
//   - that sender runs on exactly one goroutine that the runtime drives (an accumulator, an
//     Inline or Threads(1) stage, or a stage fused into one), so b still runs one item at a
//     time. Producers are not hosts: a producer body may sit in user code for a long time
//     after an emit, and the items it emitted must not wait for it.
//
// DESIGN 3.2 calls fusion the main speed lever. In this runtime it is opt-in: edges carry
// chunks of up to 256 items, so a channel hop costs little per item, while a fused chain
// loses the parallelism of one goroutine per stage; the speed lever left is fusion by the
// generator, which can call the chain's bodies directly without a closure and an emit per
// stage.
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
	case KindProducer:
		return false
	case KindAccumulator:
		return true
	}
	return up.Strategy.Kind == Inline || (up.Strategy.Kind == Threads && up.Strategy.N <= 1)
}
