package argotest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/stackae/stackae/argo"
	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/storage"
	"github.com/stackae/stackae/storage/s3test"
	"sigs.k8s.io/yaml"
)

// The strict decoding the tests rely on rejects a misspelled field.
func TestStrictDecodingRejectsTypos(t *testing.T) {
	var wt wfv1.WorkflowTemplate
	bad := "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: x}\nspec:\n  entrypoint: p\n  templates:\n  - name: p\n    dag:\n      tasks:\n      - {name: a, template: s, dependencys: [b]}\n"
	if err := yaml.UnmarshalStrict([]byte(bad), &wt); err == nil || !strings.Contains(err.Error(), "dependencys") {
		t.Fatalf("a misspelled field decoded: %v", err)
	}
}

// step is one process a DAG task stands for.
type step struct {
	task string
	args []string
}

// steps expands a task into its processes: withSequence items, then the
// task's arguments into the template's container args.
func steps(t *testing.T, r rendered, task wfv1.DAGTask, config string) []step {
	t.Helper()
	tp := r.tmpl(t, task.Template)
	items := []string{""}
	if task.WithSequence != nil {
		items = nil
		for i := range task.WithSequence.Count.IntValue() {
			items = append(items, fmt.Sprint(i))
		}
	}
	var out []step
	for _, item := range items {
		params := map[string]string{}
		for _, p := range tp.Inputs.Parameters {
			if p.Default != nil {
				params[p.Name] = p.Default.String()
			}
		}
		for _, p := range task.Arguments.Parameters {
			params[p.Name] = strings.ReplaceAll(p.Value.String(), "{{item}}", item)
		}
		var args []string
		for _, a := range tp.Container.Args {
			for name, v := range params {
				a = strings.ReplaceAll(a, "{{inputs.parameters."+name+"}}", v)
			}
			if strings.Contains(a, "{{") {
				t.Fatalf("task %s: unresolved %q", task.Name, a)
			}
			args = append(args, strings.ReplaceAll(a, argo.ConfigPath, config))
		}
		out = append(out, step{task: task.Name, args: args})
	}
	return out
}

// execute runs the DAG like Argo: a task starts when its dependencies are
// done; a task's withSequence items run concurrently.
func execute(t *testing.T, r rendered, config string, env []string) []string {
	t.Helper()
	tasks := r.tmpl(t, "pipeline").DAG.Tasks
	done := map[string]bool{}
	var order []string
	for len(done) < len(tasks) {
		progressed := false
		for _, task := range tasks {
			if done[task.Name] || slices.ContainsFunc(task.Dependencies, func(d string) bool { return !done[d] }) {
				continue
			}
			var wg sync.WaitGroup
			errs := make([]error, 0)
			var mu sync.Mutex
			for _, s := range steps(t, r, task, config) {
				wg.Go(func() {
					if _, err := stackae(t, env, s.args...); err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("%s %v: %w", s.task, s.args, err))
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(errs) > 0 {
				t.Fatal(errs[0])
			}
			done[task.Name], progressed = true, true
			order = append(order, task.Name)
		}
		if !progressed {
			t.Fatalf("the DAG is stuck after %v", order)
		}
	}
	return order
}

// The rendered DAG's commands, run in dependency order as plain processes
// against the S3 test server, produce the pipeline's outputs: the same
// datasets (shard for shard) and models (byte for byte) as `stackae run`.
func TestLocalExecutorRunsTheRenderedDAG(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{})
	bucket := srv.CreateBucket(t, "argo")
	env := []string{"STACKAE_STORAGE_S3_ENDPOINT=" + srv.Endpoint, "AWS_ACCESS_KEY_ID=" + srv.AccessKey, "AWS_SECRET_ACCESS_KEY=" + srv.SecretKey}
	r := render(t, "--root", bucket+"/argo", "--shards", "3", "--schedule", "@daily")
	config := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(config, []byte(r.config.Data["config.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	order := execute(t, r, config, env)
	t.Logf("ran %v", order)
	if _, err := stackae(t, env, "run", "--config", pipelineConfig, "--root", bucket+"/local"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := srv.Config()
	for _, key := range []string{"level0", "level1/data", "level2/data"} {
		a, b := manifest(t, ctx, bucket+"/argo/"+key, cfg), manifest(t, ctx, bucket+"/local/"+key, cfg)
		if a.Rows == 0 || !sameShards(a, b) {
			t.Errorf("%s: the DAG's dataset (%d rows, %v) differs from stackae run's (%v)", key, a.Rows, a.Shards, b.Shards)
		}
	}
	// Checkpoints name their (different) data URLs; their weights must agree.
	for _, key := range []string{"level1/model", "level2/model", "downstream/classifier-level0", "downstream/vae-level1", "downstream/began-top"} {
		a, b := weights(t, object(t, ctx, bucket+"/argo", key+"/checkpoint.safetensors", cfg)), weights(t, object(t, ctx, bucket+"/local", key+"/checkpoint.safetensors", cfg))
		if len(a) == 0 || len(a) != len(b) {
			t.Fatalf("%s: %d vs %d tensors", key, len(a), len(b))
		}
		for name, w := range a {
			if !slices.Equal(w, b[name]) {
				t.Errorf("%s: tensor %s differs between the DAG and stackae run", key, name)
			}
		}
	}
	object(t, ctx, bucket+"/argo", "eval/eval.json", cfg)
}

func weights(t *testing.T, raw []byte) map[string][]float32 {
	t.Helper()
	c, err := model.DecodeCheckpoint(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, name := range c.Params.Names() {
		out[name] = c.Params.Float32(name)
	}
	return out
}

func manifest(t *testing.T, ctx context.Context, url string, cfg storage.Config) *dataset.Manifest {
	t.Helper()
	b, err := storage.Open(ctx, url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	d, err := dataset.Open(ctx, b)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return d.Manifest
}

func sameShards(a, b *dataset.Manifest) bool {
	if len(a.Shards) != len(b.Shards) || a.Rows != b.Rows {
		return false
	}
	for i := range a.Shards {
		if a.Shards[i].SHA256 != b.Shards[i].SHA256 {
			return false
		}
	}
	return true
}

func object(t *testing.T, ctx context.Context, url, key string, cfg storage.Config) []byte {
	t.Helper()
	b, err := storage.Open(ctx, url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	raw, err := b.ReadAll(ctx, key)
	if err != nil {
		t.Fatalf("%s/%s: %v", url, key, err)
	}
	return raw
}
