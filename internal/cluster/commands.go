package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// commandsPrefix names the Redis pub/sub channel that carries the room
// commands to every SFU node; the database number follows
// ("cau:cluster:commands:db3"), as for live.ChannelPrefix: pub/sub ignores
// database numbers, and two deployments (or tests) sharing one Redis on
// different databases must not apply each other's mutes.
const commandsPrefix = "cau:cluster:commands:db"

// Command kinds.
const (
	CmdMute   = "mute"   // Identity, Muted
	CmdRemove = "remove" // Identity, At
	CmdState  = "state"  // State (open, locked, ended), At
	CmdPin    = "pin"    // Identity ("" unpins)
)

// Command is a moderation or floor change for a room, published by the
// meeting service on whichever api node took the request and applied by
// every SFU node to the participants it hosts (the home node to the room's
// authority, edge nodes to their halls).
type Command struct {
	Kind     string    `json:"kind"`
	Room     string    `json:"room"`
	Identity string    `json:"identity,omitempty"`
	Muted    bool      `json:"muted,omitempty"`
	State    string    `json:"state,omitempty"`
	At       time.Time `json:"at,omitzero"`
	// Origin is the node that published it (logs).
	Origin string `json:"origin,omitempty"`
}

func (c Command) validate() error {
	if c.Room == "" {
		return fmt.Errorf("%w: command without a room", ErrInvalid)
	}
	switch c.Kind {
	case CmdMute, CmdRemove:
		if c.Identity == "" {
			return fmt.Errorf("%w: %s without an identity", ErrInvalid, c.Kind)
		}
	case CmdState, CmdPin:
	default:
		return fmt.Errorf("%w: command kind %q", ErrInvalid, c.Kind)
	}
	return nil
}

// Commands publishes and receives room commands over Redis pub/sub.
type Commands struct {
	rdb     *redis.Client
	log     *slog.Logger
	channel string
}

// NewCommands returns the command channel in rdb.
func NewCommands(rdb *redis.Client, log *slog.Logger) *Commands {
	return &Commands{rdb: rdb, log: log, channel: fmt.Sprint(commandsPrefix, rdb.Options().DB)}
}

// Publish sends c to every SFU node; it returns how many nodes listen.
func (c *Commands) Publish(ctx context.Context, cmd Command) (int, error) {
	if err := cmd.validate(); err != nil {
		return 0, err
	}
	b, err := json.Marshal(cmd)
	if err != nil {
		return 0, fmt.Errorf("encode command: %w", err)
	}
	n, err := c.rdb.Publish(ctx, c.channel, b).Result()
	if err != nil {
		return 0, fmt.Errorf("publish %s for %s: %w", cmd.Kind, cmd.Room, err)
	}
	return int(n), nil
}

// Listen calls apply for each command until ctx ends, one at a time. It
// returns once the subscription is in place, so a command published after
// Listen returns is heard.
func (c *Commands) Listen(ctx context.Context, apply func(Command)) error {
	sub := c.rdb.Subscribe(ctx, c.channel)
	if _, err := sub.Receive(ctx); err != nil {
		sub.Close()
		return fmt.Errorf("subscribe to room commands: %w", err)
	}
	go func() {
		defer sub.Close()
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				var cmd Command
				if err := json.Unmarshal([]byte(m.Payload), &cmd); err != nil || cmd.validate() != nil {
					c.log.Warn("room command refused", "payload", m.Payload)
					continue
				}
				apply(cmd)
			}
		}
	}()
	return nil
}
