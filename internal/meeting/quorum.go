package meeting

// Base is who a vote's rule counts against.
type Base string

// Bases of a vote.
const (
	// BasePresent: the voters present when the vote closes (checked in, in
	// a hall or online, or having voted: a ballot proves presence).
	BasePresent Base = "present"
	// BaseAll: every voter the meeting invited (tổng số đại biểu).
	BaseAll Base = "all"
)

// Valid reports whether b is a known base.
func (b Base) Valid() bool { return b == BasePresent || b == BaseAll }

// Rule is how many of the base must choose the first option.
type Rule string

// Rules of a vote.
const (
	// RuleMajority: more than half (quá nửa); exactly half fails.
	RuleMajority Rule = "majority"
	// RuleTwoThirds: at least two thirds (ít nhất hai phần ba).
	RuleTwoThirds Rule = "two_thirds"
)

// Valid reports whether r is a known rule.
func (r Rule) Valid() bool { return r == RuleMajority || r == RuleTwoThirds }

// Tally is what a closed vote counted, for Decide.
type Tally struct {
	// For is the count of the first option (tán thành).
	For int
	// Ballots is every ballot cast (abstentions and other options too).
	Ballots int
	// Present is the voters present at the close; Eligible every voter invited.
	Present  int
	Eligible int
}

// BaseCount is the size of the base: the voters present (never fewer than
// the ballots, since each voter who voted was there), or all invited.
func BaseCount(b Base, t Tally) int {
	if b == BaseAll {
		return max(t.Eligible, t.Ballots)
	}
	return max(t.Present, t.Ballots)
}

// Decide reports whether the first option carries the vote under rule
// against base. Abstentions count in the base (a delegate present who
// abstains does not help the motion); an empty base never passes. Integer
// arithmetic only: 2 of 3 is two thirds, 5 of 10 is not more than half.
func Decide(rule Rule, base Base, t Tally) (passed bool, baseCount int) {
	n := BaseCount(base, t)
	if n == 0 {
		return false, 0
	}
	switch rule {
	case RuleTwoThirds:
		return 3*t.For >= 2*n, n
	default:
		return 2*t.For > n, n
	}
}
