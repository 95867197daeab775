package devtools

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authconform/authconform/mockserver"
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

type faultQueue struct {
	mu    sync.Mutex
	list  []*Fault
	next  int
	count atomic.Int32 // len(list), read without the lock on every request
}

func newFaultQueue() *faultQueue { return &faultQueue{} }

var errFaultQueueFull = fmt.Errorf("the fault queue holds at most %d faults; DELETE %sfaults clears it", maxFaults, mockserver.AdminPrefix)

func (q *faultQueue) empty() bool { return q.count.Load() == 0 }

func (q *faultQueue) add(f Fault) (Fault, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.list) >= maxFaults {
		return Fault{}, errFaultQueueFull
	}
	q.next++
	f.ID = q.next
	q.list = append(q.list, &f)
	q.count.Store(int32(len(q.list)))
	return f, nil
}

// take consumes one call of the first fault queued for the operation.
func (q *faultQueue) take(spec, key string) (Fault, bool) {
	if q.empty() {
		return Fault{}, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, f := range q.list {
		if f.Spec != spec || f.Operation != key {
			continue
		}
		f.Remaining--
		out := *f
		if f.Remaining <= 0 {
			q.list = slices.Delete(q.list, i, i+1)
			q.count.Store(int32(len(q.list)))
		}
		return out, true
	}
	return Fault{}, false
}

func (q *faultQueue) snapshot() []Fault {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Fault, len(q.list))
	for i, f := range q.list {
		out[i] = *f
	}
	return out
}

func (q *faultQueue) clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.list = nil
	q.count.Store(0)
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
func (d *tooling) adminListFaults(w http.ResponseWriter, _ *http.Request) {
	mockserver.WriteJSON(w, http.StatusOK, map[string]any{"faults": d.faults.snapshot()})
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
	if f, err = d.faults.add(f); err != nil {
		mockserver.WritePlain(w, http.StatusConflict, err.Error())
		return
	}
	d.log.Info("admin fault queued", "id", f.ID, "spec", f.Spec, "operation", f.Operation, "count", f.Remaining, "status", f.Status, "delay", f.Delay, "drop", f.Drop)
	mockserver.WriteJSON(w, http.StatusCreated, f)
}

// adminClearFaults serves DELETE /__authconform/faults.
func (d *tooling) adminClearFaults(w http.ResponseWriter, _ *http.Request) {
	d.faults.clear()
	mockserver.WriteJSON(w, http.StatusOK, map[string]any{"faults": []Fault{}})
}
