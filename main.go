// Command nginx-build builds nginx from source. See README.md.
package main

import (
	"os"

	"github.com/nginx-build/nginx-build/command"
)

func main() {
	os.Exit(command.Execute())
}
