package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Sandboxes of an authconform mock (its admin API's /__authconform/sandboxes): a run in a sandbox
// of its own moves only its own clock and sees only its own sessions, so runs in parallel against
// one mock do not disturb each other or a developer using the mock.

// Sandbox modes of a run.
const (
	SandboxAuto = "auto" // a fresh sandbox when the target is an authconform mock that has them, deleted after
	SandboxOff  = "off"  // the target as the file says
)

// The mock's paths; the runner speaks to the mock over HTTP and does not import it.
const (
	sandboxesPath = "/__authconform/sandboxes"
	sandboxPrefix = "/__sandbox/"
	adminPath     = "/__authconform/"
)

// UseSandbox puts the target in a sandbox of the mock it names: mode auto creates a fresh one when
// the target answers the mock's sandbox API (and leaves the target as it is when it does not),
// off does nothing, and any other value is the id of a sandbox to use (created when missing, kept
// afterwards). It returns a note for the run's output ("" when nothing changed) and a release
// function that deletes a sandbox it created. An id given for a target that is no authconform mock
// is a configuration error (ErrConfig).
func UseSandbox(ctx context.Context, t *Target, mode string) (note string, release func(), err error) {
	release = func() {}
	if mode == "" || mode == SandboxOff {
		return "", release, nil
	}
	if strings.HasPrefix(t.BaseURL.Path, sandboxPrefix) {
		return "", release, nil // the file already names a sandbox
	}
	hc := preflightClient(t)
	origin := &url.URL{Scheme: t.BaseURL.Scheme, Host: t.BaseURL.Host}
	list := joinURL(origin, sandboxesPath)
	mockMode, err := sandboxMode(ctx, hc, list)
	if err != nil || mockMode == "off" {
		if mode == SandboxAuto {
			return "", release, nil // not a mock with sandboxes: the target as it is
		}
		return "", release, fmt.Errorf("%w: --sandbox %s: %s is not an authconform mock with sandboxes (GET %s: %v)", ErrConfig, mode, origin, list, orOff(err))
	}
	id, created := mode, false
	body := "{}"
	if mode != SandboxAuto {
		b, _ := json.Marshal(map[string]string{"id": mode})
		body = string(b)
	}
	status, answer, err := adminCall(ctx, hc, http.MethodPost, list, body)
	switch {
	case err != nil:
		return "", release, fmt.Errorf("%w: creating a sandbox on %s: %v", ErrConfig, origin, err)
	case status == http.StatusCreated:
		var v struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(answer, &v) != nil || v.ID == "" {
			return "", release, fmt.Errorf("%w: creating a sandbox on %s: the answer names no id: %s", ErrConfig, origin, answer)
		}
		id, created = v.ID, mode == SandboxAuto
	case status == http.StatusConflict && mode != SandboxAuto: // it exists: use it
	default:
		return "", release, fmt.Errorf("%w: creating a sandbox on %s: %d %s", ErrConfig, origin, status, bytes.TrimSpace(answer))
	}
	base := *t.BaseURL
	base.Path = sandboxPrefix + id + t.BaseURL.Path
	base.RawPath = ""
	t.BaseURL = &base
	t.AdminURL = &url.URL{Scheme: origin.Scheme, Host: origin.Host, Path: sandboxPrefix + id + adminPath}
	if created {
		del := joinURL(origin, sandboxesPath+"/"+url.PathEscape(id))
		release = func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.Timeout)
			defer cancel()
			_, _, _ = adminCall(ctx, hc, http.MethodDelete, del, "")
		}
		return fmt.Sprintf("in a fresh sandbox of the mock, %s (deleted at the end; --sandbox off to test the mock's default world)", id), release, nil
	}
	return fmt.Sprintf("in sandbox %s of the mock", id), release, nil
}

func orOff(err error) error {
	if err == nil {
		return fmt.Errorf("sandboxes are off")
	}
	return err
}

// sandboxMode reads the mock's sandbox mode: auto, explicit or off.
func sandboxMode(ctx context.Context, hc *http.Client, u string) (string, error) {
	status, body, err := adminCall(ctx, hc, http.MethodGet, u, "")
	if err != nil {
		return "", err
	}
	var v struct {
		Mode string `json:"mode"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &v) != nil || v.Mode == "" {
		return "", fmt.Errorf("answered %d, not the sandbox list", status)
	}
	return v.Mode, nil
}

// adminCall sends a JSON request to the mock's admin API (Content-Type: application/json, as it
// requires of every POST and DELETE) and returns the status and at most 64 KiB of the body.
func adminCall(ctx context.Context, hc *http.Client, method, u, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, b, nil
}
