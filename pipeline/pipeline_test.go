package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"
)

var errDone = errors.New("done")

func TestRunSkipsDoneAndStopsOnFailure(t *testing.T) {
	var ran []string
	stage := func(name string, err error) Stage {
		return Stage{Name: name, Output: "out/" + name, Run: func(context.Context) error { ran = append(ran, name); return err }}
	}
	p := Plan{Done: func(err error) bool { return errors.Is(err, errDone) }, Stages: []Stage{
		stage("a", errDone), stage("b", nil), stage("c", errors.New("disk full")), stage("d", nil),
	}}
	res, err := p.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), `stage "c": disk full`) {
		t.Fatalf("Run = %v", err)
	}
	if strings.Join(ran, "") != "abc" || len(res) != 2 || !res[0].Skipped || res[1].Skipped {
		t.Fatalf("ran %v, results %+v", ran, res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run = %v", err)
	}
}
