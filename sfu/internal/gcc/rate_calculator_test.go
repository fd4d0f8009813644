// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package gcc

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

func TestRateCalculator(t *testing.T) {
	t0 := time.Now()
	cases := []struct {
		name     string
		acks     []Acknowledgment
		expected []int
	}{
		{
			name:     "emptyCreatesNoRate",
			acks:     []Acknowledgment{},
			expected: []int{},
		},
		{
			name: "ignoresZeroArrivalTimes",
			acks: []Acknowledgment{{
				SequenceNumber: 0,
				Size:           0,
				Departure:      time.Time{},
				Arrival:        time.Time{},
			}},
			expected: []int{},
		},
		{
			name: "singleAckCreatesRate",
			acks: []Acknowledgment{{
				SequenceNumber: 0,
				Size:           1000,
				Departure:      time.Time{},
				Arrival:        t0,
			}},
			expected: []int{8000},
		},
		{
			name: "twoAcksCalculateCorrectRates",
			acks: []Acknowledgment{{
				SequenceNumber: 0,
				Size:           125,
				Departure:      time.Time{},
				Arrival:        t0,
			}, {
				SequenceNumber: 0,
				Size:           125,
				Departure:      time.Time{},
				Arrival:        t0.Add(100 * time.Millisecond),
			}},
			expected: []int{1000, 20_000},
		},
		{
			name: "steadyACKsCalculateCorrectRates",
			acks: getACKStream(10, 1200, 100*time.Millisecond),
			expected: []int{
				9_600,
				192_000,
				144_000,
				128_000,
				120_000,
				115_200,
				115_200,
				115_200,
				115_200,
				115_200,
			},
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := newRateCalculator(500 * time.Millisecond)
			in := make(chan []Acknowledgment)
			out := make(chan int)
			onRateUpdate := func(rate int) {
				out <- rate
			}
			go func() {
				defer close(out)
				rc.run(in, onRateUpdate)
			}()
			go func() {
				in <- tc.acks
				close(in)
			}()

			received := []int{}
			for r := range out {
				received = append(received, r)
			}
			assert.Equal(t, tc.expected, received)
		})
	}
}

func getACKStream(length int, size int, interval time.Duration) []Acknowledgment {
	res := []Acknowledgment{}
	t0 := time.Now()
	for range length {
		res = append(res, Acknowledgment{
			Size:    size,
			Arrival: t0,
		})
		t0 = t0.Add(interval)
	}

	return res
}

func TestRateCalculator_ConstantArrival(t *testing.T) {
	start := time.Unix(1, 0)
	acks := make([]Acknowledgment, 10000)
	for i := range acks {
		acks[i] = Acknowledgment{Arrival: start, Size: 100}
	}
	last := []Acknowledgment{{Arrival: start.Add(100 * time.Millisecond), Size: 100}}
	var rate int
	allocations := testing.AllocsPerRun(1, func() {
		in := make(chan []Acknowledgment, 2)
		in <- acks
		in <- last
		close(in)
		newRateCalculator(time.Second).run(in, func(next int) {
			rate = next
		})
	})
	assert.LessOrEqual(t, allocations, float64(4))
	assert.Equal(t, 4_000_000, rate)
}

func TestRateCalculator_History(t *testing.T) {
	start := time.Unix(1, 0)
	history := rateHistory{}
	for i := range 2 * maxRateHistoryPackets {
		assert.True(t, history.add(Acknowledgment{
			Arrival: start.Add(time.Duration(i) * time.Microsecond), Size: i + 1,
		}, 500*time.Millisecond))
	}
	assert.Equal(t, maxRateHistoryPackets, history.count)
	assert.Equal(t, 375250, history.sum)
	assert.Equal(t, start.Add(500*time.Microsecond), history.time(0)) // Cầu: samples hold offsets
	assert.False(t, history.add(Acknowledgment{Arrival: start, Size: 100}, 500*time.Millisecond))
	assert.Equal(t, 375250, history.sum)
	assert.True(t, history.add(Acknowledgment{Arrival: start.Add(750500 * time.Nanosecond), Size: 100}, 500*time.Millisecond))
	assert.Equal(t, maxRateHistoryPackets, history.count)
	assert.Equal(t, 374849, history.sum)
	for i := 1; i < history.count; i++ {
		previous := history.time(i - 1)
		current := history.time(i)
		assert.False(t, current.Before(previous))
	}
	assert.True(t, history.add(Acknowledgment{Arrival: start.Add(time.Second), Size: 100}, 500*time.Millisecond))
	assert.Equal(t, 1, history.count)
	assert.Equal(t, 100, history.sum)
}

func TestRateCalculator_TWCCArrivalOrder(t *testing.T) {
	for _, test := range []struct {
		name       string
		references []uint32
		deltas     [][]int64
		expected   []int
	}{
		{
			name:       "negative delta",
			references: []uint32{1},
			deltas:     [][]int64{{0, 2000, -1000, 2000}},
			expected:   []int{800, 800000, 1200000, 1066666},
		},
		{
			name:       "reordered batches",
			references: []uint32{1, 1},
			deltas:     [][]int64{{0, 2000}, {1000, 2000}},
			expected:   []int{800, 800000, 1200000, 1066666},
		},
		{
			name:       "reference rollover",
			references: []uint32{0xffffff, 0},
			deltas:     [][]int64{{1000, 1000}, {1000, 1000}},
			expected:   []int{800, 1600000, 1600000},
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			in := make(chan []Acknowledgment, len(test.references))
			for i, reference := range test.references {
				in <- rateTestTWCCAcks(t, reference, test.deltas[i])
			}
			close(in)
			var rates []int
			newRateCalculator(500*time.Millisecond).run(in, func(rate int) {
				rates = append(rates, rate)
			})
			assert.Equal(t, test.expected, rates)
		})
	}
}

func rateTestTWCCAcks(t *testing.T, reference uint32, deltas []int64) []Acknowledgment {
	t.Helper()

	adapter := NewFeedbackAdapter()
	feedback := &rtcp.TransportLayerCC{ReferenceTime: reference}
	for i, delta := range deltas {
		header := &rtp.Header{}
		extension := rtp.TransportCCExtension{TransportSequence: uint16(i)} //nolint:gosec // test inputs contain at most four packets
		data, err := extension.Marshal()
		require.NoError(t, err)
		require.NoError(t, header.SetExtension(1, data))
		require.NoError(t, adapter.OnSent(time.Unix(1, 0), header, 100-header.MarshalSize(), 1))
		feedback.RecvDeltas = append(feedback.RecvDeltas, &rtcp.RecvDelta{
			Type: rtcp.TypeTCCPacketReceivedLargeDelta, Delta: delta,
		})
		feedback.PacketStatusCount++
	}
	feedback.PacketChunks = []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{
		PacketStatusSymbol: rtcp.TypeTCCPacketReceivedLargeDelta,
		RunLength:          feedback.PacketStatusCount,
	}}
	acks, err := adapter.OnTransportCCFeedback(time.Unix(1, 0), feedback)
	require.NoError(t, err)

	return acks
}
