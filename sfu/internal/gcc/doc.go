// Package gcc is pion's Google congestion control (send-side bandwidth
// estimation over transport-wide feedback) with a send-side history that
// costs nothing per packet.
//
// It is a copy of github.com/pion/interceptor v0.1.51, pkg/gcc and the
// feedback adapter of internal/cc (MIT, LICENSE; each file keeps pion's
// SPDX header). Pion's SendSideBWE records every packet sent in
// internal/cc.FeedbackAdapter, an LRU of a map and a container/list: two
// allocations and a map probe per packet, 13 % of the SFU's CPU when one
// publisher is fanned out to 160 subscribers (docs/performance.md), and
// the adapter is unexported, so no option or wrapper can replace it.
//
// What changed, in feedback.go, send_side_bwe.go and the delay
// controller:
//   - the history is a ring of the last 4,096 transport sequence
//     numbers, indexed by the number's low 12 bits (pion: the last 250
//     packets), so recording a send is a store, and matching feedback an
//     index; it holds the packets whose feedback comes back late, behind
//     a commune line's queue (feedback.go);
//   - the stream writer reads the transport sequence number from the
//     header extension and passes no attributes map (pion made one per
//     packet when given none); a writer that sends past it records its
//     packets with RecordSent, its own sequence number and departure
//     time (one clock reading per batch, not a time.Now per packet);
//   - one feedback's acknowledgments are appended to one slice;
//   - RFC 8888 feedback is not read and the RTP sequence number is not
//     recorded without the transport-wide extension: Cầu does not
//     negotiate RFC 8888;
//   - the leaky-bucket pacer is left out; without a pacer option the
//     no-op pacer sends at once (Cầu always passes its own);
//   - the delay controller runs in WriteRTCP's goroutine: pion handed
//     each feedback over unbuffered channels to two goroutines (arrival
//     groups, received rate), two hops per feedback and a WriteRTCP that
//     waited for both, which the media socket's read loop must not
//     (sfu/fastrtcp.go). The received rate is updated first, then the
//     delay-based estimate that uses it, as libwebrtc orders them; their
//     run loops stay, as loops over onAcks, for pion's tests;
//   - the rate controller writes its figures in hold too, the target
//     unchanged (pion wrote nothing, so GetStats and the loss-based part
//     stood still while the delay fell), and after overuse while the link
//     delivered what was sent, below the target (an SFU's layers are
//     often far below its estimate), it cuts from the target once a round
//     trip, as libwebrtc backs off when application-limited, not to 0.85
//     of a received rate that was only what was sent (rate_controller.go;
//     the delay controller now also measures the rate the acknowledged
//     packets were sent at);
//   - the rate calculators keep their samples as nanoseconds from an
//     epoch (16 bytes a sample, pion's 32), the sent rate's counts each
//     acknowledgment at its departure instead of a copy of the feedback,
//     one clock reading per feedback serves its arrival groups and the
//     loss controller (pion read the clock three times a group), and the
//     loss controller logs nothing: what one subscriber's feedback costs
//     in the fan-out fell from 8 to 4.6 µs (BenchmarkWriteTransportCC,
//     docs/performance.md, "Fan-out CPU, session 11").
//
// GetStats also gives "acknowledged", the acknowledgments feedback has
// matched so far: the other figures move only when it does. Signals gives
// the figures an allocator reads without GetStats' map.
//
// The estimators (arrival groups, Kalman slope, overuse detector, rate
// and loss controllers) compute as pion's but for the rate controller
// above, and their tests are pion's;
// the adapter's tests are pion's on the new signatures. Three tests
// changed, each marked "Cầu:": two for the ring (its size; a sparse
// history two of whose numbers shared a slot), one for the pacer left
// out; two were added for the rate controller, also marked.
package gcc
