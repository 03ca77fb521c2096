// Command mxc-opgen writes ops_generated.go of package nd or sym from the operator registry of the linked libmxc.
// It runs through `go generate ./...` in bindings/go:
//
//	mxc-opgen -pkg nd -o ops_generated.go
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mxc/mxc-go/internal/opgen"
)

func main() {
	pkg := flag.String("pkg", "", "package to write: nd or sym")
	out := flag.String("o", "ops_generated.go", "output file")
	flag.Parse()
	infos, err := opgen.Collect()
	if err == nil {
		var src []byte
		if src, err = opgen.Generate(*pkg, infos); err == nil {
			err = os.WriteFile(*out, src, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mxc-opgen:", err)
		os.Exit(1)
	}
	fmt.Printf("mxc-opgen: wrote %d operators to %s\n", len(infos), *out)
}
