package configs

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func flags(args ...string) (*pflag.FlagSet, map[string]string) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("from", "", "")
	fs.String("size", "", "")
	fs.Float64("validation", 0, "")
	if err := fs.Parse(args); err != nil {
		panic(err)
	}
	return fs, map[string]string{"from": "ingest.from", "size": "ingest.size", "validation": "ingest.validation"}
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		env      map[string]string
		args     []string
		wantFrom string
		wantSize string
		wantVal  float64
	}{
		{"defaults", "", nil, nil, "", "", 0.1},
		{"file over defaults", "testdata/ingest.yaml", nil, nil, "idx:/from/file", "32x32", 0.2},
		{"env over file", "testdata/ingest.yaml", map[string]string{"STACKAE_INGEST_FROM": "idx:/from/env"}, nil, "idx:/from/env", "32x32", 0.2},
		{"flag over env", "testdata/ingest.yaml", map[string]string{"STACKAE_INGEST_FROM": "idx:/from/env"}, []string{"--from", "idx:/from/flag"}, "idx:/from/flag", "32x32", 0.2},
		{"unset flag keeps env", "", map[string]string{"STACKAE_INGEST_VALIDATION": "0.3"}, []string{"--size", "8x8"}, "", "8x8", 0.3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			fs, keys := flags(tc.args...)
			cfg, err := Load(tc.file, fs, keys)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Ingest.From != tc.wantFrom || cfg.Ingest.Size != tc.wantSize || cfg.Ingest.Validation != tc.wantVal {
				t.Fatalf("got from=%q size=%q validation=%v", cfg.Ingest.From, cfg.Ingest.Size, cfg.Ingest.Validation)
			}
		})
	}
}

func TestFileValues(t *testing.T) {
	fs, keys := flags()
	cfg, err := Load("testdata/ingest.yaml", fs, keys)
	if err != nil {
		t.Fatal(err)
	}
	s3 := cfg.Storage.S3
	if s3.Region != "eu-west-1" || s3.ResponseHeaderTimeout != 45*time.Second || s3.SecretAccessKey.Reveal() != "file-secret-value" || cfg.Ingest.To != "./data/file" {
		t.Fatalf("storage %+v ingest %+v", s3, cfg.Ingest)
	}
	if s3.MaxAttempts != 8 || cfg.Ingest.ShardMB != 128 {
		t.Fatal("defaults lost for keys the file does not set")
	}
}

func TestEnvReachesNestedKeys(t *testing.T) {
	t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", "http://127.0.0.1:9")
	t.Setenv("STACKAE_STORAGE_S3_MAX_ATTEMPTS", "2")
	t.Setenv("STACKAE_INGEST_CLASSES", "a,b,c")
	fs, keys := flags()
	cfg, err := Load("", fs, keys)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.S3.Endpoint != "http://127.0.0.1:9" || cfg.Storage.S3.MaxAttempts != 2 || len(cfg.Ingest.Classes) != 3 {
		t.Fatalf("env not applied: %+v %v", cfg.Storage.S3, cfg.Ingest.Classes)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, file string
		env        map[string]string
		want       []string
	}{
		{"unknown key", "testdata/typo.yaml", nil, []string{"testdata/typo.yaml", `unknown key "ingest.fom"`, `did you mean "ingest.from"`}},
		{"missing file", "testdata/nope.yaml", nil, []string{"nope.yaml", "no such file"}},
		{"bad level", "", map[string]string{"STACKAE_LOG_LEVEL": "loud"}, []string{"log.level", "loud"}},
		{"bad attempts", "", map[string]string{"STACKAE_STORAGE_S3_MAX_ATTEMPTS": "0"}, []string{"storage.s3.max_attempts"}},
		{"half credentials", "", map[string]string{"STACKAE_STORAGE_S3_ACCESS_KEY_ID": "x"}, []string{"secret_access_key"}},
		{"bad type", "", map[string]string{"STACKAE_STORAGE_S3_MAX_ATTEMPTS": "many"}, []string{"max_attempts"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			fs, keys := flags()
			_, err := Load(tc.file, fs, keys)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load = %v; want ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestYAMLRedactsSecrets(t *testing.T) {
	t.Setenv("STACKAE_STORAGE_S3_SESSION_TOKEN", "env-token-value")
	fs, keys := flags()
	cfg, err := Load("testdata/ingest.yaml", fs, keys)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if strings.Contains(s, "file-secret-value") || strings.Contains(s, "env-token-value") {
		t.Fatalf("secret in printed config:\n%s", s)
	}
	for _, want := range []string{"secret_access_key: REDACTED", "access_key_id: AKIAFILE", "response_header_timeout: 45s", "from: idx:/from/file"} {
		if !strings.Contains(s, want) {
			t.Errorf("printed config lacks %q:\n%s", want, s)
		}
	}
}

func TestDownstreamStages(t *testing.T) {
	tests := []struct {
		name    string
		entries []map[string]any
		top     bool
		want    []DownstreamStage // Name, Level and Kind checked
		err     string
	}{
		{"defaults: top level, named by kind", []map[string]any{{"kind": "vae"}}, true,
			[]DownstreamStage{{Name: "vae-level2", Level: 2}}, ""},
		{"pixels and a name", []map[string]any{{"kind": "classifier", "level": 0, "name": "baseline", "epochs": 3}}, false,
			[]DownstreamStage{{Name: "baseline", Level: 0}}, ""},
		{"misspelled key", []map[string]any{{"kind": "vae", "latnet": 8}}, true, nil, "latnet"},
		{"level beyond the stack", []map[string]any{{"kind": "vae", "level": 3}}, true, nil, "pipeline.downstream[0].level 3"},
		{"top level not encoded", []map[string]any{{"kind": "vae"}}, false, nil, "encode_top"},
		{"fractional level", []map[string]any{{"kind": "vae", "level": 1.5}}, true, nil, "whole number"},
		{"bad kind", []map[string]any{{"kind": "gan"}}, true, nil, "downstream.kind"},
		{"bad name", []map[string]any{{"kind": "vae", "name": "My VAE"}}, true, nil, "lower-case"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.Pipeline.Downstream, c.Pipeline.EncodeTop = tc.entries, tc.top
			got, err := c.DownstreamStages(2)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("%v %+v", err, got)
			}
			for i, w := range tc.want {
				if got[i].Name != w.Name || got[i].Level != w.Level || got[i].Config.Kind != tc.entries[i]["kind"] {
					t.Errorf("stage %d = %+v, want %+v", i, got[i], w)
				}
			}
		})
	}
}
