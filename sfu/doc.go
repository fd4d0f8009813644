// Package sfu is Cầu's selective forwarding unit: it carries the video and
// audio of the halls of a session between browsers, encoders and the
// recorder, with simulcast layer selection per subscriber and a bandwidth
// allocator that keeps a weak commune link in the meeting.
//
// It knows rooms, participants, tracks, layers and bandwidth, and nothing
// of PostgreSQL, tokens or the meeting domain: a participant arrives with
// a Grant that the caller has already decided, and the meeting service
// learns of joins, leaves and floor changes through an Observer.
//
// # Wiring (what internal/app uses)
//
//	s, err := sfu.New(sfu.Config{UDPPort: 7882, TCPPort: 7881, ListenIPs: []string{"10.0.0.5", "2001:db8::5"}}, logger, prometheus.DefaultRegisterer)
//	defer s.Close()
//	s.SetObserver(meetingService)           // ParticipantJoined/Left, FloorChanged
//	mux.Handle("GET /rtc", signal.NewHandler(s, authorize, logger)) // package sfu/signal
//	s.PinFloor(room, hall)                  // the chair granted the floor; "" unpins
//	s.SetMuted(room, hall, true)            // server-side mute
//	s.RoomStats(room)                       // link stats, as last computed
//	rec, err := s.StartRecording(room, dir, sfu.RecordOptions{OnStop: f}) // record.go
//	res, err := rec.Stop()                  // res.Main, Parts, Speakers, Stats
//
// authorize(r, token) verifies the room token (internal/roomtoken) and
// returns the Grant; the token comes from "Authorization: Bearer" or the
// access_token query parameter. A refused token gets 401 before the
// upgrade. The protocol is in docs/signaling.md.
//
// Join is the entry point for other transports (sfu/whip): a WHIP
// publisher is a participant of Kind KindWHIP joined with sfu.Discard as
// its sink whose Offer arrives over HTTP with OfferOptions{NoTrickle: true}
// (the answer then holds every candidate); DELETE calls Leave. A WHEP
// viewer is a participant of Kind KindWHEP whose own receive-only offer
// goes to Play (viewer.go): the floor on its video section, an audio slot
// on each audio section. Either ends by itself when its media fails or
// never connects, having no socket to recover over.
//
// Also exported, for transports, tests and tuning: Config.Net (pion vnet
// for tests), Config.StatsInterval/PLIInterval/AllocInterval/
// SpeakerInterval/PauseAfter/InitialBitrate/MaxBitrate/MaxParticipants/MaxProbes/
// SocketBuffer/NoBatchIO/QueuedWrites/PionWrites/PionRTCP/PionReceive (tuning), SFU.Join/Participant (transports),
// SFU.UDPAddrs and TCPAddrs (the bound ports), ErrorCode (error → wire
// code). Files: ids.go (room, participant and track IDs, kinds),
// quality.go (layers), grant.go (what the caller decides and hears).
//
// # Design
//
// Each participant has two peer connections, as in Galène: an up
// connection the client offers and publishes on, and a down connection the
// SFU offers and sends on, so renegotiation never collides. A publisher's
// packet is read where it arrives, on the media socket's read loop
// (fastrecv.go): once pion has bound its stream to a layer (onTrack), it
// is decrypted with the up connection's own SRTP context and read through
// that connection's interceptors (pion's NACK generator and receiver
// reports, transport-wide feedback with pion's recorder, twccfeedback.go),
// with no goroutine between; before that, over ICE-TCP or a relay, and
// with Config.PionReceive, each incoming stream (each simulcast layer)
// has its reader goroutine reading pion's. Either way the layer parses the
// packet in place into a pooled, reference-counted buffer, keeps it in a
// bounded per-layer cache (NACKs are answered from it), and writes it to
// each subscriber that wants that layer in one pass (writer.go): it
// rewrites it and writes it on the fast path (fastsend.go): the header carries the connection's
// transport-wide sequence number, GCC records it (pion's GCC copied into
// internal/gcc, whose sent-packet history is a ring: no allocation), the
// connection's own SRTP context (keys read from pion's DTLS connection,
// srtpkeys.go) encrypts it, and the datagram joins the media socket's
// sendmmsg batch; the SFU sends the sender reports itself
// (senderreport.go), and reads the subscriber's RTCP where it arrives,
// on the media socket's read loop, with the connection's own SRTCP
// context (fastrtcp.go; Config.PionRTCP leaves it to pion). Over ICE-TCP
// or a relay, and with Config.PionWrites, the packet goes through pion's
// interceptors and SRTP session instead. The pass writes only to idle
// subscribers on UDP, and its datagrams leave the shared socket together
// in a few sendmmsg calls (batchsend.go); a busy or queued-behind
// subscriber, and one on ICE-TCP (whose writes can block), has the packet
// queued, without blocking, to its writer goroutine, which does the same.
// Config.QueuedWrites queues every packet (20–30 % more CPU per forwarded
// packet at 160 subscribers: a goroutine woken per subscriber and
// packet; docs/performance.md). Either way the
// rewriting of one subscriber has one owner at a time (the writer's
// mutex): sequence numbers and timestamps are rewritten so it sees one
// continuous stream across layer switches and floor source switches,
// which happen only on key frames (requested by PLI, throttled per
// layer); its seqMap remembers the offsets of recent switches, so a NACK
// for any packet it sent is answered from the cache of the layer the
// packet came from (seqmap.go), once per round trip. A new subscriber
// starts from the cached last key frame of its layer (the cache keeps it
// apart from its ring), not from the publisher's next one, and as soon as
// its connection is up, not at the layer's next packet (startFromCache).
// A full writer
// queue drops that subscriber's packets, never the publisher's, and for
// video the rest of the frame with them (a clean loss a NACK or key frame
// repairs). A room loop shares each subscriber's estimated downlink
// (send-side GCC over transport-wide feedback): the floor's audio first,
// other halls' audio where it fits beside the floor's lowest layer, then
// the floor, screen shares and thumbnails, each on its lowest layer until
// feedback has tested the initial estimate. The allocation gathers the
// estimate and what each track asks, plans with a pure function (plan.go:
// priorities, hysteresis, ties) and applies the plan. Layers nobody wants
// are paused at the publisher (pause.go, LiveKit's dynacast): what each
// subscriber's plan would give with every layer flowing, the recording's
// best layer of the floor and each relay's (TapLayer) are wanted; a layer
// above the lowest unwanted for Config.PauseAfter (3 s; negative: never) is paused by a
// "layers" message, resumed at once when wanted again, and given to
// subscribers from its first key frame (a layer that flows meanwhile: the
// floor moving to a hall whose high layer is paused goes out on low at
// once). The room loop also finds the active speakers from the audio
// level extension and sends link stats. Audio is protected against loss
// twice: RED where the browser offers it (redaudio.go; sfu/red reads and writes the payloads), passed
// on as it comes or cut to its primary Opus frame with the frames lost
// upstream rebuilt from the next packet's copies, or made from plain Opus
// for a lossy subscriber that takes it; and Opus's in-band FEC, which the
// publisher's encoder tunes by the loss the SFU reports to it: its
// subscribers' (lossreport.go). A WHEP viewer whose ICE consent lapses (5
// s of silence) ends a second later.
//
// # Recording
//
// StartRecording(room, dir) records the floor, one recording per room
// (ErrAlreadyRecording; an unknown room wraps ErrNoRoom). The recorder is
// a subscriber like any other, as Galène's disk writer is, but of its own:
// a participant in no room's list (never seen, never allocated, never
// keeping a room open) with a floor down track on the best layer that
// sends (a top layer silent for a second is passed over) and one
// audio slot, so it gets the floor exactly as halls do, source switches
// rewritten into one stream, through its own writer queue (full: dropped
// and counted, never the publisher's wait). A key frame is requested on
// start and at each floor switch. Its sink (recorder.go) reorders each
// stream in pion's samplebuilder (up to 1 s), NACKs the gaps it sees
// (answered from the layer caches; a packet lost upstream comes back
// when the publisher answers the SFU's own NACK), skips from a lost
// frame to the next key frame (asking for one), and writes WebM (VP8 +
// Opus) with sfu/mkv; an H.264 floor writes Matroska (V_MPEG4/ISO/AVC,
// avcC from the first key frame). A floor that switches codec starts a
// new part (recording-2.mkv, …) at its first key frame: a player has one
// decoder per track. Block times are milliseconds from StartedAt (the
// first part's zero; later parts start at RecordingPart.Start), each
// track's from its RTP clock anchored at its first packet's arrival, so
// audio and video stay aligned and the floor's switches continuous.
// Video frames are put one a tick, at the tick's centre, on a 30 fps
// grid (each part starts with 20 ms of Opus silence at its zero, so the
// grid is ffmpeg's): ffmpeg times decoded frames at the rate it guessed
// (30 fps), and a new floor's key frame a few ms after the old floor's
// last frame made "non monotonically increasing dts"; that last frame,
// held back one frame, is dropped. Each hall's
// microphone is tapped too (speaker_record.go): a packet whose own audio
// level says speech opens its speaker-<identity>.ogg, silence is kept
// only between speeches. Stop waits 300 ms for what the floor sent before
// it; the room ending or Close stops at once and calls OnStop.
package sfu
