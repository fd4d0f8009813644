package seed

// The demo province is shaped like the reference scenario (BRIEF.md): the
// People's Committee of Lâm Đồng, 20 departments, 12 districts and 147
// communes. District and commune names are Lâm Đồng's (before the 2025
// reform, which is why districts exist here); a few communes are added
// to reach the scenario's count.

var departments = []string{
	"Văn phòng UBND tỉnh",
	"Sở Nội vụ",
	"Sở Tư pháp",
	"Sở Kế hoạch và Đầu tư",
	"Sở Tài chính",
	"Sở Công Thương",
	"Sở Nông nghiệp và Phát triển nông thôn",
	"Sở Giao thông vận tải",
	"Sở Xây dựng",
	"Sở Tài nguyên và Môi trường",
	"Sở Thông tin và Truyền thông",
	"Sở Lao động - Thương binh và Xã hội",
	"Sở Văn hóa, Thể thao và Du lịch",
	"Sở Khoa học và Công nghệ",
	"Sở Giáo dục và Đào tạo",
	"Sở Y tế",
	"Sở Ngoại vụ",
	"Thanh tra tỉnh",
	"Ban Dân tộc",
	"Ban Quản lý các khu công nghiệp",
}

type district struct {
	name     string
	communes []string
}

var districts = []district{
	{"Thành phố Đà Lạt", []string{"Phường 1", "Phường 2", "Phường 3", "Phường 4", "Phường 5", "Phường 6", "Phường 7", "Phường 8", "Phường 9", "Phường 10", "Phường 11", "Phường 12", "Xã Tà Nung", "Xã Xuân Thọ", "Xã Xuân Trường", "Xã Trạm Hành"}},
	{"Thành phố Bảo Lộc", []string{"Phường 1", "Phường 2", "Phường B'Lao", "Phường Lộc Phát", "Phường Lộc Sơn", "Phường Lộc Tiến", "Xã Lộc Châu", "Xã Lộc Nga", "Xã Lộc Thanh", "Xã Đại Lào", "Xã Đam Bri"}},
	{"Huyện Đam Rông", []string{"Xã Rô Men", "Xã Liêng S'rônh", "Xã Đạ R'sal", "Xã Đạ M'rông", "Xã Phi Liêng", "Xã Đạ K'nàng", "Xã Đạ Tông", "Xã Đạ Long", "Xã Liêng Trang"}},
	{"Huyện Lạc Dương", []string{"Thị trấn Lạc Dương", "Xã Đạ Sar", "Xã Đạ Nhim", "Xã Đạ Chais", "Xã Đưng K'Nớ", "Xã Lát"}},
	{"Huyện Lâm Hà", []string{"Thị trấn Đinh Văn", "Thị trấn Nam Ban", "Xã Đạ Đờn", "Xã Phú Sơn", "Xã Phi Tô", "Xã Mê Linh", "Xã Đông Thanh", "Xã Gia Lâm", "Xã Nam Hà", "Xã Tân Văn", "Xã Hoài Đức", "Xã Tân Hà", "Xã Liên Hà", "Xã Đan Phượng", "Xã Phúc Thọ", "Xã Tân Thanh"}},
	{"Huyện Đơn Dương", []string{"Thị trấn Thạnh Mỹ", "Thị trấn D'Ran", "Xã Lạc Xuân", "Xã Đạ Ròn", "Xã Lạc Lâm", "Xã Ka Đô", "Xã Quảng Lập", "Xã Ka Đơn", "Xã Tu Tra", "Xã Pró"}},
	{"Huyện Đức Trọng", []string{"Thị trấn Liên Nghĩa", "Xã Hiệp An", "Xã Liên Hiệp", "Xã Hiệp Thạnh", "Xã Bình Thạnh", "Xã N'Thol Hạ", "Xã Tân Hội", "Xã Tân Thành", "Xã Phú Hội", "Xã Ninh Gia", "Xã Tà Năng", "Xã Đa Quyn", "Xã Tà Hine", "Xã Đà Loan", "Xã Ninh Loan"}},
	{"Huyện Di Linh", []string{"Thị trấn Di Linh", "Xã Đinh Trang Thượng", "Xã Tân Thượng", "Xã Tân Lâm", "Xã Tân Châu", "Xã Tân Nghĩa", "Xã Gia Hiệp", "Xã Đinh Lạc", "Xã Tam Bố", "Xã Đinh Trang Hòa", "Xã Liên Đầm", "Xã Gung Ré", "Xã Bảo Thuận", "Xã Hòa Ninh", "Xã Hòa Trung", "Xã Hòa Nam", "Xã Hòa Bắc", "Xã Sơn Điền", "Xã Gia Bắc"}},
	{"Huyện Bảo Lâm", []string{"Thị trấn Lộc Thắng", "Xã Lộc Bảo", "Xã Lộc Lâm", "Xã Lộc Phú", "Xã Lộc Bắc", "Xã B'Lá", "Xã Lộc Ngãi", "Xã Lộc Quảng", "Xã Lộc Tân", "Xã Lộc Đức", "Xã Lộc An", "Xã Tân Lạc", "Xã Lộc Thành", "Xã Lộc Nam"}},
	{"Huyện Đạ Huoai", []string{"Thị trấn Mađaguôi", "Thị trấn Đạ M'ri", "Xã Hà Lâm", "Xã Đạ Tồn", "Xã Đạ Oai", "Xã Đạ Ploa", "Xã Đoàn Kết", "Xã Phước Lộc", "Xã Mađaguôi"}},
	{"Huyện Đạ Tẻh", []string{"Thị trấn Đạ Tẻh", "Xã An Nhơn", "Xã Quốc Oai", "Xã Mỹ Đức", "Xã Quảng Trị", "Xã Đạ Lây", "Xã Triệu Hải", "Xã Đạ Kho", "Xã Đạ Pal", "Xã Hà Đông", "Xã Hương Lâm"}},
	{"Huyện Cát Tiên", []string{"Thị trấn Cát Tiên", "Thị trấn Phước Cát", "Xã Đức Phổ", "Xã Phù Mỹ", "Xã Gia Viễn", "Xã Nam Ninh", "Xã Đồng Nai Thượng", "Xã Tiên Hoàng", "Xã Phước Cát 2", "Xã Quảng Ngãi", "Xã Mỹ Lâm"}},
}

// Vietnamese personal names for demo users, combined deterministically.
var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "K'"}
	middleNames = []string{"Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quốc", "Ngọc", "Xuân", "Thu"}
	givenNames  = []string{"An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan", "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vy", "Yến"}
)

// personName returns the i-th demo name; the K' family name of the
// Central Highlands' Cơ Ho people takes its given name without a space.
func personName(i int) string {
	f := familyNames[i%len(familyNames)]
	g := givenNames[(i*7)%len(givenNames)]
	if f == "K'" {
		return f + g
	}
	m := middleNames[(i*3)%len(middleNames)]
	return f + " " + m + " " + g
}
