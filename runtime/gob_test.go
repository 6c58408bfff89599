package mgrt

// The tests' pipelines carry maps, pointers and interfaces to worker processes, as generated
// code that needs encoding/gob does.
import _ "github.com/minigun-go/minigun/runtime/gobcodec"
