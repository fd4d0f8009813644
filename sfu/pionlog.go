package sfu

import (
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogs routes pion's loggers through slog. Only warnings and errors
// pass: pion's info and debug output is per packet in places.
type pionLogs struct{ log *slog.Logger }

// NewLogger returns a logger for one pion scope (ice, dtls, pc, ...).
func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

type pionLogger struct{ l *slog.Logger }

func (p pionLogger) Trace(string)             {}
func (p pionLogger) Tracef(string, ...any)    {}
func (p pionLogger) Debug(string)             {}
func (p pionLogger) Debugf(string, ...any)    {}
func (p pionLogger) Info(string)              {}
func (p pionLogger) Infof(string, ...any)     {}
func (p pionLogger) Warn(msg string)          { p.l.Warn(msg) }
func (p pionLogger) Warnf(f string, a ...any) { p.l.Warn(fmt.Sprintf(f, a...)) }
func (p pionLogger) Error(msg string)         { p.l.Error(msg) }
func (p pionLogger) Errorf(f string, a ...any) {
	p.l.Error(fmt.Sprintf(f, a...))
}
