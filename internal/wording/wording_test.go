package wording

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// vietnamese matches a letter only Vietnamese writes (a diacritic or đ).
var vietnamese = regexp.MustCompile(`[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]`)

// english are words of the English sentences this table replaced; none
// may appear in a document again.
var english = regexp.MustCompile(`(?i)\b(yes|no|abstain|the|of|and|passed|failed|muted|removed|meeting|minutes)\b`)

// TestEveryEntryIsVietnamese renders every entry (verbs filled with
// neutral arguments) and requires Vietnamese text with no English word.
func TestEveryEntryIsVietnamese(t *testing.T) {
	if len(vi) < 50 {
		t.Fatalf("the table has %d entries; did a sentence move out?", len(vi))
	}
	for k, s := range vi {
		verbs := strings.Count(s, "%") - 2*strings.Count(s, "%%")
		args := make([]any, verbs)
		for i := range args {
			args[i] = "X"
		}
		out := strings.ReplaceAll(fmt.Sprintf(strings.NewReplacer("%d", "%v", "%02d", "%v").Replace(s), args...), "%!", "")
		if strings.Contains(out, "MISSING") || strings.Contains(out, "EXTRA") {
			t.Errorf("%s: verbs do not render: %q", k, out)
		}
		plain := strings.ReplaceAll(out, "X", "")
		if !vietnamese.MatchString(strings.ToLower(plain)) && !isPunctuation(plain) {
			t.Errorf("%s: %q has no Vietnamese letter", k, s)
		}
		if w := english.FindString(plain); w != "" {
			t.Errorf("%s: %q has the English word %q", k, s, w)
		}
	}
}

func isPunctuation(s string) bool {
	return strings.Trim(s, " ()–-:;,.\n") == ""
}

func TestT(t *testing.T) {
	if got := T(VoteLine, VoteKind(true), "Thông qua kế hoạch?", Counts([]string{"yes", "no", "abstain"}, map[string]int{"yes": 1, "no": 1}), 2, 3); got !=
		"Biểu quyết (kín): Thông qua kế hoạch? — Tán thành: 1, Không tán thành: 1, Không biểu quyết: 0; 2/3 đại biểu đã biểu quyết." {
		t.Fatalf("vote line: %q", got)
	}
	if got := T(VoteResultLine, Result(false), Rule("two_thirds"), Base("present"), Option("yes"), 1, 3); got !=
		"Kết quả: không thông qua (cần ít nhất hai phần ba số đại biểu có mặt; Tán thành 1/3)." {
		t.Fatalf("result line: %q", got)
	}
	if got := T(VoteResultLine, Result(true), Rule("majority"), Base("all"), Option("yes"), 21, 40); got !=
		"Kết quả: thông qua (cần quá nửa tổng số đại biểu; Tán thành 21/40)." {
		t.Fatalf("result line: %q", got)
	}
	if got := Counts([]string{"Phương án A", "Phương án B"}, map[string]int{"Phương án B": 2, "z": 1, "a": 3}); got != "Phương án A: 0, Phương án B: 2, a: 3, z: 1" {
		t.Fatalf("custom options: %q", got)
	}
	if got := T(Key("nope")); got != "[nope]" {
		t.Fatalf("unknown key: %q", got)
	}
}
