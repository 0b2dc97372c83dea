package console

// ansiStripper removes ANSI/VT100 escape sequences from a byte stream,
// keeping its state across chunks:
//
//   - CSI: ESC [ params… final (0x40–0x7E), e.g. ESC[12;07H, ESC[6n, ESC[0m
//   - OSC: ESC ] … BEL or ESC \
//   - ESC + intermediates (0x20–0x2F) + final, e.g. ESC ( B
//   - ESC + one other byte, e.g. ESC 7, ESC M
//
// A bare C1 CSI (0x9b) is left alone: it is also a UTF-8 continuation byte.
type ansiStripper struct{ st uint8 }

const (
	stText uint8 = iota
	stEsc
	stCSI
	stOSC
	stOSCEsc
	stInter
)

func (a *ansiStripper) append(dst, p []byte) []byte {
	for _, b := range p {
		switch a.st {
		case stText:
			if b == 0x1b {
				a.st = stEsc
				continue
			}
			dst = append(dst, b)
		case stEsc:
			switch {
			case b == '[':
				a.st = stCSI
			case b == ']':
				a.st = stOSC
			case b >= 0x20 && b <= 0x2f:
				a.st = stInter
			case b == 0x1b:
				// ESC ESC: stay
			default:
				a.st = stText
			}
		case stCSI:
			if b >= 0x40 && b <= 0x7e {
				a.st = stText
			} else if b == 0x1b {
				a.st = stEsc
			}
		case stOSC:
			if b == 0x07 {
				a.st = stText
			} else if b == 0x1b {
				a.st = stOSCEsc
			}
		case stOSCEsc:
			if b == '\\' {
				a.st = stText
			} else {
				a.st = stOSC
			}
		case stInter:
			if b >= 0x30 && b <= 0x7e {
				a.st = stText
			} else if b < 0x20 || b > 0x2f {
				a.st = stText
				dst = append(dst, b)
			}
		}
	}
	return dst
}
