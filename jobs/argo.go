package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/argo"
)

func newArgo() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "argo",
		Short: "Argo Workflows manifests for a pipeline config",
		Args:  exactArgs(0, "a subcommand (render)"),
	}
	render := &cobra.Command{
		Use:   "render --config FILE [--image IMG] [--shards N] [--schedule CRON] [--out DIR]",
		Short: "Render the pipeline as a ConfigMap, a WorkflowTemplate and (with --schedule) a CronWorkflow",
		Long: `Render the pipeline that ` + "`stackae run --config FILE`" + ` executes as Argo Workflows manifests:
a ConfigMap holding FILE, a WorkflowTemplate whose DAG runs every stage as
` + "`stackae run --config /etc/stackae/config.yaml --stage ID`" + ` in the stackae image (encode stages
fanned out over --shards parts, then finalized), and with --schedule a CronWorkflow
(concurrencyPolicy Forbid) that runs the template. Steps read S3 credentials from the
Secret argo.s3_secret (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); failures are retried
argo.retries times, configuration errors (exit 2) never. The root must be s3://.`,
		Example: `  stackae argo render --config configs/two-layer.yaml --root s3://bucket/stackae/two-layer --image registry.example.com/stackae:v1 | kubectl apply -f -
  stackae argo render --config configs/two-layer.yaml --schedule "0 3 * * *" --out deploy/rendered`,
		Args: exactArgs(0, "no arguments"),
		RunE: runArgoRender,
	}
	f := render.Flags()
	f.String("root", "", "the pipeline's s3:// root (overrides pipeline.root)")
	f.String("image", "", "stackae image (argo.image)")
	f.Int("shards", 0, "parallel parts per encode stage (argo.shards)")
	f.String("schedule", "", "cron schedule: also render a CronWorkflow (argo.schedule)")
	f.String("out", "", "write one file per manifest into this directory instead of stdout")
	cmd.AddCommand(render)
	return cmd
}

var argoFlags = map[string]string{"root": "pipeline.root", "image": "argo.image", "shards": "argo.shards", "schedule": "argo.schedule"}

func runArgoRender(cmd *cobra.Command, _ []string) error {
	e, err := setup(cmd, argoFlags)
	if err != nil {
		return err
	}
	file, _ := cmd.Flags().GetString("config")
	if file == "" {
		return usagef("argo render: --config FILE is required")
	}
	if e.cfg.Storage.S3.AccessKeyID != "" {
		return usagef("argo render: %s holds storage.s3 keys; the ConfigMap would publish them: put them in the Secret %q instead", file, e.cfg.Argo.S3Secret)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return usageError{err}
	}
	levels, err := e.cfg.LevelConfigs()
	if err != nil {
		return err
	}
	ds, err := e.cfg.DownstreamStages(len(levels))
	if err != nil {
		return err
	}
	p := argo.Pipeline{Name: e.cfg.Pipeline.Name, Root: e.cfg.Pipeline.Root, Config: raw}
	for _, s := range e.plan(levels, ds).Stages {
		p.Stages = append(p.Stages, argo.Stage{ID: s.ID, After: s.After, Sharded: s.RunShard != nil})
	}
	docs, err := argo.Render(p, e.cfg.Argo)
	if err != nil {
		return usageError{err}
	}
	out, _ := cmd.Flags().GetString("out")
	if out == "" {
		_, err := e.out.Write(argo.Stream(docs))
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, d := range docs {
		path := filepath.Join(out, strings.ToLower(d.Kind)+".yaml")
		if err := os.WriteFile(path, d.YAML, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(e.out, "wrote", path)
	}
	return nil
}
