// Package wording is the one table of the sentences the server writes into
// documents and notices: the minutes and their PDF, the conclusion notice
// and each unit's notice of it, the meeting, minutes and task notices (in
// the app and by e-mail), the messages the room shows a moderated
// participant. They are Vietnamese, the language of the record, whatever
// language a reader's screen uses; the English UI translates its own labels
// (web/static/js/i18n/en.js) and never a document. A sentence written
// anywhere else is a bug: the approved minutes of November 2026 read
// "— yes: 1, no: 1, abstain: 0" and could not be corrected after approval.
package wording

import (
	"fmt"
	"sort"
	"strings"
)

// Key names one sentence or phrase of the table.
type Key string

// The table's keys, by the document they reach.
const (
	// Votes (minutes, PDF, room).
	OptionYes        Key = "vote.option.yes"
	OptionNo         Key = "vote.option.no"
	OptionAbstain    Key = "vote.option.abstain"
	VoteOpen         Key = "vote.kind.open"
	VoteSecret       Key = "vote.kind.secret"
	VotePassed       Key = "vote.passed"
	VoteFailed       Key = "vote.failed"
	RuleMajority     Key = "vote.rule.majority"
	RuleTwoThirds    Key = "vote.rule.two_thirds"
	BasePresent      Key = "vote.base.present"
	BaseAll          Key = "vote.base.all"
	VoteLine         Key = "minutes.vote"
	VoteResultLine   Key = "minutes.vote.result"
	MinutesHeadWhen  Key = "minutes.heading.when"
	MinutesWhen      Key = "minutes.when"
	MinutesPlace     Key = "minutes.place"
	MinutesChairs    Key = "minutes.chair_secretary"
	MinutesHourMin   Key = "minutes.hour_minute"
	MinutesKind      Key = "minutes.kind"
	MinutesAttendees Key = "minutes.recipients.attendees"
	RecipientFiling  Key = "recipients.filing"
	SignerChair      Key = "signer.chair"
	SignerSecretary  Key = "signer.secretary"
	NoticeKind       Key = "notice.kind"
	MinutesPresent   Key = "minutes.people.present"
	MinutesNotice    Key = "minutes.people.absent_notice"
	MinutesNoCause   Key = "minutes.people.absent_unknown"
	MinutesPersonAt  Key = "minutes.people.times"
	MinutesHalls     Key = "minutes.halls.present"
	MinutesHallAt    Key = "minutes.halls.times"
	MinutesHallLeft  Key = "minutes.halls.left"
	MinutesHallsOff  Key = "minutes.halls.absent"
	MinutesItemTime  Key = "minutes.item.time"
	MinutesPresenter Key = "minutes.item.presenter"
	MinutesSpeaker   Key = "minutes.item.speaker"
	MinutesHallName  Key = "minutes.hall"
	MinutesClosing   Key = "minutes.closing"
	MinutesContent   Key = "minutes.heading.content"
	MinutesConclude  Key = "minutes.heading.conclusions"
	NoticeIntro      Key = "notice.intro"
	NoticeIntroDated Key = "notice.intro.dated"
	NoticeClosing    Key = "notice.closing"
	NoticeTitle      Key = "notice.title"
	// Meeting notices (in-app and e-mail).
	MeetingInvited     Key = "meeting.invited"
	MeetingRescheduled Key = "meeting.rescheduled"
	MeetingCancelled   Key = "meeting.cancelled"
	MeetingWhen        Key = "meeting.when"
	MeetingWhere       Key = "meeting.where"
	MeetingReason      Key = "meeting.reason"
	MeetingLink        Key = "meeting.link"
	// A document added to a published meeting (in-app and e-mail).
	DocumentAdded     Key = "document.added"
	DocumentAddedBody Key = "document.added.body"
	// Task notices (in-app and e-mail; internal/task).
	TaskOverdueTitle    Key = "task.overdue.title"
	TaskOverdueBody     Key = "task.overdue.body"
	TaskEscalationTitle Key = "task.escalation.title"
	TaskEscalationBody  Key = "task.escalation.body"
	TaskReminderTitle   Key = "task.reminder.title"
	TaskReminderBody    Key = "task.reminder.body"
	TaskDueToday        Key = "task.reminder.today"
	TaskDueInDays       Key = "task.reminder.days"
	TaskDigestTitle     Key = "task.digest.title"
	TaskDigestBody      Key = "task.digest.body"
	// Minutes notices (approval to the participants, the conclusion
	// notice to each concerned unit).
	MinutesApprovedTitle Key = "minutes.approved.title"
	MinutesApprovedBody  Key = "minutes.approved.body"
	UnitNoticeTitle      Key = "notice.unit.title"
	UnitNoticeIntro      Key = "notice.unit.intro"
	UnitNoticeConcerned  Key = "notice.unit.concerned"
	UnitNoticeLink       Key = "notice.unit.link"
	// Moderation (the room tells the participant; docs/meeting-events.md).
	ModMuted       Key = "moderation.muted"
	ModUnmuted     Key = "moderation.unmuted"
	ModAskUnmute   Key = "moderation.ask_unmute"
	ModRemoved     Key = "moderation.removed"
	ModReadmitted  Key = "moderation.readmitted"
	ModLocked      Key = "moderation.locked"
	ModEnded       Key = "moderation.ended"
	ModStillLocked Key = "moderation.join_locked"
)

// vi is the table. Entries with verbs take the arguments their callers
// document; the test renders each one.
var vi = map[Key]string{
	OptionYes:        "Tán thành",
	OptionNo:         "Không tán thành",
	OptionAbstain:    "Không biểu quyết",
	VoteOpen:         "công khai",
	VoteSecret:       "kín",
	VotePassed:       "thông qua",
	VoteFailed:       "không thông qua",
	RuleMajority:     "quá nửa",
	RuleTwoThirds:    "ít nhất hai phần ba",
	BasePresent:      "số đại biểu có mặt",
	BaseAll:          "tổng số đại biểu",
	VoteLine:         "Biểu quyết (%s): %s — %s; %d/%d đại biểu đã biểu quyết.",
	VoteResultLine:   "Kết quả: %s (cần %s %s; %s %d/%d).",
	MinutesHeadWhen:  "I. THỜI GIAN, ĐỊA ĐIỂM, THÀNH PHẦN",
	MinutesWhen:      "Thời gian: từ %s đến %s ngày %s.",
	MinutesPlace:     "\nĐịa điểm: %s.",
	MinutesChairs:    "Chủ trì: %s. Thư ký: %s.",
	MinutesHourMin:   "%02d giờ %02d phút",
	MinutesKind:      "BIÊN BẢN",
	MinutesAttendees: "Các đại biểu dự họp",
	RecipientFiling:  "Lưu: VT",
	SignerChair:      "CHỦ TRÌ",
	SignerSecretary:  "THƯ KÝ",
	NoticeKind:       "THÔNG BÁO",
	MinutesPresent:   "Đại biểu có mặt: %d/%d",
	MinutesNotice:    "Vắng có lý do: %s.",
	MinutesNoCause:   "Vắng không rõ lý do: %s.",
	MinutesPersonAt:  "%s (%s – %s)",
	MinutesHalls:     "Điểm cầu tham dự: %d/%d",
	MinutesHallAt:    "%s (kết nối %s",
	MinutesHallLeft:  ", rời %s",
	MinutesHallsOff:  "Điểm cầu vắng: %s.",
	MinutesItemTime:  "Thời gian: %s – %s.",
	MinutesPresenter: " Trình bày: %s.",
	MinutesSpeaker:   "Phát biểu %d: %s, %s – %s.",
	MinutesHallName:  "Điểm cầu %s",
	MinutesClosing:   "Cuộc họp kết thúc lúc %s cùng ngày.",
	MinutesContent:   "II. NỘI DUNG",
	MinutesConclude:  "III. KẾT LUẬN",
	NoticeIntro:      "Kết luận tại %s như sau:",
	NoticeIntroDated: "Ngày %s, đồng chí %s chủ trì %s. Sau khi nghe báo cáo và ý kiến của các đại biểu, đồng chí %s kết luận như sau:",
	NoticeClosing:    "Văn phòng thông báo để các cơ quan, đơn vị biết, thực hiện.",
	NoticeTitle:      "Kết luận của đồng chí %s tại %s",

	MeetingInvited:     "Giấy mời họp: %s",
	MeetingRescheduled: "Thay đổi thời gian cuộc họp: %s",
	MeetingCancelled:   "Hủy cuộc họp: %s",
	MeetingWhen:        "%s\nThời gian: %s – %s",
	MeetingWhere:       "\nĐịa điểm: %s",
	MeetingReason:      "\nLý do: %s",
	MeetingLink:        "\nXem chi tiết: %s",
	DocumentAdded:      "Tài liệu mới: %s",
	DocumentAddedBody:  "Cuộc họp: %s\nTài liệu: %s\nXem tài liệu: %s",

	TaskOverdueTitle:    "Nhiệm vụ quá hạn: %s",
	TaskOverdueBody:     "Nhiệm vụ \"%s\" đã quá hạn %s. Đề nghị đơn vị báo cáo tiến độ hoặc xin gia hạn.",
	TaskEscalationTitle: "Nhiệm vụ quá hạn chưa hoàn thành: %s",
	TaskEscalationBody:  "Nhiệm vụ \"%s\" do đồng chí giao, hạn %s, đã quá hạn %d ngày và chưa hoàn thành.",
	TaskReminderTitle:   "Nhắc hạn nhiệm vụ: %s",
	TaskReminderBody:    "Nhiệm vụ \"%s\" đến hạn ngày %s (%s).",
	TaskDueToday:        "hôm nay",
	TaskDueInDays:       "còn %d ngày",
	TaskDigestTitle:     "Tổng hợp nhiệm vụ ngày %s",
	TaskDigestBody:      "Nhiệm vụ đồng chí giao: %d quá hạn, %d sắp đến hạn.",

	MinutesApprovedTitle: "Biên bản số %s đã được phê duyệt",
	MinutesApprovedBody:  "Biên bản %s (số %s) đã được chủ trì phê duyệt. Xem tại %s.",
	UnitNoticeTitle:      "Thông báo kết luận số %s",
	UnitNoticeIntro:      "Thông báo số %s ngày %s: kết luận của đồng chí %s tại %s.",
	UnitNoticeConcerned:  "Các kết luận liên quan đến %s:",
	UnitNoticeLink:       "Toàn văn thông báo (bản đã ký) xem tại %s",

	ModMuted:       "Chủ trì đã tắt micrô của %s.",
	ModUnmuted:     "Chủ trì đã cho phép %s bật micrô.",
	ModAskUnmute:   "Chủ trì mời %s bật micrô để phát biểu.",
	ModRemoved:     "Chủ trì đã mời %s rời cuộc gọi. Muốn tham dự lại, xin liên hệ chủ trì.",
	ModReadmitted:  "Chủ trì đã cho phép %s tham dự lại cuộc gọi.",
	ModLocked:      "Chủ trì đã khóa phòng họp: chỉ các điểm cầu được mời và người đang dự được vào.",
	ModEnded:       "Chủ trì đã kết thúc cuộc gọi cho tất cả.",
	ModStillLocked: "Phòng họp đang khóa: chỉ các điểm cầu được mời và người đang dự được vào.",
}

// T renders the entry of k with args (fmt verbs). An unknown key is a
// programming error and reads as such rather than as English.
func T(k Key, args ...any) string {
	s, ok := vi[k]
	if !ok {
		return "[" + string(k) + "]"
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Option is the label of a vote option: the usual codes yes, no, abstain
// read "Tán thành", "Không tán thành", "Không biểu quyết"; an option the
// chair wrote is its own text.
func Option(o string) string {
	switch o {
	case "yes":
		return vi[OptionYes]
	case "no":
		return vi[OptionNo]
	case "abstain":
		return vi[OptionAbstain]
	}
	return o
}

// Result is "thông qua" or "không thông qua".
func Result(passed bool) string {
	if passed {
		return vi[VotePassed]
	}
	return vi[VoteFailed]
}

// Rule is the phrase of a vote rule ("majority", "two_thirds").
func Rule(rule string) string {
	if rule == "two_thirds" {
		return vi[RuleTwoThirds]
	}
	return vi[RuleMajority]
}

// Base is the phrase of a vote base ("present", "all").
func Base(base string) string {
	if base == "all" {
		return vi[BaseAll]
	}
	return vi[BasePresent]
}

// VoteKind is "công khai" or "kín".
func VoteKind(secret bool) string {
	if secret {
		return vi[VoteSecret]
	}
	return vi[VoteOpen]
}

// Counts is "Tán thành: 15, Không tán thành: 1, Không biểu quyết: 1" in
// the order of options, then any other counted choice.
func Counts(options []string, counts map[string]int) string {
	keys := append([]string(nil), options...)
	var extra []string
	for k := range counts {
		if !contains(keys, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	keys = append(keys, extra...)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", Option(k), counts[k]))
	}
	return strings.Join(parts, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
