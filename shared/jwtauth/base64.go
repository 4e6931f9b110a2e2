package jwtauth

import (
	"encoding/binary"
	"errors"
)

// errBase64 is returned for any base64url defect.
var errBase64 = errors.New("invalid base64url")

// b64 maps a base64url character to its value, or 0xff.
var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodedLen returns the length of the decoding of n base64url characters.
func decodedLen(n int) int { return n * 6 / 8 }

// decodeB64 decodes s, strict unpadded base64url (RFC 7515 §2), into dst,
// which must hold decodedLen(len(s)) bytes, and returns the bytes written.
// It accepts exactly what base64.RawURLEncoding.Strict() accepts minus the
// CR and LF characters that decoder skips: no padding, no whitespace, no
// character outside the alphabet, no non-zero trailing bits, no length of
// 1 mod 4. It reads a string, so token parts are decoded without a copy.
func decodeB64(dst []byte, s string) (int, error) {
	n := 0
	i := 0
	// Eight characters (six bytes) per step while they fit.
	for ; i+8 <= len(s) && n+8 <= len(dst); i += 8 {
		c := s[i : i+8]
		x0, x1, x2, x3 := b64[c[0]], b64[c[1]], b64[c[2]], b64[c[3]]
		x4, x5, x6, x7 := b64[c[4]], b64[c[5]], b64[c[6]], b64[c[7]]
		if x0|x1|x2|x3|x4|x5|x6|x7 == 0xff {
			return 0, errBase64
		}
		v := uint64(x0)<<58 | uint64(x1)<<52 | uint64(x2)<<46 | uint64(x3)<<40 |
			uint64(x4)<<34 | uint64(x5)<<28 | uint64(x6)<<22 | uint64(x7)<<16
		binary.BigEndian.PutUint64(dst[n:], v)
		n += 6
	}
	for ; i+4 <= len(s); i += 4 {
		a, b, c, d := b64[s[i]], b64[s[i+1]], b64[s[i+2]], b64[s[i+3]]
		if a|b|c|d == 0xff {
			return 0, errBase64
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[n], dst[n+1], dst[n+2] = byte(v>>16), byte(v>>8), byte(v)
		n += 3
	}
	switch len(s) - i {
	case 0:
	case 2:
		a, b := b64[s[i]], b64[s[i+1]]
		if a|b == 0xff || b&0x0f != 0 {
			return 0, errBase64
		}
		dst[n] = a<<2 | b>>4
		n++
	case 3:
		a, b, c := b64[s[i]], b64[s[i+1]], b64[s[i+2]]
		if a|b|c == 0xff || c&0x03 != 0 {
			return 0, errBase64
		}
		v := uint32(a)<<12 | uint32(b)<<6 | uint32(c)
		dst[n], dst[n+1] = byte(v>>10), byte(v>>2)
		n += 2
	default:
		return 0, errBase64
	}
	return n, nil
}
