package task

import (
	"bytes"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// Sheet names and headers, in Vietnamese as the offices read them.
const (
	SheetSummary = "Tổng hợp"
	SheetTasks   = "Nhiệm vụ"
)

var (
	// The status columns carry the statuses' own labels (Status.Label), so
	// the workbook, the task sheet and the screens use the same terms.
	summaryHeader = []any{"STT", "Đơn vị / Người giao", StatusOverdue.Label(), StatusInProgress.Label(), StatusDoneLate.Label(),
		StatusDoneOnTime.Label(), StatusCancelled.Label(), "Tổng số", "Tỷ lệ đúng hạn (%)"}
	tasksHeader = []any{"STT", "Nhiệm vụ", "Đơn vị chủ trì", "Hạn xử lý", "Ngày hoàn thành", "Tiến độ (%)", "Trạng thái"}
)

// ExportXLSX writes the dashboard rows and the drill-down tasks as an Excel
// workbook. unitName names lead units in the task sheet.
func ExportXLSX(rows []Row, tasks []Task, unitName func(int64) string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(SheetTasks); err != nil {
		return nil, err
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: "Times New Roman", Size: 12}})
	put := func(sheet string, row int, vals []any) error {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return f.SetSheetRow(sheet, cell, &vals)
	}
	if err := put(SheetSummary, 1, summaryHeader); err != nil {
		return nil, err
	}
	for i, r := range rows {
		var pct any = ""
		if r.OnTimePercent != nil {
			pct = float64(int(*r.OnTimePercent*10+0.5)) / 10
		}
		if err := put(SheetSummary, i+2, []any{i + 1, r.Name, r.Overdue, r.InProgress, r.DoneLate, r.DoneOnTime, r.Cancelled, r.Total, pct}); err != nil {
			return nil, err
		}
	}
	if err := put(SheetTasks, 1, tasksHeader); err != nil {
		return nil, err
	}
	for i, t := range tasks {
		done := ""
		if t.CompletedOn != nil {
			done = t.CompletedOn.VN()
		}
		if err := put(SheetTasks, i+2, []any{i + 1, t.Title, unitName(int64(t.LeadUnit)), t.Deadline.VN(), done, t.Percent, t.Status.Label()}); err != nil {
			return nil, err
		}
	}
	for _, s := range []string{SheetSummary, SheetTasks} {
		_ = f.SetRowStyle(s, 1, 1, bold)
		_ = f.SetColWidth(s, "B", "B", 60)
		_ = f.SetColWidth(s, "C", "I", 16)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	return buf.Bytes(), nil
}
