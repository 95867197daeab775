package devtools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/store"
)

// The fault queue: "the next N calls to operation X answer status S / wait D / drop the
// connection", queued through the admin API for tests that cannot set a Prefer header. Faults of
// one operation apply in the order they were queued; a fault with count N applies to N calls.

// Bounds of the fault queue.
const (
	maxFaults     = 100
	maxFaultCount = 1000
)

// Fault is one queued fault, as the admin API shows it.
type Fault struct {
	ID        int    `json:"id"`
	Spec      string `json:"spec"`
	Operation string `json:"operation"` // "METHOD /path" as documented
	OpID      string `json:"operationId,omitempty"`
	Remaining int    `json:"remaining"`
	Status    int    `json:"status,omitempty"`
	Delay     string `json:"delay,omitempty"`
	Drop      bool   `json:"drop,omitempty"`
	Queued    string `json:"queued"` // RFC 3339, on the mock's clock

	delay time.Duration
}

// faultQueue is the queue as the tools see it: kept in the Server's store (store.FaultQueue), so
// whichever replica a call reaches takes its fault. pending spares every request a trip to the
// store while the queue is empty: it is set when a fault is queued (here, or by another replica,
// announced) and cleared when a take finds the queue empty and nothing was queued meanwhile.
//
// The queue lives in the store of the Server a call reaches (the tools outlive a reload, whose
// Server has the same store), so every method is given that Server.
type faultQueue struct {
	pending atomic.Bool
	version atomic.Uint64 // counts the faults queued, here or announced
}

func newFaultQueue() *faultQueue {
	q := &faultQueue{}
	q.pending.Store(true) // the store may hold faults already: the first call asks
	return q
}

// queued notes that a fault may be in the queue.
func (q *faultQueue) queued() {
	q.version.Add(1)
	q.pending.Store(true)
}

var errFaultQueueFull = fmt.Errorf("the fault queue holds at most %d faults; DELETE %sfaults clears it", maxFaults, mockserver.AdminPrefix)

func (q *faultQueue) empty() bool { return !q.pending.Load() }

func (q *faultQueue) add(ctx context.Context, srv *mockserver.Server, f Fault) (Fault, error) {
	data, err := json.Marshal(f)
	if err != nil {
		return Fault{}, err
	}
	sf, err := srv.Store().QueueFault(ctx, store.Fault{Spec: f.Spec, Operation: f.Operation, Remaining: f.Remaining, Data: data}, maxFaults)
	if errors.Is(err, store.ErrQueueFull) {
		return Fault{}, errFaultQueueFull
	}
	if err != nil {
		return Fault{}, store.Unavailable(err)
	}
	q.queued()
	srv.Announce(ctx, store.Change{What: store.ChangedFaults})
	f.ID = sf.ID
	return f, nil
}

// take consumes one call of the first fault queued for the operation.
func (q *faultQueue) take(ctx context.Context, srv *mockserver.Server, spec, key string) (Fault, bool, error) {
	if q.empty() {
		return Fault{}, false, nil
	}
	v := q.version.Load()
	sf, ok, left, err := srv.Store().TakeFault(ctx, spec, key)
	if err != nil {
		return Fault{}, false, store.Unavailable(err)
	}
	if left == 0 && q.version.Load() == v {
		q.pending.CompareAndSwap(true, false)
	}
	if !ok {
		return Fault{}, false, nil
	}
	f, err := decodeFault(sf)
	return f, err == nil, err
}

// decodeFault is the Fault the store keeps as sf.
func decodeFault(sf store.Fault) (Fault, error) {
	var f Fault
	if err := json.Unmarshal(sf.Data, &f); err != nil {
		return Fault{}, store.Unavailable(fmt.Errorf("a stored fault: %w", err))
	}
	f.ID, f.Remaining = sf.ID, sf.Remaining
	if f.Delay != "" {
		f.delay, _ = time.ParseDuration(f.Delay) // written by Duration.String
	}
	return f, nil
}

func (q *faultQueue) snapshot(ctx context.Context, srv *mockserver.Server) ([]Fault, error) {
	list, err := srv.Store().Faults(ctx)
	if err != nil {
		return nil, store.Unavailable(err)
	}
	out := make([]Fault, 0, len(list))
	for _, sf := range list {
		f, err := decodeFault(sf)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (q *faultQueue) clear(ctx context.Context, srv *mockserver.Server) error {
	if err := srv.Store().ClearFaults(ctx); err != nil {
		return store.Unavailable(err)
	}
	srv.Announce(ctx, store.Change{What: store.ChangedFaults})
	return nil
}

// faultRequest is the body of POST /__authconform/faults.
type faultRequest struct {
	Operation string `json:"operation"`
	Spec      string `json:"spec"`
	Count     *int   `json:"count"`
	Status    int    `json:"status"`
	Delay     string `json:"delay"`
	Drop      bool   `json:"drop"`
}

// newFault checks a fault request against the served specs.
func (d *tooling) newFault(req faultRequest) (Fault, error) {
	if strings.TrimSpace(req.Operation) == "" {
		return Fault{}, errors.New(`body /operation: required: an operationId or "METHOD /path"`)
	}
	op, err := d.resolveOperation(req.Spec, req.Operation)
	if err != nil {
		return Fault{}, err
	}
	f := Fault{Spec: op.Spec().Name, Operation: op.Op().Key(), OpID: op.Op().ID, Remaining: 1, Status: req.Status, Drop: req.Drop,
		Queued: d.srv.Clock().Now().UTC().Format(time.RFC3339)}
	if req.Count != nil {
		if *req.Count < 1 || *req.Count > maxFaultCount {
			return Fault{}, fmt.Errorf("body /count: between 1 and %d", maxFaultCount)
		}
		f.Remaining = *req.Count
	}
	if req.Status != 0 && !op.Op().Documents(req.Status) {
		return Fault{}, errors.New(undocumented(op, req.Status, "body /status"))
	}
	if req.Delay != "" {
		d, err := parseDelay(req.Delay)
		if err != nil {
			return Fault{}, fmt.Errorf("body /delay: %v", err)
		}
		f.delay, f.Delay = d, d.String()
	}
	if f.Status == 0 && f.delay == 0 && !f.Drop {
		return Fault{}, errors.New(`body: give at least one of status, delay or drop, e.g. {"operation": "login", "status": 555}`)
	}
	if f.Drop && f.Status != 0 {
		return Fault{}, errors.New("body: a dropped connection has no status; give drop or status")
	}
	return f, nil
}

// resolveOperation finds an operation by operationId, "METHOD /path" as documented, or "METHOD
// /base/path" as served, in the named spec or in every served one.
func (d *tooling) resolveOperation(spec, name string) (*mockserver.Operation, error) {
	name = strings.TrimSpace(name)
	method, path, hasPath := strings.Cut(name, " ")
	method = strings.ToUpper(method)
	path = strings.TrimSpace(path)
	var found []*mockserver.Operation
	known := false
	for _, sp := range d.srv.Specs() {
		if spec != "" && sp.Name != spec {
			continue
		}
		known = true
		for _, o := range d.srv.Operations(sp.Name) {
			if op := o.Op(); op.ID == name || (hasPath && op.Method == method && (op.Path == path || sp.BasePath+op.Path == path)) {
				found = append(found, o)
			}
		}
	}
	switch {
	case !known:
		return nil, fmt.Errorf("body /spec: no served spec %q", spec)
	case len(found) == 0:
		return nil, fmt.Errorf("body /operation: no operation %q; give an operationId or \"METHOD /path\" (GET %sspecs lists them)", name, mockserver.AdminPrefix)
	case len(found) > 1:
		var specsOf []string
		for _, o := range found {
			specsOf = append(specsOf, o.Spec().Name)
		}
		return nil, fmt.Errorf("body /operation: %q is in several specs (%s); name one in /spec", name, strings.Join(specsOf, ", "))
	}
	if found[0] == nil {
		return nil, fmt.Errorf("body /operation: %q is not served", name)
	}
	return found[0], nil
}

// adminListFaults serves GET /__authconform/faults.
func (d *tooling) adminListFaults(w http.ResponseWriter, r *http.Request) {
	list, err := d.faults.snapshot(r.Context(), d.srv)
	if err != nil {
		d.storeFailed(w, "listing the faults", err)
		return
	}
	mockserver.WriteJSON(w, http.StatusOK, map[string]any{"faults": list})
}

// adminAddFault serves POST /__authconform/faults.
func (d *tooling) adminAddFault(w http.ResponseWriter, r *http.Request) {
	var req faultRequest
	if !readAdminJSON(w, r, &req, `{"operation": "login", "status": 555, "count": 1}`) {
		return
	}
	f, err := d.newFault(req)
	if err != nil {
		mockserver.WritePlain(w, http.StatusBadRequest, err.Error())
		return
	}
	if f, err = d.faults.add(r.Context(), d.srv, f); err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			d.storeFailed(w, "queueing the fault", err)
			return
		}
		mockserver.WritePlain(w, http.StatusConflict, err.Error())
		return
	}
	d.log.Info("admin fault queued", "id", f.ID, "spec", f.Spec, "operation", f.Operation, "count", f.Remaining, "status", f.Status, "delay", f.Delay, "drop", f.Drop)
	mockserver.WriteJSON(w, http.StatusCreated, f)
}

// adminClearFaults serves DELETE /__authconform/faults.
func (d *tooling) adminClearFaults(w http.ResponseWriter, r *http.Request) {
	if err := d.faults.clear(r.Context(), d.srv); err != nil {
		d.storeFailed(w, "clearing the faults", err)
		return
	}
	mockserver.WriteJSON(w, http.StatusOK, map[string]any{"faults": []Fault{}})
}
