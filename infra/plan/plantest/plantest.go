// Package plantest builds stand-ins for the function binaries, so that
// tests can plan and synthesize the stack without `make build`.
package plantest

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// Functions are the function directories the stack may deploy.
var Functions = []string{"jwt-authorizer", "apikey-authorizer"}

// ELF returns the bytes of a minimal 64-bit little-endian ELF executable
// header for machine m: enough for debug/elf to read its architecture,
// nothing a CPU could run.
func ELF(m elf.Machine) []byte {
	b := make([]byte, 64)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	b[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	b[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(elf.ET_EXEC))
	le.PutUint16(b[18:], uint16(m))
	le.PutUint32(b[20:], uint32(elf.EV_CURRENT))
	le.PutUint16(b[52:], 64) // e_ehsize
	le.PutUint16(b[54:], 56) // e_phentsize
	le.PutUint16(b[58:], 64) // e_shentsize
	return b
}

// BuildDir returns a temporary build directory holding a fake linux/arm64
// bootstrap for each of fns (default: every function), laid out as
// `make build` lays out build/.
func BuildDir(t testing.TB, fns ...string) string {
	t.Helper()
	if len(fns) == 0 {
		fns = Functions
	}
	dir := t.TempDir()
	for _, fn := range fns {
		WriteBootstrap(t, dir, fn, elf.EM_AARCH64)
	}
	return dir
}

// WriteBootstrap writes a fake bootstrap for machine m as dir/fn/bootstrap.
func WriteBootstrap(t testing.TB, dir, fn string, m elf.Machine) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), ELF(m), 0o755); err != nil {
		t.Fatal(err)
	}
}
