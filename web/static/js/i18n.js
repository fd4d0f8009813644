// Translations: Vietnamese by default, English selectable; the choice is
// kept in localStorage. No DOM here: ui/ re-renders when the language changes.

/** @typedef {'vi'|'en'} Lang */

/** @type {Record<Lang, Record<string, string>>} */
const dict = {
	vi: {
		'app.name': 'Cầu',
		'app.tagline': 'Họp trực tuyến và điều hành phiên họp không giấy',
		'lang.switch': 'English',
		'nav.meetings': 'Cuộc họp của tôi',
		'nav.device': 'Kiểm tra thiết bị',
		'nav.logout': 'Đăng xuất',
		'nav.skip': 'Bỏ qua đến nội dung chính',
		'login.title': 'Đăng nhập',
		'login.username': 'Tên đăng nhập',
		'login.password': 'Mật khẩu',
		'login.submit': 'Đăng nhập',
		'login.busy': 'Đang đăng nhập…',
		'login.required': 'Vui lòng nhập tên đăng nhập và mật khẩu.',
		'meetings.title': 'Cuộc họp của tôi',
		'meetings.today': 'Hôm nay',
		'meetings.upcoming': 'Sắp diễn ra',
		'meetings.past': 'Đã diễn ra',
		'meetings.none': 'Không có cuộc họp nào.',
		'meetings.loading': 'Đang tải danh sách cuộc họp…',
		'meetings.open': 'Mở',
		'meetings.unavailable': 'Danh sách cuộc họp chưa sẵn sàng trên máy chủ này.',
		'role.admin': 'Quản trị',
		'role.secretary': 'Thư ký',
		'role.chair': 'Chủ trì',
		'role.delegate': 'Đại biểu',
		'role.hall_operator': 'Kỹ thuật viên điểm cầu',
		'role.observer': 'Quan sát viên',
		'device.title': 'Kiểm tra thiết bị trước khi vào họp',
		'device.camera': 'Camera',
		'device.microphone': 'Micrô',
		'device.speaker': 'Loa',
		'device.start': 'Bật camera và micrô',
		'device.stop': 'Tắt camera và micrô',
		'device.speakerTest': 'Phát âm thanh thử',
		'device.speakerHint': 'Bạn sẽ nghe một tiếng “bíp” ngắn nếu loa hoạt động.',
		'device.level': 'Mức âm thanh micrô',
		'device.ok': 'Hoạt động tốt',
		'device.denied': 'Trình duyệt không cho dùng camera hoặc micrô. Hãy cho phép trong cài đặt trang.',
		'device.notFound': 'Không tìm thấy camera hoặc micrô.',
		'device.failed': 'Không mở được thiết bị: {msg}',
		'device.resolution': 'Độ phân giải: {w}×{h}',
		'conn.reconnecting': 'Đang kết nối lại…',
		'conn.offline': 'Mất kết nối mạng.',
		'room.loading': 'Đang vào phòng họp…',
		'room.agenda': 'Chương trình',
		'room.current': 'Nội dung đang thảo luận',
		'room.noItem': 'Chưa bắt đầu nội dung nào.',
		'room.documents': 'Tài liệu',
		'room.noDocuments': 'Không có tài liệu.',
		'room.floor': 'Đang phát biểu',
		'room.noFloor': 'Chưa có ai phát biểu.',
		'room.mainPicture': 'Hình ảnh chính',
		'room.videoPending': 'Chưa kết nối hình ảnh.',
		'room.queue': 'Đăng ký phát biểu',
		'room.queueEmpty': 'Chưa có đăng ký.',
		'room.requestFloor': 'Đăng ký phát biểu',
		'room.withdraw': 'Rút đăng ký',
		'room.grant': 'Mời phát biểu',
		'room.endFloor': 'Kết thúc phát biểu',
		'room.chair': 'Điều hành',
		'room.prevItem': 'Nội dung trước',
		'room.nextItem': 'Nội dung tiếp theo',
		'room.openSession': 'Khai mạc phiên họp',
		'room.closeSession': 'Bế mạc phiên họp',
		'room.openVote': 'Biểu quyết',
		'room.closeVote': 'Kết thúc biểu quyết',
		'room.voteQuestion': 'Nội dung biểu quyết',
		'room.voteSecret': 'Bỏ phiếu kín',
		'room.voteStart': 'Bắt đầu biểu quyết',
		'room.cancel': 'Huỷ',
		'room.vote': 'Biểu quyết',
		'room.voted': 'Bạn đã biểu quyết. Cảm ơn.',
		'room.ballots': 'Đã biểu quyết: {n}/{m}',
		'room.results': 'Kết quả biểu quyết',
		'room.halls': 'Điểm cầu',
		'room.hallConnected': 'Đã kết nối',
		'room.hallOffline': 'Chưa kết nối',
		'room.mute': 'Tắt tiếng',
		'room.unmute': 'Bật tiếng',
		'room.muted': 'Đã tắt tiếng',
		'room.status.draft': 'Bản nháp',
		'room.status.published': 'Đã phát hành, chưa khai mạc',
		'room.status.in_session': 'Đang họp',
		'room.status.ended': 'Đã kết thúc',
		'room.status.cancelled': 'Đã huỷ',
		'vote.yes': 'Tán thành',
		'vote.no': 'Không tán thành',
		'vote.abstain': 'Không biểu quyết',
		'kind.regular': 'Họp thường kỳ',
		'kind.briefing': 'Giao ban',
		'kind.province_online': 'Hội nghị trực tuyến toàn tỉnh',
		'room.person': 'Đại biểu #{id}',
		'room.hall': 'Điểm cầu #{id}',
		'notfound.title': 'Không tìm thấy trang',
		'notfound.back': 'Về trang cuộc họp',
		'error.title': 'Đã có lỗi',
		'error.retry': 'Thử lại',
		'err.invalid_credentials': 'Tên đăng nhập hoặc mật khẩu không đúng.',
		'err.account_locked': 'Tài khoản tạm khoá do nhập sai nhiều lần. Vui lòng thử lại sau.',
		'err.account_inactive': 'Tài khoản đã ngừng hoạt động. Liên hệ quản trị viên.',
		'err.rate_limited': 'Bạn thao tác quá nhanh. Vui lòng đợi một phút rồi thử lại.',
		'err.invalid_token': 'Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.',
		'err.token_reused': 'Phiên đăng nhập đã bị thu hồi vì lý do an toàn. Vui lòng đăng nhập lại.',
		'err.unauthenticated': 'Vui lòng đăng nhập.',
		'err.forbidden': 'Bạn không có quyền thực hiện thao tác này.',
		'err.not_found': 'Không tìm thấy dữ liệu yêu cầu.',
		'err.conflict': 'Dữ liệu đã tồn tại hoặc vừa bị người khác thay đổi.',
		'err.validation_failed': 'Dữ liệu chưa hợp lệ, vui lòng kiểm tra các ô được đánh dấu.',
		'err.invalid_value': 'Giá trị không hợp lệ.',
		'err.malformed_json': 'Yêu cầu không đúng định dạng.',
		'err.unknown_field': 'Yêu cầu có trường không được hỗ trợ.',
		'err.body_too_large': 'Dữ liệu gửi lên quá lớn.',
		'err.file_too_large': 'Tệp quá lớn.',
		'err.malformed_multipart': 'Tệp tải lên bị lỗi, vui lòng thử lại.',
		'err.unsupported_media_type': 'Định dạng yêu cầu không được hỗ trợ.',
		'err.unsupported_type': 'Loại tệp không được hỗ trợ (chỉ PDF, DOCX, XLSX, PPTX, ODT…).',
		'err.document_corrupt': 'Tệp tài liệu bị hỏng.',
		'err.conversion_pending': 'Tài liệu đang được chuyển sang PDF, vui lòng đợi.',
		'err.conversion_failed': 'Không chuyển được tài liệu sang PDF; hãy tải bản gốc.',
		'err.no_pdf_view': 'Tài liệu này chưa có bản xem PDF.',
		'err.original_restricted': 'Chỉ được xem, không được tải bản gốc tài liệu này.',
		'err.reference_violated': 'Dữ liệu đang được dùng ở nơi khác.',
		'err.unit_cycle': 'Không thể chuyển đơn vị vào chính đơn vị con của nó.',
		'err.unit_in_use': 'Đơn vị đang có người dùng hoặc điểm cầu.',
		'err.unit_level': 'Cấp đơn vị không phù hợp.',
		'err.unit_root': 'Không thể thay đổi đơn vị gốc.',
		'err.own_account': 'Không thể thực hiện thao tác này trên chính tài khoản của bạn.',
		'err.weak_password': 'Mật khẩu quá yếu (cần ít nhất 10 ký tự, khó đoán).',
		'err.wrong_password': 'Mật khẩu hiện tại không đúng.',
		'err.timeout': 'Máy chủ xử lý quá lâu. Vui lòng thử lại.',
		'err.internal': 'Lỗi máy chủ. Vui lòng thử lại sau ít phút.',
		'err.media_unavailable': 'Máy chủ này chưa bật truyền hình ảnh (SFU). Liên hệ kỹ thuật viên.',
		'err.live_unavailable': 'Máy chủ chưa bật cập nhật trực tiếp phiên họp. Liên hệ kỹ thuật viên.',
		'err.already_voted': 'Bạn đã biểu quyết rồi; phiếu của bạn đã được ghi nhận.',
		'err.invalid_state': 'Thao tác không phù hợp với trạng thái hiện tại của cuộc họp.',
		'err.network': 'Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.',
		'err.unknown': 'Đã có lỗi ({code}).',
	},
	en: {
		'app.name': 'Cầu',
		'app.tagline': 'Video meetings and paperless sessions',
		'lang.switch': 'Tiếng Việt',
		'nav.meetings': 'My meetings',
		'nav.device': 'Device check',
		'nav.logout': 'Sign out',
		'nav.skip': 'Skip to main content',
		'login.title': 'Sign in',
		'login.username': 'Username',
		'login.password': 'Password',
		'login.submit': 'Sign in',
		'login.busy': 'Signing in…',
		'login.required': 'Please enter your username and password.',
		'meetings.title': 'My meetings',
		'meetings.today': 'Today',
		'meetings.upcoming': 'Upcoming',
		'meetings.past': 'Past',
		'meetings.none': 'No meetings.',
		'meetings.loading': 'Loading meetings…',
		'meetings.open': 'Open',
		'meetings.unavailable': 'The meeting list is not available on this server yet.',
		'role.admin': 'Administrator',
		'role.secretary': 'Secretary',
		'role.chair': 'Chair',
		'role.delegate': 'Delegate',
		'role.hall_operator': 'Hall operator',
		'role.observer': 'Observer',
		'device.title': 'Check your devices before joining',
		'device.camera': 'Camera',
		'device.microphone': 'Microphone',
		'device.speaker': 'Speaker',
		'device.start': 'Turn on camera and microphone',
		'device.stop': 'Turn off camera and microphone',
		'device.speakerTest': 'Play test sound',
		'device.speakerHint': 'You should hear a short beep if the speaker works.',
		'device.level': 'Microphone level',
		'device.ok': 'Working',
		'device.denied': 'The browser blocked the camera or microphone. Allow them in the site settings.',
		'device.notFound': 'No camera or microphone found.',
		'device.failed': 'Could not open the device: {msg}',
		'device.resolution': 'Resolution: {w}×{h}',
		'conn.reconnecting': 'Reconnecting…',
		'conn.offline': 'Network connection lost.',
		'room.loading': 'Entering the meeting room…',
		'room.agenda': 'Agenda',
		'room.current': 'Current item',
		'room.noItem': 'No item has started yet.',
		'room.documents': 'Documents',
		'room.noDocuments': 'No documents.',
		'room.floor': 'Speaking',
		'room.noFloor': 'Nobody has the floor.',
		'room.mainPicture': 'Main picture',
		'room.videoPending': 'Video not connected.',
		'room.queue': 'Speaking requests',
		'room.queueEmpty': 'No requests.',
		'room.requestFloor': 'Request the floor',
		'room.withdraw': 'Withdraw request',
		'room.grant': 'Give the floor',
		'room.endFloor': 'End speech',
		'room.chair': 'Chair',
		'room.prevItem': 'Previous item',
		'room.nextItem': 'Next item',
		'room.openSession': 'Open the session',
		'room.closeSession': 'Close the session',
		'room.openVote': 'Vote',
		'room.closeVote': 'Close the vote',
		'room.voteQuestion': 'Question',
		'room.voteSecret': 'Secret ballot',
		'room.voteStart': 'Start the vote',
		'room.cancel': 'Cancel',
		'room.vote': 'Vote',
		'room.voted': 'Your vote is counted. Thank you.',
		'room.ballots': 'Voted: {n}/{m}',
		'room.results': 'Vote results',
		'room.halls': 'Halls',
		'room.hallConnected': 'Connected',
		'room.hallOffline': 'Not connected',
		'room.mute': 'Mute',
		'room.unmute': 'Unmute',
		'room.muted': 'Muted',
		'room.status.draft': 'Draft',
		'room.status.published': 'Published, not yet open',
		'room.status.in_session': 'In session',
		'room.status.ended': 'Ended',
		'room.status.cancelled': 'Cancelled',
		'vote.yes': 'In favour',
		'vote.no': 'Against',
		'vote.abstain': 'Abstain',
		'kind.regular': 'Regular session',
		'kind.briefing': 'Briefing',
		'kind.province_online': 'Province-wide online conference',
		'room.person': 'Delegate #{id}',
		'room.hall': 'Hall #{id}',
		'notfound.title': 'Page not found',
		'notfound.back': 'Back to meetings',
		'error.title': 'Something went wrong',
		'error.retry': 'Try again',
		'err.invalid_credentials': 'Wrong username or password.',
		'err.account_locked': 'The account is locked after too many failed attempts. Try again later.',
		'err.account_inactive': 'The account is deactivated. Contact an administrator.',
		'err.rate_limited': 'Too many attempts. Wait a minute and try again.',
		'err.invalid_token': 'Your session has expired. Please sign in again.',
		'err.token_reused': 'Your session was revoked for safety. Please sign in again.',
		'err.unauthenticated': 'Please sign in.',
		'err.forbidden': 'You are not allowed to do this.',
		'err.not_found': 'Not found.',
		'err.conflict': 'This already exists or was just changed by someone else.',
		'err.validation_failed': 'Some fields are not valid; check the marked fields.',
		'err.invalid_value': 'Invalid value.',
		'err.malformed_json': 'Malformed request.',
		'err.unknown_field': 'The request has an unsupported field.',
		'err.body_too_large': 'The request is too large.',
		'err.file_too_large': 'The file is too large.',
		'err.malformed_multipart': 'The upload was damaged; please retry.',
		'err.unsupported_media_type': 'Unsupported request format.',
		'err.unsupported_type': 'Unsupported file type (PDF, DOCX, XLSX, PPTX, ODT…).',
		'err.document_corrupt': 'The document file is damaged.',
		'err.conversion_pending': 'The document is being converted to PDF; please wait.',
		'err.conversion_failed': 'The document could not be converted to PDF; download the original.',
		'err.no_pdf_view': 'This document has no PDF view yet.',
		'err.original_restricted': 'This document can be viewed but not downloaded.',
		'err.reference_violated': 'This is still in use elsewhere.',
		'err.unit_cycle': 'A unit cannot move under its own sub-unit.',
		'err.unit_in_use': 'The unit still has users or halls.',
		'err.unit_level': 'Wrong unit level.',
		'err.unit_root': 'The root unit cannot be changed.',
		'err.own_account': 'You cannot do this to your own account.',
		'err.weak_password': 'The password is too weak (at least 10 characters, hard to guess).',
		'err.wrong_password': 'The current password is wrong.',
		'err.timeout': 'The server took too long. Try again.',
		'err.internal': 'Server error. Try again in a few minutes.',
		'err.media_unavailable': 'Video is not enabled on this server (no SFU). Contact the technician.',
		'err.live_unavailable': 'Live meeting updates are not running on this server. Contact the technician.',
		'err.already_voted': 'You have already voted; your ballot is counted.',
		'err.invalid_state': 'This cannot be done in the meeting’s current state.',
		'err.network': 'Cannot reach the server. Check the network and try again.',
		'err.unknown': 'Something went wrong ({code}).',
	},
};

const storageKey = 'cau.lang';

/** @type {Lang} */
let current = readStored();

/** @returns {Lang} */
function readStored() {
	try {
		const v = globalThis.localStorage?.getItem(storageKey);
		if (v === 'en' || v === 'vi') return v;
	} catch { /* storage disabled: default */ }
	return 'vi';
}

/** @type {Set<(lang: Lang) => void>} */
const listeners = new Set();

/** lang returns the current language. */
export function lang() { return current; }

/**
 * setLang switches and persists the language, then tells the listeners.
 * @param {Lang} l
 */
export function setLang(l) {
	current = l;
	try { globalThis.localStorage?.setItem(storageKey, l); } catch { /* not persisted */ }
	for (const f of listeners) f(l);
}

/**
 * onLangChange registers a listener; it returns the function that removes it.
 * @param {(lang: Lang) => void} f
 */
export function onLangChange(f) {
	listeners.add(f);
	return () => listeners.delete(f);
}

/**
 * t translates key, filling {name} placeholders from params. A missing key
 * falls back to Vietnamese, then to the key itself (visible, never blank).
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 */
export function t(key, params) {
	let s = dict[current][key] ?? dict.vi[key] ?? key;
	if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
	return s;
}

/**
 * has reports whether key is translated.
 * @param {string} key
 */
export function has(key) { return key in dict.vi; }

/**
 * formatDateTime formats a time for the current language, in Vietnam time.
 * @param {string|Date} d
 */
export function formatDateTime(d) {
	return new Intl.DateTimeFormat(current === 'vi' ? 'vi-VN' : 'en-GB', {
		dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Ho_Chi_Minh',
	}).format(typeof d === 'string' ? new Date(d) : d);
}

/** keys lists every key per language (tests check both languages have the same). */
export function keys() {
	return { vi: Object.keys(dict.vi), en: Object.keys(dict.en) };
}
