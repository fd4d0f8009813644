package pdfdoc

import _ "embed"

// Liberation Serif 2 (fonts-liberation2, SIL OFL 1.1, see fonts/LICENSE) is
// metric-compatible with Times New Roman, which offices use for Decree 30
// documents, and covers every Vietnamese letter. It is embedded (subset) in
// every PDF so the page looks the same on any reader.
var (
	//go:embed fonts/LiberationSerif-Regular.ttf
	serifRegular []byte
	//go:embed fonts/LiberationSerif-Bold.ttf
	serifBold []byte
	//go:embed fonts/LiberationSerif-Italic.ttf
	serifItalic []byte
	//go:embed fonts/LiberationSerif-BoldItalic.ttf
	serifBoldItalic []byte // "Nơi nhận:" is bold italic
)

// family is the name the fonts are registered under.
const family = "LiberationSerif"
