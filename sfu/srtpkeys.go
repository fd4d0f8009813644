package sfu

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

// The seam into pion for the fast paths (fastsend.go, fastrtcp.go): the
// SRTP master keys of a connected down connection. Pion derives them from its
// DTLS connection (RFC 5764 keying material exporter) into an SRTP
// session it keeps to itself, and exposes neither the keys nor the
// *dtls.Conn. The one unexported thing read here is DTLSTransport.conn;
// from it everything goes through dtls's exported API (ConnectionState,
// ExportKeyingMaterial, SelectedSRTPProtectionProfile), and srtp's own
// Config.ExtractSessionKeysFromDTLS splits the material exactly as pion
// does. TestSRTPKeysSeam fails loudly if a pion upgrade moves the field;
// without it every down connection falls back to pion's write path.
// Upstream, a DTLSTransport.ExportKeyingMaterial method would replace it.

var errNoSeam = errors.New("pion's DTLS connection is not reachable")

var dtlsConnType = reflect.TypeFor[*dtls.Conn]()

// srtpKeys reads the SRTP profile and master keys of dt's connection,
// the ones pion's own sessions use. dt must be connected; the State call
// orders this read after pion's write of the field (both under dt's
// lock).
func srtpKeys(dt *webrtc.DTLSTransport) (srtp.Config, error) {
	if dt == nil || dt.State() != webrtc.DTLSTransportStateConnected {
		return srtp.Config{}, fmt.Errorf("DTLS not connected")
	}
	conn, err := dtlsConnOf(dt)
	if err != nil {
		return srtp.Config{}, err
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return srtp.Config{}, fmt.Errorf("DTLS connection state unavailable")
	}
	dp, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return srtp.Config{}, fmt.Errorf("no SRTP protection profile negotiated")
	}
	client, err := isClient(&state)
	if err != nil {
		return srtp.Config{}, err
	}
	cfg := srtp.Config{Profile: srtp.ProtectionProfile(dp)}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, client); err != nil {
		return srtp.Config{}, fmt.Errorf("SRTP keys: %w", err)
	}
	return cfg, nil
}

// dtlsConnOf reads DTLSTransport.conn.
func dtlsConnOf(dt *webrtc.DTLSTransport) (*dtls.Conn, error) {
	f := reflect.ValueOf(dt).Elem().FieldByName("conn")
	if !f.IsValid() || f.Type() != dtlsConnType {
		return nil, errNoSeam
	}
	c := *(**dtls.Conn)(unsafe.Pointer(f.UnsafeAddr()))
	if c == nil {
		return nil, errNoSeam
	}
	return c, nil
}

// isClient reads whether this side was the DTLS client (State.isClient):
// the exporter's material is split by role, and pion decides the role
// from the SDP and the ICE role (DTLSTransport.role, unexported too).
func isClient(s *dtls.State) (bool, error) {
	f := reflect.ValueOf(s).Elem().FieldByName("isClient")
	if !f.IsValid() || f.Kind() != reflect.Bool {
		return false, fmt.Errorf("%w: dtls.State has no isClient", errNoSeam)
	}
	return f.Bool(), nil
}
