package jobs

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/dataset"
)

func newInspect() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inspect URL",
		Short: "Show a dataset's manifest, schema and counts; --verify re-checks every shard",
		Args:  exactArgs(1, "one dataset URL"),
		RunE:  runInspect,
	}
	cmd.Flags().Bool("verify", false, "re-hash every shard and check rows, splits, ids and schema against the manifest")
	cmd.Flags().Bool("json", false, "print JSON")
	return cmd
}

type inspectReport struct {
	URL            string                `json:"url"`
	ManifestSHA256 string                `json:"manifest_sha256"`
	Manifest       *dataset.Manifest     `json:"manifest"`
	Schema         []string              `json:"schema"`
	Verified       *dataset.VerifyReport `json:"verified,omitempty"`
}

func runInspect(cmd *cobra.Command, args []string) error {
	e, err := setup(cmd, nil)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	d, closeData, err := e.openDataset(ctx, args[0])
	if err != nil {
		return err
	}
	defer closeData()
	schema, err := d.Schema(ctx)
	if err != nil {
		return err
	}
	rep := inspectReport{URL: d.URL(), ManifestSHA256: d.ManifestSHA256, Manifest: d.Manifest}
	for _, f := range schema.Fields() {
		rep.Schema = append(rep.Schema, fmt.Sprintf("%s: %s", f.Name, f.Type))
	}
	if v, _ := cmd.Flags().GetBool("verify"); v {
		if rep.Verified, err = d.Verify(ctx, nil); err != nil {
			return fmt.Errorf("verify failed: %w", err)
		}
	}
	if j, _ := cmd.Flags().GetBool("json"); j {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printInspect(e.out, &rep)
	return nil
}

func printInspect(w io.Writer, r *inspectReport) {
	m := r.Manifest
	fmt.Fprintf(w, "dataset   %s  (%s)\n", m.Name, r.URL)
	fmt.Fprintf(w, "format    v%d, level %d, %s %s %s, value = stored*%.6g %+.6g\n", m.FormatVersion, m.Level, m.Shape, m.Layout, m.DType, m.Scale, m.Offset)
	fmt.Fprintf(w, "rows      %d (%s)\n", m.Rows, splitSummary(m))
	if len(m.Classes) > 0 {
		fmt.Fprintf(w, "classes   %d: %s\n", len(m.Classes), strings.Join(m.Classes, ", "))
	}
	fmt.Fprintf(w, "shards    %d, %s\n", len(m.Shards), humanBytes(totalBytes(m)))
	for _, s := range m.Shards {
		fmt.Fprintf(w, "  %s  %7d rows  %10s  sha256 %.16s…\n", s.Key, s.Rows, humanBytes(s.Bytes), s.SHA256)
	}
	l := m.Lineage
	if l.Input != nil {
		fmt.Fprintf(w, "input     %s:%s (%.30s…)\n", l.Input.Kind, l.Input.Path, l.Input.Fingerprint)
	}
	if l.Source != nil {
		fmt.Fprintf(w, "source    %s (manifest sha256 %.16s…)\n", l.Source.URL, l.Source.SHA256)
	}
	if l.Model != nil {
		fmt.Fprintf(w, "model     %s (sha256 %.16s…)\n", l.Model.URL, l.Model.SHA256)
	}
	fmt.Fprintf(w, "lineage   run %s, %s, stackae %s, config %.16s…\n", l.RunID, l.CreatedAt.Format("2006-01-02 15:04:05Z07:00"), l.StackaeVersion, l.ConfigHash)
	fmt.Fprintf(w, "schema    %s\n", strings.Join(r.Schema, "; "))
	if v := r.Verified; v != nil {
		fmt.Fprintf(w, "verify    OK: %d shards, %d rows, %s re-hashed; sizes, sha256, row and split counts, ids, schema match\n", v.Shards, v.Rows, humanBytes(v.Bytes))
	}
}
