package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/configs"
	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/pipeline"
	"github.com/stackae/stackae/stages/downstream"
	"github.com/stackae/stackae/stages/encode"
	"github.com/stackae/stackae/stages/evaluate"
	"github.com/stackae/stackae/stages/train"
)

func newRun() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run --config FILE",
		Short: "Run the whole pipeline: ingest, train and encode each level, downstream models, eval",
		Long: `Run the pipeline a config file describes (see configs/two-layer.yaml):
ingest -> (train level k, encode level k) for each level -> eval, plus the models of
pipeline.downstream after the level they read, with every output under pipeline.root
(default ./data/<pipeline.name>):

  <root>/level0              the ingested dataset
  <root>/level<k>/model      checkpoint.safetensors, metrics.json, loss.png
  <root>/level<k>/data       the level-k encodings
  <root>/downstream/<name>   a downstream model (checkpoint, metrics.json, PNGs)
  <root>/eval                eval.json, reconstructions.png

A stage whose output is already committed with the same lineage is skipped, so running
again does no work, and a run killed anywhere continues where it stopped (training
resumes from its last progress checkpoint). Change the root URL to run on s3://.
--explain says what a run would do with each stage and why; --list gives the stage ids;
--stage ID runs one stage (an encode stage also in parts: --shard i/n, then --finalize).`,
		Args: exactArgs(0, "no arguments"),
		RunE: runPipeline,
	}
	f := cmd.Flags()
	f.String("root", "", "where stage outputs go (overrides pipeline.root)")
	f.String("stage", "", "run only this stage (ids: stackae run --list); what each Argo step runs")
	f.Bool("list", false, "print the stages (id, inputs, output) and exit")
	f.Bool("explain", false, "print for each stage whether a run would run it, skip it or refuse, and why; change nothing")
	f.String("shard", "0/1", "with --stage of an encode stage: part i of n")
	f.Bool("finalize", false, "with --stage of an encode stage: commit its --shards parts")
	f.Int("shards", 0, "number of parts (with --finalize)")
	return cmd
}

func runPipeline(cmd *cobra.Command, _ []string) error {
	e, err := setup(cmd, map[string]string{"root": "pipeline.root"})
	if err != nil {
		return err
	}
	if file, _ := cmd.Flags().GetString("config"); file == "" {
		return usagef("run: --config FILE is required")
	}
	levels, err := e.cfg.LevelConfigs()
	if err != nil {
		return err
	}
	if err := e.cfg.Ingest.Validate(); err != nil {
		return usageError{err}
	}
	ds, err := e.cfg.DownstreamStages(len(levels))
	if err != nil {
		return err
	}
	p := e.plan(levels, ds)
	f := cmd.Flags()
	if list, _ := f.GetBool("list"); list {
		printStages(e.out, p)
		return nil
	}
	if ex, _ := f.GetBool("explain"); ex {
		explain(cmd.Context(), e.out, p)
		return nil
	}
	if id, _ := f.GetString("stage"); id != "" {
		return e.runStage(cmd, p, id)
	}
	results, err := p.Run(cmd.Context())
	printResults(e.out, results)
	if err != nil {
		return err
	}
	return e.printEvalFile(cmd.Context(), p.Stages[len(p.Stages)-1].Output)
}

// runStage runs one stage of the plan, or one part of it.
func (e *env) runStage(cmd *cobra.Command, p pipeline.Plan, id string) error {
	s, err := p.Stage(id)
	if err != nil {
		return usageError{err}
	}
	f := cmd.Flags()
	shard, _ := f.GetString("shard")
	part, err := encode.ParsePart(shard)
	if err != nil {
		return usageError{err}
	}
	finalize, _ := f.GetBool("finalize")
	n := part.N
	if finalize {
		if n, _ = f.GetInt("shards"); n < 1 {
			return usagef("run: --finalize needs --shards n")
		}
	}
	if (n > 1 || finalize) && s.RunShard == nil {
		return usagef("run: stage %q cannot be split into parts (only encode stages can)", id)
	}
	r, err := p.RunOne(cmd.Context(), s, part.I, n, finalize)
	if err != nil {
		return err
	}
	printResults(e.out, []pipeline.Result{r})
	return nil
}

func printStages(w io.Writer, p pipeline.Plan) {
	for _, s := range p.Stages {
		after := strings.Join(s.After, ",")
		if after == "" {
			after = "-"
		}
		fmt.Fprintf(w, "%-30s after %-26s %s\n", s.ID, after, s.Output)
	}
}

// layout names the outputs under the root.
type layout struct{ root string }

func (l layout) at(parts ...string) string {
	return strings.TrimSuffix(l.root, "/") + "/" + strings.Join(parts, "/")
}
func (l layout) data(k int) string {
	if k == 0 {
		return l.at("level0")
	}
	return l.at(fmt.Sprintf("level%d", k), "data")
}
func (l layout) model(k int) string { return l.at(fmt.Sprintf("level%d", k), "model") }

func (e *env) plan(levels []train.Config, ds []configs.DownstreamStage) pipeline.Plan {
	root := e.cfg.Pipeline.Root
	if root == "" {
		root = "./data/" + e.cfg.Pipeline.Name
	}
	l := layout{root}
	ingestCfg := e.cfg.Ingest.Config
	if ingestCfg.Name == "" {
		ingestCfg.Name = e.cfg.Pipeline.Name
	}
	stages := []pipeline.Stage{{ID: "ingest", Name: "ingest", Output: l.data(0),
		Run: func(ctx context.Context) error {
			_, _, err := e.ingest(ctx, ingestCfg, l.data(0), false)
			return err
		},
		Explain: func(ctx context.Context) (string, string) { return e.explainIngest(ctx, ingestCfg, l.data(0)) }}}
	stages = append(stages, e.downstreamStages(l, ds, 0)...)
	var models, evalAfter []string
	for i, lc := range levels {
		k := i + 1
		models = append(models, l.model(k))
		evalAfter = append(evalAfter, trainID(k))
		stages = append(stages, pipeline.Stage{ID: trainID(k), Name: fmt.Sprintf("train level %d", k), Output: l.model(k),
			After: []string{dataID(k - 1)},
			Run: func(ctx context.Context) error {
				_, err := e.train(ctx, lc, l.data(k-1), l.model(k), false)
				return err
			},
			Explain: func(ctx context.Context) (string, string) {
				return e.explainModel(ctx, l.data(k-1), l.model(k), train.ConfigHash(lc))
			}})
		if k < len(levels) || e.cfg.Pipeline.EncodeTop {
			enc := func(ctx context.Context, i, n int, finalize bool) error {
				shards := 0
				if finalize {
					shards = n
				}
				_, err := e.encode(ctx, e.cfg.Encode.Config, l.data(k-1), l.model(k), l.data(k), encode.Part{I: i, N: n}, shards, false)
				return err
			}
			stages = append(stages, pipeline.Stage{ID: dataID(k), Name: fmt.Sprintf("encode level %d", k), Output: l.data(k),
				After:    []string{dataID(k - 1), trainID(k)},
				Run:      func(ctx context.Context) error { return enc(ctx, 0, 1, false) },
				RunShard: enc,
				Explain: func(ctx context.Context) (string, string) {
					return e.explainEncode(ctx, l.data(k-1), l.model(k), l.data(k), encode.ConfigHash(e.cfg.Encode.Config))
				}})
			stages = append(stages, e.downstreamStages(l, ds, k)...)
		}
	}
	stages = append(stages, pipeline.Stage{ID: "eval", Name: "eval", Output: l.at("eval"), After: append([]string{"ingest"}, evalAfter...),
		Run: func(ctx context.Context) error {
			_, _, err := e.evaluate(ctx, e.cfg.Eval.Config, models, l.data(0), l.at("eval"), true)
			return err
		},
		Explain: func(ctx context.Context) (string, string) {
			if ok, _ := e.exists(ctx, l.at("eval"), "eval.json"); ok {
				return willSkip, "eval.json is there and its inputs are unchanged"
			}
			return willRun, "no eval.json at " + l.at("eval")
		}})
	return pipeline.Plan{Stages: stages, Done: isCommitted, Log: e.log}
}

// downstreamStages are the entries of ds that read level k's dataset.
func (e *env) downstreamStages(l layout, ds []configs.DownstreamStage, k int) []pipeline.Stage {
	var out []pipeline.Stage
	for _, d := range ds {
		if d.Level != k {
			continue
		}
		job := configs.DownstreamJob{Config: d.Config, Data: l.data(k), Model: l.at("downstream", d.Name)}
		out = append(out, pipeline.Stage{ID: "downstream-" + d.Name, Name: fmt.Sprintf("%s on level %d", d.Config.Kind, k), Output: job.Model,
			After: []string{dataID(k)},
			Run: func(ctx context.Context) error {
				_, err := e.downstream(ctx, job, false)
				return err
			},
			Explain: func(ctx context.Context) (string, string) {
				return e.explainModel(ctx, job.Data, job.Model, downstream.ConfigHash(job.Config))
			}})
	}
	return out
}

// trainID and dataID name the stages that train level k and make the
// level-k dataset (level 0: ingest).
func trainID(k int) string { return fmt.Sprintf("train-%d", k) }
func dataID(k int) string {
	if k == 0 {
		return "ingest"
	}
	return fmt.Sprintf("encode-%d", k)
}

func isCommitted(err error) bool { return errors.Is(err, dataset.ErrCommitted) }

func printResults(w io.Writer, results []pipeline.Result) {
	for _, r := range results {
		state := fmt.Sprintf("ran in %.1fs", r.Seconds)
		if r.Skipped {
			state = "skipped (already committed)"
		}
		fmt.Fprintf(w, "%-22s %-28s %s\n", r.Stage, state, r.Output)
	}
}

func (e *env) printEvalFile(ctx context.Context, evalURL string) error {
	b, err := e.open(ctx, evalURL)
	if err != nil {
		return err
	}
	defer b.Close()
	raw, err := b.ReadAll(ctx, "eval.json")
	if err != nil {
		return err
	}
	var rep evaluate.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "\nfull-stack validation loss (pixel MSE, values in [-1,1]) over %d rows:\n", rep.Rows)
	for i := range rep.FullStack {
		fmt.Fprintf(e.out, "  level %d: full-stack %.6f, level-local %.6f\n", i+1, rep.FullStack[i], rep.LevelLocal[i])
	}
	fmt.Fprintf(e.out, "  %s\n", b.KeyURL("reconstructions.png"))
	return nil
}
