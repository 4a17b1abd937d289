package xmpptest

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// scripts holds the start and stop scripts and the helpers they source.
//
//go:embed scripts/*.sh
var scripts embed.FS

// WriteScripts writes the embedded shell scripts into dir, which must
// exist: start-prosody.sh, stop-prosody.sh, start-ejabberd.sh,
// stop-ejabberd.sh and lib.sh, which the others source. Each script
// documents its environment variables in its header. Use it to run the
// servers without Go, from a shell or a CI job: `bash DIR/start-prosody.sh`
// prints KEY=value lines (XMPP_DOMAIN, XMPP_C2S_ADDR, XMPP_DIR, ...) and
// `bash DIR/stop-prosody.sh INSTANCE-DIR` stops the instance again.
func WriteScripts(dir string) error {
	entries, err := fs.ReadDir(scripts, "scripts")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := scripts.ReadFile("scripts/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o755); err != nil {
			return fmt.Errorf("xmpptest: writing scripts: %w", err)
		}
	}
	return nil
}

// withScripts writes the scripts into a fresh temporary directory, calls f
// with it and removes it again.
func withScripts(f func(dir string) error) error {
	dir, err := os.MkdirTemp("", "xmpptest-scripts-")
	if err != nil {
		return fmt.Errorf("xmpptest: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := WriteScripts(dir); err != nil {
		return err
	}
	return f(dir)
}
