package argo

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func testPipeline() Pipeline {
	return Pipeline{Name: "tiny", Root: "s3://b/tiny", Config: []byte("pipeline:\n  name: tiny\n"), Stages: []Stage{
		{ID: "ingest"}, {ID: "train-1", After: []string{"ingest"}}, {ID: "encode-1", After: []string{"ingest", "train-1"}, Sharded: true},
		{ID: "train-2", After: []string{"encode-1"}},
	}}
}

func TestTasksFanOutShardedStages(t *testing.T) {
	tests := []struct {
		shards int
		want   string // task(deps) in order
	}{
		{1, "ingest() train-1(ingest) encode-1(ingest,train-1) train-2(encode-1)"},
		{3, "ingest() train-1(ingest) encode-1[3](ingest,train-1) encode-1-finalize(encode-1) train-2(encode-1-finalize)"},
	}
	for _, tc := range tests {
		c := DefaultConfig()
		c.Shards = tc.shards
		var got []string
		for _, task := range c.tasks(testPipeline().Stages) {
			s := task.Name
			if task.WithSequence != nil {
				s += "[" + task.WithSequence.Count + "]"
			}
			got = append(got, s+"("+strings.Join(task.Dependencies, ",")+")")
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("shards %d: %s\nwant %s", tc.shards, strings.Join(got, " "), tc.want)
		}
	}
}

func TestRenderDocuments(t *testing.T) {
	c := DefaultConfig()
	c.Schedule = "0 3 * * *"
	docs, err := Render(testPipeline(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 || docs[2].Kind != "CronWorkflow" {
		t.Fatalf("%d docs", len(docs))
	}
	var cm struct{ Data map[string]string }
	if err := yaml.Unmarshal(docs[0].YAML, &cm); err != nil || cm.Data["config.yaml"] != string(testPipeline().Config) {
		t.Fatalf("ConfigMap: %v %v", err, cm)
	}
	if s := string(Stream(docs)); strings.Count(s, "\n---\n") != 2 || !strings.Contains(s, "asInt(lastRetry.exitCode) != 2") {
		t.Fatalf("stream:\n%s", s)
	}
	c.Schedule = ""
	if docs, _ := Render(testPipeline(), c); len(docs) != 2 {
		t.Fatalf("no schedule: %d docs", len(docs))
	}
}

func TestRenderRefuses(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Pipeline, *Config)
		want string
	}{
		{"local root", func(p *Pipeline, c *Config) { p.Root = "./data/tiny" }, "s3:// URL"},
		{"long name", func(p *Pipeline, c *Config) { p.Name = strings.Repeat("x", 60) }, "at most 52"},
		{"bad name", func(p *Pipeline, c *Config) { p.Name = "My_Pipeline" }, "Kubernetes name"},
		{"no image", func(p *Pipeline, c *Config) { c.Image = "" }, "argo.image"},
		{"shards", func(p *Pipeline, c *Config) { c.Shards = 0 }, "argo.shards"},
		{"resource", func(p *Pipeline, c *Config) { c.Limits["gpu"] = "1" }, "argo.limits.gpu"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, c := testPipeline(), DefaultConfig()
			tc.mod(&p, &c)
			if _, err := Render(p, c); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Render = %v, want %q", err, tc.want)
			}
		})
	}
}
