package devtools

import (
	"context"
	"net/http"
	"time"

	"github.com/authconform/authconform/mockserver"
)

// healthTimeout bounds the store's answer to a health check.
const healthTimeout = 2 * time.Second

// storeHealth is the store's part of GET /__authconform/health.
type storeHealth struct {
	Kind    string `json:"kind"`              // memory or redis
	Status  string `json:"status"`            // ok or unavailable
	Message string `json:"message,omitempty"` // why not, in words; the cause is in the log
}

// adminHealth serves GET /__authconform/health: 200 {"status": "ok", ...} while the mock can
// serve, 503 {"status": "unavailable", ...} while its store cannot be reached (a load balancer
// takes the replica out; requests meanwhile answer 503 too). It needs no admin token (load
// balancers send none) and says nothing but the store's kind and state; the admin guard's Host
// and Origin checks apply as to every admin path.
func (d *tooling) adminHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	kind, err := d.srv.StoreHealth(ctx)
	st := storeHealth{Kind: kind, Status: "ok"}
	body := map[string]any{"status": "ok", "store": &st}
	status := http.StatusOK
	if err != nil {
		d.log.Error("health: the store is unavailable", "store", kind, "error", err)
		st.Status, st.Message = "unavailable", "the "+kind+" store does not answer; requests that need it answer 503 until it is back (the mock's log says why)"
		body["status"] = "unavailable"
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	}
	mockserver.WriteJSON(w, status, body)
}
