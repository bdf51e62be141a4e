package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// row is one line of the results table. ratio is stackae/PyTorch, or the
// ratio named by the metric; target is checked against it.
type row struct {
	metric, stackae, torch string
	ratio                  float64
	target                 string
	met                    string
}

func check(ratio, limit float64, atMost bool) string {
	switch {
	case ratio == 0:
		return "n/a"
	case atMost && ratio <= limit, !atMost && ratio >= limit:
		return "met"
	}
	return "NOT met"
}

func gb(b int64) string { return fmt.Sprintf("%.2f GB", float64(b)/1e9) }

func (m *measurements) rows() []row {
	g1, p1 := median(m.goL1.times), median(m.ptL1.times)
	g2, p2 := median(m.goL2.times), median(m.ptL2.times)
	r1, q1 := median(m.goL1.rss), median(m.ptL1.rss)
	r2, q2 := median(m.goL2.rss), median(m.ptL2.rss)
	f1 := trainFLOPs(levels[1], 32) / 1e9
	gf, pf := median(m.goFwd.rate), median(m.ptFwd.rate)
	e := m.enc
	rows := []row{
		{"level-1 train step, batch 32 (median s)", fmt.Sprintf("%.3f", g1), fmt.Sprintf("%.3f", p1), g1 / p1, "<= 1.0", check(g1/p1, 1.0, true)},
		{"level-1 peak RSS (median of processes)", gb(r1), gb(q1), float64(r1) / float64(q1), "<= 1.0", check(float64(r1)/float64(q1), 1.0, true)},
		{"level-2 train step, batch 32 (median s)", fmt.Sprintf("%.4f", g2), fmt.Sprintf("%.4f", p2), g2 / p2, "", ""},
		{"level-2 peak RSS", gb(r2), gb(q2), float64(r2) / float64(q2), "", ""},
		{"level-2 / level-1 step time", fmt.Sprintf("%.3f", g2/g1), fmt.Sprintf("%.3f", p2/p1), g2 / g1, "stackae <= 0.1", check(g2/g1, 0.1, true)},
		{fmt.Sprintf("level-1 GFLOP/s (%.1f GFLOP per step)", f1), fmt.Sprintf("%.0f", f1/g1), fmt.Sprintf("%.0f", f1/p1), (f1 / g1) / m.peakGFLOPs,
			fmt.Sprintf("vs peak %.0f", m.peakGFLOPs), ""},
		{"encoder forward only, batch 64 (images/s)", fmt.Sprintf("%.0f", gf), fmt.Sprintf("%.0f", pf), gf / pf, "", ""},
	}
	for i, r := range []encodeRun{e.small, e.large, e.s3} {
		if r.rows == 0 {
			continue
		}
		target, met := ">= 0.9 of forward", check(r.rate()/gf, 0.9, false)
		if i == 0 {
			target, met = "(process start-up included)", ""
		}
		rows = append(rows, row{fmt.Sprintf("encode end to end, %d rows, %s (images/s)", r.rows, r.where),
			fmt.Sprintf("%.0f", r.rate()), "", r.rate() / gf, target, met})
	}
	if e.small.rows > 0 {
		ratio := float64(e.large.res.PeakRSS) / float64(e.small.res.PeakRSS)
		rows = append(rows, row{fmt.Sprintf("encode peak RSS, %d vs %d rows", e.large.rows, e.small.rows),
			gb(e.large.res.PeakRSS) + " / " + gb(e.small.res.PeakRSS), "", ratio, "<= 1.10", check(ratio, 1.10, true)})
	}
	return rows
}

// encodeTable prints the encode runs alone (-encode-only).
func (m *measurements) encodeTable(w io.Writer) {
	for _, r := range []encodeRun{m.enc.small, m.enc.large, m.enc.s3} {
		if r.rows > 0 {
			fmt.Fprintf(w, "encode %d rows on %s: %.0f images/s, peak RSS %s, %.1f s\n", r.rows, r.where, r.rate(), gb(r.res.PeakRSS), r.res.Wall.Seconds())
		}
	}
}

func (m *measurements) table(w io.Writer) {
	fmt.Fprintln(w, "| metric | stackae | PyTorch | ratio | target | |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range m.rows() {
		fmt.Fprintf(w, "| %s | %s | %s | %.2f | %s | %s |\n", r.metric, r.stackae, r.torch, r.ratio, r.target, r.met)
	}
}

func (m *measurements) header(w io.Writer, o options) {
	mc := m.machine
	fmt.Fprintf(w, "- date: %s; stackae %s; %s; oneDNN %s; PyTorch %s (%s)\n", mc.date, mc.commit, mc.goVersion, mc.onednn, m.torchVersion, o.python)
	fmt.Fprintf(w, "- machine: %s, %d cores (threads = cores on both sides), %s RAM; flags: %s\n", mc.cpu, mc.cores, mc.mem, mc.flags)
	fmt.Fprintf(w, "- %d alternating rounds: per round one process per side for level 1 (%d timed steps after a warm-up),\n", o.rounds, o.steps1)
	fmt.Fprintf(w, "  level 2 (%d steps) and the forward-only encoder; medians over all steps; RSS is each process's peak (getrusage).\n", o.steps2)
	fmt.Fprintf(w, "- both sides train the same architecture (%d and %d trainable parameters, checked) with Adam lr 1e-4, betas (0.5, 0.999).\n", m.paramsGo[1], m.paramsGo[2])
	if m.enc.s3Skipped != "" {
		fmt.Fprintf(w, "- encode on S3: %s\n", m.enc.s3Skipped)
	}
}

func (o options) report(m *measurements) error {
	var b strings.Builder
	m.header(&b, o)
	b.WriteString("\n")
	m.table(&b)
	fmt.Print(b.String())
	if o.md == "" {
		return nil
	}
	return os.WriteFile(o.md, []byte(b.String()), 0o644)
}
