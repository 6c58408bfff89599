package remote

import (
	"context"
	"fmt"
	"sync"
)

// The transport of remote stages (DESIGN 3.7) lives in a package of its own (runtime/nats)
// that only programs with remote stages link: it registers itself here when it is linked,
// and the facade gives remote stages the registered transport, or one that refuses them.

var messageTransport struct {
	mu sync.Mutex
	t  Transport
}

// SetRemoteTransport makes t the transport of remote stages in this program.
func SetRemoteTransport(t Transport) {
	messageTransport.mu.Lock()
	defer messageTransport.mu.Unlock()
	messageTransport.t = t
}

// RemoteTransport returns the transport of remote stages, nil if the program links none.
func RemoteTransport() Transport {
	messageTransport.mu.Lock()
	defer messageTransport.mu.Unlock()
	return messageTransport.t
}

// ItemKeyer is implemented by the worker connections of transports that give each item a
// deterministic key (ItemKey): the worker puts it in the body's context.
type ItemKeyer interface {
	ItemKey(id uint64) string
}

type itemKeyCtx struct{}

// itemKey is an item's key, made when asked for (most bodies never ask).
type itemKey struct {
	k  ItemKeyer
	id uint64
}

// WithItemKey returns ctx carrying the key k gives item id.
func WithItemKey(ctx context.Context, k ItemKeyer, id uint64) context.Context {
	return context.WithValue(ctx, itemKeyCtx{}, itemKey{k, id})
}

// ItemKey returns the item key ctx carries, "" if none.
func ItemKey(ctx context.Context) string {
	if v, ok := ctx.Value(itemKeyCtx{}).(itemKey); ok {
		return v.k.ItemKey(v.id)
	}
	return ""
}

// ItemKeyOf is the key of item id of a stage's run: "<job>/<stage>/<chunk>/<index>", from the
// chunk the stage made of the item and its index there, the same for every attempt and every
// delivery of the item.
func ItemKeyOf(job, stage string, id uint64) string {
	return fmt.Sprintf("%s/%s/%d/%d", job, stage, id>>idIndexBits, id&maxChunkItems)
}
