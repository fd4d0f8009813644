package httpapi

import (
	"net/http"

	"github.com/cau-gov/cau/internal/auth"
)

// routes registers every route of the server. Keep it the one place where
// routes live: docs/openapi.yaml is checked against it by a test.
func (s *Server) routes() {
	m := s

	// Operations.
	m.Handle("GET /healthz", s.public(s.healthz))
	m.Handle("GET /readyz", s.public(s.readyz))
	m.Handle("GET /metrics", s.metricsHandler())
	if s.MediaOnly {
		// An SFU-only node (CAU_ROLES=sfu): media and operations, nothing else.
		s.mediaRoutes()
		return
	}

	// --- accounts and auth (internal/auth) ---
	m.Handle("POST /api/v1/auth/login", s.public(s.login))
	m.Handle("POST /api/v1/auth/refresh", s.public(s.refresh))
	m.Handle("POST /api/v1/auth/logout", s.public(s.logout))
	m.Handle("GET /api/v1/auth/methods", s.public(s.authMethods))
	m.Handle("GET /api/v1/auth/oidc/start", s.public(s.ssoStart))
	m.Handle("GET /api/v1/auth/oidc/callback", s.public(s.ssoCallback))
	m.Handle("GET /api/v1/me", s.user(s.me))
	m.Handle("POST /api/v1/me/password", s.user(s.changePassword))

	// --- administration: units, halls, users, audit (internal/org, internal/audit) ---
	// Everyone signed in reads the tree and the halls (secretaries pick halls
	// from it); the org service decides who may change what, by unit scope.
	admin := []auth.Role{auth.RoleAdmin}
	m.Handle("GET /api/v1/unit-levels", s.user(s.listUnitLevels))
	m.Handle("PUT /api/v1/unit-levels/{code}", s.user(s.saveUnitLevel, admin...))
	m.Handle("GET /api/v1/units", s.user(s.listUnits))
	m.Handle("POST /api/v1/units", s.user(fromBody(s, http.StatusCreated, s.createUnit), admin...))
	m.Handle("PATCH /api/v1/units/{id}", s.user(withBody(s, http.StatusOK, s.updateUnit), admin...))
	m.Handle("POST /api/v1/units/{id}/move", s.user(withBody(s, http.StatusOK, s.moveUnit), admin...))
	m.Handle("POST /api/v1/units/{id}/deactivate", s.user(byID(http.StatusOK, s.deactivateUnit), admin...))
	m.Handle("POST /api/v1/units/{id}/reactivate", s.user(byID(http.StatusOK, s.reactivateUnit), admin...))
	m.Handle("GET /api/v1/units/{id}/signature", s.user(byID(http.StatusOK, s.Org.Signature), admin...))
	m.Handle("PUT /api/v1/units/{id}/signature", s.user(withBody(s, http.StatusOK, s.saveSignature), admin...))
	m.Handle("DELETE /api/v1/units/{id}/signature", s.user(commandByID(s.Org.RemoveSignature), admin...))
	m.Handle("GET /api/v1/halls", s.user(s.listHalls))
	m.Handle("POST /api/v1/halls", s.user(fromBody(s, http.StatusCreated, s.createHall), admin...))
	m.Handle("PATCH /api/v1/halls/{id}", s.user(withBody(s, http.StatusOK, s.updateHall), admin...))
	m.Handle("POST /api/v1/halls/{id}/deactivate", s.user(byID(http.StatusOK, s.deactivateHall), admin...))
	m.Handle("POST /api/v1/halls/{id}/reactivate", s.user(byID(http.StatusOK, s.reactivateHall), admin...))
	m.Handle("GET /api/v1/users", s.user(s.listUsers))
	m.Handle("POST /api/v1/users", s.user(fromBody(s, http.StatusCreated, s.createUser), admin...))
	m.Handle("POST /api/v1/users/import", s.user(s.importUsers, admin...))
	m.Handle("GET /api/v1/users/{id}", s.user(byID(http.StatusOK, s.Org.User)))
	m.Handle("PATCH /api/v1/users/{id}", s.user(withBody(s, http.StatusOK, s.updateUser), admin...))
	m.Handle("POST /api/v1/users/{id}/deactivate", s.user(byID(http.StatusOK, s.deactivateUser), admin...))
	m.Handle("POST /api/v1/users/{id}/reactivate", s.user(byID(http.StatusOK, s.reactivateUser), admin...))
	m.Handle("PUT /api/v1/users/{id}/roles", s.user(withBody(s, http.StatusOK, s.setUserRoles), admin...))
	m.Handle("POST /api/v1/users/{id}/reset-password", s.user(byID(http.StatusOK, s.resetPassword), admin...))
	m.Handle("GET /api/v1/audit", s.user(s.listAudit, admin...))
	m.Handle("GET /api/v1/audit/verify", s.user(s.verifyAudit, admin...))

	// --- meetings (internal/meeting) ---
	// Anyone signed in may call these; the meeting service decides by
	// account role (who creates) and by meeting membership (everything else).
	m.Handle("GET /api/v1/meetings", s.user(s.listMeetings))
	m.Handle("POST /api/v1/meetings", s.user(fromBody(s, http.StatusCreated, s.Meetings.Create), auth.RoleSecretary, auth.RoleAdmin))
	m.Handle("GET /api/v1/meetings/{id}", s.user(byID(http.StatusOK, s.getMeeting)))
	m.Handle("PATCH /api/v1/meetings/{id}", s.user(withBody(s, http.StatusOK, s.Meetings.Update)))
	m.Handle("POST /api/v1/meetings/{id}/publish", s.user(byID(http.StatusOK, s.Meetings.Publish)))
	m.Handle("POST /api/v1/meetings/{id}/cancel", s.user(withOptionalBody(s, http.StatusOK, s.cancelMeeting)))
	m.Handle("GET /api/v1/meetings/{id}/invitees", s.user(byID(http.StatusOK, s.meetingInvitees)))
	m.Handle("POST /api/v1/meetings/{id}/halls", s.user(withBody(s, http.StatusOK, s.inviteHalls)))
	m.Handle("DELETE /api/v1/meetings/{id}/halls/{hall}", s.user(commandByIDs("hall", s.Meetings.RemoveHall)))
	m.Handle("PUT /api/v1/meetings/{id}/participants/{user}", s.user(withBodyIDs(s, "user", http.StatusNoContent, s.setMeetingParticipant)))
	m.Handle("DELETE /api/v1/meetings/{id}/participants/{user}", s.user(commandByIDs("user", s.Meetings.RemoveParticipant)))
	m.Handle("GET /api/v1/meetings/{id}/agenda", s.user(byID(http.StatusOK, s.getAgenda)))
	m.Handle("POST /api/v1/meetings/{id}/agenda", s.user(withBody(s, http.StatusCreated, s.Meetings.AddItem)))
	m.Handle("PATCH /api/v1/meetings/{id}/agenda/{item}", s.user(withBodyIDs(s, "item", http.StatusOK, s.Meetings.UpdateItem)))
	m.Handle("POST /api/v1/meetings/{id}/agenda/{item}/move", s.user(withBodyIDs(s, "item", http.StatusOK, s.moveAgendaItem)))
	m.Handle("DELETE /api/v1/meetings/{id}/agenda/{item}", s.user(commandByIDs("item", s.Meetings.RemoveItem)))
	m.Handle("POST /api/v1/meetings/{id}/join", s.user(withOptionalBody(s, http.StatusOK, s.joinMeeting)))
	// The live session: commands over REST, events over the WebSocket (docs/meeting-events.md).
	m.Handle("GET /api/v1/meetings/{id}/live", s.public(s.liveSession))
	m.Handle("GET /api/v1/meetings/{id}/session", s.user(byID(http.StatusOK, s.sessionSnapshot)))
	m.Handle("GET /api/v1/meetings/{id}/session/events", s.user(s.sessionEvents))
	m.Handle("POST /api/v1/meetings/{id}/session/open", s.user(commandByID(s.Meetings.OpenSession)))
	m.Handle("POST /api/v1/meetings/{id}/session/close", s.user(commandByID(s.Meetings.CloseSession)))
	m.Handle("PUT /api/v1/meetings/{id}/session/current-item", s.user(withBody(s, http.StatusNoContent, s.setCurrentItem)))
	m.Handle("POST /api/v1/meetings/{id}/session/speaking", s.user(withOptionalBody(s, http.StatusCreated, s.requestFloor)))
	m.Handle("POST /api/v1/meetings/{id}/session/speaking/{req}/withdraw", s.user(commandByIDs("req", s.Meetings.WithdrawFloor)))
	m.Handle("POST /api/v1/meetings/{id}/session/speaking/{req}/grant", s.user(commandByIDs("req", s.Meetings.GrantFloor)))
	m.Handle("POST /api/v1/meetings/{id}/session/speaking/{req}/end", s.user(commandByIDs("req", s.Meetings.EndFloor)))
	m.Handle("POST /api/v1/meetings/{id}/session/votes", s.user(withBody(s, http.StatusCreated, s.openVote)))
	m.Handle("POST /api/v1/meetings/{id}/session/votes/{vote}/ballot", s.user(withBodyIDs(s, "vote", http.StatusNoContent, s.castBallot)))
	m.Handle("POST /api/v1/meetings/{id}/session/votes/{vote}/close", s.user(commandByIDs("vote", s.Meetings.CloseVote)))
	m.Handle("POST /api/v1/meetings/{id}/session/halls/{hall}/mute", s.user(withBodyIDs(s, "hall", http.StatusNoContent, s.muteHall)))
	m.Handle("POST /api/v1/meetings/{id}/session/moderation", s.user(withBody(s, http.StatusNoContent, s.moderate)))
	m.Handle("PUT /api/v1/meetings/{id}/session/room", s.user(withBody(s, http.StatusNoContent, s.setRoom)))
	m.Handle("PUT /api/v1/meetings/{id}/session/attendance/{user}", s.user(withBodyIDs(s, "user", http.StatusNoContent, s.markAttendance)))
	m.Handle("GET /api/v1/notifications", s.user(s.listNotifications))
	m.Handle("GET /api/v1/notifications/stream", s.user(s.notificationStream))
	m.Handle("POST /api/v1/notifications/read-all", s.user(s.readAllNotifications))
	m.Handle("POST /api/v1/notifications/{id}/read", s.user(s.readNotification))

	// documents (internal/document): upload, versions, views, read receipts
	m.Handle("POST /api/v1/meetings/{id}/documents", s.user(s.uploadDocument))
	m.Handle("GET /api/v1/meetings/{id}/documents", s.user(byID(http.StatusOK, s.listDocuments)))
	m.Handle("GET /api/v1/documents/{id}", s.user(byID(http.StatusOK, s.getDocument)))
	m.Handle("PATCH /api/v1/documents/{id}", s.user(withBody(s, http.StatusOK, s.updateDocument)))
	m.Handle("POST /api/v1/documents/{id}/versions", s.user(s.uploadDocumentVersion))
	m.Handle("GET /api/v1/documents/{id}/versions/{v}/file", s.user(s.downloadDocument))
	m.Handle("GET /api/v1/documents/{id}/versions/{v}/pdf", s.user(s.viewDocument))
	m.Handle("GET /api/v1/documents/{id}/reads", s.user(s.documentReads))

	// recordings (internal/recording): the chair's start and stop, the
	// archive, the player's signed media links, the office's legal holds
	if s.Recordings != nil {
		m.Handle("GET /api/v1/meetings/{id}/recordings", s.user(byID(http.StatusOK, s.listRecordings)))
		m.Handle("POST /api/v1/meetings/{id}/recording/start", s.user(byID(http.StatusCreated, s.Recordings.Start)))
		m.Handle("POST /api/v1/meetings/{id}/recording/stop", s.user(byID(http.StatusOK, s.Recordings.Stop)))
		m.Handle("GET /api/v1/meetings/{id}/legal-hold", s.user(byID(http.StatusOK, s.legalHold)))
		m.Handle("PUT /api/v1/meetings/{id}/legal-hold", s.user(withBody(s, http.StatusOK, s.Recordings.SetHold)))
		m.Handle("DELETE /api/v1/meetings/{id}/legal-hold", s.user(commandByID(s.Recordings.ClearHold)))
		m.Handle("GET /api/v1/recordings/{id}", s.user(byID(http.StatusOK, s.Recordings.Get)))
		m.Handle("POST /api/v1/recordings/{id}/play", s.user(byID(http.StatusOK, s.Recordings.Play)))
		m.Handle("GET /api/v1/recordings/{id}/media", s.public(s.recordingMedia))
		m.Handle("GET /api/v1/recordings/{id}/file", s.user(s.recordingFile))
		m.Handle("GET /api/v1/recordings/{id}/chapters.vtt", s.user(s.recordingChapters))
		m.Handle("GET /api/v1/recordings/{id}/reads", s.user(byID(http.StatusOK, s.recordingReads)))
	}

	// --- minutes and tasks (internal/minutes, internal/task, internal/search) ---
	// The services decide by meeting role (minutes) and by assigner, unit
	// and role (tasks); dashboards are for chairs, secretaries, admins and observers.
	if s.Minutes != nil {
		m.Handle("POST /api/v1/meetings/{id}/minutes", s.user(byID(http.StatusCreated, s.Minutes.Draft)))
		m.Handle("GET /api/v1/meetings/{id}/minutes", s.user(byID(http.StatusOK, s.getMinutes)))
		m.Handle("PUT /api/v1/meetings/{id}/minutes", s.user(withBody(s, http.StatusOK, s.saveMinutes)))
		m.Handle("POST /api/v1/meetings/{id}/minutes/refresh", s.user(withBody(s, http.StatusOK, s.refreshMinutes)))
		m.Handle("POST /api/v1/meetings/{id}/minutes/approve", s.user(withBody(s, http.StatusOK, s.approveMinutes)))
		m.Handle("GET /api/v1/meetings/{id}/minutes/pdf", s.user(s.minutesPDF))
		m.Handle("GET /api/v1/meetings/{id}/minutes/notice", s.user(byID(http.StatusOK, s.Minutes.Notice)))
		m.Handle("GET /api/v1/meetings/{id}/minutes/notice/pdf", s.user(s.noticePDF))
		m.Handle("POST /api/v1/meetings/{id}/minutes/conclusions/{n}/tasks", s.user(withBodyIDs(s, "n", http.StatusCreated, s.createTasksFromConclusion)))
		m.Handle("GET /api/v1/tasks", s.user(s.listTasks))
		m.Handle("POST /api/v1/tasks", s.user(fromBody(s, http.StatusCreated, s.createTask)))
		m.Handle("GET /api/v1/tasks/dashboard", s.user(s.taskDashboard))
		m.Handle("GET /api/v1/tasks/export", s.user(s.exportTasks))
		m.Handle("GET /api/v1/tasks/{id}", s.user(byID(http.StatusOK, s.Tasks.Detail)))
		m.Handle("POST /api/v1/tasks/{id}/reports", s.user(withBody(s, http.StatusCreated, s.addTaskReport)))
		m.Handle("POST /api/v1/tasks/{id}/extensions", s.user(withBody(s, http.StatusCreated, s.requestTaskExtension)))
		m.Handle("POST /api/v1/tasks/{id}/complete", s.user(byID(http.StatusOK, s.Tasks.Complete)))
		m.Handle("POST /api/v1/tasks/{id}/cancel", s.user(byID(http.StatusOK, s.Tasks.Cancel)))
		m.Handle("POST /api/v1/task-extensions/{id}/decision", s.user(withBody(s, http.StatusOK, s.decideTaskExtension)))
		m.Handle("GET /api/v1/search", s.user(s.search))
	}

	s.mediaRoutes()
	// Unknown API paths answer JSON, not the web client.
	m.Handle("/api/", s.public(func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
	if s.Web != nil {
		m.Handle("/", s.Web)
	}
}

// mediaRoutes are the SFU's: /rtc, WHIP and WHEP.
func (s *Server) mediaRoutes() {
	m := s
	// Real-time: SFU signaling.
	if s.RTC != nil {
		// gorilla/websocket needs the Hijacker under the middleware's writer
		// (as liveSession does); without it every browser got a 500.
		rtc := s.RTC
		m.Handle("GET /rtc", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rtc.ServeHTTP(hijacker(w), r) }))
	}
	// WHIP encoders and WHEP players (room tokens, answered by sfu/whip).
	if s.WHIP != nil {
		for _, p := range []string{"/whip", "/whep"} {
			m.Handle("POST "+p, s.WHIP)
			m.Handle("POST "+p+"/{room}", s.WHIP)
			m.Handle("DELETE "+p+"/sessions/{id}", s.WHIP)
			m.Handle("PATCH "+p+"/sessions/{id}", s.WHIP)
			m.Handle("OPTIONS "+p, s.WHIP)
			m.Handle("OPTIONS "+p+"/{room}", s.WHIP)
			m.Handle("OPTIONS "+p+"/sessions/{id}", s.WHIP)
		}
	}
}

// Handle registers a route and remembers its pattern for Routes.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, h)
}

// Routes lists the registered patterns ("GET /api/v1/me", …) in order.
func (s *Server) Routes() []string { return append([]string(nil), s.patterns...) }
