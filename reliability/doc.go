// Package reliability holds stackae's reliability campaigns (tests only):
// storage faults injected between stackae and a real S3 server, SIGKILL at
// seeded points followed by a re-run, a catalogue of bad inputs, and
// security checks. `make test` runs them small; `make reliability` runs
// them bigger (STACKAE_RELIABILITY=full) and writes docs/RELIABILITY.md.
package reliability
