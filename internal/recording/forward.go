package recording

import (
	"context"
	"errors"
	"fmt"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/meeting"
)

// In a cluster a recording runs on the room's home node (the recorder
// follows the home's floor and hears every hall there), but the chair's
// request reaches whichever node the load balancer picked: an api-only
// node, which records nothing, or another SFU node. A Forwarder carries
// the start or stop to the node that can do it, and that node runs it as
// if it had been asked itself (Serve): the same checks of the caller's
// rights, the same audit entry, and the recording stored there.

// Op is what a forwarded request asks.
type Op string

// The ops.
const (
	OpStart Op = "start"
	OpStop  Op = "stop"
)

// Forwarder has another node run op for p on meeting id.
type Forwarder interface {
	// Forward asks node (the room's home when node is "") to Serve op and
	// returns the recording's ID, or the error that node answered.
	Forward(ctx context.Context, node string, op Op, p *auth.Principal, id meeting.ID) (ID, error)
}

// Elsewhere is a Recorder's answer when the room is homed on another node.
type Elsewhere struct{ Node string }

func (e *Elsewhere) Error() string {
	return fmt.Sprintf("%s (home %s)", ErrElsewhere.Message, e.Node)
}

func (e *Elsewhere) Unwrap() error { return ErrElsewhere }

// forwardedKey marks a context of a request that was forwarded here:
// it is never forwarded on (two nodes that each think the other is the
// home would pass it back and forth).
type forwardedKey struct{}

// Serve runs a forwarded op here.
func (s *Service) Serve(ctx context.Context, op Op, p *auth.Principal, id meeting.ID) (ID, error) {
	ctx = context.WithValue(ctx, forwardedKey{}, true)
	var r Recording
	var err error
	switch op {
	case OpStart:
		r, err = s.Start(ctx, p, id)
	case OpStop:
		r, err = s.Stop(ctx, p, id)
	default:
		return 0, fmt.Errorf("forwarded recording op %q", op)
	}
	return r.ID, err
}

// forwardTo reports the node to forward a request to after this node
// answered err (the room's home, "" when this node does not know it),
// and whether to forward at all.
func (s *Service) forwardTo(ctx context.Context, err error) (string, bool) {
	if s.Forward == nil || ctx.Value(forwardedKey{}) != nil {
		return "", false
	}
	var ew *Elsewhere
	switch {
	case errors.As(err, &ew):
		return ew.Node, true
	case errors.Is(err, ErrUnavailable):
		return "", true
	}
	return "", false
}

// forward has node run op and reads back the recording it stored.
func (s *Service) forward(ctx context.Context, node string, op Op, p *auth.Principal, id meeting.ID) (Recording, error) {
	rid, err := s.Forward.Forward(ctx, node, op, p, id)
	if err != nil {
		return Recording{}, err
	}
	r, err := s.Store.Recording(ctx, rid)
	if err != nil {
		return Recording{}, fmt.Errorf("recording %d %s on node %q: %w", rid, op, node, err)
	}
	return r, nil
}
