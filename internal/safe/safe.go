// Package safe turns a panic in a goroutine into an error. command.Run
// recovers panics on the main goroutine, but a panic in any other goroutine
// kills the process with a stack trace; every goroutine the pipeline starts
// runs its work through Do.
package safe

import "fmt"

// Do runs f; a panic in it becomes an error saying what was being done.
func Do(what string, f func() error) (err error) {
	defer Recover(what, &err)
	return f()
}

// Recover, deferred in a function with a named error result, turns a panic
// in that function into that error:
//
//	g.Go(func() (err error) {
//		defer safe.Recover("extracting zlib", &err)
//		...
//	})
func Recover(what string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error in %s: %v, please report this", what, r)
	}
}
