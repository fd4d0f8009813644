package meeting

import "testing"

func TestDecide(t *testing.T) {
	for _, c := range []struct {
		name     string
		rule     Rule
		base     Base
		tally    Tally
		passed   bool
		baseSize int
	}{
		{"majority of present", RuleMajority, BasePresent, Tally{For: 6, Ballots: 10, Present: 10, Eligible: 40}, true, 10},
		{"half of present is a tie, fails", RuleMajority, BasePresent, Tally{For: 5, Ballots: 10, Present: 10, Eligible: 40}, false, 10},
		{"majority of present, not of all", RuleMajority, BaseAll, Tally{For: 6, Ballots: 10, Present: 10, Eligible: 40}, false, 40},
		{"majority of all", RuleMajority, BaseAll, Tally{For: 21, Ballots: 25, Present: 30, Eligible: 40}, true, 40},
		{"half of all plus none", RuleMajority, BaseAll, Tally{For: 20, Ballots: 40, Present: 40, Eligible: 40}, false, 40},
		{"abstentions count in the base", RuleMajority, BasePresent, Tally{For: 4, Ballots: 9, Present: 9, Eligible: 9}, false, 9},
		{"present who did not vote count", RuleMajority, BasePresent, Tally{For: 5, Ballots: 6, Present: 10, Eligible: 12}, false, 10},
		{"ballots prove presence", RuleMajority, BasePresent, Tally{For: 3, Ballots: 4, Present: 0, Eligible: 12}, true, 4},
		{"two thirds exactly passes", RuleTwoThirds, BasePresent, Tally{For: 2, Ballots: 3, Present: 3, Eligible: 3}, true, 3},
		{"just under two thirds fails", RuleTwoThirds, BasePresent, Tally{For: 6, Ballots: 10, Present: 10, Eligible: 10}, false, 10},
		{"two thirds of 10 needs 7", RuleTwoThirds, BasePresent, Tally{For: 7, Ballots: 10, Present: 10, Eligible: 10}, true, 10},
		{"two thirds of present, not of all", RuleTwoThirds, BaseAll, Tally{For: 20, Ballots: 30, Present: 30, Eligible: 40}, false, 40},
		{"two thirds of all", RuleTwoThirds, BaseAll, Tally{For: 27, Ballots: 30, Present: 30, Eligible: 40}, true, 40},
		{"two thirds with abstentions", RuleTwoThirds, BasePresent, Tally{For: 2, Ballots: 4, Present: 4, Eligible: 4}, false, 4},
		{"nobody present", RuleMajority, BasePresent, Tally{}, false, 0},
		{"unanimous single voter", RuleTwoThirds, BasePresent, Tally{For: 1, Ballots: 1, Present: 1, Eligible: 2}, true, 1},
		{"ballots above a stale eligible count", RuleMajority, BaseAll, Tally{For: 3, Ballots: 5, Present: 5, Eligible: 4}, true, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			passed, n := Decide(c.rule, c.base, c.tally)
			if passed != c.passed || n != c.baseSize {
				t.Fatalf("Decide(%s, %s, %+v) = %v over %d, want %v over %d", c.rule, c.base, c.tally, passed, n, c.passed, c.baseSize)
			}
		})
	}
}
