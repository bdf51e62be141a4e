package argo

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigPath is where steps find the pipeline's config file (the ConfigMap).
const ConfigPath = "/etc/stackae/config.yaml"

// ExitUsage is stackae's exit code for configuration errors: never retried.
const ExitUsage = 2

// Stage is one pipeline stage as the renderer needs it.
type Stage struct {
	ID    string
	After []string
	// Sharded stages run as Shards parallel parts, then a finalize step.
	Sharded bool
}

// Pipeline is what to render: the stages in order, the pipeline's name, the
// root URL every step reads and writes, and the config file's bytes.
type Pipeline struct {
	Name   string
	Root   string
	Config []byte
	Stages []Stage
}

// Doc is one rendered manifest.
type Doc struct {
	Kind string // ConfigMap, WorkflowTemplate, CronWorkflow
	YAML []byte
}

// Stream joins docs into one multi-document YAML stream (kubectl apply -f -).
func Stream(docs []Doc) []byte {
	var b bytes.Buffer
	for i, d := range docs {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(d.YAML)
	}
	return b.Bytes()
}

// Render writes the ConfigMap, the WorkflowTemplate and (with a schedule)
// the CronWorkflow.
func Render(p Pipeline, c Config) ([]Doc, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(p.Root, "s3://") {
		return nil, fmt.Errorf("pipeline root %q: steps run in separate pods, so the root must be an s3:// URL (set pipeline.root or --root)", p.Root)
	}
	name := "stackae-" + p.Name
	if !dnsName.MatchString(name) || len(name) > 52 {
		return nil, fmt.Errorf("pipeline.name %q: the workflow %q must be a Kubernetes name of at most 52 characters", p.Name, name)
	}
	docs := []any{
		configMap{APIVersion: "v1", Kind: "ConfigMap", Metadata: c.meta(name + "-config"), Data: map[string]string{"config.yaml": string(p.Config)}},
		workflowTemplate{APIVersion: "argoproj.io/v1alpha1", Kind: "WorkflowTemplate", Metadata: c.meta(name), Spec: c.spec(p, name)},
	}
	if c.Schedule != "" {
		cw := cronWorkflow{APIVersion: "argoproj.io/v1alpha1", Kind: "CronWorkflow", Metadata: c.meta(name)}
		cw.Spec.Schedules, cw.Spec.ConcurrencyPolicy = []string{c.Schedule}, "Forbid"
		cw.Spec.WorkflowSpec.WorkflowTemplateRef.Name = name
		docs = append(docs, cw)
	}
	out := make([]Doc, len(docs))
	for i, d := range docs {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
		if err := enc.Close(); err != nil {
			return nil, err
		}
		out[i] = Doc{Kind: []string{"ConfigMap", "WorkflowTemplate", "CronWorkflow"}[i], YAML: buf.Bytes()}
	}
	return out, nil
}

func (c Config) meta(name string) meta {
	return meta{Name: name, Namespace: c.Namespace, Labels: map[string]string{"app.kubernetes.io/name": "stackae"}}
}

func (c Config) spec(p Pipeline, name string) workflowSpec {
	v := volume{Name: "config"}
	v.ConfigMap.Name = name + "-config"
	return workflowSpec{Entrypoint: "pipeline", ServiceAccountName: c.ServiceAccount, Volumes: []volume{v},
		Templates: []template{
			{Name: "pipeline", DAG: &dag{Tasks: c.tasks(p.Stages)}},
			c.step("stage", p.Root, []parameter{{Name: "stage"}, {Name: "shard", Default: "0/1"}},
				"--stage", "{{inputs.parameters.stage}}", "--shard", "{{inputs.parameters.shard}}"),
			c.step("finalize", p.Root, []parameter{{Name: "stage"}, {Name: "shards"}},
				"--stage", "{{inputs.parameters.stage}}", "--finalize", "--shards", "{{inputs.parameters.shards}}"),
		}}
}

// tasks is the DAG: a task per stage; a sharded stage is Shards parallel
// tasks (withSequence) and a finalize task that its dependents wait for.
func (c Config) tasks(stages []Stage) []task {
	done := map[string]string{} // stage id -> the task that completes it
	var out []task
	for _, s := range stages {
		deps := make([]string, len(s.After))
		for i, a := range s.After {
			deps[i] = done[a]
		}
		if !s.Sharded || c.Shards == 1 {
			out = append(out, task{Name: s.ID, Template: "stage", Dependencies: deps,
				Arguments: arguments{Parameters: []parameter{{Name: "stage", Value: s.ID}}}})
			done[s.ID] = s.ID
			continue
		}
		n := strconv.Itoa(c.Shards)
		out = append(out,
			task{Name: s.ID, Template: "stage", Dependencies: deps, WithSequence: &sequence{Count: n},
				Arguments: arguments{Parameters: []parameter{{Name: "stage", Value: s.ID}, {Name: "shard", Value: "{{item}}/" + n}}}},
			task{Name: s.ID + "-finalize", Template: "finalize", Dependencies: []string{s.ID},
				Arguments: arguments{Parameters: []parameter{{Name: "stage", Value: s.ID}, {Name: "shards", Value: n}}}})
		done[s.ID] = s.ID + "-finalize"
	}
	return out
}

// step is a container template running `stackae run --config ... --root
// ROOT` plus args, retried on failures but not on configuration errors.
func (c Config) step(name, root string, params []parameter, args ...string) template {
	ct := &container{Image: c.Image, Command: []string{"stackae"},
		Args:         append([]string{"run", "--config", ConfigPath, "--root", root, "--log-format", "json"}, args...),
		Resources:    resources{Requests: nonEmpty(c.Requests), Limits: nonEmpty(c.Limits)},
		VolumeMounts: []volumeMount{{Name: "config", MountPath: "/etc/stackae", ReadOnly: true}}}
	ct.SecurityContext.RunAsNonRoot = true
	if c.S3Secret != "" {
		for _, key := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
			vf := &valueFrom{}
			vf.SecretKeyRef.Name, vf.SecretKeyRef.Key = c.S3Secret, key
			ct.Env = append(ct.Env, envVar{Name: key, ValueFrom: vf})
		}
	}
	return template{Name: name, Inputs: &inputs{Parameters: params}, Container: ct,
		RetryStrategy: &retry{Limit: c.Retries, RetryPolicy: "Always",
			Expression: fmt.Sprintf("asInt(lastRetry.exitCode) != %d", ExitUsage),
			Backoff:    backoff{Duration: "30s", Factor: 2, MaxDuration: "30m"}}}
}

func nonEmpty(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}
