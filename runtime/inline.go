package mgrt

// The compiler inlines a method of the engine's into generated code only when
// this package's export data carries the method's body, which it does for the
// bodies this package's own code inlines. The per-item calls of a fused chain
// are named here so that they are inlined where generated code calls them.
var _ = [...]func(*FusedStage) bool{
	func(f *FusedStage) bool { return f.Fast() },
	func(f *FusedStage) bool { return f.FastFirst() },
}
