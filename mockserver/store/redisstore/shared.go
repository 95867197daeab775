package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
)

// The world's shared state (store.Clocks, SigningKeys, OpaqueTokens, AccountLists, FaultQueue),
// the changes replicas announce to each other (store.Changes), and the sandbox registry
// (store.Registry, on Backend). Keys besides the scopes' (redisstore.go):
//
//	{prefix}{world}:#clock                 JSON clock.State; no expiry
//	{prefix}{world}:#faults                list of JSON faults, first queued first; no expiry
//	{prefix}{world}:{scope}:signing:key    the random signing key (SET NX: the first wins); no expiry
//	{prefix}{world}:{scope}:tok:{sha256}   JSON claims of an opaque token, by the SHA-256 of the
//	                                       token (no token stands in a key); expires as revocations do
//	{prefix}{world}:{scope}:accounts:list  JSON accounts as the admin API changed them; no expiry
//	{prefix}#faultid:{world}               the last fault id (INCR); outside the world, so a reset
//	                                       never reuses an id
//	{prefix}#sandboxes                     hash: sandbox id -> JSON {created, idle}
//	{prefix}#sandboxes-used                hash: sandbox id -> last request, Unix milliseconds
//	{prefix}#ack:{message}                 list: the replicas that applied an announced change;
//	                                       expires after 2 x ackWait
//
// and the channel {prefix}#changes, where a replica publishes what it changed.

// Clock implements store.Clocks.
func (s *Store) Clock(ctx context.Context) (clock.State, error) {
	raw, err := s.c.Get(ctx, s.base+"#clock").Bytes()
	if errors.Is(err, redis.Nil) {
		return clock.State{}, nil
	}
	if err != nil {
		return clock.State{}, fail(err)
	}
	var st clock.State
	if err := json.Unmarshal(raw, &st); err != nil {
		return clock.State{}, fail(fmt.Errorf("the stored clock does not decode: %w", err))
	}
	return st, nil
}

// SaveClock implements store.Clocks.
func (s *Store) SaveClock(ctx context.Context, st clock.State) error {
	if !st.Moved {
		return fail(s.c.Del(ctx, s.base+"#clock").Err())
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return fail(s.c.Set(ctx, s.base+"#clock", raw, 0).Err())
}

// SigningKey implements store.SigningKeys: SET NX, then the key that won.
func (s *Store) SigningKey(ctx context.Context, scope string, fresh []byte) ([]byte, error) {
	k := s.key(scope, "signing", "key")
	set, err := s.c.SetNX(ctx, k, fresh, 0).Result()
	if err != nil {
		return nil, fail(err)
	}
	if set {
		return fresh, nil
	}
	key, err := s.c.Get(ctx, k).Bytes()
	if errors.Is(err, redis.Nil) { // reset between the two: ours now
		return s.SigningKey(ctx, scope, fresh)
	}
	return key, fail(err)
}

// tokenKey names an opaque token by its SHA-256.
func (s *Store) tokenKey(scope, token string) string {
	sum := sha256.Sum256([]byte(token))
	return s.key(scope, "tok", hex.EncodeToString(sum[:]))
}

// PutToken implements store.OpaqueTokens.
func (s *Store) PutToken(ctx context.Context, scope, token string, claims []byte, until time.Time) error {
	return fail(s.c.Set(ctx, s.tokenKey(scope, token), claims, s.ttl(until)).Err())
}

// Token implements store.OpaqueTokens.
func (s *Store) Token(ctx context.Context, scope, token string) ([]byte, bool, error) {
	raw, err := s.c.Get(ctx, s.tokenKey(scope, token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fail(err)
	}
	return raw, true, nil
}

// Accounts implements store.AccountLists.
func (s *Store) Accounts(ctx context.Context, scope string) ([]byte, bool, error) {
	raw, err := s.c.Get(ctx, s.key(scope, "accounts", "list")).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fail(err)
	}
	return raw, true, nil
}

// SaveAccounts implements store.AccountLists.
func (s *Store) SaveAccounts(ctx context.Context, scope string, list []byte) error {
	k := s.key(scope, "accounts", "list")
	if list == nil {
		return fail(s.c.Del(ctx, k).Err())
	}
	return fail(s.c.Set(ctx, k, list, 0).Err())
}

// swapAccounts sets (ARGV[3] = 1: to ARGV[4]) or deletes KEYS[1] if it holds ARGV[2] (ARGV[1]
// = 1) or is absent (ARGV[1] = 0): 1 when it did, 0 when the key had changed.
var swapAccounts = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur ~= ARGV[2] then return 0 end
elseif cur then
  return 0
end
if ARGV[3] == '1' then redis.call('SET', KEYS[1], ARGV[4]) else redis.call('DEL', KEYS[1]) end
return 1
`)

// SaveAccountsIf implements store.AccountLists: one script, so the comparison and the write are
// one step for every replica.
func (s *Store) SaveAccountsIf(ctx context.Context, scope string, old, list []byte) (bool, error) {
	flag := func(b []byte) int {
		if b == nil {
			return 0
		}
		return 1
	}
	n, err := swapAccounts.Run(ctx, s.c, []string{s.key(scope, "accounts", "list")}, flag(old), old, flag(list), list).Int()
	if err != nil {
		return false, fail(err)
	}
	return n == 1, nil
}

// storedFault is a fault as the queue holds it.
type storedFault struct {
	ID        int    `json:"id"`
	Spec      string `json:"spec"`
	Operation string `json:"operation"`
	Remaining int    `json:"remaining"`
	Data      []byte `json:"data"`
}

// queueFault numbers a fault and appends it, unless the queue is full (-1).
var queueFault = redis.NewScript(`
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[1]) then return -1 end
local id = redis.call('INCR', KEYS[2])
local f = cjson.decode(ARGV[2])
f.id = id
redis.call('RPUSH', KEYS[1], cjson.encode(f))
return id
`)

// takeFault consumes one call of the first fault of an operation: {the fault before, faults
// left}, the fault nil when there is none.
var takeFault = redis.NewScript(`
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i, raw in ipairs(items) do
  local f = cjson.decode(raw)
  if f.spec == ARGV[1] and f.operation == ARGV[2] then
    f.remaining = f.remaining - 1
    if f.remaining <= 0 then
      redis.call('LREM', KEYS[1], 1, raw)
    else
      redis.call('LSET', KEYS[1], i - 1, cjson.encode(f))
    end
    return {raw, redis.call('LLEN', KEYS[1])}
  end
end
return {false, #items}
`)

// QueueFault implements store.FaultQueue: one script, so the bound holds across replicas.
func (s *Store) QueueFault(ctx context.Context, f store.Fault, maxFaults int) (store.Fault, error) {
	raw, err := json.Marshal(storedFault{Spec: f.Spec, Operation: f.Operation, Remaining: f.Remaining, Data: f.Data})
	if err != nil {
		return store.Fault{}, err
	}
	id, err := queueFault.Run(ctx, s.c, []string{s.base + "#faults", s.prefix + "#faultid:" + s.world}, maxFaults, raw).Int()
	if err != nil {
		return store.Fault{}, fail(err)
	}
	if id < 0 {
		return store.Fault{}, store.ErrQueueFull
	}
	f.ID = id
	return f, nil
}

func decodeFault(raw string) (store.Fault, error) {
	var f storedFault
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		return store.Fault{}, fail(fmt.Errorf("a queued fault does not decode: %w", err))
	}
	return store.Fault(f), nil
}

// TakeFault implements store.FaultQueue: one script, so a fault's calls are taken once across
// replicas.
func (s *Store) TakeFault(ctx context.Context, spec, operation string) (store.Fault, bool, int, error) {
	res, err := takeFault.Run(ctx, s.c, []string{s.base + "#faults"}, spec, operation).Slice()
	if err != nil {
		return store.Fault{}, false, 0, fail(err)
	}
	if len(res) != 2 {
		return store.Fault{}, false, 0, fail(fmt.Errorf("the fault script answered %d values", len(res)))
	}
	left, _ := res[1].(int64)
	raw, ok := res[0].(string)
	if !ok {
		return store.Fault{}, false, int(left), nil
	}
	f, err := decodeFault(raw)
	return f, err == nil, int(left), err
}

// Faults implements store.FaultQueue.
func (s *Store) Faults(ctx context.Context) ([]store.Fault, error) {
	list, err := s.c.LRange(ctx, s.base+"#faults", 0, -1).Result()
	if err != nil {
		return nil, fail(err)
	}
	out := make([]store.Fault, 0, len(list))
	for _, raw := range list {
		f, err := decodeFault(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// ClearFaults implements store.FaultQueue.
func (s *Store) ClearFaults(ctx context.Context) error {
	return fail(s.c.Del(ctx, s.base+"#faults").Err())
}

// ackWait bounds how long Announce waits for the replicas to apply a change.
const ackWait = 2 * time.Second

// Announce implements store.Changes: PUBLISH on {prefix}#changes, naming the world, this replica
// (which does not apply its own) and the message. Every client subscribed to the channel (this
// replica's too) acknowledges the message once its watchers of the world have applied it, by
// pushing onto {prefix}#ack:{message} (which expires); Announce waits for as many as PUBLISH
// counted, at most ackWait. So a change made through one replica's admin API (a clock moved, an
// account disabled, a reset) is every replica's when the admin call answers: a client behind a
// load balancer whose next request reaches another replica finds it there.
func (s *Store) Announce(ctx context.Context, c store.Change) error {
	id := rand.Text()
	raw, err := json.Marshal(message{From: s.hub.id, World: s.world, ID: id, Change: c})
	if err != nil {
		return err
	}
	n, err := s.c.Publish(ctx, s.hub.channel, raw).Result()
	if err != nil {
		return fail(err)
	}
	return s.hub.awaitAcks(ctx, id, int(n))
}

// Watch implements store.Changes: the changes other replicas announce for this world.
func (s *Store) Watch(fn func(store.Change)) (stop func()) { return s.hub.watch(s.world, fn) }

// message is what a replica publishes.
type message struct {
	From  string `json:"from"`
	World string `json:"world"`
	ID    string `json:"id,omitempty"` // names the list its receivers acknowledge it on
	store.Change
}

// hub is one subscription per client, shared by every world: it starts with the first Watch,
// delivers each message to the watchers of its world, acknowledges it once they applied it, and
// after a lost connection (go-redis subscribes again by itself) tells every watcher
// store.ChangedUnknown, since messages published meanwhile are lost.
type hub struct {
	c       redis.UniversalClient
	channel string
	acks    string // the acknowledgements' key, but for the message's id
	id      string // this replica, in what it publishes
	mu      sync.Mutex
	ps      *redis.PubSub
	done    chan struct{}
	watches map[string]map[*watcher]bool // world -> its watchers
}

type watcher struct {
	fn func(store.Change)
	ch chan delivery
}

// delivery is a change on its way to a watcher; applied is called once the watcher applied it.
type delivery struct {
	c       store.Change
	applied func()
}

func newHub(c redis.UniversalClient, prefix string) *hub {
	return &hub{c: c, channel: prefix + "#changes", acks: prefix + "#ack:", id: rand.Text(), watches: map[string]map[*watcher]bool{}}
}

// watch adds a watcher of world, starting the subscription with the first.
func (h *hub) watch(world string, fn func(store.Change)) (stop func()) {
	w := &watcher{fn: fn, ch: make(chan delivery, 64)}
	h.mu.Lock()
	if h.ps == nil {
		h.ps = h.c.Subscribe(context.Background(), h.channel)
		h.done = make(chan struct{})
		go h.receive(h.ps, h.done)
	}
	if h.watches[world] == nil {
		h.watches[world] = map[*watcher]bool{}
	}
	h.watches[world][w] = true
	h.mu.Unlock()
	quit := make(chan struct{})
	go func() {
		for {
			select {
			case d := <-w.ch:
				w.fn(d.c)
				if d.applied != nil {
					d.applied()
				}
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.watches[world], w)
			if len(h.watches[world]) == 0 {
				delete(h.watches, world)
			}
			h.mu.Unlock()
			close(quit)
		})
	}
}

// receive delivers what the subscription receives until the hub closes.
func (h *hub) receive(ps *redis.PubSub, done chan struct{}) {
	subscribed := false
	for {
		msg, err := ps.Receive(context.Background())
		select {
		case <-done:
			return
		default:
		}
		if err != nil {
			time.Sleep(100 * time.Millisecond) // Redis away: go-redis reconnects on the next Receive
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if subscribed && m.Kind == "subscribe" { // subscribed again after a lost connection
				h.deliverAll(delivery{c: store.Change{What: store.ChangedUnknown}})
			}
			subscribed = true
		case *redis.Message:
			var in message
			if json.Unmarshal([]byte(m.Payload), &in) != nil {
				continue
			}
			ack := h.ackFunc(in.ID)
			if in.From == h.id { // our own: nothing to apply
				ack()
				continue
			}
			h.deliver(in.World, in.Change, ack)
		}
	}
}

// ackFunc acknowledges message id (nothing for a message without one).
func (h *hub) ackFunc(id string) func() {
	if id == "" {
		return func() {}
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), ackWait)
		defer cancel()
		_, _ = h.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.RPush(ctx, h.acks+id, h.id)
			p.Expire(ctx, h.acks+id, 2*ackWait)
			return nil
		})
	}
}

// ackPoll is the longest one BLPOP of awaitAcks blocks, well under the client's read timeout.
const ackPoll = 100 * time.Millisecond

// awaitAcks waits until n receivers acknowledged message id, at most ackWait.
func (h *hub) awaitAcks(ctx context.Context, id string, n int) error {
	deadline := time.Now().Add(ackWait)
	for got := 0; got < n; {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%d of the %d replicas listening did not confirm the change within %s", n-got, n, ackWait)
		}
		block := min(left, ackPoll)
		err := h.c.Do(ctx, "BLPOP", h.acks+id, strconv.FormatFloat(block.Seconds(), 'f', 3, 64)).Err()
		switch {
		case err == nil:
			got++
		case errors.Is(err, redis.Nil): // nothing yet
		default:
			return fail(err)
		}
	}
	return nil
}

// deliver queues c for every watcher of world and calls applied once they all applied it (at
// once when there is none: a world this replica does not serve reads the store when it does).
func (h *hub) deliver(world string, c store.Change, applied func()) {
	h.mu.Lock()
	ws := h.watches[world]
	if len(ws) == 0 {
		h.mu.Unlock()
		applied()
		return
	}
	defer h.mu.Unlock()
	var left atomic.Int32
	left.Store(int32(len(ws)))
	d := delivery{c: c, applied: func() {
		if left.Add(-1) == 0 {
			applied()
		}
	}}
	for w := range ws {
		select {
		case w.ch <- d:
		default: // a watcher this far behind reloads everything
			h.resync(w, d.applied)
		}
	}
}

func (h *hub) deliverAll(d delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ws := range h.watches {
		for w := range ws {
			select {
			case w.ch <- d:
			default:
				h.resync(w, nil)
			}
		}
	}
}

// resync makes room for a ChangedUnknown in a full watcher's queue: what it drops, the reload
// covers, so the changes dropped (and also, when given) are acknowledged once it is applied.
// h.mu is held.
func (h *hub) resync(w *watcher, also func()) {
	var dropped []func()
	if also != nil {
		dropped = append(dropped, also)
	}
	for {
		select {
		case d := <-w.ch:
			if d.applied != nil {
				dropped = append(dropped, d.applied)
			}
		default:
			reload := delivery{c: store.Change{What: store.ChangedUnknown}, applied: func() {
				for _, fn := range dropped {
					fn()
				}
			}}
			select {
			case w.ch <- reload:
			default:
			}
			return
		}
	}
}

// close ends the subscription.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ps != nil {
		close(h.done)
		_ = h.ps.Close()
		h.ps = nil
	}
}

// Backend is every world of a mock on one Redis (store.Backend): the default world's Store as
// Open or New made it, a Store per sandbox beside it (World), and the sandbox registry.
type Backend struct {
	root *Store
}

var _ store.Backend = (*Backend)(nil)

// NewBackend makes the backend of root's client and prefix; Close closes root.
func NewBackend(root *Store) *Backend { return &Backend{root: root} }

// World implements store.Backend.
func (b *Backend) World(id string, c clock.Clock) (store.Store, error) {
	if id == store.DefaultWorld {
		w := b.root.World(DefaultWorld, c)
		return w, nil
	}
	return b.root.World(id, c), nil
}

// Close implements store.Backend.
func (b *Backend) Close() error { return b.root.Close() }

func (b *Backend) registry() (reg, used string) {
	return b.root.prefix + "#sandboxes", b.root.prefix + "#sandboxes-used"
}

// registered is a sandbox as the registry hash holds it.
type registered struct {
	Created time.Time     `json:"created"`
	Idle    time.Duration `json:"idle"`
}

var addSandbox = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
`)

var touchSandbox = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local cur = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) > cur then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
return 1
`)

// AddSandbox implements store.Registry: one script, so the cap holds across replicas.
func (b *Backend) AddSandbox(ctx context.Context, sb store.Sandbox, maxBoxes int) (bool, error) {
	raw, err := json.Marshal(registered{Created: sb.Created, Idle: sb.Idle})
	if err != nil {
		return false, err
	}
	reg, used := b.registry()
	n, err := addSandbox.Run(ctx, b.root.c, []string{reg, used}, sb.ID, raw, sb.Used.UnixMilli(), maxBoxes).Int()
	switch {
	case err != nil:
		return false, fail(err)
	case n < 0:
		return false, store.ErrTooManySandboxes
	}
	return n == 1, nil
}

func decodeSandbox(id, raw, used string) (store.Sandbox, error) {
	var r registered
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return store.Sandbox{}, fail(fmt.Errorf("sandbox %s does not decode: %w", id, err))
	}
	ms, _ := strconv.ParseInt(used, 10, 64)
	return store.Sandbox{ID: id, Created: r.Created, Used: time.UnixMilli(ms).UTC(), Idle: r.Idle}, nil
}

// Sandbox implements store.Registry.
func (b *Backend) Sandbox(ctx context.Context, id string) (store.Sandbox, bool, error) {
	reg, used := b.registry()
	var raw, at *redis.StringCmd
	_, err := b.root.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		raw, at = p.HGet(ctx, reg, id), p.HGet(ctx, used, id)
		return nil
	})
	if errors.Is(err, redis.Nil) && errors.Is(raw.Err(), redis.Nil) {
		return store.Sandbox{}, false, nil
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return store.Sandbox{}, false, fail(err)
	}
	sb, err := decodeSandbox(id, raw.Val(), at.Val())
	return sb, err == nil, err
}

// Sandboxes implements store.Registry.
func (b *Backend) Sandboxes(ctx context.Context) ([]store.Sandbox, error) {
	reg, used := b.registry()
	var all, at *redis.MapStringStringCmd
	if _, err := b.root.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		all, at = p.HGetAll(ctx, reg), p.HGetAll(ctx, used)
		return nil
	}); err != nil {
		return nil, fail(err)
	}
	out := make([]store.Sandbox, 0, len(all.Val()))
	for id, raw := range all.Val() {
		sb, err := decodeSandbox(id, raw, at.Val()[id])
		if err != nil {
			return nil, err
		}
		out = append(out, sb)
	}
	store.SortSandboxes(out)
	return out, nil
}

// TouchSandbox implements store.Registry.
func (b *Backend) TouchSandbox(ctx context.Context, id string, at time.Time) (bool, error) {
	reg, used := b.registry()
	n, err := touchSandbox.Run(ctx, b.root.c, []string{reg, used}, id, at.UnixMilli()).Int()
	return n == 1, fail(err)
}

// DeleteSandbox implements store.Registry.
func (b *Backend) DeleteSandbox(ctx context.Context, id string) (bool, error) {
	reg, used := b.registry()
	var n *redis.IntCmd
	_, err := b.root.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.HDel(ctx, reg, id)
		p.HDel(ctx, used, id)
		return nil
	})
	if err != nil {
		return false, fail(err)
	}
	return n.Val() == 1, nil
}
