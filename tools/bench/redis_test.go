package main

import (
	"strings"
	"testing"
)

// TestRedisVerdicts: the Redis phase's ratios are judged against issue 18's targets; a skipped
// phase is not measured, a failed one FAILED.
func TestRedisVerdicts(t *testing.T) {
	m := measurements{failed: map[string]string{}, redis: []redisRow{
		{flow: "protected GET", ratio: 0.49},
		{flow: "refresh (rotating)", ratio: 0.3},
	}}
	vs := verdicts(m)
	if got := find(t, vs, "protected GET: Redis").status(); got != "NOT met" {
		t.Errorf("protected 0.49: %s", got)
	}
	if got := find(t, vs, "refresh (rotating): Redis").status(); got != "met" {
		t.Errorf("rotating 0.3: %s", got)
	}
	m.redis[1].redisErr = 1
	if got := find(t, verdicts(m), "refresh (rotating): Redis").status(); got != "NOT met" {
		t.Errorf("with errors: %s", got)
	}
	if got := find(t, verdicts(measurements{}), "protected GET: Redis").status(); got != "not measured" {
		t.Errorf("skipped: %s", got)
	}
	failed := measurements{failed: map[string]string{phaseRedis: "boom"}}
	if got := find(t, verdicts(failed), "protected GET: Redis").status(); !strings.HasPrefix(got, "FAILED") {
		t.Errorf("failed: %s", got)
	}
}
