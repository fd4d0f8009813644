package org

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// ImportProblem is what is wrong with one field of a row. Code is stable
// and translated by the client: required, username_format, username_taken
// (an account has it), username_duplicate (an earlier line of the file has
// it: Line), email_format, name_format, position_format, unit_unknown,
// unit_ambiguous (two units have that name: use the code), unit_inactive,
// unit_scope (outside the importer's units), role_unknown, role_hall
// (hall operators are given their hall on the user screen),
// personal_id_format (not 12 digits), personal_id_duplicate (an earlier
// line has it: Line), personal_id_taken (an account has it).
type ImportProblem struct {
	Field string `json:"field"`
	Code  string `json:"code"`
	Line  int    `json:"line,omitempty"`
}

// ImportRow is one row of the file as read and checked.
type ImportRow struct {
	Line     int    `json:"line"`
	Username string `json:"username"`
	FullName string `json:"full_name"`
	Email    string `json:"email"`
	Position string `json:"position"`
	// PersonalID is the optional citizen identity number, cleaned.
	PersonalID string          `json:"personal_id"`
	Unit       string          `json:"unit"` // as written in the file
	UnitID     auth.UnitID     `json:"unit_id,omitempty"`
	UnitName   string          `json:"unit_name,omitempty"`
	Roles      []auth.Role     `json:"roles"`
	Problems   []ImportProblem `json:"problems"`
}

// ImportedUser is a created account and its temporary password, shown
// once to the administrator who hands it over.
type ImportedUser struct {
	Line              int         `json:"line"`
	ID                auth.UserID `json:"id"`
	Username          string      `json:"username"`
	FullName          string      `json:"full_name"`
	UnitName          string      `json:"unit_name"`
	TemporaryPassword string      `json:"temporary_password"`
}

// ImportReport is the answer to an import: every row with its problems;
// Created is filled only by a confirmed import that wrote.
type ImportReport struct {
	DryRun   bool           `json:"dry_run"`
	Rows     []ImportRow    `json:"rows"`
	Problems int            `json:"problems"` // rows with at least one problem
	Created  []ImportedUser `json:"created"`
}

// roleLabels are the role names a file may use besides the codes.
var roleLabels = map[string]auth.Role{
	"quan_tri": auth.RoleAdmin, "thu_ky": auth.RoleSecretary, "chu_tri": auth.RoleChair, "dai_bieu": auth.RoleDelegate,
	"quan_sat_vien": auth.RoleObserver, "quan_sat": auth.RoleObserver, "ky_thuat_vien_diem_cau": auth.RoleHallOperator,
	"ky_thuat_vien": auth.RoleHallOperator,
}

// ImportUsers reads an XLSX or CSV file of users (a header row, then one
// user a row: username, full name, unit code or exact name required;
// e-mail, position, roles and the personal ID number optional) and checks every row. A dry run only
// reports. A confirmed import writes nothing unless every row is clean,
// and then writes every user in one transaction, each with a generated
// temporary password that must be changed at first login.
//
// Roles in the file: delegate and observer are given province-wide (they
// carry no power over others); admin, secretary and chair hold for the
// row's unit and what is under it; wider powers are given on the user screen.
func (s *Service) ImportUsers(ctx context.Context, p *auth.Principal, file []byte, dryRun bool) (ImportReport, error) {
	if !p.Has(auth.RoleAdmin) {
		return ImportReport{}, ErrForbidden
	}
	recs, err := readImportFile(file)
	if err != nil {
		return ImportReport{}, err
	}
	if len(recs) < 2 {
		return ImportReport{}, ErrImportEmpty
	}
	if len(recs)-1 > MaxImportRows {
		return ImportReport{}, fmt.Errorf("%w (at most %d)", ErrImportTooMany, MaxImportRows)
	}
	cols, err := columns(recs[0].cells)
	if err != nil {
		return ImportReport{}, err
	}
	rep := ImportReport{DryRun: dryRun, Rows: make([]ImportRow, 0, len(recs)-1), Created: []ImportedUser{}}
	for _, rec := range recs[1:] {
		rep.Rows = append(rep.Rows, parseRow(rec, cols))
	}
	if err := s.checkRows(ctx, p, rep.Rows); err != nil {
		return ImportReport{}, err
	}
	for _, r := range rep.Rows {
		if len(r.Problems) > 0 {
			rep.Problems++
		}
	}
	if dryRun {
		return rep, nil
	}
	if rep.Problems > 0 {
		return rep, ErrImportRows
	}
	created, err := s.writeImport(ctx, p, rep.Rows)
	if err != nil {
		return ImportReport{}, err
	}
	rep.Created = created
	return rep, nil
}

func parseRow(rec record, cols map[string]int) ImportRow {
	cell := func(c string) string {
		i, ok := cols[c]
		if !ok || i >= len(rec.cells) {
			return ""
		}
		return clean(rec.cells[i])
	}
	r := ImportRow{Line: rec.line, Username: auth.NormalizeUsername(cell(colUsername)), FullName: cell(colFullName),
		Email: cell(colEmail), Position: cell(colPosition), Unit: cell(colUnit), Roles: []auth.Role{}, Problems: []ImportProblem{}}
	problem := func(field, code string) { r.Problems = append(r.Problems, ImportProblem{Field: field, Code: code}) }
	switch {
	case r.Username == "":
		problem("username", "required")
	case !usernameRe.MatchString(r.Username):
		problem("username", "username_format")
	}
	switch {
	case r.FullName == "":
		problem("full_name", "required")
	case !oneLine(r.FullName, 200):
		problem("full_name", "name_format")
	}
	if r.Email != "" {
		fields := map[string]fault.Problem{}
		if checkEmail(fields, r.Email); len(fields) > 0 {
			problem("email", "email_format")
		}
	}
	if !oneLine(r.Position, 200) {
		problem("position", "position_format")
	}
	if r.Unit == "" {
		problem("unit", "required")
	}
	r.PersonalID = cleanPersonalID(cell(colPersonalID))
	if len(r.PersonalID) == 11 && allDigits(r.PersonalID) {
		// Excel keeps a number typed in a cell as a number and drops its
		// leading zero; every CCCD starts with 0 (the province code 001–096),
		// so eleven digits are that number with its zero lost.
		r.PersonalID = "0" + r.PersonalID
	}
	if r.PersonalID != "" && !personalIDRe.MatchString(r.PersonalID) {
		problem("personal_id", "personal_id_format")
	}
	seen := map[auth.Role]bool{}
	for _, name := range strings.FieldsFunc(cell(colRoles), func(c rune) bool { return c == ',' || c == ';' || c == '\n' }) {
		key := foldKey(name)
		role := auth.Role(key)
		if !role.Valid() {
			role = roleLabels[key]
		}
		switch {
		case key == "":
			continue
		case role == "":
			problem("roles", "role_unknown")
		case role == auth.RoleHallOperator:
			problem("roles", "role_hall")
		case !seen[role]:
			seen[role] = true
			r.Roles = append(r.Roles, role)
		}
	}
	return r
}

// checkRows resolves each row's unit (code, or exact name when only one
// unit has it), checks it is open and within p's scope, and marks
// usernames repeated in the file or taken by an account.
func (s *Service) checkRows(ctx context.Context, p *auth.Principal, rows []ImportRow) error {
	units, err := s.st.Units(ctx)
	if err != nil {
		return err
	}
	byID := make(map[auth.UnitID]Unit, len(units))
	byCode := map[string]Unit{}
	byName := map[string][]Unit{}
	for _, u := range units {
		byID[u.ID] = u
		byCode[u.Code] = u
		byName[foldKey(u.Name)] = append(byName[foldKey(u.Name)], u)
	}
	ancestry := func(id auth.UnitID) []auth.UnitID {
		var out []auth.UnitID
		for u, ok := byID[id]; ok; u, ok = byID[*u.ParentID] {
			out = append(out, u.ID)
			if u.ParentID == nil {
				break
			}
		}
		return out
	}
	first := map[string]int{}
	var names []string
	firstID := map[string]int{}
	var ids []string
	for i := range rows {
		r := &rows[i]
		problem := func(field, code string, line int) {
			r.Problems = append(r.Problems, ImportProblem{Field: field, Code: code, Line: line})
		}
		if r.Unit != "" {
			// The code first; else the name, when exactly one unit has it.
			u, ok := byCode[strings.ToLower(r.Unit)]
			same := byName[foldKey(r.Unit)]
			if !ok && len(same) == 1 {
				u, ok = same[0], true
			}
			switch {
			case !ok && len(same) > 1:
				problem("unit", "unit_ambiguous", 0)
			case !ok:
				problem("unit", "unit_unknown", 0)
			case !u.Active:
				problem("unit", "unit_inactive", 0)
			case !p.HasGlobal(auth.RoleAdmin) && !p.HasFor(auth.RoleAdmin, ancestry(u.ID)):
				problem("unit", "unit_scope", 0)
			default:
				r.UnitID, r.UnitName = u.ID, u.Name
			}
		}
		if r.PersonalID != "" && personalIDRe.MatchString(r.PersonalID) {
			if line, dup := firstID[r.PersonalID]; dup {
				problem("personal_id", "personal_id_duplicate", line)
			} else {
				firstID[r.PersonalID] = r.Line
				ids = append(ids, r.PersonalID)
			}
		}
		if r.Username == "" || !usernameRe.MatchString(r.Username) {
			continue
		}
		if line, dup := first[r.Username]; dup {
			problem("username", "username_duplicate", line)
			continue
		}
		first[r.Username] = r.Line
		names = append(names, r.Username)
	}
	if len(ids) > 0 {
		takenIDs, err := s.st.TakenPersonalIDs(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range takenIDs {
			for i := range rows {
				if rows[i].PersonalID == id && firstID[id] == rows[i].Line {
					rows[i].Problems = append(rows[i].Problems, ImportProblem{Field: "personal_id", Code: "personal_id_taken"})
				}
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	taken, err := s.st.TakenUsernames(ctx, names)
	if err != nil {
		return err
	}
	for _, name := range taken {
		for i := range rows {
			if rows[i].Username == name && first[name] == rows[i].Line {
				rows[i].Problems = append(rows[i].Problems, ImportProblem{Field: "username", Code: "username_taken"})
			}
		}
	}
	return nil
}

// grantsOf turns a row's roles into grants (see ImportUsers).
func grantsOf(r ImportRow) []auth.RoleGrant {
	gs := []auth.RoleGrant{}
	for _, role := range r.Roles {
		g := auth.RoleGrant{Role: role}
		if role != auth.RoleDelegate && role != auth.RoleObserver {
			unit := r.UnitID
			g.ScopeUnitID = &unit
		}
		gs = append(gs, g)
	}
	return gs
}

// writeImport hashes a temporary password per row (in parallel: argon2id
// costs tens of milliseconds and 64 MiB each) and writes every user in
// one transaction.
func (s *Service) writeImport(ctx context.Context, p *auth.Principal, rows []ImportRow) ([]ImportedUser, error) {
	passwords := make([]string, len(rows))
	hashes := make([]string, len(rows))
	errs := make([]error, len(rows))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for i := range rows {
		passwords[i] = newPassword()
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			hashes[i], errs[i] = auth.HashPassword(passwords[i], s.params)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	us := make([]NewUser, len(rows))
	es := make([]audit.Entry, len(rows))
	for i, r := range rows {
		gs := grantsOf(r)
		us[i] = NewUser{UnitID: r.UnitID, Username: r.Username, FullName: r.FullName, Email: r.Email, Position: r.Position,
			PersonalID: r.PersonalID, PasswordHash: hashes[i], Grants: gs, MustChangePassword: true}
		es[i] = entry(p, "user.create", "user", "", map[string]any{"username": r.Username, "unit_id": r.UnitID,
			"full_name": r.FullName, "grants": gs, "generated_password": true, "import_line": r.Line,
			"personal_id": maskPersonalID(r.PersonalID)})
	}
	summary := entry(p, "user.import", "user", "", map[string]any{"rows": len(rows)})
	created, err := s.st.ImportUsers(ctx, us, es, summary, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]ImportedUser, len(created))
	for i, u := range created {
		out[i] = ImportedUser{Line: rows[i].Line, ID: u.ID, Username: u.Username, FullName: u.FullName,
			UnitName: rows[i].UnitName, TemporaryPassword: passwords[i]}
	}
	return out, nil
}
