//go:build !linux

package linkemu

import (
	"context"
	"errors"
	"net/netip"
)

// Start needs Linux (network namespaces and TUN devices).
func Start(ctx context.Context, c Config) (*Link, error) {
	return nil, errors.ErrUnsupported
}

// Close is never reached without Start.
func (l *Link) Close() error { return errors.ErrUnsupported }

// Do needs Linux.
func (l *Link) Do(f func() error) error { return errors.ErrUnsupported }

// FreePrefix needs Linux.
func FreePrefix() (netip.Prefix, error) { return netip.Prefix{}, errors.ErrUnsupported }
