// Package argo renders a stackae pipeline as Argo Workflows manifests: a
// ConfigMap with the pipeline's config file, a WorkflowTemplate whose DAG
// runs each stage as `stackae run --stage ID` (encode stages fanned out over
// shards with withSequence, then finalized), and optionally a CronWorkflow
// that references it. Data flows through the pipeline's S3 root, so no
// artifact repository is needed.
package argo

import (
	"fmt"
	"regexp"
)

// Config is the argo section: how the rendered steps run.
type Config struct {
	// Image is the stackae container image (deploy/Dockerfile).
	Image string `mapstructure:"image" yaml:"image" json:"image"`
	// Namespace and ServiceAccount of the workflows ("" = the defaults).
	Namespace      string `mapstructure:"namespace" yaml:"namespace" json:"namespace"`
	ServiceAccount string `mapstructure:"service_account" yaml:"service_account" json:"service_account"`
	// S3Secret is the Kubernetes Secret holding AWS_ACCESS_KEY_ID and
	// AWS_SECRET_ACCESS_KEY, passed to every step as environment variables.
	S3Secret string `mapstructure:"s3_secret" yaml:"s3_secret" json:"s3_secret"`
	// Shards is how many parallel parts each encode stage runs in.
	Shards int `mapstructure:"shards" yaml:"shards" json:"shards"`
	// Schedule, when set, also renders a CronWorkflow (cron syntax).
	Schedule string `mapstructure:"schedule" yaml:"schedule" json:"schedule"`
	// Retries is how often a step that failed (exit 1, or killed) is
	// retried; configuration errors (exit 2) never are.
	Retries int `mapstructure:"retries" yaml:"retries" json:"retries"`
	// Requests and Limits are the containers' resources (cpu, memory; an
	// empty value is left out).
	Requests map[string]string `mapstructure:"requests" yaml:"requests" json:"requests"`
	Limits   map[string]string `mapstructure:"limits" yaml:"limits" json:"limits"`
}

// DefaultConfig runs 4 encode shards with 3 retries on 2 CPUs and 4 GiB.
func DefaultConfig() Config {
	return Config{Image: "stackae:latest", S3Secret: "stackae-s3", Shards: 4, Retries: 3,
		Requests: map[string]string{"cpu": "2", "memory": "4Gi"}, Limits: map[string]string{"cpu": "", "memory": "6Gi"}}
}

var dnsName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Validate names the first bad field by its config key.
func (c Config) Validate() error {
	switch {
	case c.Image == "":
		return fmt.Errorf("argo.image: empty (want the stackae image, e.g. registry.example.com/stackae:v1)")
	case c.Shards < 1:
		return fmt.Errorf("argo.shards: %d (want >= 1)", c.Shards)
	case c.Retries < 0:
		return fmt.Errorf("argo.retries: %d (want >= 0)", c.Retries)
	case c.S3Secret != "" && !dnsName.MatchString(c.S3Secret):
		return fmt.Errorf("argo.s3_secret: %q is not a Kubernetes name", c.S3Secret)
	case c.Namespace != "" && !dnsName.MatchString(c.Namespace):
		return fmt.Errorf("argo.namespace: %q is not a Kubernetes name", c.Namespace)
	}
	for k := range c.Requests {
		if k != "cpu" && k != "memory" {
			return fmt.Errorf("argo.requests.%s: want cpu or memory", k)
		}
	}
	for k := range c.Limits {
		if k != "cpu" && k != "memory" {
			return fmt.Errorf("argo.limits.%s: want cpu or memory", k)
		}
	}
	return nil
}
