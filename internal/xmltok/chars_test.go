package xmltok

import (
	"encoding/binary"
	"testing"
	"unicode/utf8"
)

// TestStopsExact checks that the lowest flag of each SWAR mask marks the
// first byte that needs attention, whatever the bytes around it.
func TestStopsExact(t *testing.T) {
	t.Parallel()
	isName := func(c byte) bool { return c < 0x80 && nameByte[c] != 0 }
	isAttr := func(c byte, q byte) bool { return c >= 0x20 && c < 0x80 && c != q && c != '<' && c != '&' }
	isText := func(c byte) bool { return charClass[c] == clPlain && c != '>' }
	fill := []byte("aZ_0-.9z q'\"<&>:;\t\x80\xff\x00\x1f")
	for c := range 256 {
		for pos := range 8 {
			for _, f := range fill {
				for _, g := range fill {
					b := []byte{f, g, f, g, f, g, f, g}
					b[pos] = byte(c)
					x := binary.LittleEndian.Uint64(b)
					check := func(name string, m uint64, ok func(byte) bool) {
						want := 8
						for k := range 8 {
							if !ok(b[k]) {
								want = k
								break
							}
						}
						got := 8
						if m != 0 {
							got = firstStop(m)
						}
						if got != want {
							t.Fatalf("%s(%q) = %d, want %d", name, b, got, want)
						}
					}
					check("name", nameStops(x), isName)
					check("attr'", attrStops(x, swarLo*'\''), func(c byte) bool { return isAttr(c, '\'') })
					check("attr\"", attrStops(x, swarLo*'"'), func(c byte) bool { return isAttr(c, '"') })
					check("text", textStops(x), isText)
					check("attrRun", attrRunStops(x), func(c byte) bool { return c >= '(' && c < 0x80 && c != '<' })
				}
			}
		}
	}
}

// TestCommonChar: commonChar accepts only what utf8.DecodeRune and isChar
// accept, with the same length.
func TestCommonChar(t *testing.T) {
	t.Parallel()
	for c := 0x80; c < 0x100; c++ {
		for b1 := 0; b1 < 0x100; b1++ {
			for b2 := 0; b2 < 0x100; b2++ {
				b := []byte{byte(c), byte(b1), byte(b2), 'x'}
				n := commonChar(b, 0)
				if n == 0 {
					continue
				}
				r, size := utf8.DecodeRune(b)
				if r == utf8.RuneError && size <= 1 || !isChar(r) || size != n {
					t.Fatalf("commonChar(% x) = %d; DecodeRune: %U, %d", b, n, r, size)
				}
			}
		}
	}
}
