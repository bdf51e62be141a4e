package main

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// machine is what the results were measured on.
type machine struct {
	date, cpu, flags, mem, goVersion, onednn, commit string
	cores                                            int
}

// interesting are the CPU flags that decide which kernels run.
var interesting = []string{"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16"}

func describeMachine() machine {
	m := machine{date: time.Now().UTC().Format("2006-01-02 15:04 MST"), cores: runtime.NumCPU(), goVersion: runtime.Version(), onednn: onednnVersion()}
	if out, err := exec.Command("lscpu").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			k, v, _ := strings.Cut(line, ":")
			switch strings.TrimSpace(k) {
			case "Model name":
				m.cpu = strings.TrimSpace(v)
			case "Flags":
				have := map[string]bool{}
				for _, f := range strings.Fields(v) {
					have[f] = true
				}
				var got []string
				for _, f := range interesting {
					if have[f] {
						got = append(got, f)
					}
				}
				m.flags = strings.Join(got, " ")
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if line, _, ok := strings.Cut(string(b), "\n"); ok {
			m.mem = strings.Join(strings.Fields(line)[1:], " ")
		}
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		m.commit = strings.TrimSpace(string(out))
	}
	return m
}
