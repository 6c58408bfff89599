// 20_error_handling_hooks: batches fail in the worker; the parent's on_error
// hook sees each failure, and the successful batches' results come back.
package workers

import "errors"

pipeline ErrorHooks {
	param Count int = 100

	state {
		saved  []int merge(append)
		errors []string // written by on_error, in the parent: hooks never run two at a time
	}

	producer gen() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}

	batch 10

	consumer save(b []int) process_per_batch(max: 2) {
		// Every batch that starts at a multiple of 30 fails: 0, 30, 60, 90.
		if b[0]%30 == 0 {
			p.saved = append(p.saved, -1) // dropped: the attempt fails
			return errors.New("cannot save batch")
		}
		p.saved = append(p.saved, b...)
	}

	on_error(save) (err error, item any) {
		p.errors = append(p.errors, err.Error())
	}
}
