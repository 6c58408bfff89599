package remote

import (
	"encoding/gob"
	"io"
)

// The tests link encoding/gob as runtime/gobcodec does (which imports this package).
func init() {
	SetGob(Gob{
		NewEncoder: func(w io.Writer) Encoder { return gob.NewEncoder(w) },
		NewDecoder: func(r io.Reader) Decoder { return gob.NewDecoder(r) },
	})
}
