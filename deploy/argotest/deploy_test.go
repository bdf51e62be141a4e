package argotest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"
)

// deploy/cronjob.yaml is a valid Kubernetes CronJob that cannot overlap and
// runs the same CLI as a shell.
func TestCronJobExample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repo, "deploy", "cronjob.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cj batchv1.CronJob
	if err := yaml.UnmarshalStrict(raw, &cj); err != nil {
		t.Fatal(err)
	}
	c := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent || c.Args[0] != "run" || !strings.Contains(strings.Join(c.Args, " "), "--config /etc/stackae/config.yaml") {
		t.Fatalf("cron job %+v", cj.Spec)
	}
	crontab, err := os.ReadFile(filepath.Join(repo, "deploy", "crontab"))
	if err != nil || !strings.Contains(string(crontab), "flock -n") {
		t.Fatalf("deploy/crontab: %v", err)
	}
}
