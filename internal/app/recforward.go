package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/cluster"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/recording"
)

// recForwarder carries recording starts and stops to the node that runs
// the room (recording.Forwarder) over Redis: each SFU node pops the
// requests of its own list and pushes each answer to the list the request
// names. Requests are signed with the node key, as node records are, so a
// Redis client without the key cannot have a node record as somebody.
type recForwarder struct {
	rdb     *redis.Client
	key     ed25519.PrivateKey
	dir     *cluster.Directory
	leases  *cluster.Leases
	timeout time.Duration // how long a node has to answer
	log     *slog.Logger
}

// Redis keys: a node's request list (+ node ID) and a request's answer
// (+ a random name).
const (
	recRequestsPrefix = "cau:recording:requests:"
	recReplyPrefix    = "cau:recording:reply:"
)

type recRequest struct {
	Op        recording.Op   `json:"op"`
	Meeting   meeting.ID     `json:"meeting"`
	Principal auth.Principal `json:"principal"`
	Reply     string         `json:"reply"`
	// Expires: a request popped later (its node was busy or restarting)
	// is dropped; the asker has given up on it.
	Expires time.Time `json:"expires"`
}

type signedRecRequest struct {
	Body json.RawMessage `json:"body"`
	Sig  []byte          `json:"sig"`
}

// recReply is the recording's ID, or the error in the fault vocabulary
// (the asker answers its client with the same status and code).
type recReply struct {
	ID      recording.ID `json:"id,omitempty"`
	Failed  bool         `json:"failed,omitempty"`
	Kind    fault.Kind   `json:"kind,omitempty"`
	Code    string       `json:"code,omitempty"`
	Message string       `json:"message,omitempty"`
}

// Forward implements recording.Forwarder.
func (f *recForwarder) Forward(ctx context.Context, node string, op recording.Op, p *auth.Principal, id meeting.ID) (recording.ID, error) {
	if node == "" {
		home, err := cluster.LiveHome(ctx, f.dir, f.leases, meeting.RoomName(id))
		switch {
		case errors.Is(err, cluster.ErrHomeGone):
			return 0, fmt.Errorf("%w: %v", recording.ErrUnavailable, err)
		case err != nil:
			return 0, err
		case home.ID == "":
			return 0, recording.ErrNoRoom // no node has the call: nobody joined
		}
		node = home.ID
	}
	name := make([]byte, 16)
	rand.Read(name)
	reply := recReplyPrefix + hex.EncodeToString(name)
	body, err := json.Marshal(recRequest{Op: op, Meeting: id, Principal: *p, Reply: reply, Expires: time.Now().Add(f.timeout)})
	if err != nil {
		return 0, err
	}
	req, err := json.Marshal(signedRecRequest{Body: body, Sig: ed25519.Sign(f.key, body)})
	if err != nil {
		return 0, err
	}
	list := recRequestsPrefix + node
	pipe := f.rdb.TxPipeline()
	pipe.RPush(ctx, list, req)
	pipe.Expire(ctx, list, 2*f.timeout) // a dead node's list does not linger
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("forward recording %s to node %q: %w", op, node, err)
	}
	res, err := f.rdb.BLPop(ctx, f.timeout, reply).Result()
	if errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("%w: node %q did not answer within %v", recording.ErrUnavailable, node, f.timeout)
	}
	if err != nil {
		return 0, fmt.Errorf("answer of node %q: %w", node, err)
	}
	var r recReply
	if err := json.Unmarshal([]byte(res[1]), &r); err != nil {
		return 0, fmt.Errorf("answer of node %q: %w", node, err)
	}
	if r.Failed {
		return 0, fmt.Errorf("node %q: %w", node, fault.New(r.Kind, r.Code, r.Message))
	}
	return r.ID, nil
}

// serve answers the requests for node self until ctx ends.
func (f *recForwarder) serve(ctx context.Context, self string, s *recording.Service) {
	list := recRequestsPrefix + self
	for ctx.Err() == nil {
		res, err := f.rdb.BLPop(ctx, time.Second, list).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if ctx.Err() == nil {
				f.log.Warn("recording requests", "error", err)
				time.Sleep(time.Second)
			}
			continue
		}
		go f.handle(ctx, s, []byte(res[1]))
	}
}

// handle runs one request and answers it.
func (f *recForwarder) handle(ctx context.Context, s *recording.Service, raw []byte) {
	var sr signedRecRequest
	var req recRequest
	if err := json.Unmarshal(raw, &sr); err != nil || !ed25519.Verify(f.key.Public().(ed25519.PublicKey), sr.Body, sr.Sig) ||
		json.Unmarshal(sr.Body, &req) != nil {
		f.log.Warn("recording request dropped: not signed with the node key")
		return
	}
	if time.Now().After(req.Expires) {
		f.log.Warn("recording request dropped: its asker gave up", "op", req.Op, "meeting_id", req.Meeting)
		return
	}
	rctx, cancel := context.WithDeadline(ctx, req.Expires)
	defer cancel()
	id, err := s.Serve(rctx, req.Op, &req.Principal, req.Meeting)
	r := recReply{ID: id}
	if err != nil {
		r = recReply{Failed: true, Kind: fault.KindOf(err), Code: "internal", Message: "internal error"}
		var fe *fault.Error
		if errors.As(err, &fe) {
			r.Code, r.Message = fe.Code, fe.Message
		} else {
			f.log.Error("forwarded recording "+string(req.Op), "meeting_id", req.Meeting, "error", err)
		}
	}
	b, _ := json.Marshal(r)
	pipe := f.rdb.TxPipeline()
	pipe.RPush(ctx, req.Reply, b)
	pipe.Expire(ctx, req.Reply, time.Minute)
	if _, err := pipe.Exec(ctx); err != nil {
		f.log.Warn("recording answer", "error", err)
	}
}
