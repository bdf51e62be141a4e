package jobs

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// profiler writes a pprof CPU profile of the whole job when --cpuprofile is
// set, for `go tool pprof bin/stackae FILE`.
type profiler struct{ f *os.File }

// addProfiling adds the --cpuprofile flag; the profile starts before any job
// runs and stop ends it, whether the job failed or not.
func addProfiling(root *cobra.Command) *profiler {
	p := &profiler{}
	root.PersistentFlags().String("cpuprofile", "", "write a CPU profile of the job to this file (go tool pprof)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		path, _ := cmd.Flags().GetString("cpuprofile")
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return usagef("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile %s: %w", path, err)
		}
		p.f = f
		return nil
	}
	return p
}

func (p *profiler) stop() {
	if p.f != nil {
		pprof.StopCPUProfile()
		p.f.Close()
	}
}
