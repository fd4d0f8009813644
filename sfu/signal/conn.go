package signal

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/gorilla/websocket"
)

// conn is one client socket. It is the participant's sfu.Sink: Send
// queues without blocking, and one writer goroutine writes with a
// deadline, so a slow client never holds up the room.
type conn struct {
	ws   *websocket.Conn
	log  *slog.Logger
	out  chan []byte
	done chan struct{}
	once sync.Once
}

func newConn(ws *websocket.Conn, log *slog.Logger) *conn {
	return &conn{ws: ws, log: log, out: make(chan []byte, sendQueue), done: make(chan struct{})}
}

// Send implements sfu.Sink.
func (c *conn) Send(ev sfu.Event) {
	b, err := Encode(ev)
	if err != nil {
		c.log.Error("encode event", "type", ev.Type(), "error", err)
		return
	}
	select {
	case <-c.done:
	case c.out <- b:
	default:
		c.log.Warn("signaling client too slow, disconnecting", "error", ErrSlowClient)
		c.close()
	}
}

func (c *conn) close() {
	c.once.Do(func() { close(c.done) })
}

// writeLoop is the socket's only writer: queued messages and pings.
func (c *conn) writeLoop(finished chan<- struct{}) {
	defer close(finished)
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	defer c.ws.Close()
	for {
		select {
		case b := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.close()
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.close()
				return
			}
		case <-c.done:
			// Flush what is queued (a closing reason, an error) briefly.
			for {
				select {
				case b := <-c.out:
					_ = c.ws.SetWriteDeadline(time.Now().Add(time.Second))
					if c.ws.WriteMessage(websocket.TextMessage, b) != nil {
						return
					}
				default:
					_ = c.ws.WriteControl(websocket.CloseMessage,
						websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
					return
				}
			}
		}
	}
}

func (c *conn) sendError(err error, ref string) {
	c.Send(sfu.ErrorEvent{Code: code(err), Message: err.Error(), Ref: ref})
}

// serve runs the socket: join, then messages until it closes.
func (c *conn) serve(s *sfu.SFU, g sfu.Grant) {
	finished := make(chan struct{})
	go c.writeLoop(finished)
	defer func() {
		c.close()
		<-finished
	}()
	c.ws.SetReadLimit(MaxMessage)
	_ = c.ws.SetReadDeadline(time.Now().Add(joinWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(pongWait)) })

	m, body, err := c.read()
	if err != nil {
		if m.Type != "" || errors.Is(err, ErrBadMessage) || errors.Is(err, ErrVersion) {
			c.sendError(err, m.ID)
		}
		return
	}
	join, ok := body.(*Join)
	if !ok {
		c.sendError(ErrNotJoined, m.ID)
		return
	}
	o := sfu.JoinOptions{Resume: join.Resume}
	for _, sub := range join.Subscribe {
		q, _ := sfu.ParseQuality(sub.Quality) // validated by Decode
		o.Subscribe = append(o.Subscribe, sfu.Subscription{Track: sub.TrackID, Quality: q})
	}
	p, err := s.Join(g, c, o)
	if err != nil {
		c.sendError(err, m.ID)
		return
	}
	left := false
	defer func() {
		if !left {
			p.Detach(c)
		}
	}()
	// The participant may end without this socket (replaced, removed).
	go func() {
		select {
		case <-p.Done():
			c.close()
			_ = c.ws.SetReadDeadline(time.Now())
		case <-c.done:
			_ = c.ws.SetReadDeadline(time.Now())
		}
	}()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
		m, body, err := c.read()
		if err != nil {
			var ce *websocket.CloseError
			if errors.Is(err, ErrBadMessage) || errors.Is(err, ErrVersion) {
				c.sendError(err, m.ID)
				continue
			}
			if !errors.As(err, &ce) {
				c.log.Debug("signaling socket ended", "error", err)
			}
			return
		}
		if m.Type == TypeLeave {
			left = true
			p.Leave("")
			return
		}
		if err := c.dispatch(p, m, body); err != nil {
			c.sendError(err, m.ID)
		}
	}
}

// read reads one message; a socket error is returned as is, a bad message
// wrapped in ErrBadMessage or ErrVersion.
func (c *conn) read() (Message, any, error) {
	typ, b, err := c.ws.ReadMessage()
	if err != nil {
		return Message{}, nil, err
	}
	if typ != websocket.TextMessage {
		return Message{}, nil, errors.Join(ErrBadMessage, errors.New("binary message"))
	}
	return Decode(b)
}

func (c *conn) dispatch(p *sfu.Participant, m Message, body any) error {
	switch b := body.(type) {
	case *Join:
		return errors.Join(ErrBadMessage, errors.New("already joined"))
	case *Offer:
		// The participant sends the answer itself, ahead of its candidates.
		_, err := p.Offer(b.SDP, sfu.OfferOptions{Sources: b.Tracks})
		return err
	case *Answer:
		return p.Answer(b.SDP)
	case *CandidateMsg:
		return p.AddCandidate(b.PC, b.Candidate)
	case *Subscribe:
		q, _ := sfu.ParseQuality(b.Quality)
		return p.Subscribe(b.TrackID, q)
	case *Mute:
		if b.Identity != "" {
			return p.SetGhostMuted(b.Identity, b.Source, b.Muted)
		}
		return p.SetMuted(b.Source, b.Muted)
	case *MuteParticipant:
		return p.MuteParticipant(b.Identity, b.Muted)
	case nil:
		if m.Type == TypeICERestart {
			return p.RestartICE()
		}
	}
	return nil
}
