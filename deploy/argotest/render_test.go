package argotest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var (
	repo string // the stackae repository
	bin  string // stackae, built for these tests
)

func TestMain(m *testing.M) {
	var err error
	if repo, err = filepath.Abs("../.."); err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "argotest-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "stackae")
	// STACKAE_TAGS=dnnl builds the fast path (make test sets it).
	build := exec.Command("go", "build", "-tags", os.Getenv("STACKAE_TAGS"), "-o", bin, "./cmd/stackae")
	build.Dir, build.Stdout, build.Stderr = repo, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stackae runs the binary in dir (default: the repository's jobs folder,
// where the test pipeline's relative paths point) and returns its stdout.
func stackae(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = filepath.Join(repo, "jobs")
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		t.Logf("stackae %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), err
}

const pipelineConfig = "testdata/pipeline.yaml" // relative to jobs/

// rendered is one `stackae argo render --out`, decoded strictly into
// Kubernetes' and Argo's types: an unknown or misspelled field fails.
type rendered struct {
	config   corev1.ConfigMap
	template wfv1.WorkflowTemplate
	cron     wfv1.CronWorkflow
}

func render(t *testing.T, args ...string) rendered {
	t.Helper()
	out := t.TempDir()
	if _, err := stackae(t, nil, append([]string{"argo", "render", "--config", pipelineConfig, "--out", out}, args...)...); err != nil {
		t.Fatal(err)
	}
	var r rendered
	for file, v := range map[string]any{"configmap.yaml": &r.config, "workflowtemplate.yaml": &r.template, "cronworkflow.yaml": &r.cron} {
		raw, err := os.ReadFile(filepath.Join(out, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(raw, v); err != nil {
			t.Fatalf("%s does not decode strictly into Argo's types: %v\n%s", file, err, raw)
		}
	}
	return r
}

func (r rendered) tmpl(t *testing.T, name string) wfv1.Template {
	t.Helper()
	for _, tp := range r.template.Spec.Templates {
		if tp.Name == name {
			return tp
		}
	}
	t.Fatalf("no template %q", name)
	return wfv1.Template{}
}

func TestRenderedManifestsAreArgoWorkflows(t *testing.T) {
	r := render(t, "--root", "s3://bucket/tiny", "--shards", "2", "--schedule", "0 3 * * *", "--image", "registry.example.com/stackae:v1")
	want, _ := os.ReadFile(filepath.Join(repo, "jobs", pipelineConfig))
	if r.config.Kind != "ConfigMap" || r.config.Data["config.yaml"] != string(want) {
		t.Fatalf("ConfigMap %s does not carry the config file", r.config.Name)
	}
	wt := r.template
	if wt.Kind != "WorkflowTemplate" || wt.APIVersion != "argoproj.io/v1alpha1" || wt.Spec.Entrypoint != "pipeline" {
		t.Fatalf("workflow template %s %s, entrypoint %q", wt.APIVersion, wt.Kind, wt.Spec.Entrypoint)
	}
	tasks := map[string]wfv1.DAGTask{}
	for _, task := range r.tmpl(t, "pipeline").DAG.Tasks {
		tasks[task.Name] = task
	}
	list, err := stackae(t, nil, "run", "--config", pipelineConfig, "--list")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		id := strings.Fields(line)[0]
		if _, ok := tasks[id]; !ok {
			t.Errorf("stage %s has no task", id)
		}
	}
	for name, task := range tasks {
		for _, d := range task.Dependencies {
			if _, ok := tasks[d]; !ok {
				t.Errorf("task %s depends on unknown task %s", name, d)
			}
		}
	}
	enc := tasks["encode-1"]
	if enc.WithSequence == nil || enc.WithSequence.Count.String() != "2" || tasks["train-2"].Dependencies[0] != "encode-1-finalize" {
		t.Fatalf("encode-1 is not fanned out over 2 shards before train-2: %+v / %+v", enc.WithSequence, tasks["train-2"].Dependencies)
	}
	for _, name := range []string{"stage", "finalize"} {
		tp := r.tmpl(t, name)
		c := tp.Container
		if c.Image != "registry.example.com/stackae:v1" || c.Command[0] != "stackae" || !strings.Contains(strings.Join(c.Args, " "), "--root s3://bucket/tiny") {
			t.Fatalf("template %s container %+v", name, c)
		}
		if rs := tp.RetryStrategy; rs == nil || rs.Expression != "asInt(lastRetry.exitCode) != 2" || rs.Limit.IntValue() != 3 || rs.RetryPolicy != wfv1.RetryPolicyAlways {
			t.Fatalf("template %s retry strategy %+v", name, rs)
		}
		if len(c.Env) != 2 || c.Env[1].ValueFrom.SecretKeyRef.Name != "stackae-s3" || c.Env[1].ValueFrom.SecretKeyRef.Key != "AWS_SECRET_ACCESS_KEY" {
			t.Fatalf("template %s env %+v", name, c.Env)
		}
		if c.Resources.Requests.Cpu().String() != "2" || c.Resources.Limits.Memory().String() != "6Gi" {
			t.Fatalf("template %s resources %+v", name, c.Resources)
		}
	}
	cw := r.cron.Spec
	if cw.ConcurrencyPolicy != wfv1.ForbidConcurrent || cw.WorkflowSpec.WorkflowTemplateRef == nil || cw.WorkflowSpec.WorkflowTemplateRef.Name != wt.Name || strings.Join(cw.Schedules, ",") != "0 3 * * *" {
		t.Fatalf("cron workflow %+v", cw)
	}
}

func TestRenderRefusesWhatCannotRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"local root", []string{"--root", "/tmp/x"}, "must be an s3:// URL"},
		{"zero shards", []string{"--root", "s3://b/x", "--shards", "-1"}, "argo.shards"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"argo", "render", "--config", pipelineConfig}, tc.args...)...)
			cmd.Dir = filepath.Join(repo, "jobs")
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), tc.want) {
				t.Fatalf("err %v, output %s; want exit 2 and %q", err, out, tc.want)
			}
		})
	}
}
