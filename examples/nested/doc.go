// Package nested shows nested pipelines: `nested thumb = Thumbnail` uses
// another pipeline of the file as one stage of the host. Each nested copy is
// a value of its own, with its own parameters and state: Downscale counts
// the images it made, and the thumbnail and preview copies count apart.
// Thumbnail extends Downscale to change its parameters' defaults (a nested
// copy takes its pipeline's defaults), and Preview nests two pipelines
// itself, so Gallery holds pipelines two levels deep; their stages are named
// by the path to them (preview.half.shrink).
package nested

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
