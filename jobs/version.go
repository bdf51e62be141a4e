package jobs

import "runtime/debug"

// version is set at build time: -ldflags "-X github.com/stackae/stackae/jobs.version=v1.2.3".
var version = "0.1.0-dev"

// Version returns the stackae version, with the VCS revision when known.
func Version() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return v
}
