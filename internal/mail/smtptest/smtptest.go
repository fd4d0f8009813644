// Package smtptest is a small real SMTP server for tests: it listens on
// 127.0.0.1:0, accepts every message and records it.
package smtptest

import (
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data string
}

// Server is a running sink.
type Server struct {
	Addr string
	ln   net.Listener
	mu   sync.Mutex
	msgs []Message
	more chan struct{}
	// Fail, when set, makes DATA answer 451 (a temporary failure).
	fail bool
}

// New starts a sink and stops it when the test ends.
func New(t testing.TB) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, more: make(chan struct{}, 1)}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

// SetFailing makes the sink refuse messages temporarily (or accept again).
func (s *Server) SetFailing(f bool) { s.mu.Lock(); s.fail = f; s.mu.Unlock() }

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until at least n messages arrived or the timeout passed,
// and returns what arrived.
func (s *Server) WaitFor(n int, timeout time.Duration) []Message {
	deadline := time.After(timeout)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.more:
		case <-deadline:
			return s.Messages()
		}
	}
}

func (s *Server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

func (s *Server) session(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	reply := func(code int, msg string) bool { return tp.PrintfLine("%d %s", code, msg) == nil }
	reply(220, "smtptest ready")
	var cur Message
	for {
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			tp.PrintfLine("250-smtptest")
			reply(250, "8BITMIME")
		case "HELO", "NOOP":
			reply(250, "ok")
		case "MAIL":
			cur = Message{From: addr(arg)}
			reply(250, "ok")
		case "RCPT":
			cur.To = append(cur.To, addr(arg))
			reply(250, "ok")
		case "DATA":
			s.mu.Lock()
			fail := s.fail
			s.mu.Unlock()
			reply(354, "go ahead")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			if fail {
				reply(451, "try again later")
				continue
			}
			cur.Data = string(b)
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			select {
			case s.more <- struct{}{}:
			default:
			}
			reply(250, "queued")
		case "RSET":
			cur = Message{}
			reply(250, "ok")
		case "QUIT":
			reply(221, "bye")
			return
		default:
			reply(502, "not implemented")
		}
	}
}

func addr(arg string) string {
	_, a, _ := strings.Cut(arg, ":")
	a = strings.TrimSpace(a)
	if i := strings.IndexByte(a, ' '); i >= 0 {
		a = a[:i]
	}
	return strings.Trim(a, "<>")
}
