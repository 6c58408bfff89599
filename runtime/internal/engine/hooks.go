package engine

import "context"

// callHook runs a hook, turning a panic into a *PanicError.
func callHook(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = newPanicError(p)
		}
	}()
	return f()
}

// runHooks runs run-level hooks in registration order under the hook lock and returns the
// first error, as a *HookError. Every hook runs even if an earlier one failed.
func (r *run) runHooks(name string, hooks []func(context.Context) error) error {
	if len(hooks) == 0 {
		return nil
	}
	r.hookMu.Lock()
	defer r.hookMu.Unlock()
	var first error
	for _, h := range hooks {
		if err := callHook(func() error { return h(r.ctx) }); err != nil && first == nil {
			first = &HookError{Pipeline: r.g.cfg.Pipeline, Hook: name, Err: err}
		}
	}
	return first
}

// stageHooks runs a stage's Before or After hooks under the hook lock; an error fails and
// cancels the run.
func (r *run) stageHooks(s *stageRun, name string, hooks []func(context.Context) error) {
	if len(hooks) == 0 {
		return
	}
	r.hookMu.Lock()
	defer r.hookMu.Unlock()
	for _, h := range hooks {
		if err := callHook(func() error { return h(r.ctx) }); err != nil {
			b := s.base
			r.failRun(&StageError{Stage: b.spec.Name, Pos: b.spec.Pos, Hook: name, Err: err})
		}
	}
}
