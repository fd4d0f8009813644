package linkemu

import "github.com/cau-gov/cau/internal/linkshape"

// Shape is one direction of the line: its rate, queue, loss and delay,
// as internal/linkshape models them (the loadtest's weak halls use the
// same model). Rate is counted on whole IP packets.
type Shape = linkshape.Line

// Counters are what one direction did.
type Counters struct {
	Packets   int64 `json:"packets"`    // read from the sending side
	Bytes     int64 `json:"bytes"`      // of Packets
	Lost      int64 `json:"lost"`       // lost on the wire (Loss), after the queue
	QueueDrop int64 `json:"queue_drop"` // dropped by a full queue
	Delivered int64 `json:"delivered"`  // written to the receiving side
}
