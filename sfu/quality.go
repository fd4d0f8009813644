package sfu

import "fmt"

// Quality is the layer a subscriber wants for a video track.
type Quality int

// Qualities from nothing to the full picture. Layers map to simulcast RIDs
// q (low), h (medium) and f (high); a publisher without simulcast has one
// layer, served for every quality but Off.
const (
	QualityOff Quality = iota
	QualityLow
	QualityMedium
	QualityHigh
)

var qualityNames = [...]string{"off", "low", "medium", "high"}

// String is the wire name of q.
func (q Quality) String() string {
	if q < 0 || int(q) >= len(qualityNames) {
		return fmt.Sprintf("quality(%d)", int(q))
	}
	return qualityNames[q]
}

// ParseQuality reads "off", "low", "medium" or "high".
func ParseQuality(s string) (Quality, error) {
	for i, n := range qualityNames {
		if n == s {
			return Quality(i), nil
		}
	}
	return 0, fmt.Errorf("%w: quality %q (want off, low, medium or high)", ErrInvalid, s)
}
